"""The deadline watch: marks open cases whose current step is past its deadline, supervises
them automatically and tells the units; warns the units once when a step's deadline is
near; reminds summoned departments that have not reported in.

`gridgov worker` runs it every minute. Deadlines are timestamps on the case row, so a
watch after a restart (or a long outage) catches up on everything it missed. It is safe
to run as often as you like and from several workers at once: each case is claimed by a
conditional UPDATE that only one of them can win.
"""

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import (
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.cases.choices import DUE_SOON_NOTICE, TRANSITIONS, Action, AssignmentState, Status
from gridgov.cases.models import Assignment, Case, Notification
from gridgov.cases.services import _active_assignments, _write_event

logger = logging.getLogger(__name__)

# Candidates are read this many at a time, so a backlog after an outage never loads the
# whole table into memory; each one is then claimed in its own short transaction, so
# the watch never holds a lock that a person acting on a case would wait for.
BATCH_SIZE = 200

DUE_SOON = DUE_SOON_NOTICE

# A step is due soon in the last quarter of its time, as the yellow light of
# Case.deadline_state() has it, and at most this long before its deadline: the watch
# reads only the cases due within it, never the whole backlog.
DUE_SOON_LOOKAHEAD = timedelta(days=7)


@dataclass(frozen=True)
class Step:
    """One step of the loop with a deadline: the statuses it covers and when it is late."""

    name: str
    label: str
    statuses: frozenset
    late: Callable[[datetime], Q]
    # The step's own deadline and the moment its clock started, as Case.current_due_at()
    # and Case.step_started_at() have them; None for a step without a unit to warn.
    due_field: str | None = None
    start_field: str | None = None


# The same rule as Case.current_due_at() (and models.overdue_q), step by step, so that
# each late case is told which step it missed (the status comes first in the
# case_status_reply_due index).
STEPS = (
    Step(
        "accept",
        gettext_lazy("acceptance"),
        frozenset({Status.DISPATCHED}),
        lambda now: Q(accept_due_at__lte=now),
        "accept_due_at",
        "dispatched_at",
    ),
    Step(
        "reply",
        gettext_lazy("the reply"),
        frozenset({Status.ACCEPTED, Status.HANDLING}),
        lambda now: Q(reply_due_at__lte=now),
        "reply_due_at",
        "accepted_at",
    ),
    Step(
        "verify",
        gettext_lazy("verification"),
        frozenset({Status.REPLIED, Status.VERIFIED}),
        lambda now: Q(verify_due_at__lte=now) | Q(verify_due_at=None, due_at__lte=now),
        "verify_due_at",
        "replied_at",
    ),
    Step(
        "close",
        gettext_lazy("closure"),
        frozenset({Status.RECEIVED, Status.REGISTERED}),
        lambda now: Q(due_at__lte=now),
    ),
)


@dataclass
class WatchReport:
    now: datetime
    overdue: list[str] = field(default_factory=list)  # numbers of the cases marked
    due_soon: list[str] = field(default_factory=list)  # numbers of the cases warned
    late_report_ins: list[int] = field(default_factory=list)  # assignments reminded
    failed: list[str] = field(default_factory=list)  # what could not be processed

    def as_dict(self) -> dict:
        return {
            "now": self.now.isoformat(),
            "overdue": self.overdue,
            "due_soon": self.due_soon,
            "late_report_ins": self.late_report_ins,
            "failed": self.failed,
        }

    def __str__(self) -> str:
        text = (
            f"Deadline watch at {timezone.localtime(self.now):%Y-%m-%d %H:%M:%S}: "
            f"{len(self.overdue)} case(s) marked overdue, "
            f"{len(self.due_soon)} due soon, "
            f"{len(self.late_report_ins)} late report-in(s) notified"
        )
        if self.overdue:
            text += " (" + ", ".join(self.overdue[:20])
            text += ", …)" if len(self.overdue) > 20 else ")"
        if self.failed:
            text += f"; {len(self.failed)} failed, see the log"
        return text + "."


def watch_deadlines(now: datetime | None = None) -> WatchReport:
    """Mark every case that has gone overdue since the last watch, and remind every
    summoned department that is late to report in. Running it again changes nothing."""
    report = WatchReport(now or timezone.now())
    # Notes and messages are stored text, so they are written in the site's language,
    # whichever process or thread runs the watch.
    with translation.override(settings.LANGUAGE_CODE):
        for step in STEPS:
            for pk in _in_batches(_late_cases(step, report.now)):
                number = _guarded(report, f"case {pk}", _mark_overdue, pk, step, report.now)
                if number:
                    report.overdue.append(number)
        for step in STEPS:
            if step.due_field is None:
                continue
            for pk in _in_batches(_due_soon_cases(step, report.now)):
                number = _guarded(report, f"case {pk}", _warn_due_soon, pk, step, report.now)
                if number:
                    report.due_soon.append(number)
        for pk in _in_batches(_late_report_ins(report.now)):
            if _guarded(report, f"assignment {pk}", _remind_report_in, pk, report.now):
                report.late_report_ins.append(pk)
    if report.overdue or report.due_soon or report.late_report_ins or report.failed:
        logger.info("%s", report)
    return report


def _guarded(report: WatchReport, what: str, function, *args):
    # One case that cannot be processed must not hold up every case behind it; nothing
    # was written for it, so the next watch tries it again.
    try:
        return function(*args)
    except Exception:
        logger.exception("Deadline watch: %s could not be processed", what)
        report.failed.append(what)
        return None


def _in_batches(queryset: QuerySet) -> Iterator[int]:
    """Primary keys of the queryset in ascending batches: each batch starts after the last
    key seen, so rows the watch has just changed are neither read again nor skipped."""
    last = 0
    while True:
        batch = list(
            queryset.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:BATCH_SIZE]
        )
        yield from batch
        if len(batch) < BATCH_SIZE:
            return
        last = batch[-1]


