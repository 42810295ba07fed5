from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce
from django.db.models.lookups import IsNull, LessThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.scoping import ScopedQuerySet, scope_q
from gridgov.cases.choices import (
    FINAL_STATUSES,
    HOLDING_STATES,
    NOTIFICATION_ACTIONS,
    OPEN_STATUSES,
    Action,
    AssignmentRole,
    AssignmentState,
    CaseType,
    CategoryKind,
    Channel,
    ExtensionState,
    Owner,
    ResponseRating,
    Satisfaction,
    Status,
    Urgency,
)
from gridgov.lib.masking import mask_name, mask_phone
from gridgov.regions.choices import Datum
from gridgov.workdays.choices import DeadlineUnit


def current_due(prefix: str = ""):
    """Case.current_due_at() as a database expression over the case reached by `prefix`
    (e.g. "case__" from an assignment): NULL for a case in no step with a deadline."""

    def step(statuses, due):
        return models.When(**{f"{prefix}status__in": sorted(statuses)}, then=due)

    return models.Case(
        step({Status.DISPATCHED}, F(f"{prefix}accept_due_at")),
        step({Status.ACCEPTED, Status.HANDLING}, F(f"{prefix}reply_due_at")),
        step(
            {Status.REPLIED, Status.VERIFIED},
            Coalesce(F(f"{prefix}verify_due_at"), F(f"{prefix}due_at")),
        ),
        step({Status.RECEIVED, Status.REGISTERED}, F(f"{prefix}due_at")),
        output_field=models.DateTimeField(),
    )


def overdue_q(now, prefix: str = "") -> Q:
    """Open cases whose current step is past its deadline at `now`, whether the deadline
    watch has marked them yet or not: Case.deadline_state() == "overdue" as a filter. The
    partial index case_open_current_due holds this expression for the open cases, so the
    late ones are found without reading the backlog; the status condition, which the
    deadline implies, is what lets the planner use that partial index."""
    open_statuses = sorted(s.value for s in OPEN_STATUSES)
    due = current_due(prefix)
    # IS NOT NULL: so that a case without a deadline is false here, not unknown, and
    # exclude(overdue_q(now)) keeps it among the cases that are not overdue.
    return Q(
        LessThanOrEqual(due, now), IsNull(due, False), **{f"{prefix}status__in": open_statuses}
    )


