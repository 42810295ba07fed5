"""The figures every unit and region is ranked by, computed from the cases, never typed in.

Every figure is defined over the Case rows, whose timestamps, counters and ratings are
written by `gridgov.cases.services.perform` in the same transaction as the matching
CaseEvent; the case row is the indexed summary of its event log. They are read from the
daily rollups (gridgov.metrics.rollups, kept current in that same transaction) for whole
days, and from the cases only for a period's partial first and last days and for what
depends on `now` among the open cases; see ROLLUPS.md. A period is half-open, [start, end).

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
    unit holding its active lead assignment, or the done one of a closed case
    (GRIDGOV_METRICS["unit_roles"]); "pending"
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

Queries: region_figures makes 1 query; unit_figures 1; child_region_figures and
region_and_child_figures 2 (the children, then one grouped query over the cases),
whatever the number of cases, units or children.
"""

from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import EmptyResultSet, ImproperlyConfigured
from django.db import connection
from django.db.models import Count, F, FloatField, IntegerField, Q, Sum, Value
from django.db.models.functions import Cast, Coalesce, Substr, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import Department
from gridgov.cases.choices import (
    FINAL_STATUSES,
    HOLDING_STATES,
    OPEN_STATUSES,
    AssignmentRole,
    AssignmentState,
    Status,
)
from gridgov.cases.models import Assignment, Case, overdue_q
from gridgov.metrics.models import (
    AreaDailyRollup,
    CategoryDailyRollup,
    DailyRollup,
    DistrictDailyRollup,
    UnitDailyRollup,
)
from gridgov.metrics.rollups import (
    AREA_LEVEL,
    COHORT,
    DISTRICT_LEVEL,
    HOLDS_OPEN,
    UNIT_LEVEL,
    cohort_conditions,
    covers,
    handling_sum,
    local_day,
    midnight,
    role_masks,
)
from gridgov.regions.choices import Level
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
#
# Each figure is a sum. Whole local days are read from the daily rollups; a period's
# partial first and last days, and what depends on `now` (overdue, and dispatched cases
# still waiting past their accept deadline), are read from the cases — the partial days
# through the received_at/due_at indexes, the "now" figures from open cases only through
# a partial index. All parts are added up in one statement (UNION ALL under one SUM), so
# each call is still one query however many cases, days or rows there are.

_COUNTED = {f.name for f in fields(Figures)} - {
    "kind",
    "code",
    "name",
    "avg_handling_hours",
    "basically_satisfied_weight",
}
# The columns every branch of the union yields, in this order.
_COLUMNS = (
    "received",
    "open",
    "closed",
    "dispatched",
    "accepted",
    "responded_on_time",
    "extended",
    "rated",
    "solved",
    "satisfied",
    "basically_satisfied",
    "replied",
    "reworked",
    "handled",
    "handling_us",
    "due",
    "closed_on_time",
    "overdue",
    "waiting",
)
_UNIT_COLUMNS = (*_COLUMNS, "assigned", "returned")
_CLOSED_STATUSES = [Status.CLOSED, Status.RATED]
_FINAL = sorted(FINAL_STATUSES)
_OPEN = sorted(OPEN_STATUSES)


def _between(field: str, start: datetime | None, end: datetime | None) -> Q:
    q = Q()
    if start is not None:
        q &= Q(**{f"{field}__gte": start})
    if end is not None:
        q &= Q(**{f"{field}__lt": end})
    return q


@dataclass(frozen=True)
class _Span:
    """[start, end) as whole local days [first_day, last_day) (None: unbounded; `days`
    False: none) plus the partial days at either end, as bounded intervals."""

    days: bool
    first_day: date | None = None
    last_day: date | None = None
    edges: tuple = ()

    def days_q(self, field: str = "day") -> Q | None:
        if not self.days:
            return None
        q = Q()
        if self.first_day is not None:
            q &= Q(**{f"{field}__gte": self.first_day})
        if self.last_day is not None:
            q &= Q(**{f"{field}__lt": self.last_day})
        return q

    def edges_q(self, field: str) -> Q | None:
        if not self.edges:
            return None
        q = Q()
        for lo, hi in self.edges:
            q |= _between(field, lo, hi)
        return q


