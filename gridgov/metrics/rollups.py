"""Daily rollups: what each case contributes, keeping them current, rebuilding and checking.

The fine tables (DailyRollup, AreaDailyRollup) hold only the cases whose loop is over
(FINAL_STATUSES: closed, rated, rejected, merged): a case enters them when it is closed,
rejected or merged and leaves them if reopened, and the open cases of a subtree that small
are read from the case table. The coarse tables (HOLDS_OPEN: district, category and unit
rollups) hold every case, under its current status, from intake on (`add_new`). Only what
depends on the clock — overdue, and dispatched cases still waiting past their accept
deadline — is always read from the open cases.

A case's contribution is a pure function of its row and its assignments (`contributions`),
so keeping the rollups current is: take the contribution before a transition, take it
after, add the difference — in the transition's transaction (`begin` … `Change.commit`).
`rebuild_days` recomputes a day range from the cases with grouped SQL; `check_days`
compares what is stored with that recomputation. See ROLLUPS.md.
"""

from collections import defaultdict
from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from types import SimpleNamespace

from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Func,
    Max,
    Min,
    Q,
    Sum,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from gridgov.cases.choices import (
    FINAL_STATUSES,
    HOLDING_STATES,
    AssignmentRole,
    AssignmentState,
    Satisfaction,
)
from gridgov.cases.models import Assignment, Case
from gridgov.metrics.models import (
    AreaDailyRollup,
    CategoryDailyRollup,
    DailyRollup,
    DistrictDailyRollup,
    UnitDailyRollup,
)
from gridgov.regions.choices import Level
from gridgov.regions.codes import segments

COHORT = (
    "received",
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
)
DUE = ("due", "closed_on_time")
COUNTERS = (*COHORT, *DUE, "closed_on_day")
UNIT_COUNTERS = (*COHORT, *DUE, "assigned", "returned")

REGION_KEY = ("day", "region_id", "region_path", "category_id", "status")
AREA_KEY = ("day", "region_path", "status")
CATEGORY_KEY = ("day", "region_path", "category_id")
CATEGORY_COUNTERS = ("received",)
UNIT_KEY = ("day", "department_id", "office_id", "region_path", "status", "roles")

# The coarser grains: AreaDailyRollup stops at communities; DistrictDailyRollup,
# CategoryDailyRollup and UnitDailyRollup at districts.
AREA_LEVEL = Level.COMMUNITY
DISTRICT_LEVEL = Level.DISTRICT
UNIT_LEVEL = Level.DISTRICT


def path_length(level: str) -> int:
    """The length of every region path at `level` (segments have fixed widths)."""
    total = 0
    for name, width in segments():
        total += width + 1
        if name == level:
            return total
    raise ValueError(level)


def covers(path: str, level: str) -> bool:
    """Whether a rollup stopping at `level` can answer for the subtree at `path`."""
    return len(path) <= path_length(level)


# Bits of UnitDailyRollup.roles: the active assignment roles a unit holds on a case.
ROLE_BITS = {AssignmentRole.PENDING: 1, AssignmentRole.LEAD: 2, AssignmentRole.ASSIST: 4}

CASE_FIELDS = (
    "pk",
    "region_id",
    "region_path",
    "category_id",
    "status",
    "received_at",
    "dispatched_at",
    "accepted_at",
    "accept_due_at",
    "extension_count",
    "rated_at",
    "solved",
    "satisfaction",
    "replied_at",
    "rework_count",
    "reopen_count",
    "due_at",
    "closed_at",
)
ASSIGNMENT_FIELDS = ("case_id", "department_id", "office_id", "role", "state")


def role_masks(roles: Iterable[str]) -> list[int]:
    """Every `roles` bitmask that includes at least one of `roles`."""
    wanted = 0
    for role in roles:
        wanted |= ROLE_BITS[role]
    return [mask for mask in range(1, 1 << len(ROLE_BITS)) if mask & wanted]


