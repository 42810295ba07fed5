"""减负: what is demanded of streets and communities, checked against the admission list
(社区事务准入清单), and the staff borrowed from them (借调/抽调).

Every demand names its sender (a department, or the office of a district or street), the
streets or communities it goes to (one DemandRecipient each, where that community answers
it) and, normally, the admitted matter it falls under. The admission decision and the flags
the burden observatory counts (holiday-eve dumps, short deadlines, repeats) are worked out
once, when it is sent (services.send_demand), and stored with it.
"""

import unicodedata
from datetime import datetime, time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.scoping import ALL, ScopedQuerySet, scope_path
from gridgov.burden.choices import Admission, DemandKind, RecipientState, Ruling, SecondmentKind


class AdmittedMatter(models.Model):
    """One matter on the admission list: the only kind of thing a community may be asked
    to do. Edited in the admin; every change is kept as a numbered version with who
    approved it (AdmittedMatterVersion)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=200)
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department responsible"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="admitted_matters",
    )
    basis = models.CharField(_("legal or policy basis"), max_length=300)
    community_part = models.TextField(_("what a community does"), max_length=2000)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=0, editable=False)

    class Meta:
        verbose_name = _("admitted matter")
        verbose_name_plural = _("admission list")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.title}"

    def is_valid_on(self, day) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class AdmittedMatterVersion(models.Model):
    """What an admitted matter said from one approved change to the next."""

    matter = models.ForeignKey(AdmittedMatter, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField(_("version"))
    fields = models.JSONField(_("content"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), default=timezone.now)
    approval = models.CharField(
        _("approval"), max_length=200, help_text=_("The decision or document that approved it.")
    )

    class Meta:
        verbose_name = _("admission list version")
        verbose_name_plural = _("admission list versions")
        ordering = ["matter", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["matter", "version"], name="matter_version_once"),
        ]

    def __str__(self):
        return f"{self.matter.code} v{self.version}"


class DemandQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A department's handlers see what their department sent; an office sees what it
        sent and what reached the streets and communities under it."""
        if not (user.is_authenticated and user.is_active):
            return self.none()
        if user.role == "department_handler":
            if not user.department_id:
                return self.none()
            return self.filter(sender_department_id=user.department_id)
        if user.role in {"resident", "grid_worker"} and not user.is_superuser:
            return self.none()
        path = scope_path(user)
        if path is ALL:
            return self
        if path is None:
            return self.none()
        reached = DemandRecipient.objects.filter(
            demand=OuterRef("pk"), region_path__startswith=path
        )
        # A held or refused demand never reached the places it names: the sender's side
        # and the burden office of the area see it, they do not.
        reaching = (
            Q()
            if user.has_perm("burden.decide_demand")
            else Q(admission__in=[Admission.ADMITTED, Admission.EXCEPTION])
        )
        return self.filter(Q(sender_path__startswith=path) | (Exists(reached) & reaching))


