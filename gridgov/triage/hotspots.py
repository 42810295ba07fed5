"""Hot spots (热点) and monthly topics (每月一题), and turning a topic into a proactive task.

Everything is counted by the database with grouped queries over the area's subtree; Python
only walks the grouped rows (cells × weeks, areas × categories), never the case table.

Spikes. A cell is one area (the case's region: a grid, or the community/street a case was
placed at) × one category. Its counts per ISO week (Monday 00:00 local time, TruncWeek) are
compared with the same cell's previous BASELINE_WEEKS weeks, weeks without a case counting
as 0. The default rule ("sd") flags this week's count c when

    c ≥ max(MIN_COUNT, mean + SD_FACTOR · max(sd, √mean))

— the standard deviation is floored at √mean because counts are at least Poisson-noisy: a
cell steady at 10 a week (sd 0) is not spiking at 11. The alternative ("poisson") flags
when c ≥ MIN_COUNT and P(X ≥ c) < POISSON_ALPHA for X ~ Poisson(λ), λ = max(mean, ½ case
per baseline period); the page shows that tail probability for every spike either way.
This week is the week in progress: its count only grows, so an early flag stays a flag.

Monthly topics. Cases of one category in one area one level below the viewer's root (a
district leader sees streets, a street sees communities) over the last TOPIC_DAYS days,
with the TOPIC_DAYS before for the trend and the number of distinct grids affected;
ranked by count, then growth, then grids. Proactive cases are left out of the counts.

A proactive task (未诉先办) is a case of channel "proactive" taken in through the same
intake_case as any other, with the topic's category and area, then registered through
perform() when the acting user may register (dispatchers; a leader's task waits in the
dispatchers' "to register" list, since registering is a dispatcher's right). Dispatch is
left to the dispatcher on purpose: a topic spans several grids, and choosing the lead
unit, or summoning several, is a judgement the routing rules cannot make for a whole area.
"""

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.db.models.functions import Substr, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.choices import Role
from gridgov.cases import services
from gridgov.cases.choices import Action, CaseType, Channel
from gridgov.cases.forms import leaf_categories
from gridgov.cases.models import Case
from gridgov.regions import codes
from gridgov.regions.choices import LEVEL_ORDER, Level, child_level, level_depth
from gridgov.regions.models import Region
from gridgov.triage.models import ProactiveTask

DEFAULTS = {
    "BASELINE_WEEKS": 8,
    "MIN_COUNT": 3,
    "SD_FACTOR": 3.0,
    "METHOD": "sd",  # or "poisson"
    "POISSON_ALPHA": 0.001,
    "TOPIC_DAYS": 30,
    "TOPICS": 15,
    "SPIKES": 50,
    "TOPIC_TITLE": "每月一题：{region} {category}",
}

VIEW_ROLES = {Role.LEADER, Role.DISPATCHER, Role.STREET_STAFF, Role.ADMINISTRATOR}
TASK_ROLES = {Role.LEADER, Role.DISPATCHER, Role.ADMINISTRATOR}


def config() -> dict:
    return {**DEFAULTS, **getattr(settings, "GRIDGOV_HOTSPOTS", {})}


def may_view(user) -> bool:
    return user.is_superuser or user.role in VIEW_ROLES


def may_create_task(user) -> bool:
    return user.is_superuser or user.role in TASK_ROLES


# --- spikes ------------------------------------------------------------------


def week_start(moment: datetime) -> date:
    """The Monday of the ISO week the moment falls in, local time."""
    day = timezone.localtime(moment).date()
    return day - timedelta(days=day.weekday())


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _as_date(value) -> date:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def poisson_tail(count: int, lam: float) -> float:
    """P(X ≥ count) for X ~ Poisson(lam)."""
    if count <= 0:
        return 1.0
    term = cumulative = math.exp(-lam)
    for k in range(1, count):
        term *= lam / k
        cumulative += term
    return max(0.0, 1.0 - cumulative)


@dataclass
class Spike:
    region_code: str
    region_name: str
    category_code: str
    category_name: str
    week: date
    count: int
    baseline: list[int]
    mean: float
    sd: float
    threshold: float
    p_value: float

    @property
    def iso_week(self) -> str:
        year, week, _day = self.week.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def excess(self) -> float:
        return self.count - self.mean


def weekly_counts(root: Region, first_week: date, end_week: date):
    """Cases per area × category × week from first_week up to (not including) end_week."""
    return (
        Case.objects.filter(
            region_path__startswith=root.path,
            received_at__gte=_local_midnight(first_week),
            received_at__lt=_local_midnight(end_week),
            category__isnull=False,
        )
        .exclude(channel=Channel.PROACTIVE)
        .annotate(week=TruncWeek("received_at"))
        .values(
            "region_id",
            "region__code",
            "region__name",
            "category_id",
            "category__code",
            "category__name",
            "week",
        )
        .annotate(n=Count("pk"))
        .order_by()
    )


