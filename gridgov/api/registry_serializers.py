"""What the API shows of the registry (一标三实), and what it reads.

Personal numbers are never shown: a person has `masked_document` and `masked_phone`, an
organisation `masked_contact_phone`; the numbers in clear come only from the audited reveal
(registry_views.PersonRevealView). A tag of sensitive level is left out of a person for the
roles that may not see who carries it (context "see_sensitive"). Free text a grid worker
writes (what a visit found) is shown with phone and ID numbers masked.
"""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from gridgov.api.filters import CODE_MAX, DayField, MomentField
from gridgov.lib.masking import mask_contacts
from gridgov.lib.validators import validate_text
from gridgov.registry.choices import (
    DocumentType,
    DwellingUse,
    OrganisationKind,
    Relation,
    ResidenceType,
    Sensitivity,
    Sex,
)
from gridgov.registry.figures import AGE_BANDS
from gridgov.registry.models import (
    Dwelling,
    Household,
    Organisation,
    PatrolLog,
    Person,
    RecordChange,
    Room,
    Tag,
)

ID_MAX = 10**18 - 1


def text(max_length, **kwargs):
    """A text input refused (400 naming it) when it cannot be stored: NUL, U+FFFD."""
    return serializers.CharField(max_length=max_length, validators=[validate_text], **kwargs)


def record_id(**kwargs):
    return serializers.IntegerField(min_value=1, max_value=ID_MAX, **kwargs)


def absolute(context, name, *args) -> str:
    path = reverse(f"api:{name}", args=args)
    request = context.get("request")
    return request.build_absolute_uri(path) if request else path


# --- tags ------------------------------------------------------------------------------


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["code", "name", "sensitivity", "description"]
        read_only_fields = fields


class PersonTagSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


def shown_tags(person, see_sensitive: bool) -> list[dict]:
    """The person's tags as this reader may see them (reads the prefetched tags)."""
    return [
        {"code": tag.code, "name": tag.name}
        for tag in sorted(person.tags.all(), key=lambda tag: tag.code)
        if see_sensitive or tag.sensitivity != Sensitivity.SENSITIVE
    ]


# --- persons -------------------------------------------------------------------------


class PersonSerializer(serializers.ModelSerializer):
    """Expects household__room selected and tags prefetched; context "see_sensitive"."""

    url = serializers.SerializerMethodField()
    age = serializers.SerializerMethodField()
    masked_document = serializers.CharField(
        read_only=True, help_text="The document number masked: 990101********1234."
    )
    masked_phone = serializers.CharField(read_only=True, help_text="139****1111.")
    room = serializers.SerializerMethodField()
    address = serializers.SerializerMethodField()
    tags = serializers.SerializerMethodField()

    class Meta:
        model = Person
        fields = [
            "id",
            "url",
            "name",
            "sex",
            "birth_date",
            "age",
            "document_type",
            "masked_document",
            "masked_phone",
            "relation",
            "residence_type",
            "household",
            "room",
            "address",
            "moved_in_on",
            "moved_out_on",
            "tags",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, person):
        return absolute(self.context, "registry-person-detail", person.pk)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_age(self, person):
        return person.age_on(self.context.setdefault("today", timezone.localdate()))

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_room(self, person):
        return person.household.room_id if person.household_id else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_address(self, person):
        return person.household.room.address if person.household_id else None

    @extend_schema_field(PersonTagSerializer(many=True))
    def get_tags(self, person):
        return shown_tags(person, self.context.get("see_sensitive", False))


class PersonAnswerSerializer(PersonSerializer):
    """A person created or updated: `created`, and `moved` when a person already registered
    elsewhere (found by their document) moved into this household instead of being doubled."""

    created = serializers.SerializerMethodField()
    moved = serializers.SerializerMethodField()
    moved_from = serializers.SerializerMethodField(
        help_text="The address they moved from, when it is in your scope."
    )

    class Meta(PersonSerializer.Meta):
        fields = [*PersonSerializer.Meta.fields, "created", "moved", "moved_from"]
        read_only_fields = fields

    @extend_schema_field(serializers.BooleanField())
    def get_created(self, person):
        return self.context["result"].created

    @extend_schema_field(serializers.BooleanField())
    def get_moved(self, person):
        return self.context["result"].moved_from is not None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_moved_from(self, person):
        return self.context.get("moved_from_address")


