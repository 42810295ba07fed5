"""The figures every unit and region is ranked by, computed from the cases, never typed in.

Every figure is read from the Case rows, whose timestamps, counters and ratings are written
by `gridgov.cases.services.perform` in the same transaction as the matching CaseEvent; the
case row is the indexed summary of its event log. A period is half-open, [start, end).

The cohort of a period is the cases *received* in it (received_at in [start, end)); every
figure below is over that cohort except the on-time closure rate, whose cohort is the cases
*due* in the period. `now` is the moment the figures are taken (default: the present).

Counts
    received   cases received in the period.
    open       of those, not yet closed, rated, rejected or merged (as of now).
    overdue    of the open ones, those whose current step's deadline has passed (as of now):
               the same rule as Case.deadline_state — awaiting acceptance: accept_due_at;
               accepted or handling: reply_due_at; replied or verified: verify_due_at, else
               due_at; received or registered: due_at.
    closed     of those, closed or rated.

Rates (None when the denominator is zero)
    response 响应率
        dispatched cases accepted by their accept deadline ÷ dispatched cases whose
        acceptance is decided. A case counts as accepted when accepted_at ≥ dispatched_at
        (an acceptance from before a re-dispatch does not count for the new dispatch), on
        time when accepted_at ≤ accept_due_at. A case still awaiting acceptance counts, as
        late, once its accept deadline has passed; before that it is left out, since it can
        still be on time. A case returned before anyone accepted it is judged on its next
        dispatch.
    resolution 解决率
        rated cases the reporter called solved ÷ rated cases.
    satisfaction 满意率
        (satisfied + basically satisfied × w) ÷ rated cases; w is
        GRIDGOV_METRICS["basically_satisfied_weight"], 0.8 by default.
    on_time 按期结案率
        cases closed by their deadline ÷ (cases due − suspended cases). Cohort: cases whose
        close-by deadline (due_at, after any approved extension) falls in the period and has
        already passed (due_at < min(end, now)): a case not yet due cannot be late. Closed
        on time: closed_at ≤ due_at. Suspended: merged duplicates and rejected cases
        (GRIDGOV_METRICS["suspended_statuses"]) — no unit owns their deadline, so they count
        neither way. A reopened case is open again and counts as not closed.
    rework 返工率 (lower is better)
        cases sent back for rework at least once (rework_count > 0) ÷ replied cases; replied
        means the unit replied at least once (replied_at set, or reworked or reopened since).
    extension 延期率 (lower is better)
        cases with an approved extension (extension_count > 0) ÷ dispatched cases
        (dispatched_at set).

Average handling time
    mean(replied_at − dispatched_at) in hours over cases with both set: from the latest
    dispatch to the latest reply, so rework time is included. Computed in the database.

Units
    A unit is a department or an office (a district, street or community named by its
    region), reached through Assignment. The handling figures above count a case for the
    unit holding its active lead assignment (GRIDGOV_METRICS["unit_roles"]); "pending"
    counts too, so that when a case is dispatched to several departments at once and
    nobody has accepted it, each of them answers for the late acceptance; once one accepts
    (首接负责) it leads and the others assist. Besides, each unit row counts `assigned`
    (cases it had any assignment on, whatever its role or state) and `returned`
    (assignments it returned). Units with no assignment on a case of the cohort have no row.
    A row's `kind` is "department", "office", or, for a region row, the region's level.

Composite score
    Σ weight × rate ÷ Σ weight, over the rates named in GRIDGOV_RANKING_WEIGHTS (default:
    response 0.2, resolution 0.3, satisfaction 0.3, on_time 0.2). For rework and extension
    (lower is better) 1 − rate is used. A rate that is None (no denominator) is left out
    and the remaining weights are renormalised, so a unit is not punished or rewarded for
    having nothing to rate; with every rate None the score is None and the row ranks last.
    Equal scores share a position.

Queries: region_figures makes 1 query; unit_figures 1; child_region_figures 2 (the children,
then one grouped query over the cases), whatever the number of cases, units or children.
"""

from dataclasses import asdict, dataclass, fields
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.cases.choices import (
    OPEN_STATUSES,
    AssignmentRole,
    AssignmentState,
    Satisfaction,
    Status,
)
from gridgov.cases.models import Assignment, Case
from gridgov.regions.models import Region

