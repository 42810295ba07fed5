"""The figures the platform holds for every street and community, which a data request
picks from instead of asking the communities (一数一源、一次采集、多方复用).

- the registry (as registered on the day the table is filled): residents by residence
  type, age band and tag, households, dwellings by use, organisations by kind;
- the cases received in the period: intake, closed, overdue and the rates, and intake per
  first-level category;
- the grid workers' patrols in the period: visits, households visited and the share of
  households visited;
- the epidemic figures of the period (emergency mode's daily figures, summed over the
  days and over everything under each area): new confirmed, suspected and asymptomatic
  cases, new close contacts, and the days with any of them.

`fill` computes any set of them for any number of areas in a fixed number of grouped
queries per source, whatever the number of areas.
"""

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from os.path import commonprefix

from django.db.models import Count, Sum
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from gridgov.cases.choices import OPEN_STATUSES
from gridgov.cases.models import Case, Category
from gridgov.emergency import figures as epidemic_figures
from gridgov.metrics import figures as case_figures
from gridgov.metrics.models import DailyRollup
from gridgov.regions.models import Region
from gridgov.registry.choices import DwellingUse, OrganisationKind, ResidenceType
from gridgov.registry.figures import AGE_BANDS, area_figures
from gridgov.registry.models import PatrolLog, Tag

REGISTRY, CASES, CATEGORIES, PATROL = "registry", "cases", "categories", "patrol"
EPIDEMIC = "epidemic"


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    group: str
    unit: str
    source: str
    # The value for one area, from what its source computed for it (None: nothing there).
    value: Callable


def _percent(value) -> float | None:
    return None if value is None else round(value * 100, 1)


def catalogue() -> list[Figure]:
    """Every figure, in the order the request builder offers them; labels in the active
    language. Tags are data, so the list is read each time."""
    people, cases, patrol = _("Residents"), _("Cases in the period"), _("Patrols in the period")
    figures = [
        Figure(
            "registry.population",
            _("Resident population"),
            people,
            _("persons"),
            REGISTRY,
            lambda f: f.population,
        ),
        Figure(
            "registry.households",
            _("Households"),
            people,
            _("households"),
            REGISTRY,
            lambda f: f.households,
        ),
    ]
    figures += [
        Figure(
            f"registry.residence.{value}",
            str(label),
            people,
            _("persons"),
            REGISTRY,
            lambda f, value=value: f.by_residence_type.get(value, 0),
        )
        for value, label in ResidenceType.choices
    ]
    figures += [
        Figure(
            f"registry.age.{key}",
            _("Aged %(band)s") % {"band": key},
            people,
            _("persons"),
            REGISTRY,
            lambda f, key=key: f.by_age_band.get(key, 0),
        )
        for key, _youngest, _oldest in AGE_BANDS
    ]
    figures += [
        Figure(
            f"registry.tag.{tag.code}",
            tag.name,
            _("Groups cared for"),
            _("persons"),
            REGISTRY,
            lambda f, code=tag.code: _tag_count(f, code),
        )
        for tag in Tag.objects.filter(is_active=True).order_by("code")
    ]
    figures += [
        Figure(
            f"registry.dwelling.{value}",
            str(label),
            _("Dwellings"),
            _("rooms"),
            REGISTRY,
            lambda f, value=value: f.dwellings_by_use.get(value, 0),
        )
        for value, label in DwellingUse.choices
    ]
    figures.append(
        Figure(
            "registry.organisations",
            _("Organisations"),
            _("Organisations"),
            _("units"),
            REGISTRY,
            lambda f: f.organisations,
        )
    )
    figures += [
        Figure(
            f"registry.organisation.{value}",
            str(label),
            _("Organisations"),
            _("units"),
            REGISTRY,
            lambda f, value=value: f.organisations_by_kind.get(value, 0),
        )
        for value, label in OrganisationKind.choices
    ]
    figures += [
        Figure(
            "cases.received", _("Cases received"), cases, _("cases"), CASES, lambda f: f.received
        ),
        Figure("cases.closed", _("Cases closed"), cases, _("cases"), CASES, lambda f: f.closed),
        Figure("cases.overdue", _("Cases overdue"), cases, _("cases"), CASES, lambda f: f.overdue),
        Figure(
            "cases.response_rate",
            _("Response rate"),
            cases,
            "%",
            CASES,
            lambda f: _percent(f.rate("response")),
        ),
        Figure(
            "cases.resolution_rate",
            _("Resolution rate"),
            cases,
            "%",
            CASES,
            lambda f: _percent(f.rate("resolution")),
        ),
        Figure(
            "cases.satisfaction_rate",
            _("Satisfaction rate"),
            cases,
            "%",
            CASES,
            lambda f: _percent(f.rate("satisfaction")),
        ),
        Figure(
            "cases.on_time_rate",
            _("On-time closure rate"),
            cases,
            "%",
            CASES,
            lambda f: _percent(f.rate("on_time")),
        ),
    ]
    figures += [
        Figure(
            f"cases.category.{category.code}",
            _("Cases received: %(category)s") % {"category": category.name},
            _("Cases in the period by category"),
            _("cases"),
            CATEGORIES,
            lambda f, code=category.code: f.get(code, 0),
        )
        for category in Category.objects.filter(parent=None).order_by("code")
    ]
    figures += [
        Figure(
            "patrol.visits", _("Patrol visits"), patrol, _("visits"), PATROL, lambda f: f["visits"]
        ),
        Figure(
            "patrol.households_visited",
            _("Households visited"),
            patrol,
            _("households"),
            PATROL,
            lambda f: f["households_visited"],
        ),
        Figure(
            "patrol.coverage",
            _("Share of households visited"),
            patrol,
            "%",
            PATROL,
            lambda f: f["coverage"],
        ),
    ]
    epidemic = _("Epidemic figures")
    figures += [
        Figure(
            f"epidemic.{name}",
            label,
            epidemic,
            _("persons"),
            EPIDEMIC,
            lambda f, name=name: f[name],
        )
        for name, label in (
            ("confirmed", _("New confirmed")),
            ("suspected", _("New suspected")),
            ("asymptomatic", _("New asymptomatic")),
            ("close_contacts", _("New close contacts")),
        )
    ]
    figures.append(
        Figure(
            "epidemic.days_with_new_case",
            _("Days with a new case or close contact"),
            epidemic,
            pgettext("unit", "days"),
            EPIDEMIC,
            lambda f: f["days_with_new_case"],
        )
    )
    return figures


