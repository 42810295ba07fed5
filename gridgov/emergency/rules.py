"""The rules engine: which measures an arrival from elsewhere gets, with the tasks they give
the grid and a sentence saying why; and the small date rules behind risk-area downgrades
and epidemic-free certification.

Pure Python over a parsed policy (policy.py) and a RiskIndex built by the caller: no
database access, so a spreadsheet of arrivals is decided against one index in memory.
Every date is a calendar day in the city's time zone (Asia/Shanghai by default).

An arrival's decision:

- The origin's risk level is its level on the day the person left (the time of
  travel), the highest of the risk areas covering it that day: an area covers a place
  whose code starts with the area's significant digits (420000 covers 420103 and
  420103001; 990101001000, a street of the city, covers its communities).
- The rule for that level whose window holds the days between departure and arrival
  applies (from_days <= d < within_days, d in calendar days).
- Its measure lasts `days` days counted from departure or arrival; day 0 is that day,
  day N (`ends_on`) the last. A measure with no day left after the arrival day (one
  counted from departure by someone who travelled long enough) is not imposed, and the
  explanation says so.
- Tasks: those due within hours are counted from the report (the grid cannot act
  earlier); a daily check is due 20:00 on each day of the measure from the arrival day
  on; a test at the end (23:59) of each day listed in tests_on_days. Checks and tests
  due before the arrival day or before the report are not scheduled: they can no longer
  be done, and a late report is flagged instead.
"""

from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.emergency.choices import (
    LEVEL_ORDER,
    LEVEL_RANK,
    CountedFrom,
    MeasureKind,
    RiskLevel,
    TaskKind,
)
from gridgov.emergency.divisions import significant
from gridgov.emergency.policy import Policy

