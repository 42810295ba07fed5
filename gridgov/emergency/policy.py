"""The rules in force, as data: a policy version's `rules` JSON, checked and parsed into
frozen dataclasses that the rules engine (rules.py) evaluates.

Every key is required, at every level: a policy is explicit, so that every decision can
say which number it applied, and an administrator starts from `default_rules()` (what a
city applied in 2022) rather than from an empty form. Unknown keys are refused too, as
a misspelt key would otherwise be a rule silently not applied. `parse()` reports every
problem it finds at once, each message naming its place in the JSON, in a
`PolicyError`; a policy that contradicts itself is refused the same way and nothing is
saved.

The rules JSON::

    {
      "report_within_hours": 12,
      "measures": [
        {"origin_risk": "high", "from_days": 0, "within_days": 7,
         "measure": "central_quarantine", "days": 7, "counted_from": "departure",
         "tests_on_days": [1, 4, 7]},
        ...
      ],
      "tasks": {
        "central_quarantine": [{"task": "transfer", "within_hours": 2}],
        "home_quarantine": [{"task": "home_visit", "within_hours": 12},
                            {"task": "door_seal", "within_hours": 24},
                            {"task": "daily_check", "every_day": true}],
        ...
      },
      "downgrade": {"high_to_medium_days": 14, "medium_to_low_days": 7,
                    "low_lifted_days": 7},
      "certification": {"days_without_case": 14,
                        "required_measures": ["closed_management", ...],
                        "higher_level_share": 1.0}
    }

report_within_hours
    An arrival reported more than this many hours after it arrived is flagged late.
measures
    One rule per origin risk level (high, medium, low) and window of departure. A rule
    applies to someone who left an area of that level `d` days before arriving (calendar
    days, local time) with from_days <= d < within_days: "within the last 7 days" is
    the arrival day and the six before it, as a departure 7 days before arrival is a
    week ago. Most policies have from_days 0 and one rule per level; tiers (0-7 days
    central quarantine, 7-14 days health monitoring) are rules with adjoining windows.
    The measure lasts `days` days counted from departure or arrival: day 0 is that day
    itself (as the last exposure is day 0 in epidemiology), day N the measure's last
    day. A test task falls due at the end of each day listed in tests_on_days.
    Levels without a rule and departures outside every window call for no measure.
tasks
    For each measure kind the rules use, the tasks it gives the grid: due within_hours
    hours after the report, or one every day of the measure (every_day: true, due
    20:00). Tests are not listed here: they come from tests_on_days.
downgrade
    Days without a new case after which a high-risk area is proposed for medium, a
    medium one for low, and a low one for lifting.
certification
    Epidemic-free status: days_without_case consecutive days without a new confirmed
    case, suspected case or close contact, the measures attested; a higher level
    qualifies when at least higher_level_share of the areas under it are certified.

Contradictions refused: two rules for one level whose windows overlap; a lower level
calling for a measure where a higher level has none, a stricter one, or a longer one,
for the same days since departure (durations compare as numbers of days, whatever they
count from); a measure counted from departure that has always ended by the arrival its
window allows; a test day outside the measure; a task list for a measure no rule calls
for or a measure without one.
"""

import copy
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.translation import gettext as _

from gridgov.emergency.choices import (
    LEVEL_RANK,
    MEASURE_RANK,
    CertificationMeasure,
    CountedFrom,
    MeasureKind,
    RiskLevel,
    TaskKind,
)

MAX_WINDOW_DAYS = 60
MAX_MEASURE_DAYS = 60
MAX_HOURS = 720
MAX_AREA_DAYS = 365