class PersonInputSerializer(serializers.Serializer):
    """A person to add (POST) or the fields to change (PATCH). On POST give `room` (its
    current household is used, made when it has none) or `household`."""

    room = record_id(required=False, help_text=gettext_lazy("The room the person lives in."))
    household = record_id(required=False, help_text=gettext_lazy("Or: their household."))
    name = text(50)
    residence_type = serializers.ChoiceField(choices=ResidenceType.choices)
    document_type = serializers.ChoiceField(
        choices=DocumentType.choices, required=False, allow_blank=True
    )
    document_number = text(
        40,
        required=False,
        allow_blank=True,
        write_only=True,
        help_text=gettext_lazy("Never shown back: the answer has masked_document."),
    )
    phone = text(
        30,
        required=False,
        allow_blank=True,
        write_only=True,
        help_text=gettext_lazy("Never shown back: the answer has masked_phone."),
    )
    sex = serializers.ChoiceField(choices=Sex.choices, required=False, allow_blank=True)
    birth_date = DayField(required=False, allow_null=True)
    relation = serializers.ChoiceField(choices=Relation.choices, required=False, allow_blank=True)
    moved_in_on = DayField(required=False, allow_null=True)
    moved_out_on = DayField(required=False, allow_null=True)
    tags = serializers.ListField(
        child=text(40),
        required=False,
        max_length=50,
        help_text=gettext_lazy("Tag codes; replaces the person's tags when given."),
    )

    def validate(self, attrs):
        if attrs.get("document_number") and not attrs.get("document_type"):
            if self.partial and self.instance is not None and self.instance.document_type:
                attrs["document_type"] = self.instance.document_type
            else:
                raise serializers.ValidationError(
                    {"document_type": [_("Say which document the number is from.")]}
                )
        return attrs


class RevealInputSerializer(serializers.Serializer):
    purpose = text(200, help_text=gettext_lazy("Why you need the numbers: kept in the audit."))


class RevealSerializer(serializers.Serializer):
    person = serializers.IntegerField()
    document_type = serializers.CharField()
    document_number = serializers.CharField(help_text="In clear.")
    phone = serializers.CharField(help_text="In clear.")
    purpose = serializers.CharField()


# --- rooms, households, dwellings ----------------------------------------------------


class RoomSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    building = serializers.CharField(source="building.code", read_only=True)
    building_name = serializers.CharField(source="building.name", read_only=True)

    class Meta:
        model = Room
        fields = [
            "id",
            "url",
            "code",
            "address",
            "building",
            "building_name",
            "unit",
            "number",
            "floor",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, room):
        return absolute(self.context, "registry-room-detail", room.pk)


class HouseholdSerializer(serializers.ModelSerializer):
    """Expects context "members": the household's members, tags prefetched."""

    url = serializers.SerializerMethodField()
    room_code = serializers.CharField(source="room.code", read_only=True)
    address = serializers.CharField(source="room.address", read_only=True)
    is_current = serializers.BooleanField(read_only=True)
    members = serializers.SerializerMethodField()

    class Meta:
        model = Household
        fields = [
            "id",
            "url",
            "room",
            "room_code",
            "address",
            "moved_in_on",
            "moved_out_on",
            "is_current",
            "members",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, household):
        return absolute(self.context, "registry-household-detail", household.pk)

    @extend_schema_field(PersonSerializer(many=True))
    def get_members(self, household):
        return PersonSerializer(self.context["members"], many=True, context=self.context).data