def find_spikes(root: Region, now: datetime | None = None, cfg: dict | None = None):
    """Cells whose count this week stands out against their own baseline, largest first."""
    cfg = cfg or config()
    weeks = int(cfg["BASELINE_WEEKS"])
    current = week_start(now or timezone.now())
    first = current - timedelta(weeks=weeks)
    cells: dict[tuple, dict] = {}
    for row in weekly_counts(root, first, current + timedelta(weeks=1)):
        key = (row["region_id"], row["category_id"])
        cell = cells.setdefault(key, {"row": row, "counts": {}})
        week = _as_date(row["week"])
        cell["counts"][week] = cell["counts"].get(week, 0) + row["n"]
    spikes = []
    for cell in cells.values():
        count = cell["counts"].get(current, 0)
        if count < cfg["MIN_COUNT"]:
            continue
        baseline = [
            cell["counts"].get(current - timedelta(weeks=i), 0) for i in range(1, 1 + weeks)
        ]
        mean = sum(baseline) / weeks
        sd = math.sqrt(sum((c - mean) ** 2 for c in baseline) / weeks)
        threshold = max(cfg["MIN_COUNT"], mean + cfg["SD_FACTOR"] * max(sd, math.sqrt(mean)))
        p_value = poisson_tail(count, max(mean, 0.5 / weeks))
        if cfg["METHOD"] == "poisson":
            flagged = p_value < cfg["POISSON_ALPHA"]
        else:
            flagged = count >= threshold
        if flagged:
            row = cell["row"]
            spikes.append(
                Spike(
                    region_code=row["region__code"],
                    region_name=row["region__name"],
                    category_code=row["category__code"],
                    category_name=row["category__name"],
                    week=current,
                    count=count,
                    baseline=baseline[::-1],  # oldest first, as a sparkline reads
                    mean=mean,
                    sd=sd,
                    threshold=threshold,
                    p_value=p_value,
                )
            )
    spikes.sort(key=lambda s: (s.p_value, -s.excess, s.region_code, s.category_code))
    return spikes[: cfg["SPIKES"]]


# --- monthly topics ----------------------------------------------------------


def topic_level(root: Region) -> str:
    """Topics are counted one level below the root, but never finer than communities."""
    below = child_level(root.level) or root.level
    return LEVEL_ORDER[min(level_depth(below), max(root.depth, level_depth(Level.COMMUNITY)))]


def path_length(level: str) -> int:
    """Characters of a region path down to `level`: each level's digits and a '/'."""
    length = 0
    for name, width in codes.segments():
        length += width + 1
        if name == level:
            return length
    raise ValueError(level)


@dataclass
class Topic:
    region: Region
    category_id: int
    category_code: str
    category_name: str
    count: int
    previous: int
    grids: int
    task: ProactiveTask | None = None

    @property
    def trend(self) -> int:
        return self.count - self.previous

    @property
    def growth(self) -> float | None:
        return None if not self.previous else self.trend / self.previous


def _topic_cases(root: Region, now: datetime, days: int):
    start = now - timedelta(days=2 * days)
    return Case.objects.filter(
        region_path__startswith=root.path,
        received_at__gte=start,
        received_at__lt=now,
        category__isnull=False,
    ).exclude(channel=Channel.PROACTIVE)


def _period_counts(middle: datetime) -> dict:
    recent = Q(received_at__gte=middle)
    return {
        "count": Count("pk", filter=recent),
        "previous": Count("pk", filter=~recent),
        "grids": Count("region", filter=recent & Q(region__level=Level.GRID), distinct=True),
    }


def month_start(now: datetime) -> date:
    return timezone.localtime(now).date().replace(day=1)


def monthly_topics(root: Region, now: datetime | None = None, cfg: dict | None = None):
    """Candidate monthly topics under root, best first, each with its task if one exists."""
    cfg = cfg or config()
    now = now or timezone.now()
    days = int(cfg["TOPIC_DAYS"])
    width = path_length(topic_level(root))
    rows = list(
        _topic_cases(root, now, days)
        .annotate(area=Substr("region_path", 1, width))
        .values("area", "category_id", "category__code", "category__name")
        .annotate(**_period_counts(now - timedelta(days=days)))
        .filter(count__gt=0)
        .order_by("-count", (F("count") - F("previous")).desc(), "-grids", "area", "category_id")[
            : cfg["TOPICS"]
        ]
    )
    regions = {r.path: r for r in Region.objects.filter(path__in={row["area"] for row in rows})}
    tasks = {
        (task.category_id, task.region_id): task
        for task in ProactiveTask.objects.select_related("case").filter(
            month=month_start(now),
            region__in=list(regions.values()),
            category_id__in={row["category_id"] for row in rows},
        )
    }
    topics = []
    for row in rows:
        region = regions.get(row["area"])
        if region is None:
            continue  # a case whose region sits above the topic level: no area to name
        topics.append(
            Topic(
                region=region,
                category_id=row["category_id"],
                category_code=row["category__code"],
                category_name=row["category__name"],
                count=row["count"],
                previous=row["previous"],
                grids=row["grids"],
                task=tasks.get((row["category_id"], region.pk)),
            )
        )
    return topics


