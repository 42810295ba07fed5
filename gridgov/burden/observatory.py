"""基层减负观测点: what lands on each street and community, counted from the demands, the
data-request tables and the secondments — never typed in.

For an area and a period (a month or a week):
- per street or community under it: demands received (those that reached it: on the list
  or admitted as exceptions) by kind, meetings and inspections, the cells asked of it and
  how each was filled (by the platform, reused, typed in, still missing), the estimated
  hours, and its staff away on secondment;
- per sender: what it sent to the area, how much was held, admitted as an exception or
  refused, the hours it imposed, and the flags (holiday-eve dumps, short deadlines,
  repeats);
- the same headline figures for the same period a year earlier.

Estimated hours: settings.BURDEN_MINUTES_PER_KIND for each demand a place received,
except a data request the platform answered in full there (nothing was typed), which
costs nothing. Every count is a grouped query: a fixed number of queries whatever the
number of places.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr
from django.utils import timezone

from gridgov.burden.choices import Admission, DemandKind
from gridgov.burden.models import Demand, DemandRecipient, RequestRow, Secondment
from gridgov.burden.secondments import FROM_LEVELS
from gridgov.burden.services import RECIPIENT_LEVELS
from gridgov.regions.models import Region
from gridgov.registry.rollups import community_length

REACHED = [Admission.ADMITTED, Admission.EXCEPTION]
UNADMITTED = [Admission.HELD, Admission.EXCEPTION, Admission.REFUSED]
FLAGS = ("holiday_eve", "short_deadline", "repeat")
# What a place can be: where demands go and where staff are borrowed from.
PLACE_LEVELS = sorted(RECIPIENT_LEVELS | set(FROM_LEVELS))


@dataclass
class Place:
    """One street or community's burden in the period."""

    path: str
    code: str = ""
    name: str = ""
    received: int = 0
    by_kind: Counter = field(default_factory=Counter)
    cells_asked: int = 0
    cells_platform: int = 0
    cells_reused: int = 0
    cells_typed: int = 0
    cells_missing: int = 0
    minutes: int = 0
    seconded: int = 0
    seconded_overdue: int = 0

    @property
    def meetings_and_inspections(self) -> int:
        return self.by_kind[DemandKind.MEETING] + self.by_kind[DemandKind.INSPECTION]

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)

    @property
    def platform_share(self) -> float | None:
        """The share of the cells asked that nobody had to type: filled or reused."""
        if not self.cells_asked:
            return None
        return (self.cells_platform + self.cells_reused) / self.cells_asked


@dataclass
class Sender:
    key: str
    name: str
    sent: int = 0
    reached_places: int = 0
    admitted: int = 0
    held: int = 0
    exception: int = 0
    refused: int = 0
    holiday_eve: int = 0
    short_deadline: int = 0
    repeat: int = 0
    minutes: int = 0

    @property
    def unadmitted(self) -> int:
        return self.held + self.exception + self.refused

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)


@dataclass
class Observation:
    region: Region
    first: date
    last: date
    total: Place
    places: list  # Place, most hours first
    senders: list  # Sender, most hours first
    year_before: Place
    avoided: int = 0