# --- overdue cases -------------------------------------------------------------


def _late_cases(step: Step, now: datetime) -> QuerySet:
    return Case.objects.filter(step.late(now), status__in=step.statuses, overdue_at=None)


def _mark_overdue(pk: int, step: Step, now: datetime) -> str | None:
    """Claim the case and record it; None when another worker (or a person acting on the
    case since it was read) got there first."""
    with transaction.atomic():
        # The filter repeats the candidate test: a case accepted or extended between the
        # read and this UPDATE no longer matches and is left alone.
        claimed = (
            _late_cases(step, now)
            .filter(pk=pk)
            .update(
                overdue_at=now,
                supervision_count=F("supervision_count") + 1,
                version=F("version") + 1,
                updated_at=timezone.now(),
            )
        )
        if claimed != 1:
            return None
        case = Case.objects.get(pk=pk)
        due = case.current_due_at()
        due_text = timezone.localtime(due).strftime("%Y-%m-%d %H:%M")
        _write_event(
            case,
            None,
            Action.OVERDUE,
            case.status,
            case.status,
            at=now,
            note=_("The deadline for %(step)s (%(due)s) has passed.")
            % {"step": step.label, "due": due_text},
            data={"step": step.name, "due_at": due.isoformat()},
        )
        _write_event(
            case,
            None,
            Action.SUPERVISE,
            case.status,
            case.status,
            at=now,
            note=_("Overdue: automatic supervision"),
            data={"automatic": True, "step": step.name},
        )
        message = _(
            "Case %(number)s is overdue: %(step)s was due by %(due)s. It is now under supervision."
        ) % {"number": case.number, "step": step.label, "due": due_text}
        for assignment in _active_assignments(case):
            _notify_at(case, assignment, message, now)
    return case.number


# --- steps due soon -----------------------------------------------------------


def _warned(case, since) -> QuerySet:
    """Due-soon notices on the case since its step began: one per step is enough. A step
    begun again (a new dispatch after a return, a new reply after rework) warns again."""
    return Notification.objects.filter(case=case, action=DUE_SOON, created_at__gte=since)