def local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# --- one case's contribution, in Python (the hook) ------------------------------------


def _cohort(c) -> dict[str, int]:
    """The received-day counters of one case; figures.py's docstring defines each."""
    dispatched = c.dispatched_at is not None
    accepted = dispatched and c.accepted_at is not None and c.accepted_at >= c.dispatched_at
    rated = c.rated_at is not None
    replied = c.replied_at is not None or c.rework_count > 0 or c.reopen_count > 0
    handled = dispatched and c.replied_at is not None
    return {
        "received": 1,
        "dispatched": int(dispatched),
        "accepted": int(accepted),
        "responded_on_time": int(
            accepted and c.accept_due_at is not None and c.accepted_at <= c.accept_due_at
        ),
        "extended": int(dispatched and c.extension_count > 0),
        "rated": int(rated),
        "solved": int(rated and c.solved is True),
        "satisfied": int(rated and c.satisfaction == Satisfaction.SATISFIED),
        "basically_satisfied": int(rated and c.satisfaction == Satisfaction.BASICALLY_SATISFIED),
        "replied": int(replied),
        "reworked": int(replied and c.rework_count > 0),
        "handled": int(handled),
        "handling_us": (c.replied_at - c.dispatched_at) // timedelta(microseconds=1)
        if handled
        else 0,
    }


def _due(c) -> dict[str, int]:
    return {"due": 1, "closed_on_time": int(c.closed_at is not None and c.closed_at <= c.due_at)}


def _add(target: dict, key: tuple, counters: dict) -> None:
    row = target[key]
    for name, value in counters.items():
        if value:
            row[name] = row.get(name, 0) + value


def contributions(cases, assignments) -> tuple[dict, ...]:
    """{key: {counter: value}} for each table of TABLES, in its order, summed over `cases`
    (objects with CASE_FIELDS) given all their `assignments` (objects with
    ASSIGNMENT_FIELDS): the final cases for the tables that hold only those, every case
    for the others (HOLDS_OPEN)."""
    region: dict = defaultdict(dict)
    unit: dict = defaultdict(dict)
    unit_length = path_length(UNIT_LEVEL)
    units_of = defaultdict(dict)  # case pk → {(department_id, office_id): [roles, returned]}
    for a in assignments:
        held = units_of[a.case_id].setdefault((a.department_id, a.office_id), [0, 0])
        if a.state in HOLDING_STATES:
            held[0] |= ROLE_BITS[a.role]
        elif a.state == AssignmentState.RETURNED:
            held[1] += 1
    for c in cases:
        place = (c.region_id, c.region_path, c.category_id, c.status)
        cohort = _cohort(c)
        received_day = local_day(c.received_at)
        _add(region, (received_day, *place), cohort)
        due = _due(c) if c.due_at is not None else None
        due_day = local_day(c.due_at) if due else None
        if due:
            _add(region, (due_day, *place), due)
        if c.closed_at is not None:
            _add(region, (local_day(c.closed_at), *place), {"closed_on_day": 1})
        for (department_id, office_id), (roles, returned) in units_of[c.pk].items():
            who = (department_id, office_id, c.region_path[:unit_length], c.status, roles)
            _add(unit, (received_day, *who), {**cohort, "assigned": 1, "returned": returned})
            if due:
                _add(unit, (due_day, *who), due)
    return _coarser(region) + (unit,)


def _coarser(region: dict) -> tuple[dict, ...]:
    """DailyRollup keys of every case, summed up to each table's keys in TABLES order
    (less UnitDailyRollup): final cases only where the table holds only those."""
    final = {key: counters for key, counters in region.items() if key[-1] in FINAL_STATUSES}
    return (
        final,
        _areas(final, path_length(AREA_LEVEL)),
        _areas(region, path_length(DISTRICT_LEVEL)),
        _categories(region, path_length(DISTRICT_LEVEL)),
    )


