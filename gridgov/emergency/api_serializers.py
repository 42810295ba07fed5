"""What the API shows of emergency mode, and what it reads.

Arrivals are people: their name, ID and phone numbers are shown masked (`masked_name`,
`masked_document`, `masked_phone`), the numbers in clear only in the audited reveal
(ArrivalRevealSerializer), as a registered person's; free text typed by staff (an address,
a note, a reason, evidence) with contact details masked, as everywhere in the API.
Regions are named by their codes; a risk area outside the city by its national division
code.

Choices answered are documented as text listing their values: the same field names
(level, state, channel, kind) already name other choice sets in the API's schema.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from gridgov.api.filters import CODE_MAX, DayField, MomentField
from gridgov.api.registry_serializers import record_id, text
from gridgov.emergency.choices import CertificationMeasure, MeasureKind, RiskLevel, TaskKind
from gridgov.emergency.models import (
    CertificationState,
    Channel,
    MeasureState,
    PolicyVersion,
)
from gridgov.lib.masking import mask_contacts
from gridgov.registry.choices import DocumentType

AREA_LEVELS = [(level.value, level.label) for level in RiskLevel if level != RiskLevel.NONE]
BATCH_MAX = 1000


def shown_choice(choices, note: str = "", **kwargs) -> serializers.CharField:
    """A choice answered, documented with its values."""
    values = ", ".join(str(value) for value, _label in choices)
    help_text = f"One of: {values}." + (f" {note}" if note else "")
    return serializers.CharField(read_only=True, help_text=help_text, **kwargs)


class MaskedText(serializers.CharField):
    """Free text answered with phone and ID numbers masked."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value):
        return mask_contacts(super().to_representation(value))


def region_code(**kwargs) -> serializers.CharField:
    return text(CODE_MAX, **kwargs)


# --- risk areas ------------------------------------------------------------------------


class RiskAreaSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    level = shown_choice(AREA_LEVELS)
    name = serializers.CharField(read_only=True)
    detail = serializers.CharField(read_only=True)
    code = serializers.CharField(
        read_only=True, help_text="The region's code in the city, else the national division code."
    )
    within_city = serializers.SerializerMethodField()
    started_on = serializers.DateField(read_only=True)
    level_since = serializers.DateField(read_only=True)
    ended_on = serializers.DateField(read_only=True, help_text="The day it was lifted, or null.")

    @extend_schema_field(serializers.BooleanField())
    def get_within_city(self, area) -> bool:
        return area.region_id is not None


class RiskAreaChangeSerializer(serializers.Serializer):
    from_level = shown_choice(AREA_LEVELS, "Empty when the area was designated.")
    to_level = shown_choice(AREA_LEVELS, "Empty when the area was lifted.")
    on = serializers.DateField(read_only=True)
    reason = MaskedText()
    policy_version = serializers.SerializerMethodField()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_policy_version(self, change):
        return f"v{change.policy_version.number}" if change.policy_version_id else None


class RiskAreaDetailSerializer(RiskAreaSerializer):
    reason = MaskedText()
    last_case_on = serializers.DateField(read_only=True, help_text="The last new case in it.")
    changes = RiskAreaChangeSerializer(many=True, read_only=True)


class RiskAreaFilterSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=AREA_LEVELS, required=False)
    as_of = DayField(
        required=False, help_text=gettext_lazy("The areas current on this day (default: today).")
    )
    all = serializers.BooleanField(
        required=False,
        default=False,
        help_text=gettext_lazy("true: every area ever designated, lifted ones included."),
    )


class RiskAreaInputSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=AREA_LEVELS)
    region = region_code(
        required=False,
        allow_blank=True,
        help_text=gettext_lazy("A region of the city, by its code; or give division_code."),
    )
    division_code = text(
        12,
        required=False,
        allow_blank=True,
        help_text=gettext_lazy("A place outside the city: its national division code."),
    )
    detail = text(200, required=False, allow_blank=True)
    reason = text(2000)
    started_on = DayField(required=False, help_text=gettext_lazy("Default: today."))