def month_span(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def week_span(day: date) -> tuple[date, date]:
    first = day - timedelta(days=day.weekday())
    return first, first + timedelta(days=6)


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def observe(region: Region, first: date, last: date) -> Observation:
    """The observatory of `region` for the days first to last."""
    length = community_length()
    places = _places(region, first, last, length)
    total = _sum(places.values(), region.path)
    earlier = _places(region, _year_before(first), _year_before(last), length)
    year_before = _sum(earlier.values(), region.path)
    # Read by level, not by naming thousands of paths one by one: that was the page's
    # slowest statement.
    names = (
        Region.objects.filter(path__startswith=region.path, level__in=PLACE_LEVELS)
        .values_list("path", "code", "name")
        .order_by()
    )
    for path, code, name in names:
        if path in places:
            places[path].code, places[path].name = code, name
    ranked = sorted(
        (p for p in places.values() if p.code), key=lambda p: (-p.minutes, -p.received, p.path)
    )
    return Observation(
        region=region,
        first=first,
        last=last,
        total=total,
        places=ranked,
        senders=_senders(region, first, last),
        year_before=year_before,
        avoided=_avoided(region, first, last),
    )


def headline(region: Region, first: date, last: date) -> Place:
    """The area's totals only, for the dashboard: three queries."""
    return _sum(_places(region, first, last, community_length()).values(), region.path)


def _sum(places, path: str) -> Place:
    total = Place(path=path)
    for place in places:
        total.received += place.received
        total.by_kind.update(place.by_kind)
        for name in ("cells_asked", "cells_platform", "cells_reused", "cells_typed"):
            setattr(total, name, getattr(total, name) + getattr(place, name))
        total.cells_missing += place.cells_missing
        total.minutes += place.minutes
        total.seconded += place.seconded
        total.seconded_overdue += place.seconded_overdue
    return total


def _places(region: Region, first: date, last: date, length: int) -> dict[str, Place]:
    start, end = _midnight(first), _midnight(last + timedelta(days=1))
    minutes = settings.BURDEN_MINUTES_PER_KIND
    area = Substr("region_path", 1, length)
    places: dict[str, Place] = defaultdict(lambda: Place(path=""))
    received = (
        DemandRecipient.objects.filter(
            region_path__startswith=region.path,
            demand__admission__in=REACHED,
            demand__sent_at__gte=start,
            demand__sent_at__lt=end,
        )
        .annotate(area=area)
        .values_list("area", "demand__kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for path, kind, n in received:
        place = places[path]
        place.received += n
        place.by_kind[kind] += n
        place.minutes += n * minutes.get(kind, 0)
    cells = (
        RequestRow.objects.filter(
            region_path__startswith=region.path,
            request__demand__admission__in=REACHED,
            request__demand__sent_at__gte=start,
            request__demand__sent_at__lt=end,
        )
        .annotate(area=area)
        .values("area")
        .annotate(
            platform=Sum("cells_platform"),
            reused=Sum("cells_reused"),
            typed=Sum("cells_typed"),
            missing=Sum("cells_missing"),
            # Rows nobody had to type in: their data request cost the place nothing.
            untouched=Count("pk", filter=Q(cells_typed=0, cells_missing=0)),
        )
        .order_by()
    )
    for row in cells:
        place = places[row["area"]]
        place.cells_platform, place.cells_reused = row["platform"] or 0, row["reused"] or 0
        place.cells_typed, place.cells_missing = row["typed"] or 0, row["missing"] or 0
        place.cells_asked = (
            place.cells_platform + place.cells_reused + place.cells_typed + place.cells_missing
        )
        place.minutes -= row["untouched"] * minutes.get(DemandKind.DATA_REQUEST, 0)
    away = (
        Secondment.objects.filter(region_path__startswith=region.path, started_on__lte=last)
        .filter(Q(returned_on__isnull=True) | Q(returned_on__gte=first))
        .annotate(area=area)
        .values("area")
        .annotate(
            n=Count("pk"),
            overdue=Count(
                "pk", filter=Q(returned_on__isnull=True, planned_end_on__lt=timezone.localdate())
            ),
        )
        .order_by()
    )
    for row in away:
        places[row["area"]].seconded = row["n"]
        places[row["area"]].seconded_overdue = row["overdue"]
    for path, place in places.items():
        place.path = path
    return dict(places)


def _senders(region: Region, first: date, last: date) -> list[Sender]:
    """Who sent what to the area in the period, admitted or not, with its flags."""
    start, end = _midnight(first), _midnight(last + timedelta(days=1))
    minutes = settings.BURDEN_MINUTES_PER_KIND
    demands = Demand.objects.filter(
        sent_at__gte=start,
        sent_at__lt=end,
        recipients__region_path__startswith=region.path,
    ).distinct()
    rows = (
        Demand.objects.filter(pk__in=demands.values("pk"))
        .values(
            "sender_department_id",
            "sender_department__name",
            "sender_region_id",
            "sender_region__name",
            "admission",
            "kind",
        )
        .annotate(
            n=Count("pk"),
            holiday_eve=Count("pk", filter=Q(holiday_eve=True)),
            short_deadline=Count("pk", filter=Q(short_deadline=True)),
            repeat=Count("pk", filter=Q(repeat_of__isnull=False)),
        )
        .order_by()
    )
    reached = (
        DemandRecipient.objects.filter(
            region_path__startswith=region.path,
            demand__admission__in=REACHED,
            demand__sent_at__gte=start,
            demand__sent_at__lt=end,
        )
        .values("demand__sender_department_id", "demand__sender_region_id", "demand__kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    senders: dict[str, Sender] = {}

    def sender(department_id, department_name, region_id, region_name) -> Sender:
        key = _sender_key(department_id, region_id)
        if key not in senders:
            senders[key] = Sender(key=key, name=department_name or region_name or "")
        return senders[key]

    for row in rows:
        found = sender(
            row["sender_department_id"],
            row["sender_department__name"],
            row["sender_region_id"],
            row["sender_region__name"],
        )
        found.sent += row["n"]
        setattr(found, row["admission"], getattr(found, row["admission"]) + row["n"])
        for flag in FLAGS:
            setattr(found, flag, getattr(found, flag) + row[flag])
    untouched = (
        RequestRow.objects.filter(
            region_path__startswith=region.path,
            request__demand__admission__in=REACHED,
            request__demand__sent_at__gte=start,
            request__demand__sent_at__lt=end,
            cells_typed=0,
            cells_missing=0,
        )
        .values("request__demand__sender_department_id", "request__demand__sender_region_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in reached:
        key = _sender_key(row["demand__sender_department_id"], row["demand__sender_region_id"])
        if key in senders:
            senders[key].reached_places += row["n"]
            senders[key].minutes += row["n"] * minutes.get(row["demand__kind"], 0)
    for row in untouched:
        key = _sender_key(
            row["request__demand__sender_department_id"], row["request__demand__sender_region_id"]
        )
        if key in senders:
            senders[key].minutes -= row["n"] * minutes.get(DemandKind.DATA_REQUEST, 0)
    return sorted(senders.values(), key=lambda s: (-s.minutes, -s.sent, s.name))


def _sender_key(department_id, region_id) -> str:
    return f"d{department_id}" if department_id else f"r{region_id}"


def _avoided(region: Region, first: date, last: date) -> int:
    """Data requests answered from an earlier one: asked again, typed by nobody."""
    start, end = _midnight(first), _midnight(last + timedelta(days=1))
    return (
        Demand.objects.filter(
            sent_at__gte=start,
            sent_at__lt=end,
            data_request__answered_from__isnull=False,
            recipients__region_path__startswith=region.path,
        )
        .distinct()
        .count()
    )