def _areas(region: dict, length: int) -> dict:
    """DailyRollup keys summed over the categories, up to paths of `length`."""
    area: dict = defaultdict(dict)
    for (day, _region_id, path, _category_id, status), counters in region.items():
        _add(area, (day, path[:length], status), counters)
    return area


def _categories(region: dict, length: int) -> dict:
    """DailyRollup `received` summed over the statuses, up to paths of `length`."""
    categories: dict = defaultdict(dict)
    for (day, _region_id, path, category_id, _status), counters in region.items():
        if category_id is not None and counters.get("received"):
            _add(categories, (day, path[:length], category_id), {"received": counters["received"]})
    return categories


def _load(case_ids) -> tuple[list, list]:
    cases = [
        SimpleNamespace(**row) for row in Case.objects.filter(pk__in=case_ids).values(*CASE_FIELDS)
    ]
    return cases, _assignments(case_ids)


def _assignments(case_ids) -> list:
    rows = Assignment.objects.filter(case_id__in=case_ids).values(*ASSIGNMENT_FIELDS)
    return [SimpleNamespace(**row) for row in rows.order_by()]


# --- keeping them current -----------------------------------------------------------


# Set while history is loaded in bulk (deferred()): the hook writes nothing.
_deferred = ContextVar("rollups_deferred", default=False)


@contextmanager
def deferred():
    """Keep no rollup current inside the block, then rebuild every day the cases touch.

    For loading history in bulk (the demo's 5,000 simulated cases): a set-based rebuild
    costs a fraction of updating a few rows at every one of some 40,000 transitions. Call
    it inside a transaction, so that nobody sees the cases without their rollups."""
    token = _deferred.set(True)
    try:
        yield
    finally:
        _deferred.reset(token)
        span = case_days()
        if span is not None:
            rebuild_days(span[0], span[1] + timedelta(days=1))


@dataclass
class Change:
    """The contributions of a case (and its merged duplicates, which a close also
    touches) before a transition; `commit` writes the difference to after it."""

    case: Case
    duplicate_ids: list[int]
    before: tuple = ()

    def commit(self) -> None:
        if _deferred.get():
            return
        after = contributions(*_load([self.case.pk, *self.duplicate_ids]))
        before = self.before or tuple({} for _table in TABLES)
        for (model, key_fields, counters), new, old in zip(TABLES, after, before, strict=True):
            _apply(model, key_fields, counters, _difference(new, old))


def begin(case: Case) -> Change:
    """Call inside the transaction, with the case row locked, before changing it."""
    if _deferred.get():
        return Change(case, [])
    duplicates = [
        SimpleNamespace(**row)
        for row in Case.objects.filter(master_id=case.pk).values(*CASE_FIELDS).order_by()
    ]
    cases = [case, *duplicates]
    change = Change(case, [d.pk for d in duplicates])
    change.before = contributions(cases, _assignments([c.pk for c in cases]))
    return change


def add_new(cases) -> None:
    """Add the contributions of cases just taken in (no assignments yet): call in the
    intake's transaction, before the case number, so that the rows the intakes of a day
    share stay locked as briefly as the number is."""
    for (model, key_fields, counters), delta in zip(TABLES, contributions(cases, []), strict=True):
        _apply(model, key_fields, counters, delta)


def _difference(after: dict, before: dict) -> dict:
    delta = {}
    for key in after.keys() | before.keys():
        new, old = after.get(key, {}), before.get(key, {})
        changed = {n: new.get(n, 0) - old.get(n, 0) for n in new.keys() | old.keys()}
        changed = {n: v for n, v in changed.items() if v}
        if changed:
            delta[key] = changed
    return delta


@dataclass(frozen=True)
class _Sql:
    """What the hook's statements on one table are made of, worked out once per table."""

    table: str
    pk: str
    keys: list  # the key fields, in key order
    counters: dict  # counter name → quoted column
    inserted: list  # every column an INSERT fills (the model has no database defaults)
    all_zero: str


