"""One source of epidemic figures (一数一源): each day's new cases entered once, by the
region that knows them, and every area above reads them as sums.

A day's figures of one branch of the tree are entered at one level only: a community
that has entered its own figures for a day cannot also be counted in a figure its street
entered for the whole street that day, and the other way round; otherwise the street's
sum would count the same cases twice. A figure with a new case or close contact suspends
the epidemic-free certificates over the region and restarts its risk areas' count of
days without a case.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from os.path import commonprefix

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.scoping import covers
from gridgov.emergency import services
from gridgov.emergency.models import DailyFigure
from gridgov.regions.codes import path_and_above
from gridgov.regions.models import Region

COUNTS = DailyFigure.COUNTS
ENTERING_ROLES = {"community_staff", "street_staff", "leader", "administrator"}
LONGEST_SPAN_DAYS = 3 * 366
# A day with any of these breaks an area's run of days without a new case.
NEW_CASE = Q(confirmed__gt=0) | Q(suspected__gt=0) | Q(asymptomatic__gt=0) | Q(close_contacts__gt=0)


def may_enter(user, region: Region) -> bool:
    if not user.is_authenticated or not (user.is_superuser or user.role in ENTERING_ROLES):
        return False
    return covers(user, region.path)


@dataclass
class Row:
    region: Region
    day: date
    counts: dict
    # The line of the file it came from, to name it in a problem (an import's rows are
    # numbered as the spreadsheet numbers them, not as the list does).
    number: int | None = None


def _check(row: Row) -> list[str]:
    problems = []
    if row.day is None:
        problems.append(_("Give the day."))
    elif row.day > timezone.localdate():
        problems.append(_("%(day)s is in the future.") % {"day": row.day.isoformat()})
    for name in COUNTS:
        value = row.counts.get(name, 0)
        if value is None or value == "":
            value = 0
        if isinstance(value, bool) or not isinstance(value, int):
            try:
                value = int(str(value).strip())
            except ValueError:
                problems.append(
                    _("%(field)s must be a whole number, not “%(value)s”.")
                    % {"field": _label(name), "value": value}
                )
                continue
        if value < 0:
            problems.append(_("%(field)s cannot be negative.") % {"field": _label(name)})
        row.counts[name] = value
    return problems


def _label(name: str) -> str:
    return str(DailyFigure._meta.get_field(name).verbose_name)


def _clash(row: Row, exclude_regions=()) -> DailyFigure | None:
    """A figure of the same day entered above or below the region."""
    above = path_and_above(row.region.path)[:-1]
    return (
        DailyFigure.objects.filter(day=row.day)
        .filter(Q(region_path__in=above) | Q(region_path__startswith=row.region.path))
        .exclude(region=row.region)
        .exclude(region__in=exclude_regions)
        .select_related("region")
        .first()
    )


def enter(actor, rows: list[Row]) -> list[DailyFigure]:
    """Enter or correct the figures of regions and days: all of them, or ValidationError
    naming each problem and nothing written."""
    problems = []
    for number, row in enumerate(rows, start=1):
        if not may_enter(actor, row.region):
            raise PermissionDenied
        for problem in _check(row):
            problems.append(_label_row(number, row, problem, len(rows)))
    seen = set()
    for number, row in enumerate(rows, start=1):
        if row.day is None:
            continue
        key = (row.region.pk, row.day)
        if key in seen:
            problems.append(_label_row(number, row, _("the same region and day twice."), len(rows)))
        seen.add(key)
    if problems:
        raise ValidationError(problems)
    written = []
    with transaction.atomic():
        for number, row in enumerate(rows, start=1):
            clash = _clash(row)
            if clash is not None:
                problems.append(
                    _label_row(
                        number,
                        row,
                        _(
                            "%(other)s already entered figures for %(day)s; a day's figures "
                            "of one area are entered at one level only, or they would be "
                            "counted twice."
                        )
                        % {"other": clash.region.name, "day": row.day.isoformat()},
                        len(rows),
                    )
                )
                continue
            before = DailyFigure.objects.filter(region=row.region, day=row.day).first()
            figure, _created = DailyFigure.objects.update_or_create(
                region=row.region,
                day=row.day,
                defaults={**{name: row.counts[name] for name in COUNTS}, "entered_by": actor},
            )
            written.append(figure)
            if figure.has_new_case and not (before and _same(before, figure)):
                _new_case(figure)
        if problems:
            transaction.set_rollback(True)
            raise ValidationError(problems)
    return written


def _same(before: DailyFigure, after: DailyFigure) -> bool:
    return all(getattr(before, name) >= getattr(after, name) for name in COUNTS)


def _new_case(figure: DailyFigure) -> None:
    services.suspend_certifications_over(
        figure.region,
        figure.day,
        _("New cases or close contacts recorded in %(region)s on %(day)s.")
        % {"region": figure.region.name, "day": figure.day.isoformat()},
    )
    if figure.confirmed or figure.asymptomatic:
        services.record_case_in_risk_areas(figure.region, figure.day)


def _label_row(number, row, problem, total) -> str:
    if total == 1 and row.number is None:
        return problem
    return _("Row %(row)s (%(region)s, %(day)s): %(problem)s") % {
        "row": row.number or number,
        "region": row.region.name,
        "day": row.day.isoformat() if row.day else "-",
        "problem": problem,
    }


def check_span(first: date | None, last: date | None) -> None:
    if first is None or last is None:
        raise ValidationError(_("Give the first and the last day."))
    if last < first:
        raise ValidationError(_("The last day comes before the first."))
    if (last - first).days >= LONGEST_SPAN_DAYS:
        raise ValidationError(_("Ask for at most three years at a time."))


def series(region: Region, first: date, last: date) -> list[dict]:
    """Every day from first to last with the area's sums (zeros on days without a
    figure: a day nobody entered is a day without a reported case)."""
    check_span(first, last)
    rows = (
        DailyFigure.objects.filter(region_path__startswith=region.path, day__range=(first, last))
        .values("day")
        .annotate(**{name: Sum(name) for name in COUNTS})
        .order_by("day")
    )
    by_day = {row["day"]: row for row in rows}
    days = []
    day = first
    while day <= last:
        row = by_day.get(day)
        days.append({"day": day, **{name: (row[name] if row else 0) for name in COUNTS}})
        day += timedelta(days=1)
    return days


def totals(region: Region, first: date, last: date) -> dict:
    check_span(first, last)
    result = DailyFigure.objects.filter(
        region_path__startswith=region.path, day__range=(first, last)
    ).aggregate(**{name: Sum(name) for name in COUNTS})
    return {name: result[name] or 0 for name in COUNTS}


def by_child(region: Region, first: date, last: date) -> list[dict]:
    """The area's children with their sums over the days (figures entered at the area
    itself are its own line)."""
    check_span(first, last)
    children = list(Region.objects.filter(parent=region).order_by("code"))
    if not children:
        return []
    length = len(children[0].path)
    rows = (
        DailyFigure.objects.filter(region_path__startswith=region.path, day__range=(first, last))
        .annotate(cut=Substr("region_path", 1, length))
        .values("cut")
        .annotate(**{name: Sum(name) for name in COUNTS})
        .order_by()
    )
    by_cut = {row["cut"]: row for row in rows}
    lines = []
    for child in children:
        row = by_cut.get(child.path)
        lines.append({"region": child, **{name: (row[name] if row else 0) for name in COUNTS}})
    own = by_cut.get(region.path)
    if own is not None:
        lines.insert(0, {"region": region, **{name: own[name] for name in COUNTS}})
    return lines


def totals_by_area(paths: list[str], first: date, last: date) -> dict[str, dict]:
    """`totals` of many areas at once, by path, each with its days with a new case or
    close contact: one query per path length, however many areas. An area inside another
    counts what is under it, as totals does (zeros where nobody entered a figure)."""
    check_span(first, last)
    found = {}
    for length in sorted({len(path) for path in paths}):
        areas = [path for path in paths if len(path) == length]
        # The areas' shared prefix, which the path index serves, and each row's area looked
        # up in a set: one LIKE per area would make every row try every pattern.
        rows = (
            DailyFigure.objects.filter(
                region_path__startswith=commonprefix(areas), day__range=(first, last)
            )
            .annotate(area=Substr("region_path", 1, length))
            .filter(area__in=areas)
            .values("area")
            # Before the sums, which take the counts' names the condition reads.
            .annotate(days_with_new_case=Count("day", distinct=True, filter=NEW_CASE))
            .annotate(**{name: Sum(name) for name in COUNTS})
            .order_by()
        )
        found.update({row.pop("area"): row for row in rows})
    nothing = {**{name: 0 for name in COUNTS}, "days_with_new_case": 0}
    return {path: found.get(path) or dict(nothing) for path in paths}