class Demand(models.Model):
    """下派事项: one demand sent down to one or more streets or communities."""

    kind = models.CharField(_("kind"), max_length=16, choices=DemandKind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("what is asked"), max_length=4000)
    matter = models.ForeignKey(
        AdmittedMatter,
        verbose_name=_("admitted matter"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="demands",
    )
    # The version of the matter in force when the demand was sent.
    matter_version = models.PositiveIntegerField(null=True, blank=True, editable=False)
    sender_department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("sending department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="demands_sent",
    )
    # The sending office's region, or the department's: whose scope the sender side is in.
    sender_region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("sending office"),
        on_delete=models.PROTECT,
        related_name="demands_sent",
    )
    sender_path = models.CharField(max_length=64, editable=False)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        on_delete=models.PROTECT,
        related_name="demands_sent",
    )
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    working_days = models.PositiveSmallIntegerField(_("working days given"))
    due_at = models.DateTimeField(_("due"))
    asks_for_engagement = models.BooleanField(
        _("asks residents to vote, like or forward"), default=False
    )

    admission = models.CharField(
        _("admission"), max_length=12, choices=Admission.choices, default=Admission.HELD
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.CharField(_("reason"), max_length=500, blank=True)

    # What the burden observatory counts, worked out when the demand was sent.
    holiday_eve = models.BooleanField(_("holiday-eve dump"), default=False)
    short_deadline = models.BooleanField(_("short deadline"), default=False)
    repeat_of = models.ForeignKey(
        "self",
        verbose_name=_("repeats"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="repeats",
    )

    objects = DemandQuerySet.as_manager()

    class Meta:
        verbose_name = _("demand")
        verbose_name_plural = _("demands")
        ordering = ["-sent_at", "-pk"]
        # Given (through a group such as 减负办) to the burden office of a street or
        # district: it decides held demands and objections within its scope.
        permissions = [("decide_demand", _("Can decide held demands and objections"))]
        indexes = [
            models.Index(
                fields=["sender_path", "sent_at"],
                name="demand_sender",
                opclasses=["varchar_pattern_ops", "timestamptz_ops"],
            ),
            models.Index(
                fields=["admission"],
                name="demand_held",
                condition=Q(admission="held"),
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def reaches_communities(self) -> bool:
        return self.admission in {Admission.ADMITTED, Admission.EXCEPTION}

    @property
    def sender_name(self) -> str:
        return str(self.sender_department or self.sender_region.name)


class RecipientQuerySet(ScopedQuerySet):
    region_path_lookup = "region_path"


class DemandRecipient(models.Model):
    """One street or community a demand went to, and what it did with it."""

    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="recipients")
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("street or community"),
        on_delete=models.PROTECT,
        related_name="demands_received",
    )
    region_path = models.CharField(max_length=64, editable=False)
    state = models.CharField(
        _("state"), max_length=16, choices=RecipientState.choices, default=RecipientState.RECEIVED
    )
    answer = models.TextField(_("answer"), max_length=4000, blank=True)
    extension_until = models.DateField(_("more time until"), null=True, blank=True)
    # None while the sender has not answered a request for more time.
    extension_granted = models.BooleanField(_("more time granted"), null=True, blank=True)
    objection = models.CharField(_("objection"), max_length=500, blank=True)
    # The burden office's ruling on the objection: one objection and one ruling a place,
    # the ruling final (services.resolve_objection).
    ruling = models.CharField(_("ruling"), max_length=10, choices=Ruling.choices, blank=True)
    ruled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ruled by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    ruled_at = models.DateTimeField(_("ruled at"), null=True, blank=True)
    ruling_reason = models.CharField(_("reason for the ruling"), max_length=500, blank=True)
    acted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last acted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    acted_at = models.DateTimeField(_("last acted at"), null=True, blank=True)

    objects = RecipientQuerySet.as_manager()

    class Meta:
        verbose_name = _("demand received")
        verbose_name_plural = _("demands received")
        ordering = ["demand", "region_path"]
        constraints = [
            models.UniqueConstraint(fields=["demand", "region"], name="demand_recipient_once"),
        ]
        indexes = [
            models.Index(
                fields=["region_path", "state"],
                name="recipient_inbox",
                opclasses=["varchar_pattern_ops", "varchar_pattern_ops"],
            )
        ]

    def __str__(self):
        return f"{self.demand} → {self.region.name}"

    def save(self, *args, **kwargs):
        self.region_path = self.region.path
        super().save(*args, **kwargs)

    @property
    def due_at(self):
        """The demand's deadline, or the later day the sender granted this community."""
        if self.extension_granted and self.extension_until:
            return timezone.make_aware(
                datetime.combine(self.extension_until, time.max.replace(microsecond=0))
            )
        return self.demand.due_at


class SecondmentQuerySet(ScopedQuerySet):
    region_path_lookup = "region_path"


class Secondment(models.Model):
    """A member of a street's or community's staff borrowed by another unit."""

    kind = models.CharField(_("kind"), max_length=10, choices=SecondmentKind.choices)
    person_name = models.CharField(_("name"), max_length=50)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="secondments",
    )
    from_region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("borrowed from"),
        on_delete=models.PROTECT,
        related_name="secondments",
    )
    region_path = models.CharField(max_length=64, editable=False)
    to_department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("borrowed by (department)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="secondments",
    )
    to_unit = models.CharField(
        _("borrowed by (other unit)"),
        max_length=100,
        blank=True,
        help_text=_("When the borrowing unit is not one of the departments."),
    )
    approved_by = models.CharField(_("approved by"), max_length=100)
    approval = models.CharField(_("approval document"), max_length=200, blank=True)
    reason = models.CharField(_("reason"), max_length=500)
    started_on = models.DateField(_("start"))
    planned_end_on = models.DateField(_("planned end"))
    returned_on = models.DateField(_("returned on"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    objects = SecondmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("secondment")
        verbose_name_plural = _("secondments")
        ordering = ["-started_on", "-pk"]
        indexes = [
            models.Index(
                fields=["region_path", "returned_on"],
                name="secondment_scope",
                opclasses=["varchar_pattern_ops", "date_ops"],
            )
        ]

    def __str__(self):
        return f"{self.person_name} · {self.from_region.name}"

    def save(self, *args, **kwargs):
        self.region_path = self.from_region.path
        super().save(*args, **kwargs)

    def clean(self):
        errors = {}
        if not self.to_department_id and not self.to_unit.strip():
            errors["to_unit"] = _("Name the unit that borrows the person.")
        if self.to_department_id and self.to_unit.strip():
            errors["to_unit"] = _("Name either a department or another unit, not both.")
        if self.started_on and self.planned_end_on:
            if self.planned_end_on < self.started_on:
                errors["planned_end_on"] = _("The planned end comes before the start.")
            elif (self.planned_end_on - self.started_on).days > settings.BURDEN_SECONDMENT_MAX_DAYS:
                errors["planned_end_on"] = _(
                    "A secondment may run at most %(days)d days; this one runs %(asked)d."
                ) % {
                    "days": settings.BURDEN_SECONDMENT_MAX_DAYS,
                    "asked": (self.planned_end_on - self.started_on).days,
                }
        if self.returned_on and self.started_on and self.returned_on < self.started_on:
            errors["returned_on"] = _("The return comes before the start.")
        if self.returned_on and self.returned_on > timezone.localdate():
            errors["returned_on"] = _("A return cannot be in the future.")
        if errors:
            raise ValidationError(errors)

    @property
    def borrower(self) -> str:
        return str(self.to_department or self.to_unit)

    def is_overdue(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.returned_on is None and self.planned_end_on < today


class SecondmentAlert(models.Model):
    """The alert that a secondment's return is overdue, sent once an overdue episode: for
    the planned end it ran past. It is addressed to the staff and the burden office of the
    street or community the person was borrowed from and to the borrowing department
    (secondments.alerts_for), who see it until the person is back or the planned end is
    moved; a moved end that passes in turn opens a new episode and a new alert."""

    secondment = models.ForeignKey(Secondment, on_delete=models.CASCADE, related_name="alerts")
    planned_end_on = models.DateField(_("planned end"))
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("overdue secondment alert")
        verbose_name_plural = _("overdue secondment alerts")
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["secondment", "planned_end_on"], name="secondment_alert_once"
            ),
        ]

    def __str__(self):
        return f"{self.secondment} · {self.planned_end_on.isoformat()}"


class DataRequest(models.Model):
    """报表: a demand for figures of each street or community it went to, for a day or a
    period, built from the platform's catalogue (catalogue.py) and, where the platform
    holds no such figure, columns the communities fill in once."""

    demand = models.OneToOneField(
        Demand, primary_key=True, on_delete=models.CASCADE, related_name="data_request"
    )
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    # A repeat of a request answered in full a short while ago: answered from that one,
    # nothing went down to the communities.
    answered_from = models.ForeignKey(
        "self",
        verbose_name=_("answered from"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="answered_again",
    )
    filled_at = models.DateTimeField(_("filled by the platform at"), default=timezone.now)

    class Meta:
        verbose_name = _("data request")
        verbose_name_plural = _("data requests")

    def __str__(self):
        return str(self.demand)


class RequestColumn(models.Model):
    """One column of a data request: a figure of the catalogue, or one the platform does
    not hold (named by its label and unit), which the communities answer."""

    request = models.ForeignKey(DataRequest, on_delete=models.CASCADE, related_name="columns")
    position = models.PositiveSmallIntegerField()
    figure = models.CharField(_("figure"), max_length=80, blank=True)
    label = models.CharField(_("label"), max_length=100)
    unit = models.CharField(_("unit"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("data request column")
        verbose_name_plural = _("data request columns")
        ordering = ["request", "position"]
        constraints = [
            models.UniqueConstraint(fields=["request", "position"], name="request_column_once"),
        ]

    def __str__(self):
        return self.label

    @property
    def key(self) -> str:
        """What makes two columns the same question: the figure, or the label and unit."""
        return self.figure or typed_key(self.label, self.unit)


def typed_key(label: str, unit: str) -> str:
    """The same words asked again, whatever the spacing or width of the characters."""

    def normal(text):
        return "".join(unicodedata.normalize("NFKC", text).split()).casefold()

    return f"typed:{normal(label)}|{normal(unit)}"[:140]


class Source(models.TextChoices):
    PLATFORM = "platform", _("Filled by the platform")
    REUSED = "reused", _("Reused answer")
    TYPED = "typed", _("Typed in")
    MISSING = "missing", _("Not answered yet")


class RequestRow(models.Model):
    """The row of one street or community in a data request's table."""

    request = models.ForeignKey(DataRequest, on_delete=models.CASCADE, related_name="rows")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=64, editable=False)
    # str(position) → the value (a number, or text for a typed column) and its source.
    values = models.JSONField(default=dict)
    sources = models.JSONField(default=dict)
    # str(position) → the ColumnAnswer id a reused or typed cell came from.
    answers = models.JSONField(default=dict)
    # The observatory's counts, kept with the row.
    cells_platform = models.PositiveIntegerField(default=0)
    cells_reused = models.PositiveIntegerField(default=0)
    cells_typed = models.PositiveIntegerField(default=0)
    cells_missing = models.PositiveIntegerField(default=0)

    objects = RecipientQuerySet.as_manager()

    class Meta:
        verbose_name = _("data request row")
        verbose_name_plural = _("data request rows")
        ordering = ["request", "region_path"]
        constraints = [
            models.UniqueConstraint(fields=["request", "region"], name="request_row_once"),
        ]

    def __str__(self):
        return f"{self.request} · {self.region_path}"

    def recount(self) -> None:
        counted = {source: 0 for source in Source.values}
        for source in self.sources.values():
            counted[source] += 1
        self.cells_platform = counted[Source.PLATFORM]
        self.cells_reused = counted[Source.REUSED]
        self.cells_typed = counted[Source.TYPED]
        self.cells_missing = counted[Source.MISSING]


class ColumnAnswer(models.Model):
    """A street's or community's answer to a column the platform does not hold, for one
    period: given once, reused by every later request that asks the same for the same
    period."""

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=64, editable=False)
    key = models.CharField(max_length=140)
    label = models.CharField(_("label"), max_length=100)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    value = models.CharField(_("value"), max_length=200)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("answered at"), default=timezone.now)
    # The request it was first given for.
    request = models.ForeignKey(
        DataRequest, null=True, on_delete=models.SET_NULL, related_name="answers_given"
    )

    objects = RecipientQuerySet.as_manager()

    class Meta:
        verbose_name = _("column answer")
        verbose_name_plural = _("column answers")
        constraints = [
            models.UniqueConstraint(
                fields=["region", "key", "period_start", "period_end"],
                name="column_answer_once",
            ),
        ]

    def __str__(self):
        return f"{self.region_path} {self.label}: {self.value}"

    def save(self, *args, **kwargs):
        self.region_path = self.region.path
        super().save(*args, **kwargs)