@cache
def _sql(model, key_fields, counters, vendor: str) -> _Sql:
    # `vendor` is part of the cache key only: the quoting is the backend's.
    qn = connection.ops.quote_name
    meta = model._meta
    columns = {name: qn(meta.get_field(name).column) for name in counters}
    return _Sql(
        table=qn(meta.db_table),
        pk=qn(meta.pk.column),
        keys=[meta.get_field(name) for name in key_fields],
        counters=columns,
        inserted=[field for field in meta.concrete_fields if not field.primary_key],
        all_zero=" AND ".join(f"{column} = 0" for column in columns.values()),
    )


def _apply(model, key_fields, counters, delta: dict) -> None:
    """Add each key's changes to its row, creating or (once empty) deleting it.

    Plain SQL, since this runs for every table at every transition: built through the ORM,
    these few statements cost more Python than the rest of a transition."""
    if not delta:
        return
    qn = connection.ops.quote_name
    sql = _sql(model, key_fields, counters, connection.vendor)
    with connection.cursor() as cursor:
        # A fixed order, so two transactions touching the same rows lock them in the same
        # order and cannot deadlock.
        for key in sorted(delta, key=repr):
            values = [
                field.get_db_prep_value(value, connection)
                for field, value in zip(sql.keys, key, strict=True)
            ]
            match = " AND ".join(
                f"{qn(field.column)} IS NULL" if value is None else f"{qn(field.column)} = %s"
                for field, value in zip(sql.keys, values, strict=True)
            )
            match_params = [value for value in values if value is not None]
            change = delta[key]
            assignments = ", ".join(f"{sql.counters[n]} = {sql.counters[n]} + %s" for n in change)
            # One row only: if two transactions ever inserted the same key, both rows are
            # valid summands and adding the delta to each would count it twice.
            cursor.execute(
                f"UPDATE {sql.table} SET {assignments} WHERE {sql.pk} = "
                f"(SELECT {sql.pk} FROM {sql.table} WHERE {match} ORDER BY {sql.pk} LIMIT 1)",
                [*change.values(), *match_params],
            )
            if cursor.rowcount == 0:
                # Key fields are named by attname (category_id), counters by name, which
                # for them is the attname; a counter this table's hook does not keep gets
                # the field's default, as Django would give it.
                given = dict(zip(key_fields, values, strict=True)) | change
                row = [given.get(f.attname, f.get_default()) for f in sql.inserted]
                cursor.execute(
                    f"INSERT INTO {sql.table} ({', '.join(qn(f.column) for f in sql.inserted)}) "
                    f"VALUES ({', '.join(['%s'] * len(row))})",
                    row,
                )
            elif any(value < 0 for value in change.values()):
                # A case leaving a key (most often: changing status) would otherwise leave a
                # row of zeros behind for every status it passed through.
                cursor.execute(
                    f"DELETE FROM {sql.table} WHERE {match} AND {sql.all_zero}", match_params
                )


# --- recomputing from the cases, set-based ---------------------------------------------


class Microseconds(Func):
    """later − earlier in whole microseconds, in the database."""

    output_field = BigIntegerField()

    def __init__(self, later: str, earlier: str, **extra):
        difference = ExpressionWrapper(F(later) - F(earlier), output_field=DurationField())
        super().__init__(difference, **extra)

    def as_sql(self, compiler, connection, **extra):
        # SQLite's duration arithmetic (django_timestamp_diff) is in microseconds already.
        return super().as_sql(compiler, connection, template="%(expressions)s", **extra)

    def as_postgresql(self, compiler, connection, **extra):
        return super().as_sql(
            compiler,
            connection,
            template="CAST(EXTRACT(EPOCH FROM %(expressions)s) * 1000000 AS bigint)",
            **extra,
        )


