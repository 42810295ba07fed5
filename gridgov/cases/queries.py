"""Scoped reads of cases: the worklists each role works from.

Every list starts from Case.objects.visible_to(user), so nothing outside the user's scope
can appear, and adds the filter that makes it that user's pile of work.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import models
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.choices import Role
from gridgov.cases.choices import OPEN_STATUSES, AssignmentState, Satisfaction, Status
from gridgov.cases.models import Assignment, Case, PersonalDataAccess, current_due, overdue_q

APPROACHING_WITHIN = timedelta(hours=24)
# Roles whose piles are the cases assigned to their unit.
UNIT_ROLES = {Role.DEPARTMENT_HANDLER, Role.STREET_STAFF, Role.COMMUNITY_STAFF}
# Roles that may call any reporter in their scope back (services.may_reveal_reporter); the
# units may search among the cases their unit is handling, as they may reveal those.
PHONE_SEARCH_ROLES = {Role.DISPATCHER, Role.ADMINISTRATOR, Role.LEADER}


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
    "dissatisfied": Worklist("dissatisfied", _("Dissatisfied follow-ups")),
    "emergency": Worklist("emergency", _("Emergency help")),
    "all": Worklist("all", _("All cases")),
}

ROLE_WORKLISTS = {
    Role.DISPATCHER: [
        "to_register",
        "to_dispatch",
        "returned",
        "to_verify",
        "to_close",
        "dissatisfied",
        "due_soon",
        "overdue",
        "all",
    ],
    Role.ADMINISTRATOR: [
        "to_register",
        "to_dispatch",
        "returned",
        "to_close",
        "dissatisfied",
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
    """The user's piles; where they work in emergency mode, the open emergency-help cases
    come first (emergency/services.open_areas_for)."""
    from gridgov.emergency.services import open_areas_for

    role = Role.ADMINISTRATOR if user.is_superuser else user.role
    lists = [WORKLISTS[key] for key in ROLE_WORKLISTS.get(role, ["all"])]
    if open_areas_for(user).exists():
        lists.insert(0, WORKLISTS["emergency"])
    return lists


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


def worklist_q(user, key: str, now: datetime) -> Q:
    """The condition that makes `key` this user's pile, over their visible cases."""
    mine = Q(Exists(_my_unit_assignments(user))) if user.role in UNIT_ROLES else Q()
    if key == "to_register":
        return Q(status=Status.RECEIVED)
    if key == "to_dispatch":
        return Q(status=Status.REGISTERED, return_count=0)
    if key == "returned":
        return Q(status=Status.REGISTERED, return_count__gt=0)
    if key == "disputes":
        return Q(in_dispute=True, status=Status.REGISTERED)
    if key == "to_accept":
        return mine & Q(status=Status.DISPATCHED)
    if key == "in_hand":
        in_hand = Q(status__in=[Status.ACCEPTED, Status.HANDLING])
        return in_hand if user.role == Role.GRID_WORKER else mine & in_hand
    if key == "to_verify":
        return Q(status=Status.REPLIED)
    if key == "to_close":
        return Q(status=Status.VERIFIED)
    if key == "due_soon":
        return due_soon_q(now) & mine
    if key == "overdue":
        return overdue_q(now) & mine
    if key == "dissatisfied":
        # A reopen moves the case back to handling and clears its rating, so only ratings
        # nobody has acted on yet stay here.
        return Q(status=Status.RATED) & (Q(solved=False) | Q(satisfaction=Satisfaction.UNSATISFIED))
    if key == "emergency":
        return Q(category__emergency_only=True, status__in=sorted(s.value for s in OPEN_STATUSES))
    if key == "all":
        return Q()
    raise KeyError(key)


def worklist(user, key: str, now: datetime | None = None) -> QuerySet:
    """The cases of one worklist for this user, newest first."""
    now = now or timezone.now()
    cases = Case.objects.visible_to(user).filter(worklist_q(user, key, now))
    return cases.select_related("category", "region").order_by("-received_at", "-pk")


# Tabs whose piles hold only open cases: their counts read the open backlog, through the
# partial indexes on the open cases, never the whole history of the scope.
OPEN_WORKLISTS = {
    "emergency",
    "to_register",
    "to_dispatch",
    "returned",
    "disputes",
    "to_accept",
    "in_hand",
    "to_verify",
    "to_close",
    "due_soon",
    "overdue",
}


