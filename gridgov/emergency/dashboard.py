"""The emergency view of an area: its risk areas, arrivals, measure tasks, the last days'
figures, epidemic-free certification at each level below it, and the policy in force.

Every number is an aggregate over a region-path prefix, so the view runs the same few
queries whatever the size of the city (bench/emergency.py measures it at city scale).
Arrivals and tasks are about people: they are counted as the viewer sees them in the
registry (a grid worker: their grids), and not at all for who has no part in them.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from gridgov.emergency import arrivals, figures, services
from gridgov.emergency.choices import RiskLevel
from gridgov.emergency.models import (
    Arrival,
    Certification,
    CertificationState,
    DailyFigure,
    EmergencyArea,
    MeasureTask,
    PolicyVersion,
    RiskArea,
)
from gridgov.regions.choices import LEVEL_ORDER, Level
from gridgov.regions.codes import path_and_above
from gridgov.regions.models import Region
from gridgov.web.charts import Series, line_chart

SERIES_DAYS = 14
TREND_DAYS = 30
ARRIVAL_DAYS = 7
AREA_LEVELS = (RiskLevel.HIGH, RiskLevel.MEDIUM, RiskLevel.LOW)
CHARTED = ("confirmed", "asymptomatic", "close_contacts")


@dataclass
class RiskCount:
    level: RiskLevel
    here: int
    outside: int


@dataclass
class PeopleFigures:
    arrived_today: int
    arrived_week: int
    late_week: int
    open_tasks: int
    overdue_tasks: int


@dataclass
class EpidemicFree:
    level: Level
    certified: int
    total: int

    @property
    def share(self) -> float | None:
        return self.certified / self.total if self.total else None

    @property
    def percent(self) -> str:
        return "—" if self.share is None else f"{self.share * 100:.1f}%"


@dataclass
class EpidemicFreeTrend:
    """Each day's share of the areas of each level certified at its end."""

    days: list[date]
    levels: list[EpidemicFree]
    certified: dict[Level, list[int]]

    def chart(self):
        return line_chart(
            [f"{day:%m-%d}" for day in self.days],
            [
                Series(
                    str(row.level.label),
                    [round(n * 100 / row.total, 1) for n in self.certified[row.level]],
                )
                for row in self.levels
            ],
        )


@dataclass
class EmergencyView:
    region: Region
    risk: list[RiskCount]
    people: PeopleFigures | None
    series: list[dict]
    epidemic_free: list[EpidemicFree]
    epidemic_free_trend: EpidemicFreeTrend | None
    policy_version: PolicyVersion | None

    @property
    def risk_here(self) -> int:
        return sum(count.here for count in self.risk)

    @property
    def chart(self):
        labels = [f"{row['day']:%m-%d}" for row in self.series]
        return line_chart(
            labels,
            [Series(_label(name), [row[name] for row in self.series]) for name in CHARTED],
        )


def _label(name: str) -> str:
    return str(DailyFigure._meta.get_field(name).verbose_name)


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def risk_counts(region: Region, today: date) -> list[RiskCount]:
    """Current risk areas by level: in the area, and outside the city (which every area
    receives arrivals from)."""
    inside = Q(region_path__startswith=region.path)
    outside = Q(region__isnull=True)
    counts = (
        RiskArea.objects.current(today)
        .filter(inside | outside)
        .aggregate(
            **{
                f"{level}_{where}": Count("pk", filter=Q(level=level) & condition)
                for level in AREA_LEVELS
                for where, condition in (("here", inside), ("outside", outside))
            }
        )
    )
    return [
        RiskCount(level, counts[f"{level}_here"], counts[f"{level}_outside"])
        for level in AREA_LEVELS
    ]


def people_figures(user, region: Region, now: datetime) -> PeopleFigures | None:
    """Arrivals reported today and in the last week (how many late), open and overdue
    measure tasks; None for who has no part in arrivals."""
    if not arrivals.may_see(user):
        return None
    today = timezone.localdate(now)
    today_start = _day_start(today)
    week_start = _day_start(today - timedelta(days=ARRIVAL_DAYS - 1))
    arrived = (
        Arrival.objects.visible_to(user)
        .filter(region_path__startswith=region.path, reported_at__gte=week_start)
        .aggregate(
            today=Count("pk", filter=Q(reported_at__gte=today_start)),
            week=Count("pk"),
            late=Count("pk", filter=Q(late=True)),
        )
    )
    tasks = (
        MeasureTask.objects.visible_to(user)
        .open()
        .filter(region_path__startswith=region.path)
        .aggregate(open=Count("pk"), overdue=Count("pk", filter=Q(due_at__lt=now)))
    )
    return PeopleFigures(
        arrived["today"], arrived["week"], arrived["late"], tasks["open"], tasks["overdue"]
    )