class RiskLevelChangeInputSerializer(serializers.Serializer):
    to_level = serializers.ChoiceField(
        choices=AREA_LEVELS,
        allow_blank=True,
        help_text=gettext_lazy("The new level, or empty to lift the area."),
    )
    reason = text(2000)
    on = DayField(required=False, help_text=gettext_lazy("Default: today."))


# --- the switch ------------------------------------------------------------------------


class EmergencyAreaSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    region = serializers.CharField(source="region.code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    is_open = serializers.BooleanField(read_only=True)
    reason = MaskedText()
    opened_by = serializers.CharField(read_only=True)
    opened_at = serializers.DateTimeField(read_only=True)
    closed_by = serializers.CharField(read_only=True, allow_null=True)
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    close_reason = MaskedText()


class EmergencyAreaFilterSerializer(serializers.Serializer):
    open = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("true: only the areas in emergency mode now; false: the others."),
    )


class SwitchOnInputSerializer(serializers.Serializer):
    region = region_code(help_text=gettext_lazy("The region that goes into emergency mode."))
    reason = text(2000)


class ReasonInputSerializer(serializers.Serializer):
    reason = text(2000)


# --- policy versions -------------------------------------------------------------------


class PolicyVersionSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)
    rules = serializers.JSONField(read_only=True, help_text="The rules as data (policy.py).")
    in_force = serializers.SerializerMethodField(help_text="The version in force today.")

    class Meta:
        model = PolicyVersion
        fields = ["number", "label", "title", "active_from", "in_force", "note", "rules"]
        read_only_fields = fields

    @extend_schema_field(serializers.BooleanField())
    def get_in_force(self, version) -> bool:
        return version.pk == self.context.get("in_force_pk")


# --- arrivals --------------------------------------------------------------------------


class MeasureTaskSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = shown_choice(TaskKind.choices)
    due_at = serializers.DateTimeField(read_only=True)
    done_at = serializers.DateTimeField(read_only=True, allow_null=True)
    done_by = serializers.CharField(read_only=True, allow_null=True)
    note = MaskedText()
    cancelled = serializers.BooleanField(read_only=True)
    overdue = serializers.SerializerMethodField()

    @extend_schema_field(serializers.BooleanField())
    def get_overdue(self, task) -> bool:
        return task.is_overdue(self.context.get("now"))


class MeasureSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = shown_choice(MeasureKind.choices)
    starts_on = serializers.DateField(read_only=True)
    ends_on = serializers.DateField(read_only=True)
    state = shown_choice(MeasureState.choices)
    outcome = MaskedText()
    tasks = serializers.SerializerMethodField()

    @extend_schema_field(MeasureTaskSerializer(many=True))
    def get_tasks(self, measure):
        return MeasureTaskSerializer(measure.tasks.all(), many=True, context=self.context).data


class ArrivalSerializer(serializers.Serializer):
    """Expects region and policy_version selected."""

    id = serializers.IntegerField(read_only=True)
    masked_name = serializers.CharField(read_only=True, help_text="张**.")
    document_type = serializers.CharField(read_only=True)
    masked_document = serializers.CharField(read_only=True, help_text="**************0027.")
    masked_phone = serializers.CharField(read_only=True, help_text="139****1111.")
    person = serializers.IntegerField(
        source="person_id",
        read_only=True,
        allow_null=True,
        help_text="The registry's person with the same document, when there is one.",
    )
    origin_code = serializers.CharField(read_only=True)
    origin_name = serializers.CharField(read_only=True)
    left_on = serializers.DateField(read_only=True)
    arrived_at = serializers.DateTimeField(read_only=True)
    reported_at = serializers.DateTimeField(read_only=True)
    channel = shown_choice(Channel.choices)
    reporter_name = serializers.CharField(read_only=True)
    region = serializers.CharField(
        source="region.code", read_only=True, help_text="Where they stay: a building or a grid."
    )
    region_name = serializers.CharField(source="region.name", read_only=True)
    room = serializers.IntegerField(source="room_id", read_only=True, allow_null=True)
    address = MaskedText()
    risk_level = shown_choice(RiskLevel.choices)
    risk_area_code = serializers.CharField(read_only=True)
    late = serializers.BooleanField(read_only=True)
    hours_late = serializers.FloatField(read_only=True)
    policy_version = serializers.SerializerMethodField()

    @extend_schema_field(serializers.CharField())
    def get_policy_version(self, arrival):
        return arrival.policy_version.label


