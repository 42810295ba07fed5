"""Emergency mode (平战转换): which regions are on a wartime footing, the policy versions
in force, risk areas and their history, arrivals with the measures and tasks decided for
them, the daily epidemic figures entered once per region, and epidemic-free certification.

Like cases and the registry, every row that belongs somewhere carries `region_path`, the
materialized path of its region, so that scoping is one indexed prefix filter. A risk
area outside the city has no region: it is named by its national division code and is
public, as the lists of risk areas were.
"""

from datetime import date
from functools import cached_property

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.scoping import ScopedQuerySet
from gridgov.emergency import policy as policy_rules
from gridgov.emergency.choices import (
    CertificationMeasure,
    MeasureKind,
    RiskLevel,
    TaskKind,
)
from gridgov.lib.masking import mask_name
from gridgov.registry.choices import DocumentType
from gridgov.registry.models import SealedNumbers, prefix_index, registry_scope, under


class RegionScoped(ScopedQuerySet):
    region_path_lookup = "region_path"


class PersonalScoped(RegionScoped):
    """Rows about a person: seen as the registry's are (a grid worker: their own grids;
    a department handler: none)."""

    def visible_to(self, user):
        scope = registry_scope(user)
        return self if scope is None else self.filter(under(scope, self.region_path_lookup))


# --- policy versions ------------------------------------------------------------------