def cohort_conditions(p: str = "") -> dict[str, Q | None]:
    """The SQL twin of _cohort: the condition each received-day counter counts (None: every
    row), over cases reached by prefix `p`."""

    def q(**lookups):
        return Q(**{p + k: v for k, v in lookups.items()})

    dispatched = q(dispatched_at__isnull=False)
    accepted = dispatched & q(accepted_at__gte=F(f"{p}dispatched_at"))
    rated = q(rated_at__isnull=False)
    replied = q(replied_at__isnull=False) | q(rework_count__gt=0) | q(reopen_count__gt=0)
    return {
        "received": None,
        "dispatched": dispatched,
        "accepted": accepted,
        "responded_on_time": accepted & q(accepted_at__lte=F(f"{p}accept_due_at")),
        "extended": dispatched & q(extension_count__gt=0),
        "rated": rated,
        "solved": rated & q(solved=True),
        "satisfied": rated & q(satisfaction=Satisfaction.SATISFIED),
        "basically_satisfied": rated & q(satisfaction=Satisfaction.BASICALLY_SATISFIED),
        "replied": replied,
        "reworked": replied & q(rework_count__gt=0),
        "handled": dispatched & q(replied_at__isnull=False),
    }


def handling_sum(p: str = "", condition: Q | None = None, **extra):
    handled = cohort_conditions(p)["handled"]
    return Sum(
        Microseconds(f"{p}replied_at", f"{p}dispatched_at"),
        filter=handled if condition is None else handled & condition,
        **extra,
    )


def _between(field_name: str, lo: datetime, hi: datetime) -> Q:
    return Q(**{f"{field_name}__gte": lo, f"{field_name}__lt": hi})


def compute_region(first: date, last: date) -> dict:
    """DailyRollup keys of every case (open ones too, for the tables that hold them) for
    the days [first, last), recomputed with grouped SQL."""
    lo, hi = midnight(first), midnight(last)
    key = ["region_id", "region_path", "category_id", "status"]
    result: dict = defaultdict(dict)

    def grouped(moment: str, **aggregates):
        rows = (
            Case.objects.filter(_between(moment, lo, hi))
            .annotate(rollup_day=TruncDate(moment))
            .values("rollup_day", *key)
            .annotate(**aggregates)
            .order_by()
        )
        for row in rows:
            counters = {name[2:]: row[name] for name in aggregates}
            _add(result, (row["rollup_day"], *(row[k] for k in key)), counters)

    cohort = {
        f"n_{name}": Count("pk", filter=condition)
        for name, condition in cohort_conditions().items()
    }
    grouped("received_at", **cohort, n_handling_us=handling_sum())
    grouped(
        "due_at",
        n_due=Count("pk"),
        n_closed_on_time=Count("pk", filter=Q(closed_at__lte=F("due_at"))),
    )
    grouped("closed_at", n_closed_on_day=Count("pk"))
    return _drop_empty(result)


def compute_units(first: date, last: date) -> dict:
    """UnitDailyRollup rows for the days [first, last): the cases received or due in them,
    read in bulk and summed with `contributions` (a unit's roles on a case are a set
    over its assignments, which grouped SQL cannot express portably)."""
    lo, hi = midnight(first), midnight(last)
    touching = _between("received_at", lo, hi) | _between("due_at", lo, hi)
    cases = [
        SimpleNamespace(**row)
        for row in Case.objects.filter(touching).values(*CASE_FIELDS).order_by()
    ]
    assignments = [
        SimpleNamespace(**row)
        for row in Assignment.objects.filter(case__in=Case.objects.filter(touching))
        .values(*ASSIGNMENT_FIELDS)
        .order_by()
    ]
    unit = contributions(cases, assignments)[-1]
    return _drop_empty({k: v for k, v in unit.items() if first <= k[0] < last})


def compute(first: date, last: date) -> tuple[dict, ...]:
    """The rows of the tables for the days [first, last), in TABLES order."""
    coarser = tuple(_drop_empty(rows) for rows in _coarser(compute_region(first, last)))
    return coarser + (compute_units(first, last),)