def _tag_count(figures, code: str) -> int:
    return next((tag["count"] for tag in figures.by_tag if tag["code"] == code), 0)


def by_key() -> dict[str, Figure]:
    return {figure.key: figure for figure in catalogue()}


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _common_root(areas: list[Region]) -> Region:
    """The smallest region holding every area: case figures are computed under it."""
    paths = [area.path for area in areas]
    prefix = paths[0]
    for path in paths[1:]:
        while not path.startswith(prefix):
            prefix = prefix[: prefix.rstrip("/").rfind("/") + 1]
    return (
        Region.objects.filter(path=prefix).first()
        or Region.objects.filter(parent=None).order_by("code").first()
    )


def fill(areas: list[Region], first: date, last: date, keys) -> dict[str, dict]:
    """{area path: {figure key: value}} for the figures `keys` of each area, cases,
    patrols and epidemic figures over the days first to last."""
    wanted = [figure for key, figure in by_key().items() if key in set(keys)]
    sources = {figure.source for figure in wanted}
    paths = [area.path for area in areas]
    start, end = _midnight(first), _midnight(last + timedelta(days=1))
    computed = {REGISTRY: {}, CASES: {}, CATEGORIES: {}, PATROL: {}, EPIDEMIC: {}}
    if REGISTRY in sources or PATROL in sources:
        computed[REGISTRY] = area_figures(paths)
    if CASES in sources:
        root = _common_root(areas)
        for length in sorted({len(path) for path in paths}):
            computed[CASES].update(case_figures.area_figures(root, length, start, end))
    if CATEGORIES in sources:
        computed[CATEGORIES] = _received_by_category(paths, first, last, start, end)
    if PATROL in sources:
        computed[PATROL] = _patrols(paths, start, end, computed[REGISTRY])
    if EPIDEMIC in sources:
        # Summed as the emergency figures pages sum them, so both show the same numbers.
        computed[EPIDEMIC] = epidemic_figures.totals_by_area(paths, first, last)
    table = {}
    for path in paths:
        row = {}
        for figure in wanted:
            found = computed[figure.source].get(path)
            if figure.source == CASES and found is None:
                found = case_figures.Figures(kind="", code="", name="")
            if figure.source == CATEGORIES and found is None:
                found = {}
            row[figure.key] = figure.value(found) if found is not None else None
        table[path] = row
    return table


def _by_length(paths) -> dict[int, list[str]]:
    by_length = defaultdict(list)
    for path in paths:
        by_length[len(path)].append(path)
    return dict(sorted(by_length.items()))


def _in_areas(queryset, areas: list[str], length: int):
    """The rows of `queryset` under one of `areas` (paths `length` long), annotated with
    their area. Thousands of areas as one LIKE each made every row try every pattern
    (seconds for a city's communities); their shared prefix, which the path indexes serve,
    and the area looked up in a set do not."""
    return (
        queryset.filter(region_path__startswith=commonprefix(areas))
        .annotate(area=Substr("region_path", 1, length))
        .filter(area__in=areas)
    )


def _received_by_category(paths, first, last, start, end) -> dict[str, Counter]:
    """Cases received per area and first-level category: the finished ones from the daily
    rollups, the open ones from the case table (as gridgov.metrics counts them)."""
    root_of = _category_roots()
    received = defaultdict(Counter)
    for length, areas in _by_length(paths).items():
        finished = (
            _in_areas(DailyRollup.objects.filter(day__gte=first, day__lte=last), areas, length)
            .values_list("area", "category_id")
            .annotate(n=Sum("received"))
            .order_by()
        )
        still_open = (
            _in_areas(
                Case.objects.filter(
                    status__in=OPEN_STATUSES, received_at__gte=start, received_at__lt=end
                ),
                areas,
                length,
            )
            .values_list("area", "category_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for rows in (finished, still_open):
            for path, category, n in rows:
                if category in root_of and n:
                    received[path][root_of[category]] += n
    return received


def _category_roots() -> dict[int, str]:
    """Every category's first-level ancestor's code, by id."""
    parents = dict(Category.objects.values_list("pk", "parent_id"))
    codes = dict(Category.objects.values_list("pk", "code"))
    roots = {}
    for pk in parents:
        top = pk
        while parents.get(top):
            top = parents[top]
        roots[pk] = codes[top]
    return roots


def _patrols(paths, start, end, registry: dict) -> dict[str, dict]:
    visits = {}
    for length, areas in _by_length(paths).items():
        rows = (
            _in_areas(
                PatrolLog.objects.filter(visited_at__gte=start, visited_at__lt=end), areas, length
            )
            .values("area")
            .annotate(visits=Count("pk"), households_visited=Count("household", distinct=True))
            .order_by()
        )
        visits.update({row.pop("area"): row for row in rows})
    result = {}
    for path in paths:
        found = visits.get(path, {"visits": 0, "households_visited": 0})
        households = registry[path].households if path in registry else 0
        coverage = round(found["households_visited"] / households * 100, 1) if households else None
        result[path] = {**found, "coverage": coverage}
    return result