def worklist_counts(user, keys, cases: QuerySet, now: datetime) -> dict[str, int]:
    """How many of `cases` (the visible cases, already filtered) each worklist in `keys`
    holds: the open piles in one aggregate over the open backlog, the follow-ups that went
    badly in one more. "All cases" is not counted here: it is the scope's whole history, and
    the list's own pager counts it when it is shown."""
    counts: dict[str, int] = {}
    open_keys = [key for key in keys if key in OPEN_WORKLISTS]
    if open_keys:
        open_statuses = sorted(s.value for s in OPEN_STATUSES)
        counts.update(
            cases.order_by()
            .filter(status__in=open_statuses)
            .aggregate(**{key: Count("pk", filter=worklist_q(user, key, now)) for key in open_keys})
        )
    if "dissatisfied" in keys:
        counts["dissatisfied"] = cases.filter(worklist_q(user, "dissatisfied", now)).count()
    return counts


# --- search ------------------------------------------------------------------

CASE_NUMBER_RE = re.compile(r"^(\d{8})-(\d{1,6})$")
# A phone as people type it: digits with spaces, dashes or brackets, perhaps a leading +.
PHONE_RE = re.compile(r"^\+?[\d\s()-]{5,24}$")


def may_search_by_phone(user) -> bool:
    return user.is_superuser or user.role in PHONE_SEARCH_ROLES | UNIT_ROLES


@dataclass(frozen=True)
class Search:
    """What a search box's text was taken to mean: a case number, a reporter's phone
    (for those who may see reporters) or words of the title or description."""

    kind: str  # "number", "phone", "keyword", "refused" or "" (nothing to search)
    term: str

    def apply(self, user, cases: QuerySet) -> QuerySet:
        if self.kind == "number":
            return cases.filter(number=self.term)
        if self.kind == "phone":
            cases = cases.filter(reporter__phone=self.term)
            if not (user.is_superuser or user.role in PHONE_SEARCH_ROLES):
                cases = cases.filter(Exists(_my_unit_assignments(user)))
            return cases
        if self.kind == "keyword":
            return cases.filter(Q(title__icontains=self.term) | Q(description__icontains=self.term))
        if self.kind == "refused":
            return cases.none()
        return cases


def parse_search(user, text: str) -> Search:
    # Full-width digits and dashes (１３９…) are what a Chinese keyboard often types.
    text = " ".join(unicodedata.normalize("NFKC", text or "").split())
    if not text:
        return Search("", "")
    number = CASE_NUMBER_RE.match(text)
    if number:
        return Search("number", f"{number[1]}-{int(number[2]):06d}")
    digits = "".join(ch for ch in text if ch.isdigit() or ch == "+")
    if PHONE_RE.match(text) and sum(ch.isdigit() for ch in digits) >= 5:
        # Not even the descriptions are searched for a phone by someone who may not see
        # reporters: the count of cases found would tell them whose number it is.
        return Search("phone", digits) if may_search_by_phone(user) else Search("refused", text)
    return Search("keyword", text)


PHONE_SEARCH_PURPOSE = _("Worklist search by the reporter's phone")


def record_phone_search(user, cases) -> None:
    """A list found by a reporter's phone discloses who reported those cases: each case
    shown is written to the personal-data audit log, as an unmasked view is."""
    PersonalDataAccess.objects.bulk_create(
        PersonalDataAccess(
            user=user,
            case_id=case.pk,
            reporter_id=case.reporter_id,
            purpose=str(PHONE_SEARCH_PURPOSE),
        )
        for case in cases
        if case.reporter_id
    )


# --- sorting -----------------------------------------------------------------

# The loop's order, so that sorting by status follows the case's progress.
STATUS_RANK = models.Case(
    *(models.When(status=status, then=rank) for rank, status in enumerate(Status)),
    output_field=models.IntegerField(),
)

SORTS = {
    "received": "received_at",
    "number": "number",
    "deadline": "current_due",
    "status": "status_rank",
}
DEFAULT_SORT = "-received"


def sort_cases(cases: QuerySet, sort: str | None) -> tuple[QuerySet, str]:
    """The cases in the order a column asked for (a key of SORTS, "-" first for
    descending; anything else gives the default, newest first), ties broken by the newest
    received and then the id, so that pages never overlap. Returns the sort applied."""
    key = (sort or "").removeprefix("-")
    if key not in SORTS:
        sort, key = DEFAULT_SORT, DEFAULT_SORT.removeprefix("-")
    descending = sort.startswith("-")
    if key == "deadline":
        cases = cases.annotate(current_due=current_due())
    elif key == "status":
        cases = cases.annotate(status_rank=STATUS_RANK)
    field = F(SORTS[key])
    if key == "deadline":
        # Cases without a deadline last, whichever the direction. Only here: NULLS LAST on
        # a column that has no nulls would stop PostgreSQL reading its index backwards.
        first = field.desc(nulls_last=True) if descending else field.asc(nulls_last=True)
    else:
        first = field.desc() if descending else field.asc()
    if key == "received":
        ties = [F("pk").desc() if descending else F("pk").asc()]
    else:
        ties = [F("received_at").desc(), F("pk").desc()]
    return cases.order_by(first, *ties), sort