# --- definitions and settings ---------------------------------------------------


@dataclass(frozen=True)
class Definition:
    key: str
    term: str  # the Chinese term, as the rankings published by cities use it
    label: str
    formula: str
    lower_is_better: bool = False


DEFINITIONS: tuple[Definition, ...] = (
    Definition(
        "response",
        "响应率",
        _("Response rate"),
        _(
            "Dispatched cases accepted by their accept deadline ÷ dispatched cases whose "
            "acceptance is decided (accepted, or still waiting past the deadline)."
        ),
    ),
    Definition(
        "resolution",
        "解决率",
        _("Resolution rate"),
        _("Rated cases the reporter called solved ÷ rated cases."),
    ),
    Definition(
        "satisfaction",
        "满意率",
        _("Satisfaction rate"),
        _("(Satisfied + basically satisfied × weight) ÷ rated cases."),
    ),
    Definition(
        "on_time",
        "按期结案率",
        _("On-time closure rate"),
        _(
            "Cases closed by their deadline ÷ (cases due in the period, up to now − merged "
            "and rejected cases)."
        ),
    ),
    Definition(
        "rework",
        "返工率",
        _("Rework rate"),
        _("Cases sent back for rework at least once ÷ replied cases."),
        lower_is_better=True,
    ),
    Definition(
        "extension",
        "延期率",
        _("Extension rate"),
        _("Cases with an approved extension ÷ dispatched cases."),
        lower_is_better=True,
    ),
    Definition(
        "avg_handling_hours",
        "平均办理时长",
        _("Average handling time (hours)"),
        _("Mean of (replied − dispatched) over replied cases, in hours."),
    ),
    Definition("received", "受理量", _("Received"), _("Cases received in the period.")),
    Definition(
        "open", "在办量", _("Open"), _("Of those, not closed, rated, rejected or merged (now).")
    ),
    Definition(
        "overdue",
        "超期量",
        _("Overdue"),
        _("Of the open ones, those past the deadline of the step they are in (now)."),
    ),
    Definition("closed", "结案量", _("Closed"), _("Of those received, closed or rated.")),
    Definition(
        "score",
        "综合得分",
        _("Composite score"),
        _(
            "Σ weight × rate ÷ Σ weight over the rates that exist (1 − rate for rework and "
            "extension); a rate with nothing to measure is left out."
        ),
    ),
)

RATE_KEYS = ("response", "resolution", "satisfaction", "on_time", "rework", "extension")
LOWER_IS_BETTER = frozenset(d.key for d in DEFINITIONS if d.lower_is_better)

METRICS_DEFAULTS = {
    "basically_satisfied_weight": 0.8,
    "suspended_statuses": [Status.MERGED.value, Status.REJECTED.value],
    "unit_roles": [AssignmentRole.LEAD.value, AssignmentRole.PENDING.value],
}
RANKING_WEIGHTS_DEFAULT = {"response": 0.2, "resolution": 0.3, "satisfaction": 0.3, "on_time": 0.2}


def metrics_settings() -> dict:
    """GRIDGOV_METRICS over the defaults, checked. Read on every call so tests can override."""
    configured = getattr(settings, "GRIDGOV_METRICS", None) or {}
    unknown = set(configured) - set(METRICS_DEFAULTS)
    if unknown:
        raise ImproperlyConfigured(
            f"GRIDGOV_METRICS has unknown keys {sorted(unknown)}; "
            f"known: {sorted(METRICS_DEFAULTS)}."
        )
    merged = {**METRICS_DEFAULTS, **configured}
    weight = merged["basically_satisfied_weight"]
    if not isinstance(weight, int | float) or not 0 <= weight <= 1:
        raise ImproperlyConfigured(
            "GRIDGOV_METRICS['basically_satisfied_weight'] must be a number from 0 to 1."
        )
    if not set(merged["suspended_statuses"]) <= set(Status.values):
        raise ImproperlyConfigured(
            f"GRIDGOV_METRICS['suspended_statuses'] must be case statuses: {Status.values}."
        )
    if not merged["unit_roles"] or not set(merged["unit_roles"]) <= set(AssignmentRole.values):
        raise ImproperlyConfigured(
            f"GRIDGOV_METRICS['unit_roles'] must name assignment roles: {AssignmentRole.values}."
        )
    return merged