def _span(start: datetime | None, end: datetime | None) -> _Span:
    if start is not None and end is not None and start >= end:
        return _Span(days=False)
    first = last = None
    if start is not None:
        day = local_day(start)
        first = day if start == midnight(day) else day + timedelta(days=1)
    if end is not None:
        last = local_day(end)
    if first is not None and last is not None and first >= last:
        return _Span(days=False, edges=((start, end),))
    edges = []
    if start is not None and start < midnight(first):
        edges.append((start, midnight(first)))
    if end is not None and midnight(last) < end:
        edges.append((midnight(last), end))
    return _Span(True, first, last, tuple(edges))


@dataclass(frozen=True)
class _Window:
    start: datetime | None
    end: datetime | None
    now: datetime

    @property
    def due_end(self) -> datetime:
        # A deadline still ahead cannot have been missed: stop the due window at now.
        return self.now if self.end is None else min(self.end, self.now)

    @property
    def received_span(self) -> _Span:
        return _span(self.start, self.end)

    @property
    def due_span(self) -> _Span:
        return _span(self.start, self.due_end)

    def received(self, p: str) -> Q:
        return _between(f"{p}received_at", self.start, self.end)

    def due(self, p: str) -> Q:
        return _between(f"{p}due_at", self.start, self.due_end)


def _window(start, end, now) -> _Window:
    return _Window(start, end, now or timezone.now())


def _and(*conditions: Q | None) -> Q | None:
    """The conjunction of the conditions given; None when that is no condition at all."""
    q = Q()
    for condition in conditions:
        if condition is not None:
            q &= condition
    return q or None


def _zero() -> Value:
    return Value(0, output_field=IntegerField())


def _rollup_branch(rows, window: _Window, config: dict, masks: list[int] | None):
    """Sums of rollup rows over the whole days of the period. `masks`: for unit rollups,
    the role bitmasks GRIDGOV_METRICS["unit_roles"] attributes a case by."""
    received = window.received_span.days_q()
    due = window.due_span.days_q()
    if received is None and due is None:
        return None
    if received is not None and due is not None:
        # An empty Q is every day: it must widen the OR, not vanish from it.
        if received and due:
            rows = rows.filter(received if received == due else received | due)
    else:
        rows = rows.filter(received if due is None else due)
    mine = Q(roles__in=masks) if masks is not None else None
    suspended = ~Q(status__in=config["suspended_statuses"])

    def total(name, *conditions, cohort=received):
        if cohort is None:
            return _zero()
        summed = Sum(name, filter=_and(cohort, mine, *conditions))
        output = FloatField() if isinstance(name, Cast) else IntegerField()
        return Coalesce(summed, Value(0), output_field=output)

    columns = {
        **{name: total(name) for name in COHORT if name != "handling_us"},
        "open": total("received", Q(status__in=_OPEN)) if rows.model in HOLDS_OPEN else _zero(),
        "closed": total("received", Q(status__in=_CLOSED_STATUSES)),
        "handling_us": total(Cast("handling_us", FloatField())),
        "due": total("due", suspended, cohort=due),
        "closed_on_time": total("closed_on_time", suspended, cohort=due),
        "overdue": _zero(),
        "waiting": _zero(),
    }
    if masks is not None:
        # Rows with no active role (mask 0) still count assigned and returned.
        for name in ("assigned", "returned"):
            columns[name] = (
                _zero()
                if received is None
                else Coalesce(
                    Sum(name, filter=_and(received)), Value(0), output_field=IntegerField()
                )
            )
    return rows, columns