class DwellingSerializer(serializers.ModelSerializer):
    use_label = serializers.CharField(source="get_use_display", read_only=True)

    class Meta:
        model = Dwelling
        fields = [
            "room",
            "use",
            "use_label",
            "tenant_household",
            "rented_from",
            "rented_to",
            "updated_at",
        ]
        read_only_fields = fields


class RoomDetailSerializer(RoomSerializer):
    """Context "household" (the current one, or None) with "members", and "dwelling"."""

    household = serializers.SerializerMethodField()
    dwelling = serializers.SerializerMethodField()

    class Meta(RoomSerializer.Meta):
        fields = [*RoomSerializer.Meta.fields, "household", "dwelling"]
        read_only_fields = fields

    @extend_schema_field(HouseholdSerializer(allow_null=True))
    def get_household(self, room):
        household = self.context.get("household")
        return HouseholdSerializer(household, context=self.context).data if household else None

    @extend_schema_field(DwellingSerializer(allow_null=True))
    def get_dwelling(self, room):
        dwelling = self.context.get("dwelling")
        return DwellingSerializer(dwelling).data if dwelling else None


class MoveOutInputSerializer(serializers.Serializer):
    moved_out_on = DayField(
        required=False, help_text=gettext_lazy("The day they left (default: today).")
    )


class DwellingInputSerializer(serializers.Serializer):
    use = serializers.ChoiceField(choices=DwellingUse.choices)
    tenant_household = record_id(
        required=False, allow_null=True, help_text=gettext_lazy("Rented rooms only.")
    )
    rented_from = DayField(required=False, allow_null=True)
    rented_to = DayField(required=False, allow_null=True)


# --- organisations -------------------------------------------------------------------


class OrganisationSerializer(serializers.ModelSerializer):
    """Expects building and its parent (the grid) selected."""

    url = serializers.SerializerMethodField()
    building = serializers.CharField(source="building.code", read_only=True)
    grid = serializers.SerializerMethodField()
    masked_contact_phone = serializers.CharField(read_only=True)

    class Meta:
        model = Organisation
        fields = [
            "id",
            "url",
            "name",
            "kind",
            "credit_code",
            "building",
            "grid",
            "room",
            "contact_name",
            "masked_contact_phone",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, organisation):
        return absolute(self.context, "registry-organisation-detail", organisation.pk)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_grid(self, organisation):
        grid = organisation.grid
        return grid.code if grid is not None else None


class OrganisationInputSerializer(serializers.Serializer):
    """As the organisation's page reads it (registry.forms.OrganisationForm)."""

    name = text(100)
    kind = serializers.ChoiceField(choices=OrganisationKind.choices)
    credit_code = text(18, required=False, allow_blank=True)
    building = text(CODE_MAX, help_text=gettext_lazy("The code of the building it is in."))
    room = record_id(required=False, allow_null=True, help_text=gettext_lazy("A room of it."))
    contact_name = text(50, required=False, allow_blank=True)
    contact_phone = text(
        30,
        required=False,
        allow_blank=True,
        write_only=True,
        help_text=gettext_lazy("Never shown back: the answer has masked_contact_phone."),
    )
    is_active = serializers.BooleanField(required=False)

    def validate_credit_code(self, code):
        code = code.strip().upper()
        if code and (len(code) != 18 or not code.isalnum()):
            raise serializers.ValidationError(
                _("A unified social credit code has 18 letters and digits.")
            )
        return code


# --- patrol logs ---------------------------------------------------------------------