DEFAULT_RULES = {
    "report_within_hours": 12,
    "measures": [
        {
            "origin_risk": "high",
            "from_days": 0,
            "within_days": 7,
            "measure": "central_quarantine",
            "days": 7,
            "counted_from": "departure",
            "tests_on_days": [1, 4, 7],
        },
        {
            "origin_risk": "medium",
            "from_days": 0,
            "within_days": 7,
            "measure": "home_quarantine",
            "days": 7,
            "counted_from": "departure",
            "tests_on_days": [1, 7],
        },
        {
            "origin_risk": "low",
            "from_days": 0,
            "within_days": 7,
            "measure": "health_monitoring",
            "days": 3,
            "counted_from": "arrival",
            "tests_on_days": [1, 3],
        },
    ],
    "tasks": {
        "central_quarantine": [{"task": "transfer", "within_hours": 2}],
        "home_quarantine": [
            {"task": "home_visit", "within_hours": 12},
            {"task": "door_seal", "within_hours": 24},
            {"task": "daily_check", "every_day": True},
        ],
        "health_monitoring": [
            {"task": "home_visit", "within_hours": 12},
            {"task": "daily_check", "every_day": True},
        ],
    },
    "downgrade": {"high_to_medium_days": 14, "medium_to_low_days": 7, "low_lifted_days": 7},
    "certification": {
        "days_without_case": 14,
        "required_measures": [
            "closed_management",
            "screening",
            "disinfection",
            "supplies",
            "order",
            "communication",
        ],
        "higher_level_share": 1.0,
    },
}

AREA_LEVELS = (RiskLevel.HIGH.value, RiskLevel.MEDIUM.value, RiskLevel.LOW.value)


def default_rules() -> dict:
    """A fresh copy of DEFAULT_RULES, safe to edit."""
    return copy.deepcopy(DEFAULT_RULES)


class PolicyError(ValueError):
    """The rules are malformed or contradict themselves; `messages` names each problem."""

    def __init__(self, messages: list[str]):
        self.messages = list(messages)
        super().__init__("\n".join(self.messages))


@dataclass(frozen=True, slots=True)
class MeasureRule:
    origin_risk: str
    from_days: int
    within_days: int
    measure: str
    days: int
    counted_from: str
    tests_on_days: tuple[int, ...]
    path: str  # "measures[0]", for messages that name the rule

    def applies(self, days_since_departure: int) -> bool:
        return self.from_days <= days_since_departure < self.within_days


@dataclass(frozen=True, slots=True)
class TaskRule:
    task: str
    within_hours: int | None  # None for a task due every day
    every_day: bool


@dataclass(frozen=True, slots=True)
class DowngradeRule:
    high_to_medium_days: int
    medium_to_low_days: int
    low_lifted_days: int

    def days_at(self, level: str) -> int | None:
        """Days without a new case after which an area at `level` goes a level down."""
        return {
            RiskLevel.HIGH: self.high_to_medium_days,
            RiskLevel.MEDIUM: self.medium_to_low_days,
            RiskLevel.LOW: self.low_lifted_days,
        }.get(level)


@dataclass(frozen=True, slots=True)
class CertificationRule:
    days_without_case: int
    required_measures: tuple[str, ...]
    higher_level_share: float


@dataclass(frozen=True, slots=True)
class Policy:
    report_within_hours: int
    measures: tuple[MeasureRule, ...]
    # A plain dict, not a read-only proxy: a Policy must survive deepcopy and pickle (test
    # data and caches copy model instances that hold one). Treat it as read-only.
    tasks: Mapping[str, tuple[TaskRule, ...]]
    downgrade: DowngradeRule
    certification: CertificationRule

    def rule_for(self, level: str, days_since_departure: int) -> MeasureRule | None:
        for rule in self.measures:
            if rule.origin_risk == level and rule.applies(days_since_departure):
                return rule
        return None


# --- reading ---------------------------------------------------------------------------

_MISSING = object()


class _Reader:
    """Collects every problem with its path instead of stopping at the first, so that an
    administrator fixes the whole policy in one go."""

    def __init__(self):
        self.errors: list[str] = []

    def error(self, message: str) -> None:
        self.errors.append(message)

    def mapping(self, value, path: str, keys: tuple[str, ...]) -> dict | None:
        if not isinstance(value, dict):
            self.error(_("%(path)s must be an object.") % {"path": path})
            return None
        for key in value:
            if key not in keys:
                self.error(
                    _("%(path)s is not a known key; expected one of: %(keys)s.")
                    % {"path": _join(path, key), "keys": ", ".join(keys)}
                )
        return value

    def get(self, mapping: dict, path: str, key: str):
        value = mapping.get(key, _MISSING)
        if value is _MISSING:
            self.error(_("%(path)s is missing.") % {"path": _join(path, key)})
        return value

    def whole(self, value, path: str, low: int, high: int) -> int | None:
        if value is _MISSING:
            return None
        # bool is an int in Python but `true` is no number of days.
        if type(value) is not int or not low <= value <= high:
            self.error(
                _("%(path)s must be a whole number from %(min)s to %(max)s.")
                % {"path": path, "min": low, "max": high}
            )
            return None
        return value

    def choice(self, value, path: str, choices: list[str]) -> str | None:
        if value is _MISSING:
            return None
        if not isinstance(value, str) or value not in choices:
            self.error(
                _("%(path)s must be one of: %(choices)s.")
                % {"path": path, "choices": ", ".join(choices)}
            )
            return None
        return value

    def sequence(self, value, path: str) -> list | None:
        if value is _MISSING:
            return None
        if not isinstance(value, list):
            self.error(_("%(path)s must be a list.") % {"path": path})
            return None
        return value


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


