"""Staff borrowed from the grassroots (借调/抽调): recording a secondment, changing its
details or planned end, marking the return, and the reads the pages, the API and the
overdue command share — which secondments are overdue, and how many each borrowing unit
and each street or community counts — and the overdue alerts: sent once an overdue episode
by `gridgov burden secondments-overdue --notify`, shown on the burden overview to those
they are addressed to.

Street staff, leaders and administrators keep the secondments of their area, community
staff those of their own community; nobody else does. The model's clean() holds the rules
(one borrower, dates in order, the maximum term, no return in the future); every write
runs full_clean, so a refusal is a ValidationError naming the field and saves nothing.
"""

import operator
from datetime import date
from functools import reduce

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.choices import Role
from gridgov.accounts.scoping import ALL, scope_path
from gridgov.burden.models import Secondment, SecondmentAlert
from gridgov.regions.choices import Level
from gridgov.regions.models import Region

KEEPING_ROLES = {Role.STREET_STAFF, Role.COMMUNITY_STAFF, Role.LEADER, Role.ADMINISTRATOR}

# Where staff are borrowed from: the grassroots, not the district or city offices.
FROM_LEVELS = (Level.STREET, Level.COMMUNITY)

# What a record names; from_region is fixed once recorded (the record counts under it),
# and the return goes through mark_returned.
RECORDED_FIELDS = (
    "kind",
    "person_name",
    "from_region",
    "to_department",
    "to_unit",
    "approved_by",
    "approval",
    "reason",
    "started_on",
    "planned_end_on",
)
EDITABLE_FIELDS = tuple(name for name in RECORDED_FIELDS if name != "from_region")

CURRENT, RETURNED, OVERDUE = "current", "returned", "overdue"
STATUSES = (CURRENT, RETURNED, OVERDUE)


def may_keep(user) -> bool:
    return user.is_authenticated and (user.is_superuser or user.role in KEEPING_ROLES)


def visible(user) -> QuerySet:
    """The secondments the user keeps: none unless their role keeps any, else their area's."""
    if not may_keep(user):
        return Secondment.objects.none()
    return Secondment.objects.visible_to(user)


def access(user, pk) -> Secondment:
    """One secondment the user keeps; anything else is a 404, not told apart."""
    secondment = visible(user).select_related("from_region", "to_department").filter(pk=pk)
    found = secondment.first()
    if found is None:
        raise Http404
    return found


def from_regions(user) -> QuerySet:
    """The streets and communities of the user's area a secondment may come from."""
    if not may_keep(user):
        return Region.objects.none()
    return Region.objects.visible_to(user).filter(level__in=FROM_LEVELS).order_by("path")


def shown(queryset: QuerySet) -> QuerySet:
    """Current ones first, the longest overdue at the top; then the latest returns."""
    return queryset.select_related("from_region", "to_department", "recorded_by").order_by(
        F("returned_on").desc(nulls_first=True), "planned_end_on", "-pk"
    )


def overdue(queryset: QuerySet, today: date | None = None) -> QuerySet:
    """Not back, and past the planned end."""
    today = today or timezone.localdate()
    return queryset.filter(returned_on=None, planned_end_on__lt=today)


def alert_overdue(queryset: QuerySet, today: date | None = None, now=None) -> list[Secondment]:
    """Send the overdue alert for each secondment of the queryset that is overdue and not
    yet alerted in this overdue episode (for its present planned end); the ones alerted
    now. The alert's unique (secondment, planned end) makes a second run, or two at once,
    send none twice."""
    late = list(overdue(queryset, today).order_by("planned_end_on", "pk"))
    alerted = set(
        SecondmentAlert.objects.filter(secondment__in=[s.pk for s in late]).values_list(
            "secondment_id", "planned_end_on"
        )
    )
    fresh = [s for s in late if (s.pk, s.planned_end_on) not in alerted]
    now = now or timezone.now()
    SecondmentAlert.objects.bulk_create(
        [
            SecondmentAlert(secondment=s, planned_end_on=s.planned_end_on, sent_at=now)
            for s in fresh
        ],
        ignore_conflicts=True,
    )
    return fresh


def alerts_for(user) -> QuerySet:
    """The overdue alerts addressed to the user whose episode is still open (the person not
    back, the planned end not moved): those of the streets and communities of their area
    for the staff who keep secondments and for the burden office (减负办), and those of the
    person their department borrowed for a department's handlers."""
    open_alerts = SecondmentAlert.objects.filter(
        secondment__returned_on=None, planned_end_on=F("secondment__planned_end_on")
    )
    if not user.is_authenticated or not user.is_active:
        return open_alerts.none()
    audience = []
    if may_keep(user) or user.has_perm("burden.decide_demand"):
        path = scope_path(user)
        if path is ALL:
            return open_alerts
        if path is not None:
            audience.append(Q(secondment__region_path__startswith=path))
    if user.role == Role.DEPARTMENT_HANDLER and user.department_id:
        audience.append(Q(secondment__to_department_id=user.department_id))
    if not audience:
        return open_alerts.none()
    return open_alerts.filter(reduce(operator.or_, audience))