class Category(models.Model):
    """One node of the category catalogue (GB/T 30428 部件/事件 classes, hotline subjects).

    Leaves carry the routing and deadline defaults; inner nodes group them.
    """

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=CategoryKind.choices)
    standard = models.CharField(
        _("standard"),
        max_length=60,
        blank=True,
        help_text=_("The standard and version this class follows, e.g. GB/T 30428.2-2013."),
    )
    owner = models.CharField(
        _("owned by"), max_length=12, choices=Owner.choices, default=Owner.DEPARTMENT
    )
    department_short_name = models.CharField(
        _("default department"),
        max_length=20,
        blank=True,
        help_text=_("Short name of the department that handles it in each district, e.g. 城管."),
    )
    default_urgency = models.CharField(
        _("default urgency"), max_length=12, choices=Urgency.choices, default=Urgency.NORMAL
    )
    admission_standard = models.TextField(_("registration standard (立案标准)"), blank=True)
    closure_standard = models.TextField(_("closure standard (结案标准)"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    emergency_only = models.BooleanField(
        _("emergency mode only"),
        default=False,
        help_text=_(
            "Offered only where a region is in emergency mode (help for people "
            "stranded, medical care, supplies, travel)."
        ),
    )

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["code"]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def lineage(self) -> list["Category"]:
        """Self first, then each ancestor."""
        chain, node, seen = [], self, set()
        while node is not None and node.pk not in seen:
            chain.append(node)
            seen.add(node.pk)
            node = node.parent
        return chain


class DeadlinePolicy(models.Model):
    """Step deadlines for a category (or every category, when blank) at one urgency."""

    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deadline_policies",
    )
    urgency = models.CharField(_("urgency"), max_length=12, choices=Urgency.choices)
    accept_hours = models.PositiveIntegerField(_("accept within (hours)"))
    handle_amount = models.PositiveIntegerField(_("reply within"))
    handle_unit = models.CharField(
        _("unit"), max_length=16, choices=DeadlineUnit.choices, default=DeadlineUnit.WORKING_DAYS
    )
    verify_hours = models.PositiveIntegerField(_("verify within (hours)"))

    class Meta:
        verbose_name = _("deadline policy")
        verbose_name_plural = _("deadline policies")
        constraints = [
            models.UniqueConstraint(
                fields=["category", "urgency"], name="deadline_policy_once_per_category_urgency"
            ),
            models.UniqueConstraint(
                fields=["urgency"],
                condition=Q(category=None),
                name="deadline_policy_once_per_default_urgency",
            ),
        ]

    def __str__(self):
        applies_to = self.category or _("all categories")
        return f"{applies_to} · {self.get_urgency_display()}"


class DispatchRule(models.Model):
    """category × region → responsible unit. The most specific matching rule wins:
    the deepest region, then a category over its ancestors, then a lower priority number."""

    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="dispatch_rules",
        help_text=_("Blank: every category."),
    )
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region"),
        on_delete=models.CASCADE,
        related_name="dispatch_rules",
        help_text=_("The rule covers this region and below."),
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="dispatch_rules",
    )
    office_level = models.CharField(
        _("or the office of"),
        max_length=12,
        blank=True,
        choices=[
            ("district", _("the case's district")),
            ("street", _("the case's street")),
            ("community", _("the case's community")),
        ],
    )
    priority = models.PositiveSmallIntegerField(_("priority"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("dispatch rule")
        verbose_name_plural = _("dispatch rules")
        constraints = [
            models.CheckConstraint(
                condition=(Q(department__isnull=False) & Q(office_level=""))
                | (Q(department__isnull=True) & ~Q(office_level="")),
                name="dispatch_rule_names_one_unit",
            )
        ]

    def __str__(self):
        unit = self.department or self.get_office_level_display()
        return f"{self.category or _('any category')} @ {self.region.name} → {unit}"

    def clean(self):
        if bool(self.department_id) == bool(self.office_level):
            raise ValidationError(_("Name either a department or an office, not both."))
        if (
            self.department_id
            and self.region_id
            and not self.region.path.startswith(self.department.region.path)
        ):
            # Dispatch refuses a department outside the case's area; a rule that names one
            # would make every dispatch it matches fail.
            raise ValidationError(
                {
                    "department": _("%(unit)s does not serve %(area)s.")
                    % {"unit": self.department.name, "area": self.region.name}
                }
            )


class Reporter(models.Model):
    """A person who reports cases, known by name and phone together: a family or a shop
    shares one phone, and each caller's case must show the name they gave. The phone is
    stored here, never copied onto cases or events; pages show it masked and every unmasked
    view is written to the audit log."""

    name = models.CharField(_("name"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=20)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reporter",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("reporter")
        verbose_name_plural = _("reporters")
        constraints = [
            # Its index, phone first, also serves the look-ups by phone.
            models.UniqueConstraint(fields=["phone", "name"], name="reporter_phone_name"),
        ]

    def __str__(self):
        return f"{self.masked_name} {self.masked_phone}"

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)


class CaseQuerySet(ScopedQuerySet):
    region_path_lookup = "region_path"

    def visible_to(self, user):
        """Region staff see their subtree; a department sees what is assigned to it;
        a resident sees the cases they reported."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.role == "department_handler":
            assigned = Assignment.objects.filter(case=OuterRef("pk"), department=user.department_id)
            return self.filter(Exists(assigned)) if user.department_id else self.none()
        if user.role == "resident":
            return self.filter(reporter__user=user)
        return self.filter(scope_q(user, self.region_path_lookup))

    def open(self):
        return self.exclude(
            status__in=[Status.CLOSED, Status.RATED, Status.REJECTED, Status.MERGED]
        )


class Case(models.Model):
    """One problem or request (诉求/案卷). The row holds the current state for fast queries;
    the history is the append-only CaseEvent log, written in the same transaction."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    case_type = models.CharField(
        _("type"), max_length=16, choices=CaseType.choices, default=CaseType.COMPLAINT
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    urgency = models.CharField(
        _("urgency"), max_length=12, choices=Urgency.choices, default=Urgency.NORMAL
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    datum = models.CharField(_("datum"), max_length=8, choices=Datum.choices, default=Datum.WGS84)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="cases",
        help_text=_("The grid it lies in, or the level answerable for it."),
    )
    # Copied from region so that scoping ("everything under this street") is one prefix
    # filter on the case table itself, with no join; regions never change their code.
    region_path = models.CharField(max_length=64, editable=False)
    # The registry's room (一标三实) the case is about, when it is about one: the household
    # or organisation there is shown on the case page.
    room = models.ForeignKey(
        "registry.Room",
        verbose_name=_("room"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    reporter = models.ForeignKey(
        Reporter,
        verbose_name=_("reporter"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.RECEIVED
    )
    master = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
    )
    result = models.TextField(_("result"), blank=True)
    solved = models.BooleanField(_("solved"), null=True, blank=True)
    satisfaction = models.CharField(
        _("satisfaction"), max_length=20, choices=Satisfaction.choices, blank=True
    )
    # Counters the rankings read; each is bumped by exactly one action.
    return_count = models.PositiveSmallIntegerField(default=0, editable=False)
    rework_count = models.PositiveSmallIntegerField(default=0, editable=False)
    reopen_count = models.PositiveSmallIntegerField(default=0, editable=False)
    supervision_count = models.PositiveSmallIntegerField(default=0, editable=False)
    extension_count = models.PositiveSmallIntegerField(default=0, editable=False)
    in_dispute = models.BooleanField(_("dispatch dispute"), default=False)
    # Deadlines, stored as timestamps so a restart loses nothing.
    accept_due_at = models.DateTimeField(_("accept by"), null=True, blank=True)
    reply_due_at = models.DateTimeField(_("reply by"), null=True, blank=True)
    verify_due_at = models.DateTimeField(_("verify by"), null=True, blank=True)
    due_at = models.DateTimeField(_("close by"), null=True, blank=True)
    deadline_warning = models.CharField(max_length=300, blank=True)
    overdue_at = models.DateTimeField(_("marked overdue"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    registered_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("taken in by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    idempotency_key = models.CharField(max_length=80, null=True, blank=True, unique=True)
    # Bumped by every action: a form or API call that read version N and finds N+1
    # was overtaken by someone else and must reload.
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-received_at"]
        indexes = [
            # Worklists and dashboards: open cases under a region prefix, newest first.
            models.Index(fields=["region_path", "status", "received_at"], name="case_scope_status"),
            # "Everything under this street" is region_path LIKE 'x/%': on PostgreSQL only a
            # pattern-ops index serves a prefix LIKE under a non-C collation.
            models.Index(
                fields=["region_path"],
                name="case_region_path_prefix",
                opclasses=["varchar_pattern_ops"],
            ),
            # The deadline watch: open cases whose step deadline has passed.
            models.Index(fields=["status", "reply_due_at"], name="case_status_reply_due"),
            models.Index(fields=["received_at"], name="case_received"),
            # Metrics: the cases due on the partial first or last day of a period (whole
            # days come from the daily rollups, see gridgov/metrics/ROLLUPS.md).
            models.Index(fields=["due_at"], name="case_due"),
            # `gridgov rollups rebuild/check`: the cases closed on the days of a chunk.
            models.Index(fields=["closed_at"], name="case_closed"),
            # Metrics read open cases from here (the rollups hold closed ones; overdue
            # depends on the clock): the size of the backlog, not of the history.
            models.Index(
                fields=["region_path", "received_at"],
                name="case_open_scope",
                opclasses=["varchar_pattern_ops", "timestamptz_ops"],
                condition=Q(status__in=sorted(s.value for s in OPEN_STATUSES)),
            ),
            # The dispatcher's 回访不满意 list and its count: the few rated cases whose
            # reporter said "not solved" or "unsatisfied", not every rated case in scope.
            models.Index(
                fields=["region_path", "received_at"],
                name="case_dissatisfied",
                opclasses=["varchar_pattern_ops", "timestamptz_ops"],
                condition=Q(status="rated") & (Q(solved=False) | Q(satisfaction="unsatisfied")),
            ),
            # Overdue and "still waiting" (metrics, worklists, the API's filter): the open
            # cases whose current step's deadline has passed, not the whole backlog.
            models.Index(
                current_due(),
                "received_at",
                name="case_open_current_due",
                condition=Q(status__in=sorted(s.value for s in OPEN_STATUSES)),
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    def save(self, *args, **kwargs):
        if self.region_id and not self.region_path:
            self.region_path = self.region.path
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.status not in FINAL_STATUSES

    def current_due_at(self):
        """The deadline of the step the case is in now."""
        if self.status == Status.DISPATCHED:
            return self.accept_due_at
        if self.status in {Status.ACCEPTED, Status.HANDLING}:
            return self.reply_due_at
        if self.status in {Status.REPLIED, Status.VERIFIED}:
            return self.verify_due_at or self.due_at
        if self.status in {Status.RECEIVED, Status.REGISTERED}:
            return self.due_at
        return None

    def step_started_at(self):
        """When the current step's clock started: yellow is measured from here."""
        started = {
            Status.DISPATCHED: self.dispatched_at,
            Status.ACCEPTED: self.accepted_at,
            Status.HANDLING: self.accepted_at,
            Status.REPLIED: self.replied_at,
            Status.VERIFIED: self.replied_at,
        }.get(self.status)
        return started or self.received_at

    def deadline_state(self, now=None) -> str:
        """'overdue' (red), 'approaching' (yellow: under a quarter of the time left) or 'ok'."""
        due = self.current_due_at()
        if due is None or not self.is_open:
            return "none"
        now = now or timezone.now()
        if now >= due:
            return "overdue"
        span = (due - self.step_started_at()).total_seconds()
        if span > 0 and (due - now).total_seconds() < span / 4:
            return "approaching"
        return "ok"

    def lead_assignment(self):
        return self.assignments.filter(state__in=HOLDING_STATES, role=AssignmentRole.LEAD).first()


class Assignment(models.Model):
    """A unit responsible for a case: a department, or an office (district, street or
    community) named by its region."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments")
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    office = models.ForeignKey(
        "regions.Region",
        verbose_name=_("office"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    role = models.CharField(_("role"), max_length=8, choices=AssignmentRole.choices)
    state = models.CharField(
        _("state"), max_length=10, choices=AssignmentState.choices, default=AssignmentState.ACTIVE
    )
    rule = models.ForeignKey(
        DispatchRule,
        verbose_name=_("chosen by rule"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    explanation = models.CharField(_("why this unit"), max_length=300, blank=True)
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dispatched_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    summoned = models.BooleanField(_("summoned (吹哨)"), default=False)
    report_in_due_at = models.DateTimeField(_("report in by"), null=True, blank=True)
    reported_in_at = models.DateTimeField(_("reported in"), null=True, blank=True)
    response_rating = models.CharField(
        _("response rating"), max_length=8, choices=ResponseRating.choices, blank=True
    )

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["dispatched_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(department__isnull=False, office__isnull=True)
                | Q(department__isnull=True, office__isnull=False),
                name="assignment_names_one_unit",
            )
        ]
        indexes = [
            # A department's worklist: its active assignments.
            models.Index(fields=["department", "state"], name="assignment_department_state"),
            models.Index(fields=["office", "state"], name="assignment_office_state"),
        ]

    def __str__(self):
        return f"{self.case.number} → {self.unit_name}"

    @property
    def unit_name(self) -> str:
        if self.department_id:
            return self.department.name
        return self.office.name

    def is_member(self, user) -> bool:
        """Whether the user acts for this unit."""
        if self.department_id:
            return user.role == "department_handler" and user.department_id == self.department_id
        return user.role in {"street_staff", "community_staff", "dispatcher"} and (
            user.region_id == self.office_id
        )


class ExtensionRequest(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="extension_requests")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    amount = models.PositiveIntegerField(_("extra time"))
    unit = models.CharField(
        _("unit"), max_length=16, choices=DeadlineUnit.choices, default=DeadlineUnit.WORKING_DAYS
    )
    reason = models.TextField(_("reason"))
    state = models.CharField(
        max_length=10, choices=ExtensionState.choices, default=ExtensionState.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(state="pending"), name="one_pending_extension_per_case"
            )
        ]

    def __str__(self):
        return f"{self.case_id}: {self.amount} {self.unit} ({self.state})"


class CaseEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Case events are append-only.")

    def delete(self):
        raise TypeError("Case events are append-only.")


class CaseEvent(models.Model):
    """One step of a case's history: who, when, what, from which status to which.
    Append-only: rows are never updated or deleted."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    from_status = models.CharField(_("from"), max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=12, choices=Status.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="case_events",
        help_text=_("Blank: the system (deadline watch)."),
    )
    actor_role = models.CharField(max_length=24, blank=True)
    unit = models.CharField(_("for unit"), max_length=100, blank=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    objects = CaseEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["created_at", "pk"]
        indexes = [
            # Metrics read events by action over a period.
            models.Index(fields=["action", "created_at"], name="case_event_action_time"),
        ]

    def __str__(self):
        return f"{self.case_id} {self.action} {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Case events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Case events are append-only.")


def attachment_path(attachment, filename):
    day = timezone.now().strftime("%Y/%m/%d")
    return f"cases/{day}/{attachment.case.number}-{filename}"


class Attachment(models.Model):
    """A photo of the problem or of the result. Images only, checked on upload."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(
        CaseEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments"
    )
    file = models.ImageField(_("photo"), upload_to=attachment_path)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.file.name


class PersonalDataAccess(models.Model):
    """The audit log of every unmasked view of a reporter's personal data."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    reporter = models.ForeignKey(Reporter, on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.user_id} → {self.case_id} {self.created_at:%Y-%m-%d %H:%M}"


class CaseNumberSequence(models.Model):
    """The last number handed out per day; the row lock serialises concurrent intakes."""

    day = models.DateField(unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.day}: {self.last}"


class Notification(models.Model):
    """A message to a unit (or one user) about a case: dispatched to you, overdue, pressed."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notifications")
    department = models.ForeignKey(
        "accounts.Department", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    office = models.ForeignKey(
        "regions.Region", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    action = models.CharField(max_length=20, choices=NOTIFICATION_ACTIONS)
    message = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]

    def __str__(self):
        return self.message