class PatrolLogSerializer(serializers.ModelSerializer):
    worker = serializers.SerializerMethodField()
    grid = serializers.CharField(source="grid.code", read_only=True)
    case = serializers.SerializerMethodField()
    found = serializers.SerializerMethodField(
        help_text="What the visit found; phone and ID numbers in it masked."
    )

    class Meta:
        model = PatrolLog
        fields = [
            "id",
            "worker",
            "grid",
            "visited_at",
            "household",
            "organisation",
            "found",
            "case",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_worker(self, log):
        return str(log.worker)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_case(self, log):
        return log.case.number if log.case_id else None

    @extend_schema_field(serializers.CharField())
    def get_found(self, log):
        return mask_contacts(log.found)


class PatrolLogInputSerializer(serializers.Serializer):
    grid = text(CODE_MAX, help_text=gettext_lazy("The code of the grid visited."))
    visited_at = MomentField(required=False, help_text=gettext_lazy("Default: now."))
    household = record_id(required=False, allow_null=True)
    organisation = record_id(required=False, allow_null=True)
    found = text(2000, help_text=gettext_lazy("What the visit found."))
    case = text(20, required=False, allow_blank=True, help_text=gettext_lazy("A case number."))


# --- history -------------------------------------------------------------------------


class ChangeSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    changes = serializers.DictField(
        child=serializers.ListField(),
        help_text="Each changed field: [old, new], personal numbers masked.",
    )

    class Meta:
        model = RecordChange
        fields = ["changed_at", "actor", "via", "changes"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_actor(self, change):
        return str(change.actor) if change.actor_id else None


# --- filters -------------------------------------------------------------------------


def code_filter(help_text):
    return text(CODE_MAX, required=False, help_text=help_text)


class RoomFilterSerializer(serializers.Serializer):
    building = code_filter(gettext_lazy("Only the rooms of the building with this code."))
    region = code_filter(gettext_lazy("Only rooms under the region with this code."))
    q = text(100, required=False, help_text=gettext_lazy("Part of the address or the code."))


class PersonFilterSerializer(serializers.Serializer):
    region = code_filter(gettext_lazy("Only persons living under the region with this code."))
    residence_type = serializers.ChoiceField(choices=ResidenceType.choices, required=False)
    tag = text(40, required=False, help_text=gettext_lazy("Only persons with this tag code."))
    age_min = serializers.IntegerField(min_value=0, max_value=150, required=False)
    age_max = serializers.IntegerField(min_value=0, max_value=150, required=False)
    moved_out = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("true: only those moved out; false: only current residents."),
    )

    def validate(self, attrs):
        if attrs.get("age_min") is not None and attrs.get("age_max") is not None:
            if attrs["age_min"] > attrs["age_max"]:
                raise serializers.ValidationError(
                    {"age_min": [_("age_min must not be over age_max.")]}
                )
        return attrs


class OrganisationFilterSerializer(serializers.Serializer):
    region = code_filter(gettext_lazy("Only organisations under the region with this code."))
    kind = serializers.ChoiceField(choices=OrganisationKind.choices, required=False)
    q = text(100, required=False, help_text=gettext_lazy("Part of the name."))


class PatrolLogFilterSerializer(serializers.Serializer):
    region = code_filter(gettext_lazy("Only visits under the region with this code."))
    visited_after = MomentField(required=False)
    visited_before = MomentField(required=False)


class CountsQuerySerializer(serializers.Serializer):
    region = text(CODE_MAX, help_text=gettext_lazy("A region code."))


# --- counts --------------------------------------------------------------------------


class TagCountSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    sensitive = serializers.BooleanField()
    count = serializers.IntegerField()


def _counts_of(choices):
    return serializers.DictField(
        child=serializers.IntegerField(),
        help_text="One count per value: " + ", ".join(str(value) for value in choices),
    )


class RegistryCountsSerializer(serializers.Serializer):
    region = serializers.DictField(child=serializers.CharField())
    population = serializers.IntegerField(help_text="Persons living here now.")
    households = serializers.IntegerField(help_text="Households living here now.")
    by_residence_type = _counts_of(ResidenceType.values)
    by_age_band = _counts_of([key for key, _y, _o in AGE_BANDS])
    unknown_age = serializers.IntegerField(help_text="Persons of unknown birth date.")
    by_tag = TagCountSerializer(many=True)
    dwellings_by_use = _counts_of(DwellingUse.values)
    organisations = serializers.IntegerField(help_text="Active organisations.")
    organisations_by_kind = _counts_of(OrganisationKind.values)