def topic_figures(region: Region, category, now: datetime, days: int) -> dict:
    """One topic's counts, recomputed from the database (never taken from the form)."""
    return (
        _topic_cases(region, now, days)
        .filter(category=category)
        .aggregate(**_period_counts(now - timedelta(days=days)))
    )


# --- proactive tasks ---------------------------------------------------------


@dataclass
class TaskResult:
    task: ProactiveTask
    created: bool
    registered: bool


def create_proactive_task(actor, category_code, region_code, *, now=None, cfg=None):
    """Turn one monthly topic into a proactive case (未诉先办). See the module docstring.

    Raises services.NotAllowed (403) for a role that may not, services.InvalidInput (400)
    for an unknown or out-of-scope area or category, or a topic with no recent cases;
    nothing is created then. A topic already turned into a task this month returns that
    task (created=False).
    """
    cfg = cfg or config()
    now = now or timezone.now()
    if not may_create_task(actor):
        raise services.NotAllowed(_("Your role may not create proactive tasks."))
    region = (
        Region.objects.visible_to(actor).filter(code=(region_code or "").strip()).first()
        if region_code
        else None
    )
    if region is None:
        message = _("There is no such area in your scope.")
        raise services.InvalidInput(message, {"region": [{"message": message}]})
    category = leaf_categories().filter(code=(category_code or "").strip()).first()
    if category is None:
        message = _("Choose a category of the catalogue (a leaf category).")
        raise services.InvalidInput(message, {"category": [{"message": message}]})
    month = month_start(now)
    existing = ProactiveTask.objects.filter(category=category, region=region, month=month).first()
    if existing is not None:
        return TaskResult(
            existing, created=False, registered=existing.case.registered_at is not None
        )
    days = int(cfg["TOPIC_DAYS"])
    figures = topic_figures(region, category, now, days)
    if not figures["count"]:
        raise services.InvalidInput(
            _("No case of “%(category)s” in %(region)s in the last %(days)d days: no topic.")
            % {"category": category.name, "region": region.name, "days": days}
        )
    try:
        with transaction.atomic():
            return _create(actor, category, region, month, figures, now, cfg)
    except IntegrityError:
        # Another leader turned the same topic into a task a moment ago: theirs stands.
        existing = ProactiveTask.objects.filter(category=category, region=region, month=month)
        task = existing.select_related("case").first()
        if task is None:
            raise
        return TaskResult(task, created=False, registered=task.case.registered_at is not None)


def _create(actor, category, region, month, figures, now, cfg) -> TaskResult:
    days = int(cfg["TOPIC_DAYS"])
    trend = figures["count"] - figures["previous"]
    title = cfg["TOPIC_TITLE"].format(region=region.name, category=category.name)[:200]
    description = _(
        "Monthly topic (每月一题) chosen on the hot-spots page: %(count)d cases of "
        "“%(category)s” in %(region)s in the last %(days)d days (%(previous)d in the "
        "%(days)d days before: %(trend)+d), in %(grids)d grids. Find and treat the common "
        "cause before residents have to call again (未诉先办)."
    ) % {
        "count": figures["count"],
        "category": category.name,
        "region": region.name,
        "days": days,
        "previous": figures["previous"],
        "trend": trend,
        "grids": figures["grids"],
    }
    case = services.intake_case(
        actor,
        {
            "channel": Channel.PROACTIVE,
            "case_type": CaseType.COMPLAINT,
            "category": category.code,
            "title": title,
            "description": description,
            "region": region.code,
            "datum": "gcj02",
        },
        at=now,
    ).case
    registered = False
    try:
        case = services.perform(
            actor, case.number, Action.REGISTER, {"category": category.code}, at=now
        )
        registered = True
    except services.NotAllowed:
        pass  # a leader: the dispatchers register it from their "to register" list
    task = ProactiveTask.objects.create(
        case=case,
        category=category,
        region=region,
        month=month,
        case_count=figures["count"],
        previous_count=figures["previous"],
        grid_count=figures["grids"],
        created_by=actor,
        created_at=now,
    )
    return TaskResult(task, created=True, registered=registered)