def _case_branches(
    rows, p: str, window: _Window, config: dict, attributed: Q | None, holds_open: bool
):
    """What the rollups do not hold, from the cases (reached by prefix `p`): the cases of
    the period's partial first and last days (final ones only, unless the rollup read
    `holds_open` cases too), and the open cases of the period: every counter of theirs,
    or with `holds_open` only what depends on now (overdue, still waiting)."""

    def q(**lookups):
        return Q(**{p + k: v for k, v in lookups.items()})

    count_field = "case" if p else "pk"

    def count(*conditions):
        # Through assignments, attributed rows are active (or done) ones, and a unit holds at
        # most one such assignment on a case (a dispatch or summons ends the active ones first,
        # closing turns them done and only a reopen makes them active again, and
        # names each unit once), so no case counts twice: no DISTINCT, which would sort the
        # whole backlog once per counter.
        return Count(count_field, filter=_and(*conditions, attributed))

    def received_columns(cohort: Q | None) -> dict:
        columns = {name: count(cohort, c) for name, c in cohort_conditions(p).items()}
        columns["handling_us"] = Cast(handling_sum(p, _and(cohort, attributed)), FloatField())
        if p:
            columns["assigned"] = Count("case", filter=cohort, distinct=True)
            columns["returned"] = Count(
                "pk", filter=_and(cohort, Q(state=AssignmentState.RETURNED))
            )
        return columns

    def due_columns(cohort: Q | None) -> dict:
        not_suspended = ~q(status__in=config["suspended_statuses"])
        return {
            "due": count(cohort, not_suspended),
            "closed_on_time": count(cohort, not_suspended, q(closed_at__lte=F(f"{p}due_at"))),
        }

    names = _UNIT_COLUMNS if p else _COLUMNS
    rolled_up = rows if holds_open else rows.filter(q(status__in=_FINAL))
    branches = []
    received = window.received_span.edges_q(f"{p}received_at")
    if received is not None:
        columns = {name: _zero() for name in names}
        columns.update(received_columns(None))
        columns["closed"] = count(q(status__in=_CLOSED_STATUSES))
        if holds_open:
            columns["open"] = count(q(status__in=_OPEN))
        branches.append((rolled_up.filter(received), columns))
    due = window.due_span.edges_q(f"{p}due_at")
    if due is not None:
        columns = {name: _zero() for name in names}
        columns.update(due_columns(None))
        branches.append((rolled_up.filter(due), columns))
    received, due = window.received(p), window.due(p)
    accepted = q(accepted_at__gte=F(f"{p}dispatched_at"))
    now_columns = {
        "overdue": count(received or None, overdue_q(window.now, p)),
        "waiting": count(
            received or None,
            q(status=Status.DISPATCHED, accept_due_at__lte=window.now, dispatched_at__isnull=False),
            ~accepted | q(accepted_at__isnull=True),
        ),
    }
    open_ = rows.filter(q(status__in=_OPEN))
    if holds_open:
        if window.received_span.days or window.received_span.edges:
            # Both counters are of late cases only: the open cases past their current
            # deadline, through the partial index case_open_current_due, not the backlog.
            columns = {name: _zero() for name in names}
            columns.update(now_columns)
            late = open_.filter(overdue_q(window.now, p))
            branches.append((late.filter(received) if received else late, columns))
    elif window.received_span.days or window.received_span.edges or window.due_span.days:
        # Open cases: the backlog, read through the partial index case_open_scope however
        # large the case table grows; overdue and "still waiting" depend on now anyway.
        columns = {name: _zero() for name in names}
        columns.update(received_columns(received or None))
        columns.update(due_columns(due or None))
        columns["open"] = count(received or None)
        columns.update(now_columns)
        if received and due:
            open_ = open_.filter(received | due)
        branches.append((open_, columns))
    return branches


def _grouped(branches, group: dict, names) -> list:
    """Querysets yielding the `group` columns then `names`, each aggregated by group."""
    result = []
    for branch in branches:
        if branch is None:
            continue
        rows, columns = branch
        aliases = {f"g_{key}": value for key, value in group.items()}
        sums = {f"k_{name}": columns[name] for name in names}
        result.append(rows.annotate(**aliases).values(*aliases).annotate(**sums).order_by())
    return result