class ArrivalDetailSerializer(ArrivalSerializer):
    """Expects measures with their tasks prefetched."""

    explanation = serializers.CharField(read_only=True, help_text="Why these measures.")
    measures = MeasureSerializer(many=True, read_only=True)


class ArrivalRevealSerializer(serializers.Serializer):
    arrival = serializers.IntegerField()
    document_type = serializers.CharField()
    document_number = serializers.CharField(help_text="In clear.")
    phone = serializers.CharField(help_text="In clear.")
    purpose = serializers.CharField()


class ArrivalFilterSerializer(serializers.Serializer):
    risk_level = serializers.ChoiceField(choices=RiskLevel.choices, required=False)
    late = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("true: only those reported late; false: the others."),
    )
    reported_since = MomentField(required=False, help_text=gettext_lazy("Reported at or after."))
    region = region_code(
        required=False, help_text=gettext_lazy("Only those staying under this region.")
    )


class ArrivalMomentField(MomentField):
    """A date-time: an arrival's bare date would say they arrived at midnight."""

    def to_internal_value(self, data):
        if len(str(data).strip()) <= len("YYYY-MM-DD"):
            self.fail("invalid")
        return super().to_internal_value(data)


class ArrivalInputSerializer(serializers.Serializer):
    name = text(50)
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
    origin_code = text(
        12, help_text=gettext_lazy("Where they came from: a national division code.")
    )
    left_on = DayField(help_text=gettext_lazy("The day they left it."))
    arrived_at = ArrivalMomentField(
        help_text=gettext_lazy("When they arrived, with its offset: 2026-12-04T10:30:00+08:00.")
    )
    region = region_code(
        required=False,
        allow_blank=True,
        help_text=gettext_lazy("Where they stay: the code of a building or grid of your area."),
    )
    room = record_id(
        required=False,
        allow_null=True,
        help_text=gettext_lazy("The registry's room, when known (its building is the region)."),
    )
    address = text(200, required=False, allow_blank=True)
    reporter_name = text(
        100,
        required=False,
        allow_blank=True,
        help_text=gettext_lazy("The reporting organisation: an employer, a hotel."),
    )

    def validate(self, attrs):
        if attrs.get("document_number") and not attrs.get("document_type"):
            raise serializers.ValidationError(
                {"document_type": [_("Say which document the number is from.")]}
            )
        if not attrs.get("region") and not attrs.get("room"):
            raise serializers.ValidationError(
                {"region": [_("Give where they stay: a building or a grid of the city.")]}
            )
        return attrs


class ArrivalBatchSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    arrivals = ArrivalSerializer(many=True)


class TaskSerializer(MeasureTaskSerializer):
    """An open task with what it is for; expects measure__arrival__region selected."""

    measure = shown_choice(MeasureKind.choices, source="measure.kind")
    arrival = serializers.IntegerField(source="measure.arrival_id", read_only=True)
    masked_name = serializers.CharField(source="measure.arrival.masked_name", read_only=True)
    region = serializers.CharField(source="measure.arrival.region.code", read_only=True)
    address = MaskedText(source="measure.arrival.address")


class TaskFilterSerializer(serializers.Serializer):
    overdue = serializers.BooleanField(
        required=False, default=False, help_text=gettext_lazy("true: only the overdue ones.")
    )


class TaskDoneInputSerializer(serializers.Serializer):
    note = text(2000, required=False, allow_blank=True)


# --- figures ---------------------------------------------------------------------------


def count_field(**kwargs):
    return serializers.IntegerField(min_value=0, max_value=10**7, **kwargs)


