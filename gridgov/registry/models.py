"""一标三实: standard addresses down to the room, and the people, dwellings and
organisations actually there — the base data every other module reads.

Every row carries `region_path`, the materialized path of the building (or grid) it hangs
on, so that scoping is the same indexed prefix filter as for cases. ID numbers and phones
are sealed (gridgov/registry/crypto.py) and found by their blind index, never stored in
clear.
"""

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.scoping import ALL, ScopedQuerySet, scope_path
from gridgov.lib.masking import mask_name, mask_phone
from gridgov.registry import crypto, identity, rollups
from gridgov.registry.choices import (
    DocumentType,
    DwellingUse,
    OrganisationKind,
    Relation,
    ResidenceType,
    Sensitivity,
    Sex,
)


def prefix_index(name, *fields, opclasses=None, condition=None):
    """An index whose first column serves `region_path LIKE 'x/%'` on PostgreSQL. The
    other columns' operator classes: `opclasses`, by default one timestamp column's."""
    if opclasses is None:
        opclasses = ["timestamptz_ops"] if fields else []
    return models.Index(
        fields=["region_path", *fields],
        name=name,
        opclasses=["varchar_pattern_ops", *opclasses],
        condition=condition,
    )


def registry_scope(user) -> list[str] | None:
    """The region paths under which the user sees registry records; None: everywhere.
    As for cases, but a grid worker sees only the grids they patrol, and a department
    handler — who sees the cases assigned to them, not an area — none."""
    if user.is_authenticated and not user.is_superuser:
        if user.role == "department_handler":
            return []
        if user.role == "grid_worker":
            return [grid.path for grid in user.grids.all()]
    path = scope_path(user)
    if path is ALL:
        return None
    return [] if path is None else [path]


def within_scope(user, region_path: str) -> list[str]:
    """The parts of the subtree at `region_path` the user sees: the whole of it, the grids
    of a grid worker's that lie in it, or nothing."""
    scope = registry_scope(user)
    if scope is None or any(region_path.startswith(path) for path in scope):
        return [region_path]
    return [path for path in scope if path.startswith(region_path)]


def under(paths, lookup="region_path") -> Q:
    """Rows whose region path lies under one of `paths`; nothing when there are none."""
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(**{f"{lookup}__startswith": path})
    return condition


class RegistryQuerySet(ScopedQuerySet):
    region_path_lookup = "region_path"

    def visible_to(self, user):
        scope = registry_scope(user)
        return self if scope is None else self.filter(under(scope, self.region_path_lookup))


class Room(models.Model):
    """户室: a room of a building, in one of its units (单元)."""

    building = models.ForeignKey(
        "regions.Region",
        verbose_name=_("building"),
        on_delete=models.PROTECT,
        related_name="rooms",
        limit_choices_to={"level": "building"},
    )
    unit = models.CharField(_("unit (单元)"), max_length=8, blank=True)
    number = models.CharField(_("room number"), max_length=8)
    floor = models.SmallIntegerField(_("floor"), null=True, blank=True)
    code = models.CharField(_("address code"), max_length=40, unique=True, editable=False)
    address = models.CharField(_("standard address"), max_length=200, editable=False)
    region_path = models.CharField(max_length=64, editable=False)

    objects = RegistryQuerySet.as_manager()

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["building", "unit", "number"], name="room_unique"),
        ]
        indexes = [prefix_index("room_scope")]

    def __str__(self):
        return self.address

    def save(self, *args, **kwargs):
        building = self.building
        self.region_path = building.path
        self.code = f"{building.code}-{self.unit or '0'}-{self.number}"
        # A standard address is data in the national form (…1幢2单元302室), not UI text.
        unit = f"{self.unit}单元" if self.unit else ""
        self.address = f"{building_address(building)}{unit}{self.number}室"[:200]
        super().save(*args, **kwargs)

    def clean(self):
        if self.building_id and self.building.level != "building":
            raise ValidationError({"building": _("A room belongs to a building.")})
        for name in ("unit", "number"):
            value = getattr(self, name)
            if value and not value.isalnum():
                raise ValidationError({name: _("Letters and digits only.")})


def building_address(building) -> str:
    """The standard address of a building: its district, street, community and name."""
    names = [r.name for r in building.ancestors() if r.level not in {"city", "grid"}]
    return "".join(names) + building.name


class Household(models.Model):
    """户: the people who live together at a room."""

    room = models.ForeignKey(
        Room, verbose_name=_("room"), on_delete=models.PROTECT, related_name="households"
    )
    moved_in_on = models.DateField(_("moved in"), null=True, blank=True)
    moved_out_on = models.DateField(_("moved out"), null=True, blank=True)
    region_path = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RegistryQuerySet.as_manager()

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        indexes = [prefix_index("household_scope")]

    def __str__(self):
        return str(self.room)

    def save(self, *args, **kwargs):
        self.region_path = self.room.region_path
        with rollups.kept(self):
            super().save(*args, **kwargs)

    @property
    def is_current(self) -> bool:
        return self.moved_out_on is None