def _sum_union(querysets, group, names, *, order_by: str = "", limit: int | None = None, wrap=None):
    """Add up the rows of `querysets` by group in one statement; rows as dicts keyed by
    the group and column names without their g_/k_ prefix. `wrap(sql)` may put the sums
    inside a larger statement (to join names to ids after grouping, not before)."""
    qn = connection.ops.quote_name
    group_cols = [qn(f"g_{key}") for key in group]
    value_cols = [qn(f"k_{name}") for name in names]
    parts, params = [], []
    for index, queryset in enumerate(querysets):
        try:
            sql, branch_params = queryset.query.sql_with_params()
        except EmptyResultSet:
            continue
        columns = ", ".join([*group_cols, *value_cols])
        parts.append(f"SELECT {columns} FROM ({sql}) {qn(f'b{index}')}")
        params.extend(branch_params)
    if not parts:
        return []
    select = [*group_cols, *(f"SUM({col}) AS {col}" for col in value_cols)]
    sql = f"SELECT {', '.join(select)} FROM ({' UNION ALL '.join(parts)}) {qn('u')}"
    if group_cols:
        sql += f" GROUP BY {', '.join(group_cols)}"
    if order_by:
        sql += f" ORDER BY {order_by}"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    if wrap is not None:
        sql = wrap(sql)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        labels = [column[0][2:] for column in cursor.description]
        return [dict(zip(labels, row, strict=True)) for row in cursor.fetchall()]


def _region_rows(
    region: Region, window: _Window, config: dict, group: dict, depth_path: str
) -> list[dict]:
    """`depth_path`: the deepest path the answer tells apart (the region's, or its
    children's): the coarsest rollup that is fine enough answers."""
    model = _area_rollup(depth_path)
    rollups = model.objects.filter(region_path__startswith=region.path)
    cases = Case.objects.filter(region_path__startswith=region.path)
    branches = [
        _rollup_branch(rollups, window, config, None),
        *_case_branches(cases, "", window, config, None, model in HOLDS_OPEN),
    ]
    return _sum_union(_grouped(branches, group, _COLUMNS), group, _COLUMNS)


def _area_rollup(depth_path: str):
    """The coarsest rollup that tells the paths down to `depth_path` apart."""
    if covers(depth_path, DISTRICT_LEVEL):
        return DistrictDailyRollup
    if covers(depth_path, AREA_LEVEL):
        return AreaDailyRollup
    return DailyRollup


def _figures(cls, row: dict | None, config: dict, **identity) -> Figures:
    row = row or {}
    # int(): PostgreSQL sums integers as numeric.
    counts = {name: int(row.get(name) or 0) for name in _COUNTED}
    counts["response_base"] = int(row.get("accepted") or 0) + int(row.get("waiting") or 0)
    extra = {
        name: int(row.get(name) or 0) for name in ("assigned", "returned") if cls is UnitFigures
    }
    handled = int(row.get("handled") or 0)
    hours = float(row.get("handling_us") or 0) / handled / 3_600_000_000 if handled else None
    return cls(
        **identity,
        **counts,
        **extra,
        avg_handling_hours=hours,
        basically_satisfied_weight=config["basically_satisfied_weight"],
    )


_TOTAL = {"all": Value(1, output_field=IntegerField())}


def region_figures(
    region: Region, start: datetime | None, end: datetime | None, *, now: datetime | None = None
) -> Figures:
    """The figures of a region's subtree for cases received in [start, end). One query."""
    config = metrics_settings()
    rows = _region_rows(region, _window(start, end, now), config, _TOTAL, region.path)
    return _figures(Figures, rows[0] if rows else None, config, **_identity(region))


def child_region_figures(
    region: Region, start: datetime | None, end: datetime | None, *, now: datetime | None = None
) -> list[Figures]:
    """One row per child region (the streets of a district, the communities of a street),
    in path order, every child listed even with no case. Cases placed on `region` itself,
    below no child, are in region_figures but in no row here.

    Two queries: the children, then the rollups and cases grouped by the child path they
    start with.
    """
    return region_and_child_figures(region, start, end, now=now)[1]


def region_and_child_figures(
    region: Region, start: datetime | None, end: datetime | None, *, now: datetime | None = None
) -> tuple[Figures, list[Figures]]:
    """region_figures and child_region_figures together, from the same grouped rows: the
    region's figures are the sum of every group, its children's and its own cases'. Two
    queries (one when the region has no children)."""
    children = list(Region.objects.filter(parent=region).order_by("path"))
    if not children:
        return region_figures(region, start, end, now=now), []
    config = metrics_settings()
    window = _window(start, end, now)
    rows: dict[str, dict] = {}
    total: dict | None = None
    # Children of one parent sit on one level, so their paths share a length; a tree that
    # mixes levels under one parent costs a query per length, still not one per child.
    for length in sorted({len(child.path) for child in children}):
        group = {"child": Substr("region_path", 1, length)}
        found = _region_rows(region, window, config, group, "-" * length)
        rows.update({row["child"]: row for row in found})
        if total is None:
            # Every query covers all of the region's cases: the first one's groups add up.
            total = _added(found)
    region_row = _figures(Figures, total, config, **_identity(region))
    child_rows = [
        _figures(Figures, rows.get(child.path), config, **_identity(child)) for child in children
    ]
    return region_row, child_rows