class FigureCountsSerializer(serializers.Serializer):
    confirmed = serializers.IntegerField()
    suspected = serializers.IntegerField()
    asymptomatic = serializers.IntegerField()
    close_contacts = serializers.IntegerField()


class FigureDaySerializer(FigureCountsSerializer):
    day = serializers.DateField()


class FigureRegionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class DailySeriesSerializer(serializers.Serializer):
    region = FigureRegionSerializer()
    totals = FigureCountsSerializer(help_text="The sums over the days.")
    days = FigureDaySerializer(many=True, help_text="Every day, zeros on days without a figure.")

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField()
        fields["to"] = serializers.DateField()
        return fields


class FigureChildSerializer(FigureCountsSerializer):
    code = serializers.CharField(source="region.code")
    name = serializers.CharField(source="region.name")


class ChildFiguresSerializer(serializers.Serializer):
    region = FigureRegionSerializer()
    children = FigureChildSerializer(
        many=True, help_text="The region's own figures first, when any were entered at it."
    )

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField()
        fields["to"] = serializers.DateField()
        return fields


class FiguresQuerySerializer(serializers.Serializer):
    """region, from, to: "from" is a Python keyword, so get_fields names them."""

    region = region_code(help_text=gettext_lazy("A region code."))

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = DayField(
            required=False, help_text=gettext_lazy("First day (default: 29 days before to).")
        )
        fields["to"] = DayField(
            required=False, help_text=gettext_lazy("Last day, included (default: today).")
        )
        return fields


class FigureInputSerializer(serializers.Serializer):
    region = region_code(help_text=gettext_lazy("The region whose figures these are."))
    day = DayField()
    confirmed = count_field(required=False, default=0)
    suspected = count_field(required=False, default=0)
    asymptomatic = count_field(required=False, default=0)
    close_contacts = count_field(required=False, default=0)


class FiguresEnteredSerializer(serializers.Serializer):
    entered = serializers.IntegerField()


# --- certification ---------------------------------------------------------------------


class AttestationSerializer(serializers.Serializer):
    measure = shown_choice(CertificationMeasure.choices)
    attested_by = serializers.CharField(read_only=True)
    evidence = MaskedText()
    has_photo = serializers.SerializerMethodField()
    at = serializers.DateTimeField(read_only=True)

    @extend_schema_field(serializers.BooleanField())
    def get_has_photo(self, attestation) -> bool:
        return bool(attestation.photo)


class CertificationSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    region = serializers.CharField(source="region.code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    state = shown_choice(CertificationState.choices)
    clear_since = serializers.DateField(read_only=True, allow_null=True)
    explanation = serializers.CharField(read_only=True)
    policy_version = serializers.SerializerMethodField()
    applied_by = serializers.CharField(read_only=True)
    applied_at = serializers.DateTimeField(read_only=True)
    decided_by = serializers.CharField(read_only=True, allow_null=True)
    decided_at = serializers.DateTimeField(read_only=True, allow_null=True)
    decision_note = MaskedText()
    ended_at = serializers.DateTimeField(read_only=True, allow_null=True)
    ended_reason = MaskedText()

    @extend_schema_field(serializers.CharField())
    def get_policy_version(self, certification):
        return certification.policy_version.label


class CertificationDetailSerializer(CertificationSerializer):
    attestations = AttestationSerializer(many=True, read_only=True)


class CertificationFilterSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=CertificationState.choices, required=False)


class CertificationApplyInputSerializer(serializers.Serializer):
    region = region_code(help_text=gettext_lazy("The compound, community or street applying."))
    attestations = serializers.DictField(
        child=text(2000, allow_blank=True),
        help_text=gettext_lazy(
            "For each measure the policy requires (closed_management, screening, "
            "disinfection, supplies, order, communication), what was done."
        ),
    )

    def validate_attestations(self, attestations):
        unknown = sorted(set(attestations) - set(CertificationMeasure.values))
        if unknown:
            raise serializers.ValidationError(
                _("No such measure: %(names)s.") % {"names": ", ".join(unknown)}
            )
        return attestations


class CertificationDecisionInputSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    note = text(2000, required=False, allow_blank=True)