_TOP_KEYS = ("report_within_hours", "measures", "tasks", "downgrade", "certification")
_MEASURE_KEYS = (
    "origin_risk",
    "from_days",
    "within_days",
    "measure",
    "days",
    "counted_from",
    "tests_on_days",
)
_TASK_KEYS = ("task", "within_hours", "every_day")
_DOWNGRADE_KEYS = ("high_to_medium_days", "medium_to_low_days", "low_lifted_days")
_CERTIFICATION_KEYS = ("days_without_case", "required_measures", "higher_level_share")


def parse(rules: dict) -> Policy:
    """The policy the rules describe; PolicyError listing every problem otherwise."""
    reader = _Reader()
    top = reader.mapping(rules, "", _TOP_KEYS)
    if top is None:
        raise PolicyError([_("The rules must be a JSON object.")])
    report_hours = reader.whole(
        reader.get(top, "", "report_within_hours"), "report_within_hours", 1, MAX_HOURS
    )
    measures = _read_measures(reader, reader.sequence(reader.get(top, "", "measures"), "measures"))
    tasks = _read_tasks(reader, reader.get(top, "", "tasks"))
    downgrade = _read_downgrade(reader, reader.get(top, "", "downgrade"))
    certification = _read_certification(reader, reader.get(top, "", "certification"))
    if reader.errors:
        # Contradictions are only looked for between parts that are each well formed.
        raise PolicyError(reader.errors)
    errors = _contradictions(measures, tasks)
    if errors:
        raise PolicyError(errors)
    return Policy(
        report_within_hours=report_hours,
        measures=tuple(measures),
        tasks=tasks,
        downgrade=downgrade,
        certification=certification,
    )


def _read_measures(reader: _Reader, items: list | None) -> list[MeasureRule]:
    if items is None:
        return []
    if not items:
        reader.error(_("measures must list at least one rule."))
    rules = []
    for number, item in enumerate(items):
        path = f"measures[{number}]"
        entry = reader.mapping(item, path, _MEASURE_KEYS)
        if entry is None:
            continue

        def field(key, entry=entry, path=path):
            return reader.get(entry, path, key), _join(path, key)

        origin = reader.choice(*field("origin_risk"), list(AREA_LEVELS))
        from_days = reader.whole(*field("from_days"), 0, MAX_WINDOW_DAYS - 1)
        within_days = reader.whole(*field("within_days"), 1, MAX_WINDOW_DAYS)
        kind = reader.choice(*field("measure"), MeasureKind.values)
        days = reader.whole(*field("days"), 1, MAX_MEASURE_DAYS)
        counted_from = reader.choice(*field("counted_from"), CountedFrom.values)
        tests = _read_test_days(reader, *field("tests_on_days"), days)
        if from_days is not None and within_days is not None and within_days <= from_days:
            reader.error(
                _("%(path)s.within_days must be greater than %(path)s.from_days.") % {"path": path}
            )
            continue
        if None in (origin, from_days, within_days, kind, days, counted_from, tests):
            continue
        rules.append(
            MeasureRule(origin, from_days, within_days, kind, days, counted_from, tests, path)
        )
    return rules