def area_figures(
    root: Region,
    length: int,
    start: datetime | None,
    end: datetime | None,
    *,
    now: datetime | None = None,
) -> dict[str, Figures]:
    """The figures of every area under `root` whose paths are `length` long (all its
    communities, say), keyed by path; an area with no case has no entry. One query."""
    config = metrics_settings()
    group = {"area": Substr("region_path", 1, length)}
    rows = _region_rows(root, _window(start, end, now), config, group, "-" * length)
    return {
        row["area"]: _figures(Figures, row, config, kind="", code="", name="")
        for row in rows
        if len(row["area"] or "") == length
    }


def _added(rows: list[dict]) -> dict:
    total: dict = {}
    for row in rows:
        for name, value in row.items():
            if name != "child" and value is not None:
                total[name] = total.get(name, 0) + value
    return total


def _identity(region: Region) -> dict:
    return {"kind": region.level, "code": region.code, "name": region.name}


_UNIT = {"department_id": F("department_id"), "office_id": F("office_id")}


def _unit_names(sql: str) -> str:
    # Names are joined to the summed rows, not grouped by in every branch: grouping
    # hundreds of thousands of rollup rows by text would sort them on disk.
    qn = connection.ops.quote_name
    department = qn(Department._meta.db_table)
    region = qn(Region._meta.db_table)
    return (
        f"SELECT s.*, d.{qn('code')} AS {qn('g_department_code')}, "
        f"d.{qn('name')} AS {qn('g_department_name')}, "
        f"r.{qn('code')} AS {qn('g_office_code')}, r.{qn('name')} AS {qn('g_office_name')} "
        f"FROM ({sql}) s "
        f"LEFT JOIN {department} d ON d.{qn('id')} = s.{qn('g_department_id')} "
        f"LEFT JOIN {region} r ON r.{qn('id')} = s.{qn('g_office_id')}"
    )


def unit_figures(
    start: datetime | None,
    end: datetime | None,
    region: Region | None = None,
    *,
    now: datetime | None = None,
    departments_only: bool = False,
) -> list[UnitFigures]:
    """One row per department and per office with an assignment on a case of the period,
    departments first, each kind by code (`departments_only`: the departments' rows). With
    `region`, only cases in its subtree count. One query."""
    if region is not None and not covers(region.path, UNIT_LEVEL):
        # Below a district the unit rollups are too coarse; such a subtree's cases are few.
        from gridgov.metrics.direct import direct_unit_figures

        rows = direct_unit_figures(start, end, region, now=now)
        return [r for r in rows if r.kind == "department"] if departments_only else rows
    config = metrics_settings()
    window = _window(start, end, now)
    rollups = UnitDailyRollup.objects.all()
    assignments = Assignment.objects.all()
    if departments_only:
        # Offices (every street and community) are most of the units of a large city.
        rollups = rollups.filter(department__isnull=False)
        assignments = assignments.filter(department__isnull=False)
    if region is not None:
        rollups = rollups.filter(region_path__startswith=region.path)
        assignments = assignments.filter(case__region_path__startswith=region.path)
    attributed = Q(state__in=HOLDING_STATES, role__in=config["unit_roles"])
    branches = [
        _rollup_branch(rollups, window, config, role_masks(config["unit_roles"])),
        *_case_branches(assignments, "case__", window, config, attributed, holds_open=True),
    ]
    rows = _sum_union(
        _grouped(branches, _UNIT, _UNIT_COLUMNS), _UNIT, _UNIT_COLUMNS, wrap=_unit_names
    )
    return _unit_rows(rows, config)