def _due_soon_cases(step: Step, now: datetime) -> QuerySet:
    due, start = step.due_field, step.start_field
    span = ExpressionWrapper(F(due) - F(start), output_field=DurationField())
    left = ExpressionWrapper(
        F(due) - Value(now, output_field=DateTimeField()), output_field=DurationField()
    )
    return (
        Case.objects.alias(span=span, left=left)
        .filter(
            status__in=step.statuses,
            overdue_at=None,
            **{f"{due}__gt": now, f"{due}__lte": now + DUE_SOON_LOOKAHEAD},
            **{f"{start}__isnull": False},
        )
        # Under a quarter of the step's time left: 4 × left < span.
        .filter(span__gt=F("left") * 4)
        .exclude(Exists(_warned(OuterRef("pk"), OuterRef(start))))
    )


def _warn_due_soon(pk: int, step: Step, now: datetime) -> str | None:
    with transaction.atomic():
        # The row lock makes two workers take turns over one case; the second one finds
        # the first one's notice below.
        case = _due_soon_cases(step, now).select_for_update(of=("self",)).filter(pk=pk).first()
        if case is None:
            return None
        # Asked again after the lock, as for report-ins: the locking statement's subquery
        # may have read the database from before another worker's notice was committed.
        if _warned(case, getattr(case, step.start_field)).exists():
            return None
        due = getattr(case, step.due_field)
        message = _("Case %(number)s is due soon: %(step)s is due by %(due)s.") % {
            "number": case.number,
            "step": step.label,
            "due": timezone.localtime(due).strftime("%Y-%m-%d %H:%M"),
        }
        assignments = list(_active_assignments(case))
        for assignment in assignments:
            _notify_at(case, assignment, message, now, action=DUE_SOON)
    return case.number if assignments else None


# --- late report-ins after a summons (吹哨报到) ----------------------------------


def _reminded(case, department, since) -> QuerySet:
    """Overdue notices a department has had on a case since it was summoned. A case
    overdue notice counts as well: one notice per unit is enough."""
    return Notification.objects.filter(
        case=case, department=department, action=Action.OVERDUE, created_at__gte=since
    )


def _late_report_ins(now: datetime) -> QuerySet:
    return Assignment.objects.filter(
        ~Exists(_reminded(OuterRef("case"), OuterRef("department"), OuterRef("dispatched_at"))),
        summoned=True,
        department__isnull=False,  # a summons always names departments
        state=AssignmentState.ACTIVE,
        reported_in_at=None,
        report_in_due_at__lte=now,
        # Once the case has moved past the steps where a unit can report in, a reminder
        # would ask for something it can no longer do.
        case__status__in=TRANSITIONS[Action.REPORT_IN].sources,
    )


def _remind_report_in(pk: int, now: datetime) -> bool | None:
    with transaction.atomic():
        # The row lock makes two workers take turns over one assignment.
        assignment = (
            _late_report_ins(now)
            .select_for_update(of=("self",))
            .select_related("case", "department")
            .filter(pk=pk)
            .first()
        )
        if assignment is None:
            return None
        # Asked again after the lock: a subquery in the locking statement may still have
        # read the database as it was before the other worker's notice was committed.
        if _reminded(
            assignment.case_id, assignment.department_id, assignment.dispatched_at
        ).exists():
            return None
        case = assignment.case
        _notify_at(
            case,
            assignment,
            _("Case %(number)s: you were summoned and had to report in by %(due)s.")
            % {
                "number": case.number,
                "due": timezone.localtime(assignment.report_in_due_at).strftime("%H:%M"),
            },
            now,
        )
    return True


def _notify_at(case, assignment, message: str, at: datetime, action=Action.OVERDUE) -> None:
    # services._notify stamps the wall clock; the watch stamps its own `now`, which the
    # late report-in check compares with the time of the summons.
    Notification.objects.create(
        case=case,
        department=assignment.department,
        office=assignment.office,
        action=action,
        message=message[:300],
        created_at=at,
    )