def _read_test_days(reader: _Reader, value, path: str, days: int | None):
    items = reader.sequence(value, path)
    if items is None:
        return None
    found, ok = [], True
    for number, item in enumerate(items):
        day = reader.whole(item, f"{path}[{number}]", 1, MAX_MEASURE_DAYS)
        if day is None:
            ok = False
        elif day in found:
            reader.error(_("%(path)s lists day %(day)s twice.") % {"path": path, "day": day})
            ok = False
        elif days is not None and day > days:
            reader.error(
                _("%(path)s lists day %(day)s, outside the measure's %(days)s days.")
                % {"path": path, "day": day, "days": days}
            )
            ok = False
        else:
            found.append(day)
    return tuple(sorted(found)) if ok else None


def _read_tasks(reader: _Reader, value) -> dict[str, tuple[TaskRule, ...]]:
    if value is _MISSING:
        return {}
    lists = reader.mapping(value, "tasks", tuple(MeasureKind.values))
    if lists is None:
        return {}
    found = {}
    for kind, items in lists.items():
        path = f"tasks.{kind}"
        items = reader.sequence(items, path)
        if items is None or kind not in MeasureKind.values:
            continue
        if not items:
            reader.error(_("%(path)s must list at least one task.") % {"path": path})
            continue
        tasks, seen = [], set()
        for number, item in enumerate(items):
            task = _read_task(reader, item, f"{path}[{number}]")
            if task is None:
                continue
            if task.task in seen:
                reader.error(
                    _("%(path)s lists %(task)s twice.") % {"path": path, "task": task.task}
                )
                continue
            seen.add(task.task)
            tasks.append(task)
        found[kind] = tuple(tasks)
    return found


def _read_task(reader: _Reader, item, path: str) -> TaskRule | None:
    entry = reader.mapping(item, path, _TASK_KEYS)
    if entry is None:
        return None
    kind = reader.choice(reader.get(entry, path, "task"), _join(path, "task"), TaskKind.values)
    if kind == TaskKind.TEST:
        reader.error(
            _("%(path)s: tests come from the measure's tests_on_days, not from the task list.")
            % {"path": path}
        )
        return None
    has_hours, has_every_day = "within_hours" in entry, "every_day" in entry
    if has_hours == has_every_day:
        reader.error(
            _("%(path)s must have either within_hours or every_day (one of them).") % {"path": path}
        )
        return None
    if has_every_day:
        if entry["every_day"] is not True:
            reader.error(
                _("%(path)s.every_day must be true (use within_hours for a task due once).")
                % {"path": path}
            )
            return None
        return TaskRule(kind, None, True) if kind else None
    hours = reader.whole(entry["within_hours"], _join(path, "within_hours"), 1, MAX_HOURS)
    if kind is None or hours is None:
        return None
    return TaskRule(kind, hours, False)


def _read_downgrade(reader: _Reader, value) -> DowngradeRule | None:
    if value is _MISSING:
        return None
    entry = reader.mapping(value, "downgrade", _DOWNGRADE_KEYS)
    if entry is None:
        return None
    days = [
        reader.whole(reader.get(entry, "downgrade", key), f"downgrade.{key}", 1, MAX_AREA_DAYS)
        for key in _DOWNGRADE_KEYS
    ]
    return None if None in days else DowngradeRule(*days)


def _read_certification(reader: _Reader, value) -> CertificationRule | None:
    if value is _MISSING:
        return None
    path = "certification"
    entry = reader.mapping(value, path, _CERTIFICATION_KEYS)
    if entry is None:
        return None
    days = reader.whole(
        reader.get(entry, path, "days_without_case"),
        f"{path}.days_without_case",
        1,
        MAX_AREA_DAYS,
    )
    measures_path = f"{path}.required_measures"
    items = reader.sequence(reader.get(entry, path, "required_measures"), measures_path)
    measures = None
    if items is not None:
        measures, ok = [], True
        if not items:
            reader.error(_("%(path)s must list at least one measure.") % {"path": measures_path})
            ok = False
        for number, item in enumerate(items):
            measure = reader.choice(item, f"{measures_path}[{number}]", CertificationMeasure.values)
            if measure is None:
                ok = False
            elif measure in measures:
                reader.error(
                    _("%(path)s lists %(measure)s twice.")
                    % {"path": measures_path, "measure": measure}
                )
                ok = False
            else:
                measures.append(measure)
        measures = tuple(measures) if ok else None
    share = reader.get(entry, path, "higher_level_share")
    if share is not _MISSING:
        if type(share) not in (int, float) or not 0 < share <= 1:
            reader.error(
                _("%(path)s must be a number greater than 0 and at most 1.")
                % {"path": f"{path}.higher_level_share"}
            )
            share = None
    if None in (days, measures, share) or share is _MISSING:
        return None
    return CertificationRule(days, measures, float(share))