class PolicyVersion(models.Model):
    """The rules in force from a date on (policy.py reads them). Once a version has
    come into force it is frozen: decisions made under it must stay explainable, so a
    change of rules is a new version."""

    number = models.PositiveIntegerField(_("version"), unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    rules = models.JSONField(_("rules"), default=policy_rules.default_rules)
    active_from = models.DateField(
        _("in force from"),
        null=True,
        blank=True,
        help_text=_("Empty while the version is a draft."),
    )
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("activated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        ordering = ["-number"]

    def __str__(self):
        return f"{self.label} {self.title}"

    def save(self, *args, **kwargs):
        if self.number is None:
            last = PolicyVersion.objects.aggregate(models.Max("number"))["number__max"]
            self.number = (last or 0) + 1
        super().save(*args, **kwargs)

    @property
    def label(self) -> str:
        return f"v{self.number}"

    def is_frozen(self, today: date | None = None) -> bool:
        stored = (
            PolicyVersion.objects.filter(pk=self.pk).values("active_from").first()
            if self.pk
            else None
        )
        today = today or timezone.localdate()
        return bool(stored and stored["active_from"] and stored["active_from"] <= today)

    def clean(self):
        try:
            policy_rules.parse(self.rules)
        except policy_rules.PolicyError as error:
            raise ValidationError({"rules": error.messages}) from None
        if self.is_frozen():
            stored = PolicyVersion.objects.get(pk=self.pk)
            if stored.rules != self.rules or stored.active_from != self.active_from:
                raise ValidationError(
                    _(
                        "Version %(version)s is in force since %(day)s: decisions were made "
                        "under it. Make a new version instead."
                    )
                    % {"version": stored.label, "day": stored.active_from.isoformat()}
                )

    @cached_property
    def policy(self) -> policy_rules.Policy:
        return policy_rules.parse(self.rules)

    @classmethod
    def in_force(cls, day: date | None = None) -> "PolicyVersion | None":
        """The version in force on `day`: the latest to come into force by then."""
        day = day or timezone.localdate()
        return cls.objects.filter(active_from__lte=day).order_by("-active_from", "-number").first()


# --- the switch -------------------------------------------------------------------------


class EmergencyArea(models.Model):
    """A region subtree on a wartime footing, from `opened_at` until `closed_at`. The rows
    are the record of every switch: who, when, why."""

    region = models.ForeignKey(
        "regions.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    region_path = models.CharField(max_length=64, editable=False)
    reason = models.TextField(_("reason"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("switched on by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    opened_at = models.DateTimeField(_("switched on at"), default=timezone.now)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("switched off by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("switched off at"), null=True, blank=True)
    close_reason = models.TextField(_("reason for switching off"), blank=True)

    objects = RegionScoped.as_manager()

    class Meta:
        verbose_name = _("emergency area")
        verbose_name_plural = _("emergency areas")
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["region"], condition=Q(closed_at__isnull=True), name="emergency_open_once"
            )
        ]
        indexes = [prefix_index("emergency_area_scope")]

    def __str__(self):
        return str(self.region)

    def save(self, *args, **kwargs):
        self.region_path = self.region.path
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


# --- risk areas -------------------------------------------------------------------------


class RiskAreaQuerySet(RegionScoped):
    def current(self, day: date | None = None):
        day = day or timezone.localdate()
        return self.filter(started_on__lte=day).filter(
            Q(ended_on__isnull=True) | Q(ended_on__gt=day)
        )

    def visible_to(self, user):
        # Risk areas outside the city (no region) are public knowledge; the city's own
        # follow the region tree.
        return self.filter(Q(region__isnull=True) | Q(pk__in=super().visible_to(user).values("pk")))


class RiskArea(models.Model):
    """A high, medium or low risk area: a region of the city, or a place outside it named
    by its national division code. It lasts from `started_on` to the day before
    `ended_on`; its level may change in between (RiskAreaChange keeps each change)."""

    level = models.CharField(_("risk level"), max_length=8, choices=RiskLevel.choices)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    region_path = models.CharField(max_length=64, editable=False, blank=True)
    division_code = models.CharField(_("division code"), max_length=12, blank=True)
    # What arrivals' origins are matched against: the region's code or the division code.
    code = models.CharField(_("code"), max_length=32, editable=False, db_index=True)
    name = models.CharField(_("name"), max_length=200)
    detail = models.CharField(
        _("detail"), max_length=200, blank=True, help_text=_("e.g. the buildings or the street")
    )
    reason = models.TextField(_("reason"))
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("lifted on"), null=True, blank=True)
    level_since = models.DateField(_("at this level since"))
    last_case_on = models.DateField(_("last new case"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RiskAreaQuerySet.as_manager()

    class Meta:
        verbose_name = _("risk area")
        verbose_name_plural = _("risk areas")
        ordering = ["-started_on", "name"]
        constraints = [
            models.CheckConstraint(condition=~Q(level="none"), name="risk_area_has_a_level"),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gt=models.F("started_on")),
                name="risk_area_ends_after_start",
            ),
        ]
        indexes = [prefix_index("risk_area_scope")]

    def __str__(self):
        return f"{self.name} ({self.get_level_display()})"

    def save(self, *args, **kwargs):
        if self.region_id:
            self.region_path = self.region.path
            self.code = self.region.code
        else:
            self.region_path = ""
            self.code = self.division_code
        super().save(*args, **kwargs)

    def is_current(self, day: date | None = None) -> bool:
        day = day or timezone.localdate()
        return self.started_on <= day and (self.ended_on is None or day < self.ended_on)


class RiskAreaChange(models.Model):
    """One step in a risk area's history: designated, raised, lowered or lifted."""

    area = models.ForeignKey(RiskArea, on_delete=models.CASCADE, related_name="changes")
    from_level = models.CharField(_("from"), max_length=8, choices=RiskLevel.choices, blank=True)
    # Empty when the area is lifted.
    to_level = models.CharField(_("to"), max_length=8, choices=RiskLevel.choices, blank=True)
    on = models.DateField(_("on"))
    reason = models.TextField(_("reason"))
    policy_version = models.ForeignKey(
        PolicyVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("risk area change")
        verbose_name_plural = _("risk area changes")
        ordering = ["area", "on", "at"]

    def __str__(self):
        return f"{self.area} {self.on}: {self.from_level or '-'} → {self.to_level or '-'}"


# --- arrivals ---------------------------------------------------------------------------


class Channel(models.TextChoices):
    SELF = "self", _("Reported by the person")
    GRID_WORKER = "grid_worker", _("Grid worker")
    EMPLOYER = "employer", _("Employer")
    HOTEL = "hotel", _("Hotel")
    SPREADSHEET = "spreadsheet", _("Spreadsheet")
    API = "api", _("API")


class Arrival(SealedNumbers, models.Model):
    """Someone arriving from elsewhere, reported within hours, with the decision the rules
    engine made: the origin's risk level on the day they left, the policy version, and
    why. The ID and phone numbers are sealed as the registry's are (SealedNumbers), as
    arrival.document and arrival.phone."""

    name = models.CharField(_("name"), max_length=50)
    document_type = models.CharField(
        _("ID document"), max_length=20, choices=DocumentType.choices, blank=True
    )
    document_sealed = models.TextField(editable=False, blank=True)
    document_index = models.CharField(max_length=64, editable=False, blank=True, db_index=True)
    phone_sealed = models.TextField(editable=False, blank=True)
    phone_index = models.CharField(max_length=64, editable=False, blank=True)
    person = models.ForeignKey(
        "registry.Person",
        verbose_name=_("registered person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="arrivals",
    )
    origin_code = models.CharField(_("coming from (division code)"), max_length=12)
    origin_name = models.CharField(_("coming from"), max_length=200)
    left_on = models.DateField(_("left on"))
    arrived_at = models.DateTimeField(_("arrived at"))
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)
    channel = models.CharField(_("reported by"), max_length=12, choices=Channel.choices)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reporter_name = models.CharField(_("reporting organisation"), max_length=100, blank=True)
    # Where they stay: a grid or a building of the city, and a room when known.
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("staying at"), on_delete=models.PROTECT, related_name="+"
    )
    region_path = models.CharField(max_length=64, editable=False)
    room = models.ForeignKey(
        "registry.Room",
        verbose_name=_("room"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    risk_level = models.CharField(_("origin's risk level"), max_length=8, choices=RiskLevel.choices)
    risk_area_code = models.CharField(max_length=32, blank=True)
    late = models.BooleanField(_("reported late"), default=False)
    hours_late = models.FloatField(default=0)
    policy_version = models.ForeignKey(
        PolicyVersion,
        verbose_name=_("policy version"),
        on_delete=models.PROTECT,
        related_name="arrivals",
    )
    explanation = models.TextField(_("why"))

    objects = PersonalScoped.as_manager()

    sealed_columns = [
        ("document_sealed", "document_index", "arrival.document", "document"),
        ("phone_sealed", "phone_index", "arrival.phone", "phone"),
    ]

    class Meta:
        verbose_name = _("arrival")
        verbose_name_plural = _("arrivals")
        ordering = ["-reported_at"]
        indexes = [prefix_index("arrival_scope", "reported_at", opclasses=["timestamptz_ops"])]

    def __str__(self):
        return f"{self.masked_name} ← {self.origin_name}"

    def save(self, *args, **kwargs):
        self.region_path = self.region.path
        super().save(*args, **kwargs)

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    @property
    def masked_document(self) -> str:
        if not self.document_sealed:
            return ""
        number = self.document_number
        return "*" * max(len(number) - 4, 1) + number[-4:]


class MeasureState(models.TextChoices):
    ACTIVE = "active", _("Under way")
    ENDED = "ended", _("Ended")
    CLOSED_EARLY = "closed_early", _("Ended early")


class Measure(models.Model):
    """A health-management measure decided for an arrival: from its first to its last day,
    and a record of how it went when it ends."""

    arrival = models.ForeignKey(Arrival, on_delete=models.CASCADE, related_name="measures")
    kind = models.CharField(_("measure"), max_length=24, choices=MeasureKind.choices)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("last day"))
    state = models.CharField(
        _("state"), max_length=12, choices=MeasureState.choices, default=MeasureState.ACTIVE
    )
    outcome = models.TextField(_("how it went"), blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    region_path = models.CharField(max_length=64, editable=False)

    objects = PersonalScoped.as_manager()

    class Meta:
        verbose_name = _("measure")
        verbose_name_plural = _("measures")
        ordering = ["ends_on"]
        indexes = [prefix_index("measure_scope", "state", opclasses=["varchar_ops"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.starts_on}–{self.ends_on}"

    def save(self, *args, **kwargs):
        self.region_path = self.arrival.region_path
        super().save(*args, **kwargs)


class MeasureTaskQuerySet(PersonalScoped):
    def open(self):
        return self.filter(done_at__isnull=True, cancelled=False)

    def overdue(self, now=None):
        return self.open().filter(due_at__lt=now or timezone.now())


class MeasureTask(models.Model):
    """Work a measure gives the grid: a transfer, a home visit, a door seal, a daily check,
    a test; due at a time, done by someone with a note."""

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="tasks")
    kind = models.CharField(_("task"), max_length=16, choices=TaskKind.choices)
    due_at = models.DateTimeField(_("due"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    # A measure that ends early takes its remaining tasks with it.
    cancelled = models.BooleanField(default=False)
    region_path = models.CharField(max_length=64, editable=False)

    objects = MeasureTaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_at"]
        indexes = [
            prefix_index(
                "measure_task_open",
                "due_at",
                opclasses=["timestamptz_ops"],
                condition=Q(done_at__isnull=True, cancelled=False),
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.due_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        self.region_path = self.measure.region_path
        super().save(*args, **kwargs)

    def is_overdue(self, now=None) -> bool:
        return self.done_at is None and not self.cancelled and self.due_at < (now or timezone.now())


# --- one source of figures ----------------------------------------------------------------


class DailyFigure(models.Model):
    """The day's new cases of one region, entered once where they are known (or imported);
    every area above adds them up, nobody types them again."""

    region = models.ForeignKey(
        "regions.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    region_path = models.CharField(max_length=64, editable=False)
    day = models.DateField(_("day"))
    confirmed = models.PositiveIntegerField(_("new confirmed"), default=0)
    suspected = models.PositiveIntegerField(_("new suspected"), default=0)
    asymptomatic = models.PositiveIntegerField(_("new asymptomatic"), default=0)
    close_contacts = models.PositiveIntegerField(_("new close contacts"), default=0)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_at = models.DateTimeField(auto_now=True)

    objects = RegionScoped.as_manager()

    COUNTS = ("confirmed", "suspected", "asymptomatic", "close_contacts")

    class Meta:
        verbose_name = _("daily figure")
        verbose_name_plural = _("daily figures")
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["region", "day"], name="daily_figure_once")]
        indexes = [prefix_index("daily_figure_scope", "day", opclasses=["date_ops"])]

    def __str__(self):
        return f"{self.region} {self.day}"

    def save(self, *args, **kwargs):
        self.region_path = self.region.path
        super().save(*args, **kwargs)

    @property
    def has_new_case(self) -> bool:
        """What breaks an epidemic-free run: a confirmed or suspected case, or a close
        contact (asymptomatic infections are counted as confirmed ones are reported)."""
        return bool(self.confirmed or self.suspected or self.asymptomatic or self.close_contacts)


# --- epidemic-free certification --------------------------------------------------------


class CertificationState(models.TextChoices):
    APPLIED = "applied", _("Applied")
    CERTIFIED = "certified", _("Certified epidemic-free")
    REFUSED = "refused", _("Refused")
    SUSPENDED = "suspended", _("Suspended")
    REVOKED = "revoked", _("Revoked")


LIVE_CERTIFICATION_STATES = (CertificationState.APPLIED, CertificationState.CERTIFIED)


class Certification(models.Model):
    """An application of a compound, community, street or district to be certified
    epidemic-free, decided by the level above; suspended the moment a new case or close
    contact is recorded in it, or revoked."""

    region = models.ForeignKey(
        "regions.Region", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    region_path = models.CharField(max_length=64, editable=False)
    state = models.CharField(
        _("state"),
        max_length=12,
        choices=CertificationState.choices,
        default=CertificationState.APPLIED,
    )
    clear_since = models.DateField(_("no new case since"), null=True, blank=True)
    explanation = models.TextField(_("why"), blank=True)
    policy_version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="+")
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    applied_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("decision"), blank=True)
    ended_at = models.DateTimeField(_("suspended or revoked at"), null=True, blank=True)
    ended_reason = models.TextField(_("why it was suspended or revoked"), blank=True)

    objects = RegionScoped.as_manager()

    class Meta:
        verbose_name = _("epidemic-free certification")
        verbose_name_plural = _("epidemic-free certifications")
        ordering = ["-applied_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["region"],
                condition=Q(state__in=["applied", "certified"]),
                name="certification_live_once",
            )
        ]
        indexes = [prefix_index("certification_scope", "state", opclasses=["varchar_ops"])]

    def __str__(self):
        return f"{self.region} ({self.get_state_display()})"

    def save(self, *args, **kwargs):
        self.region_path = self.region.path
        super().save(*args, **kwargs)


class Attestation(models.Model):
    """One of the six measures in place, attested by a named person with evidence."""

    certification = models.ForeignKey(
        Certification, on_delete=models.CASCADE, related_name="attestations"
    )
    measure = models.CharField(_("measure"), max_length=24, choices=CertificationMeasure.choices)
    attested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("attested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    evidence = models.TextField(_("evidence"))
    photo = models.ImageField(_("photo"), upload_to="emergency/attestations/%Y/%m/", blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("attestation")
        verbose_name_plural = _("attestations")
        ordering = ["measure"]
        constraints = [
            models.UniqueConstraint(
                fields=["certification", "measure"], name="attestation_once_per_measure"
            )
        ]

    def __str__(self):
        return self.get_measure_display()