def _unit_rows(rows, config: dict, to_figures=None) -> list[UnitFigures]:
    """UnitFigures from rows carrying department_id, department_code, department_name,
    office_code and office_name: departments first, each kind by code. `to_figures` reads
    a row's counts (default: this module's union rows)."""
    to_figures = to_figures or _figures
    result = []
    for row in rows:
        if row["department_id"] is not None:
            identity = {
                "kind": "department",
                "code": row["department_code"],
                "name": row["department_name"],
            }
        else:
            identity = {"kind": "office", "code": row["office_code"], "name": row["office_name"]}
        result.append(to_figures(UnitFigures, row, config, **identity))
    # Only due-cohort cases of a unit's past assignments can reach a row with nothing in it.
    return sorted(
        (r for r in result if r.assigned or r.received or r.due),
        key=lambda r: (r.kind != "department", r.code),
    )


# --- counts for the dashboard ------------------------------------------------------


def received_counts(
    region: Region, start: datetime, end: datetime, by: str, limit: int
) -> list[tuple]:
    """The cases received in [start, end) under `region`, counted by category name
    ("category"; cases with no category left out) or by grid id ("grid"; cases placed on
    a grid), most first, at most `limit` rows: [(name or id, count)]. One query."""
    span = _span(start, end)
    rollups = DailyRollup.objects.filter(region_path__startswith=region.path)
    cases = Case.objects.filter(region_path__startswith=region.path)
    if by == "category":
        group = {"key": F("category__name")}
        if covers(region.path, DISTRICT_LEVEL):
            rollups = CategoryDailyRollup.objects.filter(region_path__startswith=region.path)
        rollups = rollups.filter(category__isnull=False)
        cases = cases.filter(category__isnull=False)
    else:
        group = {"key": F("region_id")}
        rollups = rollups.filter(region__level=Level.GRID)
        cases = cases.filter(region__level=Level.GRID)
    holds_open = rollups.model in HOLDS_OPEN
    branches = []
    days = span.days_q()
    if days is not None:
        # Rows holding only due or closed counts would list a group with nothing received.
        rows = rollups.filter(days, received__gt=0)
        branches.append((rows, {"count": Sum("received")}))
    edges = span.edges_q("received_at")
    if edges is not None:
        rolled_up = cases if holds_open else cases.filter(status__in=_FINAL)
        branches.append((rolled_up.filter(edges), {"count": Count("pk")}))
    if not holds_open and (span.days or span.edges):
        opened = cases.filter(_between("received_at", start, end), status__in=_OPEN)
        branches.append((opened, {"count": Count("pk")}))
    qn = connection.ops.quote_name
    rows = _sum_union(
        _grouped(branches, group, ["count"]),
        group,
        ["count"],
        order_by=f"{qn('k_count')} DESC, {qn('g_key')}",
        limit=limit,
    )
    return [(row["key"], int(row["count"])) for row in rows]


def daily_counts(region: Region, first: date, last: date) -> dict[date, tuple[int, int]]:
    """{day: (received, closed)} under `region` for the local days first..last, days with
    neither left out. One query: the rollups, plus, where they hold final cases only, the
    open ones by the day they were received (an open case has no closed_at: a reopen
    clears it)."""
    model = _area_rollup(region.path)
    rollups = model.objects.filter(
        region_path__startswith=region.path, day__gte=first, day__lte=last
    )
    branches = [(rollups, {"received": Sum("received"), "closed": Sum("closed_on_day")})]
    if model not in HOLDS_OPEN:
        opened = Case.objects.filter(
            region_path__startswith=region.path,
            status__in=_OPEN,
            received_at__gte=midnight(first),
            received_at__lt=midnight(last + timedelta(days=1)),
        )
        branches.append((opened, {"received": Count("pk"), "closed": _zero()}))
    group = [{"day": F("day")}, {"day": TruncDate("received_at")}]
    querysets = [
        _grouped([branch], day, ["received", "closed"])[0]
        for branch, day in zip(branches, group, strict=False)
    ]
    counts = {}
    for row in _sum_union(querysets, {"day": None}, ["received", "closed"]):
        day = row["day"]
        # SQLite hands dates back as text through a raw cursor.
        day = date.fromisoformat(day) if isinstance(day, str) else day
        pair = (int(row["received"] or 0), int(row["closed"] or 0))
        # Days with rows for their due cases only.
        if any(pair):
            counts[day] = pair
    return counts


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