__all__ = [
    "LEVEL_ORDER",
    "ArrivalError",
    "ArrivalFacts",
    "CertificationWindow",
    "Decision",
    "DowngradeProposal",
    "Engine",
    "MeasurePlan",
    "RiskIndex",
    "TaskPlan",
    "certification_window",
    "downgrade_due",
    "higher_level_qualifies",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAILY_CHECK_DUE = time(20, 0)
# The end of a day as people read it on a task list: "by 23:59", not "by 00:00 next day".
END_OF_DAY = time(23, 59)
HOUR = timedelta(hours=1)

_RISK_AREA = {
    RiskLevel.HIGH.value: gettext_lazy("a high-risk area"),
    RiskLevel.MEDIUM.value: gettext_lazy("a medium-risk area"),
    RiskLevel.LOW.value: gettext_lazy("a low-risk area"),
}
_MEASURE_LABEL = dict(MeasureKind.choices)
_LEVEL_LABEL = dict(RiskLevel.choices)


class ArrivalError(ValueError):
    """Facts of an arrival that cannot be true (dates in the wrong order)."""


# --- risk areas ------------------------------------------------------------------------


class RiskIndex:
    """Risk areas by significant code, for "what was the risk at this place on that day".

    A lookup tries each prefix of the place's code that is the length of some area's code
    (a handful: 2, 4, 6, 9, 12 digits), so it costs a few dict probes whatever the number
    of areas.
    """

    __slots__ = ("_areas", "_lengths", "_count")

    def __init__(self, rows=()):
        areas: dict[str, list[tuple]] = {}
        count = 0
        for code, level, started_on, ended_on, label in rows:
            text = str(code).strip()
            key = significant(text)
            if not key:
                raise ValueError(f"Risk area code {code!r} is not a division or region code.")
            rank = LEVEL_RANK.get(level, 0)
            if rank == 0:
                raise ValueError(f"Risk area {code!r} has no risk level: {level!r}.")
            areas.setdefault(key, []).append(
                (started_on, ended_on, rank, level, label or text, text)
            )
            count += 1
        self._areas = areas
        self._lengths = tuple(sorted({len(key) for key in areas}))
        self._count = count

    @classmethod
    def from_rows(cls, rows) -> "RiskIndex":
        """rows: (code, level, started_on, ended_on or None, label); ended_on is the first
        day the area no longer applies."""
        return cls(rows)

    def __len__(self) -> int:
        return self._count

    def risk_on(self, place_code: str, day: date) -> tuple[str, str, str]:
        """(level, area label, area code) of the highest risk area covering the place on
        that day; at equal levels the most specific area. ("none", "", "") when none."""
        best, best_rank = None, 0
        areas = self._areas
        size = len(place_code)
        for length in self._lengths:
            if length > size:
                break
            entries = areas.get(place_code[:length])
            if entries is None:
                continue
            for started_on, ended_on, rank, level, label, code in entries:
                if rank >= best_rank and started_on <= day and (ended_on is None or day < ended_on):
                    best, best_rank = (level, label, code), rank
        return best or (RiskLevel.NONE.value, "", "")


# --- arrivals --------------------------------------------------------------------------


class ArrivalFacts(NamedTuple):
    origin_code: str
    origin_name: str
    left_on: date
    arrived_at: datetime  # aware
    reported_at: datetime  # aware


class TaskPlan(NamedTuple):
    kind: str
    due_at: datetime


class MeasurePlan(NamedTuple):
    kind: str
    starts_on: date  # the arrival day
    ends_on: date  # the measure's last day
    tasks: tuple[TaskPlan, ...]
    explanation: str


class Decision(NamedTuple):
    risk_level: str  # RiskLevel value, "none" when no risk area covered the origin
    area: str  # the label of the risk area that set the level, "" for none
    area_code: str
    risk_day: date  # the day the level was read: the departure
    days_since_departure: int
    late: bool
    hours_after_arrival: float
    hours_late: float  # beyond the policy's limit; 0 when on time
    measures: tuple[MeasurePlan, ...]  # none or one
    explanation: str
    version: str

    @property
    def measure(self) -> MeasurePlan | None:
        return self.measures[0] if self.measures else None


def _hours(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


class Engine:
    """Decides arrivals under one policy version against one RiskIndex; build it once
    per batch."""

    def __init__(
        self, policy: Policy, version_label: str, risk_index: RiskIndex, tz: ZoneInfo = SHANGHAI
    ):
        self.policy = policy
        self.version_label = version_label
        self.risk_index = risk_index
        self.tz = tz
        self._limit = timedelta(hours=policy.report_within_hours)
        # The rule for each level by days since departure, so that deciding is an index.
        horizon = max((rule.within_days for rule in policy.measures), default=0)
        self._rules = {
            level: tuple(
                next((r for r in policy.measures if r.origin_risk == level and r.applies(d)), None)
                for d in range(horizon)
            )
            for level in LEVEL_ORDER
        }
        self._tasks = {
            kind: (
                tuple((t.task, timedelta(hours=t.within_hours)) for t in tasks if not t.every_day),
                tuple(t.task for t in tasks if t.every_day),
            )
            for kind, tasks in policy.tasks.items()
        }

    def decide(self, facts: ArrivalFacts) -> Decision:
        tz = self.tz
        left_on, arrived_at, reported_at = facts.left_on, facts.arrived_at, facts.reported_at
        if arrived_at.tzinfo is None or reported_at.tzinfo is None:
            raise ArrivalError("arrived_at and reported_at must be timezone-aware.")
        arrived_on = arrived_at.astimezone(tz).date()
        if left_on > arrived_on:
            raise ArrivalError(
                _("The person left on %(left)s, after arriving on %(arrived)s.")
                % {"left": left_on.isoformat(), "arrived": arrived_on.isoformat()}
            )
        if arrived_at > reported_at:
            raise ArrivalError(
                _("The arrival at %(arrived)s is after the report at %(reported)s.")
                % {
                    "arrived": arrived_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                    "reported": reported_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                }
            )
        level, area, area_code = self.risk_index.risk_on(facts.origin_code, left_on)
        gap = (arrived_on - left_on).days
        rules = self._rules[level]
        rule = rules[gap] if gap < len(rules) else None
        values = {
            "origin": facts.origin_name or facts.origin_code,
            "day": left_on.isoformat(),
            "area": area,
            "version": self.version_label,
            "gap": gap,
        }
        measures = ()
        if level == RiskLevel.NONE:
            explanation = (
                _(
                    "No measure: %(origin)s was not a risk area on %(day)s under policy "
                    "version %(version)s."
                )
                % values
            )
        elif rule is None:
            values["risk_area"] = _RISK_AREA[level]
            explanation = (
                _(
                    "No measure: %(origin)s was %(risk_area)s on %(day)s (%(area)s), but "
                    "policy version %(version)s calls for none for someone who left it "
                    "%(gap)s days before arriving."
                )
                % values
            )
        else:
            values["risk_area"] = _RISK_AREA[level]
            explanation, measures = self._measure(rule, values, left_on, arrived_on, reported_at)
        after = (reported_at - arrived_at) / HOUR
        late = reported_at - arrived_at > self._limit
        hours_late = after - self.policy.report_within_hours if late else 0.0
        if late:
            explanation += " " + _(
                "Reported %(hours)s hours after arrival; the policy allows %(limit)s."
            ) % {"hours": _hours(after), "limit": self.policy.report_within_hours}
        return Decision(
            level,
            area,
            area_code,
            left_on,
            gap,
            late,
            after,
            hours_late,
            measures,
            explanation,
            self.version_label,
        )

    def _measure(self, rule, values, left_on, arrived_on, reported_at):
        from_departure = rule.counted_from == CountedFrom.DEPARTURE
        start = left_on if from_departure else arrived_on
        ends_on = start + timedelta(days=rule.days)
        values["measure"] = _MEASURE_LABEL[rule.measure]
        values["days"] = rule.days
        values["end"] = ends_on.isoformat()
        if ends_on <= arrived_on:
            values["arrived"] = arrived_on.isoformat()
            explanation = (
                _(
                    "No measure: %(origin)s was %(risk_area)s on %(day)s (%(area)s), but its "
                    "measure (%(measure)s, %(days)s days counted from departure) ended on "
                    "%(end)s, by the arrival on %(arrived)s, under policy version %(version)s."
                )
                % values
            )
            return explanation, ()
        if from_departure:
            explanation = (
                _(
                    "%(measure)s for %(days)s days counted from departure (until %(end)s) "
                    "because %(origin)s was %(risk_area)s on %(day)s (%(area)s), under policy "
                    "version %(version)s."
                )
                % values
            )
        else:
            explanation = (
                _(
                    "%(measure)s for %(days)s days from arrival (until %(end)s) because "
                    "%(origin)s was %(risk_area)s on %(day)s (%(area)s), under policy version "
                    "%(version)s."
                )
                % values
            )
        tz = self.tz
        once, daily = self._tasks[rule.measure]
        tasks = [TaskPlan(kind, (reported_at + delay).astimezone(tz)) for kind, delay in once]
        one_day = timedelta(days=1)
        if daily:
            day = max(start + one_day, arrived_on)
            while day <= ends_on:
                due = datetime.combine(day, DAILY_CHECK_DUE, tz)
                if due >= reported_at:
                    tasks.extend(TaskPlan(kind, due) for kind in daily)
                day += one_day
        for number in rule.tests_on_days:
            day = start + timedelta(days=number)
            if day >= arrived_on:
                due = datetime.combine(day, END_OF_DAY, tz)
                if due >= reported_at:
                    tasks.append(TaskPlan(TaskKind.TEST.value, due))
        tasks.sort(key=_due)
        plan = MeasurePlan(rule.measure, arrived_on, ends_on, tuple(tasks), explanation)
        return explanation, (plan,)


def _due(task: TaskPlan) -> datetime:
    return task.due_at


# --- risk-area downgrades --------------------------------------------------------------


class DowngradeProposal(NamedTuple):
    to_level: str  # "" when the area is to be lifted
    due_on: date
    explanation: str


_NEXT_LEVEL = {
    RiskLevel.HIGH.value: RiskLevel.MEDIUM.value,
    RiskLevel.MEDIUM.value: RiskLevel.LOW.value,
    RiskLevel.LOW.value: "",
}


def downgrade_due(
    level: str, last_case_on: date | None, started_on: date, today: date, policy: Policy
) -> DowngradeProposal | None:
    """When an area at `level` is next due to go a level down (or be lifted), whether
    or not that is already the case on `today`; None for a level that is no risk area.

    `started_on` is the day the area took its current level (its start if it never
    changed): each level counts its own days, so an area lowered from high to medium
    waits medium_to_low_days more from that day. The count runs from the later of that
    day and the last new case, and the due day is that many days after it, as days
    after the case are the days without one.
    """
    days = policy.downgrade.days_at(level)
    if days is None:
        return None
    since_case = last_case_on is not None and last_case_on >= started_on
    since = last_case_on if since_case else started_on
    due_on = since + timedelta(days=days)
    to_level = _NEXT_LEVEL[level]
    values = {
        "due": due_on.isoformat(),
        "days": days,
        "since": since.isoformat(),
        "from": _LEVEL_LABEL[level],
        "to": _LEVEL_LABEL[to_level] if to_level else "",
    }
    if to_level and since_case:
        text = _(
            "%(from)s to %(to)s due on %(due)s: %(days)s days without a new case after "
            "the last one, on %(since)s."
        )
    elif to_level:
        text = _(
            "%(from)s to %(to)s due on %(due)s: %(days)s days without a new case since "
            "the area took this level on %(since)s."
        )
    elif since_case:
        text = _(
            "%(from)s area due to be lifted on %(due)s: %(days)s days without a new case "
            "after the last one, on %(since)s."
        )
    else:
        text = _(
            "%(from)s area due to be lifted on %(due)s: %(days)s days without a new case "
            "since the area took this level on %(since)s."
        )
    if due_on > today:
        text += " " + _("%(left)s days to go.") % {"left": (due_on - today).days}
    return DowngradeProposal(to_level, due_on, text % values)


# --- epidemic-free certification -------------------------------------------------------


class CertificationWindow(NamedTuple):
    qualifies: bool
    clear_since: date  # the first day of the run without events
    days_clear: int | None  # None when no event is on record at all
    explanation: str


def certification_window(events, today: date, policy: Policy) -> CertificationWindow:
    """Whether the days up to and including `today` hold the run of days without a new
    confirmed case, suspected case or close contact that the policy asks for.

    `events`: the last day with such an event (or None), or the days that had one.
    Events after today are ignored. With no event on record, the run is taken as
    exactly long enough: clear_since is the first day of the window looked at.
    """
    required = policy.certification.days_without_case
    if events is None or isinstance(events, date):
        last = events if events is None or events <= today else None
    else:
        last = max((day for day in events if day <= today), default=None)
    if last is None:
        since = today - timedelta(days=required - 1)
        return CertificationWindow(
            True,
            since,
            None,
            _(
                "No new confirmed case, suspected case or close contact is on record; the "
                "policy asks for %(required)s days without one."
            )
            % {"required": required},
        )
    clear = (today - last).days
    since = last + timedelta(days=1)
    values = {
        "days": clear,
        "last": last.isoformat(),
        "since": since.isoformat(),
        "required": required,
        "on": (last + timedelta(days=required)).isoformat(),
    }
    if clear >= required:
        text = _(
            "%(days)s consecutive days without a new confirmed case, suspected case or "
            "close contact, since %(since)s; the policy asks for %(required)s."
        )
    else:
        text = _(
            "Only %(days)s days without a new confirmed case, suspected case or close "
            "contact since the last one on %(last)s; the policy asks for %(required)s, "
            "reached on %(on)s."
        )
    return CertificationWindow(clear >= required, since, clear, text % values)


def higher_level_qualifies(certified: int, total: int, policy: Policy) -> tuple[bool, str]:
    """Whether a street, district or city qualifies by the share of its areas certified."""
    share = policy.certification.higher_level_share
    qualifies = total > 0 and certified >= share * total - 1e-9
    values = {
        "certified": certified,
        "total": total,
        "percent": _hours(share * 100),
    }
    if qualifies:
        text = _(
            "%(certified)s of its %(total)s areas are certified; the policy asks for %(percent)s%%."
        )
    else:
        text = _(
            "Only %(certified)s of its %(total)s areas are certified; the policy asks for "
            "%(percent)s%%."
        )
    return qualifies, text % values