# --- contradictions --------------------------------------------------------------------


def _label(choices, value) -> str:
    return str(choices(value).label)


def _contradictions(measures: list[MeasureRule], tasks: dict) -> list[str]:
    errors = []
    for number, rule in enumerate(measures):
        for other in measures[number + 1 :]:
            first = max(rule.from_days, other.from_days)
            last = min(rule.within_days, other.within_days) - 1
            if rule.origin_risk == other.origin_risk and first <= last:
                errors.append(
                    _(
                        "%(path)s and %(other)s both apply to someone who left a %(level)s "
                        "area %(first)s to %(last)s days before arriving: their windows "
                        "overlap."
                    )
                    % {
                        "path": rule.path,
                        "other": other.path,
                        "level": _label(RiskLevel, rule.origin_risk),
                        "first": first,
                        "last": last,
                    }
                )
        if rule.counted_from == CountedFrom.DEPARTURE and rule.days <= rule.from_days:
            errors.append(
                _(
                    "%(path)s can never apply: %(days)s days counted from departure have "
                    "always passed by the arrival of someone who left %(from)s or more days "
                    "before."
                )
                % {"path": rule.path, "days": rule.days, "from": rule.from_days}
            )
    errors.extend(_inversions(measures))
    used = {rule.measure: rule for rule in measures}
    for kind, rule in used.items():
        if kind not in tasks:
            errors.append(
                _("tasks has no list for %(measure)s, which %(path)s calls for.")
                % {"measure": kind, "path": rule.path}
            )
    for kind in tasks:
        if kind not in used:
            errors.append(
                _("tasks.%(measure)s lists tasks for a measure no rule calls for.")
                % {"measure": kind}
            )
    return errors


def _inversions(measures: list[MeasureRule]) -> list[str]:
    """A lower level treated more severely than a higher one, for the same number of days
    since departure: compared day by day, as windows need not line up."""
    if not measures:
        return []
    horizon = max(rule.within_days for rule in measures)
    by_day = {
        level: [
            next((r for r in measures if r.origin_risk == level and r.applies(d)), None)
            for d in range(horizon)
        ]
        for level in AREA_LEVELS
    }
    errors, seen = [], set()
    for higher in AREA_LEVELS:
        for lower in AREA_LEVELS:
            if LEVEL_RANK[lower] >= LEVEL_RANK[higher]:
                continue
            for day in range(horizon):
                strong, weak = by_day[higher][day], by_day[lower][day]
                if weak is None:
                    continue
                key = (strong.path if strong else higher, weak.path)
                if key in seen:
                    continue
                message = _inversion(strong, weak, higher, day)
                if message:
                    seen.add(key)
                    errors.append(message)
    return errors


def _inversion(strong: MeasureRule | None, weak: MeasureRule, higher: str, day: int):
    if strong is None:
        return _(
            "%(path)s (%(lower)s) calls for a measure for someone who left %(day)s days "
            "before arriving, but no rule does for %(higher)s."
        ) % {
            "path": weak.path,
            "lower": _label(RiskLevel, weak.origin_risk),
            "day": day,
            "higher": _label(RiskLevel, higher),
        }
    values = {
        "path": weak.path,
        "lower": _label(RiskLevel, weak.origin_risk),
        "other": strong.path,
        "higher": _label(RiskLevel, strong.origin_risk),
    }
    if MEASURE_RANK[weak.measure] > MEASURE_RANK[strong.measure]:
        return _(
            "%(path)s (%(lower)s) calls for a stricter measure, %(lower_measure)s, than "
            "%(other)s (%(higher)s), %(higher_measure)s."
        ) % {
            **values,
            "lower_measure": _label(MeasureKind, weak.measure),
            "higher_measure": _label(MeasureKind, strong.measure),
        }
    if weak.days > strong.days:
        return _(
            "%(path)s (%(lower)s) calls for a longer measure, %(lower_days)s days, than "
            "%(other)s (%(higher)s), %(higher_days)s days."
        ) % {**values, "lower_days": weak.days, "higher_days": strong.days}
    return None