def epidemic_free(region: Region) -> list[EpidemicFree]:
    """For each certifiable level below the area: how many of its areas are certified
    epidemic-free, out of how many."""
    below = [
        level
        for level in LEVEL_ORDER[LEVEL_ORDER.index(region.level) + 1 :]
        if level in services.CERTIFIABLE_LEVELS
    ]
    if not below:
        return []
    totals = Region.objects.filter(path__startswith=region.path).aggregate(
        **{level: Count("pk", filter=Q(level=level)) for level in below}
    )
    certified = Certification.objects.filter(
        region_path__startswith=region.path, state=CertificationState.CERTIFIED
    ).aggregate(**{level: Count("pk", filter=Q(region__level=level)) for level in below})
    return [
        EpidemicFree(Level(level), certified[level], totals[level])
        for level in below
        if totals[level]
    ]


def epidemic_free_trend(
    region: Region, levels: list[EpidemicFree], today: date, days: int = TREND_DAYS
) -> EpidemicFreeTrend | None:
    """How many areas of each level were certified at the end of each of the last days, in
    one query: a certificate counts from its decision until it was suspended or revoked."""
    if not levels:
        return None
    span = [today - timedelta(days=back) for back in range(days - 1, -1, -1)]
    was_certified = Q(
        state__in=(
            CertificationState.CERTIFIED,
            CertificationState.SUSPENDED,
            CertificationState.REVOKED,
        ),
        decided_at__isnull=False,
    )
    counts = (
        Certification.objects.filter(region_path__startswith=region.path)
        .filter(was_certified)
        .aggregate(
            **{
                f"{row.level}_{number}": Count(
                    "pk",
                    filter=Q(region__level=row.level, decided_at__lt=end)
                    & (Q(ended_at__isnull=True) | Q(ended_at__gte=end)),
                )
                for row in levels
                for number, end in enumerate(_day_start(day + timedelta(days=1)) for day in span)
            }
        )
    )
    return EpidemicFreeTrend(
        days=span,
        levels=levels,
        certified={
            row.level: [counts[f"{row.level}_{number}"] for number in range(len(span))]
            for row in levels
        },
    )


def emergency_view(user, region: Region, now: datetime | None = None) -> EmergencyView:
    now = now or timezone.now()
    today = timezone.localdate(now)
    levels = epidemic_free(region)
    return EmergencyView(
        region=region,
        risk=risk_counts(region, today),
        people=people_figures(user, region, now),
        series=figures.series(region, today - timedelta(days=SERIES_DAYS - 1), today),
        epidemic_free=levels,
        epidemic_free_trend=epidemic_free_trend(region, levels, today),
        policy_version=PolicyVersion.in_force(today),
    )


def open_areas_touching(region: Region):
    """The open emergency areas that hold the area or lie under it."""
    return (
        EmergencyArea.objects.filter(closed_at__isnull=True)
        .filter(
            Q(region_path__in=path_and_above(region.path)) | Q(region_path__startswith=region.path)
        )
        .select_related("region")
        .order_by("region_path")
    )


@dataclass
class Panel:
    """What the normal dashboard leads with while the area is on a wartime footing."""

    areas: list[EmergencyArea]
    risk: list[RiskCount]
    people: PeopleFigures | None
    new_today: dict


def dashboard_panel(user, region: Region, now: datetime | None = None) -> Panel | None:
    """None in normal times (one query); the key figures when an open emergency area
    holds the area or lies under it."""
    areas = list(open_areas_touching(region))
    if not areas:
        return None
    now = now or timezone.now()
    today = timezone.localdate(now)
    return Panel(
        areas=areas,
        risk=risk_counts(region, today),
        people=people_figures(user, region, now),
        new_today=figures.totals(region, today, today),
    )