class Tag(models.Model):
    """A group communities care for (独居老人, 残疾人, 低保户, 重点人员, 党员 …): data, not code."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=50)
    sensitivity = models.CharField(
        _("sensitivity"), max_length=12, choices=Sensitivity.choices, default=Sensitivity.NORMAL
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["code"]

    def __str__(self):
        return self.name


class SealedNumbers:
    """An ID document number and a phone kept sealed and found by their blind index, for
    a registered person and an arrival alike. The model has the columns document_type,
    document_sealed, document_index, phone_sealed and phone_index, and its
    `sealed_columns` say what each is sealed as, for sealing here and re-sealing in key
    rotation alike."""

    def _sealed_as(self, column: str) -> str:
        return next(sealed_as for name, _i, sealed_as, _k in self.sealed_columns if name == column)

    def set_document(self, document_type: str, number: str) -> None:
        if not number:
            self.document_type, self.document_sealed, self.document_index = "", "", ""
            return
        if document_type == DocumentType.RESIDENT_ID:
            self.read_resident_id(identity.check_resident_id(number), number)
        else:
            identity.check_other_document(number)
        normal = identity.normal_document_number(number)
        self.document_type = document_type
        self.document_sealed = crypto.seal(normal, self._sealed_as("document_sealed"))
        self.document_index = crypto.blind_index(normal, f"document:{document_type}")

    def read_resident_id(self, born: date, number: str) -> None:
        """What the model takes from a valid resident ID besides its number: nothing."""

    def set_phone(self, phone: str) -> None:
        if not phone:
            self.phone_sealed, self.phone_index = "", ""
            return
        normal = identity.check_phone(phone)
        self.phone_sealed = crypto.seal(normal, self._sealed_as("phone_sealed"))
        self.phone_index = crypto.blind_index(normal, "phone")

    @property
    def document_number(self) -> str:
        """In clear: only for an audited view (services.audited_reveal)."""
        if not self.document_sealed:
            return ""
        return crypto.open_sealed(self.document_sealed, self._sealed_as("document_sealed"))

    @property
    def phone(self) -> str:
        if not self.phone_sealed:
            return ""
        return crypto.open_sealed(self.phone_sealed, self._sealed_as("phone_sealed"))

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone) if self.phone_sealed else ""


class Person(SealedNumbers, models.Model):
    """实有人口: one person, once, wherever they live now."""

    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    name = models.CharField(_("name"), max_length=50)
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    document_type = models.CharField(
        _("ID document"), max_length=20, choices=DocumentType.choices, blank=True
    )
    document_sealed = models.TextField(editable=False, blank=True)
    document_index = models.CharField(max_length=64, editable=False, blank=True)
    phone_sealed = models.TextField(editable=False, blank=True)
    phone_index = models.CharField(max_length=64, editable=False, blank=True, db_index=True)
    relation = models.CharField(
        _("relation to the head"), max_length=12, choices=Relation.choices, blank=True
    )
    residence_type = models.CharField(
        _("residence type"), max_length=12, choices=ResidenceType.choices
    )
    moved_in_on = models.DateField(_("moved in"), null=True, blank=True)
    moved_out_on = models.DateField(_("moved out"), null=True, blank=True)
    tags = models.ManyToManyField(
        Tag, verbose_name=_("tags"), through="PersonTag", blank=True, related_name="persons"
    )
    region_path = models.CharField(max_length=64, editable=False, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RegistryQuerySet.as_manager()

    # (sealed column, index column, what it is sealed as, what it is indexed as): what key
    # rotation (rotation.py) re-seals; every model holding sealed numbers names its own.
    sealed_columns = [
        ("document_sealed", "document_index", "person.document", "document"),
        ("phone_sealed", "phone_index", "person.phone", "phone"),
    ]

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        constraints = [
            # Nobody exists twice: one row per document, found by its blind index.
            models.UniqueConstraint(
                fields=["document_type", "document_index"],
                name="person_document_once",
                condition=~Q(document_index=""),
            ),
        ]
        indexes = [
            prefix_index("person_scope"),
            models.Index(fields=["document_index"], name="person_document_index"),
            # The residents born in a stretch of days, for the age bands of large areas
            # (rollups.py keeps the rest by birth year); region_path makes it index-only.
            models.Index(
                fields=["birth_date", "region_path"],
                name="person_current_birth",
                condition=Q(moved_out_on__isnull=True),
            ),
        ]

    def __str__(self):
        return self.masked_name

    def save(self, *args, **kwargs):
        self.region_path = self.household.region_path if self.household_id else ""
        with rollups.kept(self):
            super().save(*args, **kwargs)

    def clean(self):
        today = timezone.localdate()
        if self.birth_date and self.birth_date > today:
            raise ValidationError({"birth_date": _("A birth date cannot be in the future.")})
        if self.moved_in_on and self.moved_out_on and self.moved_out_on < self.moved_in_on:
            raise ValidationError({"moved_out_on": _("Moved out before moving in.")})

    # --- the sealed numbers --------------------------------------------------------------

    def read_resident_id(self, born: date, number: str) -> None:
        """A resident ID carries the birth date (set when none is given, refused when it
        disagrees) and the sex."""
        if self.birth_date and self.birth_date != born:
            raise ValidationError(
                {"birth_date": _("The birth date differs from the one in the ID number.")}
            )
        self.birth_date = born
        if not self.sex:
            serial = int(identity.normal_document_number(number)[16])
            self.sex = Sex.MALE if serial % 2 else Sex.FEMALE

    @property
    def masked_document(self) -> str:
        if not self.document_sealed:
            return ""
        number = self.document_number
        if self.document_type == DocumentType.RESIDENT_ID:
            return f"{number[:6]}{'*' * 8}{number[-4:]}"
        return "*" * max(len(number) - 4, 1) + number[-4:]

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    def age_on(self, day: date) -> int | None:
        if self.birth_date is None:
            return None
        before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - before_birthday


def find_person(document_type: str, number: str) -> "Person | None":
    """The registered person with this document, under any index key in use."""
    normal = identity.normal_document_number(number)
    indexes = crypto.blind_indexes(normal, f"document:{document_type}")
    return Person.objects.filter(document_type=document_type, document_index__in=indexes).first()


class PersonTag(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="person_tags")
    tag = models.ForeignKey(Tag, on_delete=models.PROTECT, related_name="person_tags")
    since = models.DateField(_("since"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("tag of a person")
        verbose_name_plural = _("tags of persons")
        constraints = [
            models.UniqueConstraint(fields=["person", "tag"], name="person_tag_once"),
        ]

    def __str__(self):
        return f"{self.person} · {self.tag}"

    def save(self, *args, **kwargs):
        with rollups.kept(self):
            super().save(*args, **kwargs)


class Dwelling(models.Model):
    """实有房屋: what a room is used for now."""

    room = models.OneToOneField(
        Room, verbose_name=_("room"), on_delete=models.CASCADE, related_name="dwelling"
    )
    use = models.CharField(_("use"), max_length=16, choices=DwellingUse.choices)
    tenant_household = models.ForeignKey(
        Household,
        verbose_name=_("tenant household"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rentals",
    )
    rented_from = models.DateField(_("rented from"), null=True, blank=True)
    rented_to = models.DateField(_("rented to"), null=True, blank=True)
    region_path = models.CharField(max_length=64, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RegistryQuerySet.as_manager()

    class Meta:
        verbose_name = _("dwelling")
        verbose_name_plural = _("dwellings")
        indexes = [prefix_index("dwelling_scope")]

    def __str__(self):
        return f"{self.room} · {self.get_use_display()}"

    def save(self, *args, **kwargs):
        self.region_path = self.room.region_path
        with rollups.kept(self):
            super().save(*args, **kwargs)

    def clean(self):
        if self.use != DwellingUse.RENTED and self.tenant_household_id:
            raise ValidationError({"tenant_household": _("Only a rented room has a tenant.")})
        if self.rented_from and self.rented_to and self.rented_to < self.rented_from:
            raise ValidationError({"rented_to": _("The rental ends before it starts.")})


class Organisation(models.Model):
    """实有单位: a shop, enterprise, school, clinic or social organisation at an address."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=OrganisationKind.choices)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    building = models.ForeignKey(
        "regions.Region",
        verbose_name=_("building"),
        on_delete=models.PROTECT,
        related_name="organisations",
        limit_choices_to={"level": "building"},
    )
    room = models.ForeignKey(
        Room, verbose_name=_("room"), null=True, blank=True, on_delete=models.SET_NULL
    )
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone_sealed = models.TextField(editable=False, blank=True)
    contact_phone_index = models.CharField(max_length=64, editable=False, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    region_path = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RegistryQuerySet.as_manager()

    sealed_columns = [
        ("contact_phone_sealed", "contact_phone_index", "organisation.contact_phone", "phone"),
    ]

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        indexes = [prefix_index("organisation_scope")]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.region_path = self.building.path
        with rollups.kept(self):
            super().save(*args, **kwargs)

    @property
    def grid(self):
        """The grid the organisation is in: its building's parent."""
        return self.building.parent

    def set_contact_phone(self, phone: str) -> None:
        if not phone:
            self.contact_phone_sealed, self.contact_phone_index = "", ""
            return
        normal = identity.check_phone(phone)
        self.contact_phone_sealed = crypto.seal(normal, "organisation.contact_phone")
        self.contact_phone_index = crypto.blind_index(normal, "phone")

    @property
    def masked_contact_phone(self) -> str:
        if not self.contact_phone_sealed:
            return ""
        return mask_phone(
            crypto.open_sealed(self.contact_phone_sealed, "organisation.contact_phone")
        )


class PatrolLog(models.Model):
    """民情日志: a grid worker's visit to a household or a place on their round."""

    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("grid worker"),
        on_delete=models.PROTECT,
        related_name="patrol_logs",
    )
    grid = models.ForeignKey(
        "regions.Region",
        verbose_name=_("grid"),
        on_delete=models.PROTECT,
        related_name="patrol_logs",
        limit_choices_to={"level": "grid"},
    )
    visited_at = models.DateTimeField(_("visited at"), default=timezone.now)
    # The room visited, with or without anyone living there (a vacant room is checked too).
    room = models.ForeignKey(
        Room,
        verbose_name=_("room"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="visits",
    )
    household = models.ForeignKey(
        Household, verbose_name=_("household"), null=True, blank=True, on_delete=models.SET_NULL
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    found = models.TextField(_("what was found"))
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case it produced"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="patrol_logs",
    )
    region_path = models.CharField(max_length=64, editable=False)

    objects = RegistryQuerySet.as_manager()

    class Meta:
        verbose_name = _("patrol log")
        verbose_name_plural = _("patrol logs")
        ordering = ["-visited_at"]
        indexes = [prefix_index("patrol_scope_time", "visited_at")]

    def __str__(self):
        return f"{self.grid} {self.visited_at:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        self.region_path = self.grid.path
        super().save(*args, **kwargs)


class RecordChange(models.Model):
    """One change to a registry record: who, when, and each field's old and new value
    (personal numbers masked). Append-only."""

    record_type = models.CharField(max_length=20)
    record_id = models.PositiveBigIntegerField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    via = models.CharField(_("through"), max_length=40, blank=True)
    changed_at = models.DateTimeField(default=timezone.now)
    changes = models.JSONField(default=dict)
    region_path = models.CharField(max_length=64)

    objects = RegistryQuerySet.as_manager()

    class Meta:
        verbose_name = _("registry change")
        verbose_name_plural = _("registry changes")
        ordering = ["-changed_at"]
        indexes = [models.Index(fields=["record_type", "record_id"], name="record_change_record")]

    def __str__(self):
        return f"{self.record_type} {self.record_id} {self.changed_at:%Y-%m-%d %H:%M}"


class PersonalDataView(models.Model):
    """An unmasked view of someone's numbers: who, whose, when, why. Whose is a person of
    the registry, or another record with sealed numbers (an arrival), named as a
    RecordChange names its record. Append-only; the administrator and the leaders of the
    area read it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="registry_views"
    )
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="views"
    )
    record_type = models.CharField(max_length=20, blank=True)
    record_id = models.PositiveBigIntegerField(null=True, blank=True)
    purpose = models.CharField(_("purpose"), max_length=200)
    viewed_at = models.DateTimeField(default=timezone.now)
    region_path = models.CharField(max_length=64)

    objects = RegistryQuerySet.as_manager()

    class Meta:
        verbose_name = _("registry personal data view")
        verbose_name_plural = _("registry personal data views")
        ordering = ["-viewed_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False, record_type="", record_id__isnull=True)
                | (Q(person__isnull=True, record_id__isnull=False) & ~Q(record_type="")),
                name="personal_data_view_whose",
            ),
        ]

    def __str__(self):
        whose = self.person_id or f"{self.record_type} {self.record_id}"
        return f"{self.user_id} → {whose} {self.viewed_at:%Y-%m-%d %H:%M}"


class CommunityCount(models.Model):
    """A running count of one registry figure in one community, kept by every save and
    delete (rollups.py), so that the figures of a street, a district or the city add up a
    few hundred rows instead of counting millions of persons."""

    community_path = models.CharField(max_length=64)
    figure = models.CharField(max_length=20, choices=rollups.Figure.choices)
    # The residence type, birth year ("" when unknown), tag id, dwelling use or
    # organisation kind; "" for households.
    key = models.CharField(max_length=40, blank=True)
    count = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("community count")
        verbose_name_plural = _("community counts")
        constraints = [
            models.UniqueConstraint(
                fields=["community_path", "figure", "key"], name="community_count_once"
            ),
        ]
        indexes = [
            models.Index(
                fields=["community_path"],
                name="community_count_scope",
                opclasses=["varchar_pattern_ops"],
            )
        ]

    def __str__(self):
        return f"{self.community_path} {self.figure} {self.key}: {self.count}"