def ranking_weights(weights: dict | None = None) -> dict[str, float]:
    """The weights given, else GRIDGOV_RANKING_WEIGHTS, else the defaults; checked."""
    if weights is None:
        weights = getattr(settings, "GRIDGOV_RANKING_WEIGHTS", None) or RANKING_WEIGHTS_DEFAULT
    unknown = set(weights) - set(RATE_KEYS)
    if unknown:
        raise ImproperlyConfigured(
            f"Ranking weights name unknown rates {sorted(unknown)}; known: {list(RATE_KEYS)}."
        )
    if any(not isinstance(w, int | float) or w < 0 for w in weights.values()):
        raise ImproperlyConfigured("Ranking weights must be numbers of 0 or more.")
    if not sum(weights.values()):
        raise ImproperlyConfigured("At least one ranking weight must be above 0.")
    return {key: float(w) for key, w in weights.items() if w}


# --- results ---------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """One row of figures: numerators and denominators, with the rates derived from them."""

    kind: str  # "department", "office", or a region's level ("district", "street", …)
    code: str
    name: str
    received: int = 0
    open: int = 0
    overdue: int = 0
    closed: int = 0
    response_base: int = 0
    responded_on_time: int = 0
    dispatched: int = 0
    extended: int = 0
    rated: int = 0
    solved: int = 0
    satisfied: int = 0
    basically_satisfied: int = 0
    due: int = 0
    closed_on_time: int = 0
    replied: int = 0
    reworked: int = 0
    avg_handling_hours: float | None = None
    basically_satisfied_weight: float = METRICS_DEFAULTS["basically_satisfied_weight"]

    def rate(self, key: str) -> float | None:
        numerator, denominator = {
            "response": (self.responded_on_time, self.response_base),
            "resolution": (self.solved, self.rated),
            "satisfaction": (
                self.satisfied + self.basically_satisfied * self.basically_satisfied_weight,
                self.rated,
            ),
            "on_time": (self.closed_on_time, self.due),
            "rework": (self.reworked, self.replied),
            "extension": (self.extended, self.dispatched),
        }[key]
        return numerator / denominator if denominator else None

    @property
    def rates(self) -> dict[str, float | None]:
        return {key: self.rate(key) for key in RATE_KEYS}

    def as_dict(self) -> dict:
        data = asdict(self)
        data.pop("basically_satisfied_weight")
        data["rates"] = self.rates
        return data


@dataclass(frozen=True)
class UnitFigures(Figures):
    assigned: int = 0
    returned: int = 0


@dataclass(frozen=True)
class Ranked:
    position: int | None  # None: no rate to score it by; listed last
    score: float | None
    figures: Figures


# --- the queries -------------------------------------------------------------------

_COUNTED = {f.name for f in fields(Figures)} - {
    "kind",
    "code",
    "name",
    "avg_handling_hours",
    "basically_satisfied_weight",
}


def _between(field: str, start: datetime | None, end: datetime | None) -> Q:
    q = Q()
    if start is not None:
        q &= Q(**{f"{field}__gte": start})
    if end is not None:
        q &= Q(**{f"{field}__lt": end})
    return q


@dataclass(frozen=True)
class _Window:
    start: datetime | None
    end: datetime | None
    now: datetime

    def received(self, p: str) -> Q:
        return _between(f"{p}received_at", self.start, self.end)

    def due(self, p: str) -> Q:
        # A deadline still ahead cannot have been missed: stop the due window at now.
        end = self.now if self.end is None else min(self.end, self.now)
        return _between(f"{p}due_at", self.start, end)

    def either(self, p: str) -> Q:
        received = self.received(p)
        # An unbounded period takes every case; Q() | x would quietly narrow it to x.
        return received | self.due(p) if received else Q()


def _window(start, end, now) -> _Window:
    return _Window(start, end, now or timezone.now())


