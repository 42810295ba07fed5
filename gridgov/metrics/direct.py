"""The figures computed straight from the Case rows, as figures.py did before the rollups.

The definitions in figures.py's docstring written as one aggregate over the cases. Used
where a rollup is coarser than the question (units of a subtree below a district, whose
cases are few), and by the tests as the reference the rollup-based figures must equal.
"""

from datetime import datetime

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q
from django.db.models.functions import Substr

from gridgov.cases.choices import (
    HOLDING_STATES,
    OPEN_STATUSES,
    AssignmentState,
    Satisfaction,
    Status,
)
from gridgov.cases.models import Assignment, Case, overdue_q
from gridgov.metrics.figures import (
    _COUNTED,
    Figures,
    UnitFigures,
    _identity,
    _unit_rows,
    _Window,
    _window,
    metrics_settings,
)
from gridgov.regions.models import Region

# --- the queries -------------------------------------------------------------------


def _either(window: _Window, p: str) -> Q:
    """Cases received in the period or due in it."""
    received = window.received(p)
    # An unbounded period takes every case; Q() | x would quietly narrow it to x.
    return received | window.due(p) if received else Q()


def _aggregates(p: str, window: _Window, config: dict, count_field: str, attributed=None):
    """The aggregate expressions of one Figures row over cases reached by prefix `p`.

    `attributed` narrows the rows a unit answers for (its lead assignments). `count_field`
    names the case; through a join (p set) it is counted distinctly, so that a case can
    never count twice.
    """

    def q(**lookups):
        return Q(**{p + k: v for k, v in lookups.items()})

    def count(condition):
        return Count(count_field, filter=condition, distinct=bool(p))

    base = attributed if attributed is not None else Q()
    received = window.received(p) & base
    dispatched = received & q(dispatched_at__isnull=False)
    accepted = q(accepted_at__gte=F(f"{p}dispatched_at"))
    waiting_late = q(status=Status.DISPATCHED, accept_due_at__lte=window.now)
    rated = received & q(rated_at__isnull=False)
    replied = received & (
        q(replied_at__isnull=False) | q(rework_count__gt=0) | q(reopen_count__gt=0)
    )
    due = window.due(p) & base & ~q(status__in=config["suspended_statuses"])
    open_ = received & q(status__in=list(OPEN_STATUSES))
    handling_time = ExpressionWrapper(
        F(f"{p}replied_at") - F(f"{p}dispatched_at"), output_field=DurationField()
    )
    return {
        "received": count(received),
        "open": count(open_),
        "overdue": count(open_ & overdue_q(window.now, p)),
        "closed": count(received & q(status__in=[Status.CLOSED, Status.RATED])),
        "response_base": count(dispatched & (accepted | waiting_late)),
        "responded_on_time": count(
            dispatched & accepted & q(accepted_at__lte=F(f"{p}accept_due_at"))
        ),
        "dispatched": count(dispatched),
        "extended": count(dispatched & q(extension_count__gt=0)),
        "rated": count(rated),
        "solved": count(rated & q(solved=True)),
        "satisfied": count(rated & q(satisfaction=Satisfaction.SATISFIED)),
        "basically_satisfied": count(rated & q(satisfaction=Satisfaction.BASICALLY_SATISFIED)),
        "due": count(due),
        "closed_on_time": count(due & q(closed_at__lte=F(f"{p}due_at"))),
        "replied": count(replied),
        "reworked": count(replied & q(rework_count__gt=0)),
        "handling_time": Avg(
            handling_time,
            filter=received & q(replied_at__isnull=False, dispatched_at__isnull=False),
        ),
    }


def _figures(cls, row: dict | None, config: dict, **identity) -> Figures:
    row = row or {}
    counts = {name: row.get(name) or 0 for name in _COUNTED}
    extra = {name: row.get(name) or 0 for name in ("assigned", "returned") if cls is UnitFigures}
    handling = row.get("handling_time")
    return cls(
        **identity,
        **counts,
        **extra,
        avg_handling_hours=handling.total_seconds() / 3600 if handling is not None else None,
        basically_satisfied_weight=config["basically_satisfied_weight"],
    )


def direct_region_figures(
    region: Region, start: datetime | None, end: datetime | None, *, now: datetime | None = None
) -> Figures:
    """The figures of a region's subtree for cases received in [start, end). One query."""
    config = metrics_settings()
    window = _window(start, end, now)
    row = (
        Case.objects.filter(region_path__startswith=region.path)
        .filter(_either(window, ""))
        .aggregate(**_aggregates("", window, config, "pk"))
    )
    return _figures(Figures, row, config, **_identity(region))


def direct_child_region_figures(
    region: Region, start: datetime | None, end: datetime | None, *, now: datetime | None = None
) -> list[Figures]:
    """One row per child region (the streets of a district, the communities of a street),
    in path order, every child listed even with no case. Cases placed on `region` itself,
    below no child, are in region_figures but in no row here.

    Two queries: the children, then the cases grouped by the child path they start with.
    """
    config = metrics_settings()
    window = _window(start, end, now)
    children = list(Region.objects.filter(parent=region).order_by("path"))
    rows: dict[str, dict] = {}
    # Children of one parent sit on one level, so their paths share a length; a tree that
    # mixes levels under one parent costs a query per length, still not one per child.
    lengths = sorted({len(child.path) for child in children})
    for length in lengths:
        grouped = (
            Case.objects.filter(region_path__startswith=region.path)
            .filter(_either(window, ""))
            .annotate(child_path=Substr("region_path", 1, length))
            .values("child_path")
            .annotate(**_aggregates("", window, config, "pk"))
            .order_by()
        )
        rows.update({row["child_path"]: row for row in grouped})
    return [
        _figures(Figures, rows.get(child.path), config, **_identity(child)) for child in children
    ]


def direct_unit_figures(
    start: datetime | None,
    end: datetime | None,
    region: Region | None = None,
    *,
    now: datetime | None = None,
) -> list[UnitFigures]:
    """One row per department and per office with an assignment on a case of the period,
    departments first, each kind by code. With `region`, only cases in its subtree count.
    One query."""
    config = metrics_settings()
    window = _window(start, end, now)
    assignments = Assignment.objects.filter(_either(window, "case__"))
    if region is not None:
        assignments = assignments.filter(case__region_path__startswith=region.path)
    attributed = Q(state__in=HOLDING_STATES, role__in=config["unit_roles"])
    received = window.received("case__")
    grouped = (
        assignments.values(
            "department_id",
            "office_id",
            department_code=F("department__code"),
            department_name=F("department__name"),
            office_code=F("office__code"),
            office_name=F("office__name"),
        )
        .annotate(
            assigned=Count("case", filter=received, distinct=True),
            returned=Count("pk", filter=received & Q(state=AssignmentState.RETURNED)),
            **_aggregates("case__", window, config, "case", attributed),
        )
        .order_by()
    )
    return _unit_rows(grouped, config, _figures)
