"""Scoped reads of cases: the worklists each role works from.

Every list starts from Case.objects.visible_to(user), so nothing outside the user's scope
can appear, and adds the filter that makes it that user's pile of work.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.choices import Role
from gridgov.cases.choices import AssignmentState, Status
from gridgov.cases.models import Assignment, Case, overdue_q

APPROACHING_WITHIN = timedelta(hours=24)


@dataclass(frozen=True)
class Worklist:
    key: str
    label: str


WORKLISTS = {
    "to_register": Worklist("to_register", _("To register")),
    "to_dispatch": Worklist("to_dispatch", _("To dispatch")),
    "to_accept": Worklist("to_accept", _("To accept")),
    "in_hand": Worklist("in_hand", _("In hand")),
    "due_soon": Worklist("due_soon", _("Due soon")),
    "overdue": Worklist("overdue", _("Overdue")),
    "returned": Worklist("returned", _("Returned")),
    "to_verify": Worklist("to_verify", _("To verify")),
    "to_close": Worklist("to_close", _("To close")),
    "disputes": Worklist("disputes", _("Dispatch disputes")),
    "all": Worklist("all", _("All cases")),
}

ROLE_WORKLISTS = {
    Role.DISPATCHER: [
        "to_register",
        "to_dispatch",
        "returned",
        "to_verify",
        "to_close",
        "due_soon",
        "overdue",
        "all",
    ],
    Role.ADMINISTRATOR: [
        "to_register",
        "to_dispatch",
        "returned",
        "to_close",
        "disputes",
        "overdue",
        "all",
    ],
    Role.LEADER: ["disputes", "overdue", "due_soon", "all"],
    Role.DEPARTMENT_HANDLER: ["to_accept", "in_hand", "due_soon", "overdue", "all"],
    Role.STREET_STAFF: ["to_accept", "in_hand", "due_soon", "overdue", "all"],
    Role.COMMUNITY_STAFF: ["to_accept", "in_hand", "due_soon", "overdue", "all"],
    Role.GRID_WORKER: ["to_verify", "in_hand", "all"],
    Role.RESIDENT: ["all"],
}


def worklists_for(user) -> list[Worklist]:
    role = Role.ADMINISTRATOR if user.is_superuser else user.role
    return [WORKLISTS[key] for key in ROLE_WORKLISTS.get(role, ["all"])]


def _my_unit_assignments(user) -> QuerySet:
    active = Assignment.objects.filter(case=OuterRef("pk"), state=AssignmentState.ACTIVE)
    if user.role == Role.DEPARTMENT_HANDLER:
        return active.filter(department=user.department_id)
    return active.filter(office=user.region_id)


def due_soon_q(now: datetime) -> Q:
    soon = now + APPROACHING_WITHIN
    return (
        Q(status=Status.DISPATCHED, accept_due_at__gte=now, accept_due_at__lt=soon)
        | Q(
            status__in=[Status.ACCEPTED, Status.HANDLING],
            reply_due_at__gte=now,
            reply_due_at__lt=soon,
        )
        | Q(
            status__in=[Status.REPLIED, Status.VERIFIED],
            verify_due_at__gte=now,
            verify_due_at__lt=soon,
        )
    )


def worklist(user, key: str, now: datetime | None = None) -> QuerySet:
    """The cases of one worklist for this user, newest first."""
    now = now or timezone.now()
    cases = Case.objects.visible_to(user)
    unit_role = user.role in {Role.DEPARTMENT_HANDLER, Role.STREET_STAFF, Role.COMMUNITY_STAFF}
    mine = Exists(_my_unit_assignments(user)) if unit_role else None
    if key == "to_register":
        cases = cases.filter(status=Status.RECEIVED)
    elif key == "to_dispatch":
        cases = cases.filter(status=Status.REGISTERED, return_count=0)
    elif key == "returned":
        cases = cases.filter(status=Status.REGISTERED, return_count__gt=0)
    elif key == "disputes":
        cases = cases.filter(in_dispute=True, status=Status.REGISTERED)
    elif key == "to_accept":
        cases = cases.filter(mine, status=Status.DISPATCHED)
    elif key == "in_hand":
        if user.role == Role.GRID_WORKER:
            cases = cases.filter(status__in=[Status.ACCEPTED, Status.HANDLING])
        else:
            cases = cases.filter(mine, status__in=[Status.ACCEPTED, Status.HANDLING])
    elif key == "to_verify":
        cases = cases.filter(status=Status.REPLIED)
    elif key == "to_close":
        cases = cases.filter(status=Status.VERIFIED)
    elif key == "due_soon":
        cases = cases.filter(due_soon_q(now))
        if mine is not None:
            cases = cases.filter(mine)
    elif key == "overdue":
        cases = cases.filter(overdue_q(now))
        if mine is not None:
            cases = cases.filter(mine)
    elif key != "all":
        raise KeyError(key)
    return cases.select_related("category", "region").order_by("-received_at", "-pk")