def _overdue(p: str, now: datetime) -> Q:
    """Open cases past their current step's deadline: Case.current_due_at as a filter."""

    def q(**lookups):
        return Q(**{p + k: v for k, v in lookups.items()})

    return (
        q(status=Status.DISPATCHED, accept_due_at__lte=now)
        | q(status__in=[Status.ACCEPTED, Status.HANDLING], reply_due_at__lte=now)
        | q(status__in=[Status.REPLIED, Status.VERIFIED], verify_due_at__lte=now)
        | q(
            status__in=[Status.REPLIED, Status.VERIFIED],
            verify_due_at__isnull=True,
            due_at__lte=now,
        )
        | q(status__in=[Status.RECEIVED, Status.REGISTERED], due_at__lte=now)
    )


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
        "overdue": count(open_ & _overdue(p, window.now)),
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


def region_figures(
    region: Region, start: datetime | None, end: datetime | None, *, now: datetime | None = None
) -> Figures:
    """The figures of a region's subtree for cases received in [start, end). One query."""
    config = metrics_settings()
    window = _window(start, end, now)
    row = (
        Case.objects.filter(region_path__startswith=region.path)
        .filter(window.either(""))
        .aggregate(**_aggregates("", window, config, "pk"))
    )
    return _figures(Figures, row, config, **_identity(region))


def child_region_figures(
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
            .filter(window.either(""))
            .annotate(child_path=Substr("region_path", 1, length))
            .values("child_path")
            .annotate(**_aggregates("", window, config, "pk"))
            .order_by()
        )
        rows.update({row["child_path"]: row for row in grouped})
    return [
        _figures(Figures, rows.get(child.path), config, **_identity(child)) for child in children
    ]


def _identity(region: Region) -> dict:
    return {"kind": region.level, "code": region.code, "name": region.name}


def unit_figures(
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
    assignments = Assignment.objects.filter(window.either("case__"))
    if region is not None:
        assignments = assignments.filter(case__region_path__startswith=region.path)
    attributed = Q(state=AssignmentState.ACTIVE, role__in=config["unit_roles"])
    received = window.received("case__")
    grouped = (
        assignments.values(
            "department_id",
            "department__code",
            "department__name",
            "office_id",
            "office__code",
            "office__name",
        )
        .annotate(
            assigned=Count("case", filter=received, distinct=True),
            returned=Count("pk", filter=received & Q(state=AssignmentState.RETURNED)),
            **_aggregates("case__", window, config, "case", attributed),
        )
        .order_by()
    )
    result = []
    for row in grouped:
        if row["department_id"] is not None:
            identity = {
                "kind": "department",
                "code": row["department__code"],
                "name": row["department__name"],
            }
        else:
            identity = {"kind": "office", "code": row["office__code"], "name": row["office__name"]}
        result.append(_figures(UnitFigures, row, config, **identity))
    # Only due-cohort cases of a unit's past assignments can reach a row with nothing in it.
    return sorted(
        (r for r in result if r.assigned or r.received or r.due),
        key=lambda r: (r.kind != "department", r.code),
    )


# --- ranking -----------------------------------------------------------------------


def composite_score(figures: Figures, weights: dict | None = None) -> float | None:
    """Σ weight × rate ÷ Σ weight over the rates that exist; see the module docstring."""
    weights = ranking_weights(weights)
    total = weight_sum = 0.0
    for key, weight in weights.items():
        value = figures.rate(key)
        if value is None:
            continue
        total += weight * (1 - value if key in LOWER_IS_BETTER else value)
        weight_sum += weight
    return total / weight_sum if weight_sum else None


def rank(rows, weights: dict | None = None) -> list[Ranked]:
    """Rows (Figures or UnitFigures) best first by composite score; equal scores share a
    position (1, 2, 2, 4); rows with no score come last with no position."""
    weights = ranking_weights(weights)
    scored = [(composite_score(row, weights), row) for row in rows]
    # Round so that sums of the same rates in another order still tie.
    scored.sort(key=lambda s: (s[0] is None, -round(s[0] or 0, 9), s[1].code))
    ranked: list[Ranked] = []
    previous: tuple[float, int] | None = None
    for index, (score, row) in enumerate(scored, start=1):
        if score is None:
            ranked.append(Ranked(None, None, row))
            continue
        if previous is not None and round(previous[0], 9) == round(score, 9):
            position = previous[1]
        else:
            position = index
        previous = (score, position)
        ranked.append(Ranked(position, score, row))
    return ranked
