"""Working time (工作日) in China: which days are worked, and deadlines counted in them.

Whether a day is a working day comes from the first of these that knows:

1. `CalendarDay`, edited under Working-day calendar in the admin. The State Council publishes
   each year's holidays and make-up workdays (调休) late in the year before, often after the
   installed chinese_calendar release; a row here also corrects the package.
2. The chinese_calendar package (1.11.0 covers 2004–2026).
3. Monday to Friday. A deadline that had to rely on this carries a warning naming the year,
   so a late-loaded calendar shows up instead of silently shortening deadlines.

Every function takes aware datetimes and counts days in settings.TIME_ZONE, whatever time
zone is active for the request: a case received at 23:30 in Shanghai is received that day.
"""

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import chinese_calendar
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.workdays.choices import Coverage, DeadlineUnit
from gridgov.workdays.models import CalendarDay


@dataclass(frozen=True)
class Deadline:
    """When something is due, in settings.TIME_ZONE, and why the date may be off."""

    due_at: datetime
    warnings: tuple[str, ...] = ()


@functools.cache
def package_covers(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def package_is_workday(day: date) -> bool:
    """The package's answer; Monday to Friday for a year it does not cover."""
    if package_covers(day.year):
        return chinese_calendar.is_workday(day)
    return day.weekday() < 5


class WorkingCalendar:
    """Working days over a span, read from the table once.

    It fetches whole years, so the same query also tells which years the table covers.
    A walk that runs past the span (a long run of table holidays) fetches the next year.
    """

    def __init__(self, first: date, last: date):
        self._overrides: dict[date, bool] = {}
        self._table_years: set[int] = set()
        self._loaded_years: set[int] = set()
        self._load(first.year, last.year)

    def _load(self, first_year: int, last_year: int) -> None:
        rows = CalendarDay.objects.filter(
            date__range=(date(first_year, 1, 1), date(last_year, 12, 31))
        ).values_list("date", "is_workday")
        for day, worked in rows:
            self._overrides[day] = worked
            self._table_years.add(day.year)
        self._loaded_years.update(range(first_year, last_year + 1))

    def _ensure_loaded(self, year: int) -> None:
        if year not in self._loaded_years:
            self._load(year, year)

    def is_workday(self, day: date) -> bool:
        self._ensure_loaded(day.year)
        if day in self._overrides:
            return self._overrides[day]
        return package_is_workday(day)

    def is_public_holiday(self, day: date) -> bool:
        """A statutory holiday (a day of 春节, 国庆节 …), as opposed to an ordinary weekend:
        a holiday row of the table, else a named holiday of the package."""
        self._ensure_loaded(day.year)
        if day in self._overrides:
            return not self._overrides[day]
        if package_covers(day.year):
            off, name = chinese_calendar.get_holiday_detail(day)
            return off and name is not None
        return False

    def coverage(self, year: int) -> Coverage:
        self._ensure_loaded(year)
        if year in self._table_years:
            return Coverage.TABLE
        if package_covers(year):
            return Coverage.PACKAGE
        return Coverage.WEEKENDS_ONLY

    def warnings(self, first: date, last: date) -> tuple[str, ...]:
        """A warning for each year from `first` to `last` counted on weekends alone."""
        return tuple(
            weekends_only_warning(year)
            for year in range(first.year, last.year + 1)
            if self.coverage(year) == Coverage.WEEKENDS_ONLY
        )


def weekends_only_warning(year: int) -> str:
    return _(
        "The %(year)s statutory holidays are not loaded; this deadline counts weekends only. "
        "Add them under Working-day calendar."
    ) % {"year": year}


def is_workday(day: date) -> bool:
    """Whether `day` is a working day: the table, else the package, else Monday to Friday."""
    return WorkingCalendar(day, day).is_workday(day)


def year_coverage(year: int) -> Coverage:
    """'table' if the table has any row in `year`, else 'package' if chinese_calendar covers
    it, else 'weekends_only'."""
    if CalendarDay.objects.filter(date__year=year).exists():
        return Coverage.TABLE
    if package_covers(year):
        return Coverage.PACKAGE
    return Coverage.WEEKENDS_ONLY


def add_working_days(start: datetime, days: int) -> Deadline:
    """The deadline for "within `days` working days" (N个工作日内) of `start`.

    The rule: the deadline is the end (23:59:59.999999 in settings.TIME_ZONE) of the Nth
    working day strictly after the local date of `start`. The day of receipt never counts,
    whatever the hour, and neither do days off, so a case received on the Friday before a
    holiday gets its full N days after the break. Zero days means the end of the day of
    receipt.

    Never raises for a year with no holiday data: it counts Monday to Friday there and adds
    a warning naming the year. Makes one query, or one more per year the walk outruns its
    estimate. Raises ValueError for a naive `start` or negative `days`.
    """
    first = _local_date(start)
    _check_count(days)
    # Three calendar days per working day and a month more outlasts the Spring Festival.
    calendar = WorkingCalendar(first, first + timedelta(days=days * 3 + 30))
    day, counted = first, 0
    while counted < days:
        day += timedelta(days=1)
        if calendar.is_workday(day):
            counted += 1
    warnings = calendar.warnings(first + timedelta(days=1), day) if days else ()
    return Deadline(_end_of(day), warnings)


def add_hours(start: datetime, hours: int) -> Deadline:
    """The deadline `hours` clock hours after `start`, days off included (2- and 24-hour
    tiers). Raises ValueError for a naive `start` or negative `hours`."""
    _check_aware(start)
    _check_count(hours)
    # Elapsed hours: adding to a local time would go by the wall clock across a DST change.
    due = start.astimezone(UTC) + timedelta(hours=hours)
    return Deadline(due.astimezone(timezone.get_default_timezone()))


def add_calendar_days(start: datetime, days: int) -> Deadline:
    """The end of the `days`th natural day after the local date of `start` (自然日)."""
    first = _local_date(start)
    _check_count(days)
    return Deadline(_end_of(first + timedelta(days=days)))


def working_days_between(start: date | datetime, end: date | datetime) -> int:
    """Working days after the local date of `start`, up to and including that of `end`;
    negative when `end` comes first. So working_days_between(start,
    add_working_days(start, n).due_at) == n, and a case closed on the day it came is 0."""
    first, last = _local_date(start), _local_date(end)
    if last < first:
        return -working_days_between(end, start)
    calendar = WorkingCalendar(first, last)
    return sum(calendar.is_workday(day) for day in _days_after(first, last))


_DISPATCH: dict[str, Callable[[datetime, int], Deadline]] = {
    DeadlineUnit.HOURS: add_hours,
    DeadlineUnit.WORKING_DAYS: add_working_days,
    DeadlineUnit.CALENDAR_DAYS: add_calendar_days,
}


def deadline_from(start: datetime, amount: int, unit: str) -> Deadline:
    """The deadline for a time limit stored as (amount, DeadlineUnit)."""
    try:
        compute = _DISPATCH[unit]
    except KeyError:
        known = ", ".join(DeadlineUnit.values)
        raise ValueError(f"Unknown deadline unit {unit!r}; use one of: {known}.") from None
    return compute(start, amount)


def _days_after(first: date, last: date) -> Iterable[date]:
    return (first + timedelta(days=n) for n in range(1, (last - first).days + 1))


def _local_date(moment: date | datetime) -> date:
    if not isinstance(moment, datetime):
        return moment
    _check_aware(moment)
    return moment.astimezone(timezone.get_default_timezone()).date()


def _end_of(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=timezone.get_default_timezone())


def _check_aware(moment: datetime) -> None:
    if timezone.is_naive(moment):
        raise ValueError(f"Deadlines need an aware datetime, got {moment!r}.")


def _check_count(amount: int) -> None:
    if amount < 0:
        raise ValueError(f"A time limit cannot be negative, got {amount}.")