def _drop_empty(rows: dict) -> dict:
    return {key: counters for key, counters in rows.items() if any(counters.values())}


def stored(model, key_fields, counters, first: date, last: date) -> dict:
    """What the table holds for the days [first, last), one entry per key."""
    rows = (
        model.objects.filter(day__gte=first, day__lt=last)
        .values(*key_fields)
        .annotate(**{f"n_{name}": Sum(name) for name in counters})
        .order_by()
    )
    result = {}
    for row in rows:
        values = {name: row[f"n_{name}"] for name in counters if row[f"n_{name}"]}
        if values:
            result[tuple(row[k] for k in key_fields)] = values
    return result


# In the order `contributions` returns them.
TABLES = (
    (DailyRollup, REGION_KEY, COUNTERS),
    (AreaDailyRollup, AREA_KEY, COUNTERS),
    (DistrictDailyRollup, AREA_KEY, COUNTERS),
    (CategoryDailyRollup, CATEGORY_KEY, CATEGORY_COUNTERS),
    (UnitDailyRollup, UNIT_KEY, UNIT_COUNTERS),
)
# The tables that hold open cases too. The coarse ones do: a city's backlog is too large to
# read live on every figure, and a transition between open states touches a few of their
# rows. The fine ones read the open cases of their (small) subtree live instead, so that
# intake and every transition do not also update a row per grid and category.
HOLDS_OPEN = frozenset({DistrictDailyRollup, CategoryDailyRollup, UnitDailyRollup})


def _lock(model) -> None:
    # Hooks add deltas to rows they find; while a day range is deleted and rewritten they
    # must wait, then add their change to the rebuilt rows (which read the case as it was
    # before their still-uncommitted transaction). SQLite has one writer at a time anyway.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"LOCK TABLE {connection.ops.quote_name(model._meta.db_table)} "
                "IN SHARE ROW EXCLUSIVE MODE"
            )


def rebuild_days(first: date, last: date) -> int:
    """Replace the rollups of the days [first, last) by a recomputation; rows written."""
    written = 0
    with transaction.atomic():
        for model, _key_fields, _counters in TABLES:
            _lock(model)
        for (model, key_fields, _counters), rows in zip(TABLES, compute(first, last), strict=True):
            model.objects.filter(day__gte=first, day__lt=last).delete()
            model.objects.bulk_create(
                (model(**dict(zip(key_fields, key, strict=True)), **c) for key, c in rows.items()),
                batch_size=2000,
            )
            written += len(rows)
    return written


@dataclass(frozen=True)
class Difference:
    table: str
    key: tuple
    counter: str
    stored: int
    expected: int


def check_days(first: date, last: date) -> list[Difference]:
    """Every counter of the days [first, last) where the table and a recomputation differ."""
    found = []
    for (model, key_fields, counters), expected in zip(TABLES, compute(first, last), strict=True):
        have = stored(model, key_fields, counters, first, last)
        for key in sorted(expected.keys() | have.keys(), key=repr):
            mine, theirs = have.get(key, {}), expected.get(key, {})
            for name in counters:
                if mine.get(name, 0) != theirs.get(name, 0):
                    found.append(
                        Difference(
                            model._meta.db_table,
                            key,
                            name,
                            mine.get(name, 0),
                            theirs.get(name, 0),
                        )
                    )
    return found


def case_days() -> tuple[date, date] | None:
    """The first and last day any case touches (received, due or closed), or None."""
    span = Case.objects.aggregate(
        r0=Min("received_at"),
        r1=Max("received_at"),
        d0=Min("due_at"),
        d1=Max("due_at"),
        c0=Min("closed_at"),
        c1=Max("closed_at"),
    )
    firsts = [span[k] for k in ("r0", "d0", "c0") if span[k]]
    lasts = [span[k] for k in ("r1", "d1", "c1") if span[k]]
    if not firsts:
        return None
    return local_day(min(firsts)), local_day(max(lasts))