def with_status(queryset: QuerySet, status: str, today: date | None = None) -> QuerySet:
    if status == CURRENT:
        return queryset.filter(returned_on=None)
    if status == RETURNED:
        return queryset.exclude(returned_on=None)
    if status == OVERDUE:
        return overdue(queryset, today)
    return queryset


def summary(queryset: QuerySet, today: date | None = None) -> dict:
    """{total, current, overdue, returned} of the queryset, in one query."""
    tallies = queryset.order_by().aggregate(**_tallies(today or timezone.localdate()))
    return {**tallies, RETURNED: tallies["total"] - tallies["current"]}


def _tallies(today: date) -> dict:
    current = Q(returned_on=None)
    return {
        "total": Count("pk"),
        "current": Count("pk", filter=current),
        "overdue": Count("pk", filter=current & Q(planned_end_on__lt=today)),
    }


def _counted(queryset: QuerySet, today: date | None, names: dict[str, str]) -> list[dict]:
    """The secondments grouped by the lookups `names` holds (as name: lookup), each group
    with its {total, current, overdue}, most away now first; one query."""
    rows = (
        queryset.order_by()
        .values(*names.values())
        .annotate(**_tallies(today or timezone.localdate()))
        .order_by("-current", "-total", *names.values())
    )
    tallies = ("total", "current", "overdue")
    return [
        {**{name: row[lookup] for name, lookup in names.items()}, **{t: row[t] for t in tallies}}
        for row in rows
    ]


def counts_by_unit(queryset: QuerySet, today: date | None = None) -> list[dict]:
    """Per borrowing unit: {unit (its name), department (its code, None for another unit),
    total, current, overdue}."""
    rows = _counted(
        queryset,
        today,
        {"department": "to_department__code", "name": "to_department__name", "unit": "to_unit"},
    )
    for row in rows:
        row["unit"] = row.pop("name") or row["unit"]
    return rows


def counts_by_region(queryset: QuerySet, today: date | None = None) -> list[dict]:
    """Per street or community borrowed from: {code, name, total, current, overdue}."""
    return _counted(queryset, today, {"code": "from_region__code", "name": "from_region__name"})


def _check_keeps(user, secondment: Secondment | None = None) -> None:
    if not may_keep(user):
        raise PermissionDenied(_("Your role does not keep secondments."))
    if secondment is not None and not visible(user).filter(pk=secondment.pk).exists():
        raise PermissionDenied(_("This secondment is outside your area."))


def record(user, data: dict) -> Secondment:
    """Record a secondment from a street or community of the user's area. `data` holds
    RECORDED_FIELDS (from_region and to_department as instances, to_department may be
    None)."""
    _check_keeps(user)
    region = data.get("from_region")
    if region is None or not from_regions(user).filter(pk=region.pk).exists():
        raise ValidationError(
            {"from_region": _("Choose a street or community of your area.")}, code="invalid"
        )
    fields = {name: data[name] for name in RECORDED_FIELDS if name in data}
    fields["to_unit"] = (fields.get("to_unit") or "").strip()
    secondment = Secondment(**fields, recorded_by=user)
    secondment.full_clean()
    secondment.save()
    return secondment


def _locked_change(secondment: Secondment, change) -> Secondment:
    # Changed on a fresh copy under its row lock: a refusal leaves the caller's object as
    # it was, and two changes at once do not interleave.
    with transaction.atomic():
        fresh = Secondment.objects.select_for_update().get(pk=secondment.pk)
        change(fresh)
        fresh.to_unit = (fresh.to_unit or "").strip()
        fresh.full_clean()
        fresh.save()
    return fresh


def update(user, secondment: Secondment, data: dict) -> Secondment:
    """Change the details or the planned end; only the EDITABLE_FIELDS present in `data`."""
    _check_keeps(user, secondment)

    def change(fresh):
        for name in EDITABLE_FIELDS:
            if name in data:
                setattr(fresh, name, data[name])

    return _locked_change(secondment, change)


def mark_returned(user, secondment: Secondment, on: date | None) -> Secondment:
    """The person came back on `on` (not in the future, not before the start); once."""
    _check_keeps(user, secondment)

    def change(fresh):
        if fresh.returned_on is not None:
            raise ValidationError(
                {
                    "returned_on": _("This person was already marked back on %(date)s.")
                    % {"date": fresh.returned_on.isoformat()}
                },
                code="returned",
            )
        if on is None:
            raise ValidationError({"returned_on": _("Give the day of the return.")})
        fresh.returned_on = on

    return _locked_change(secondment, change)
