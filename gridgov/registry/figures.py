"""The registry's figures for a region subtree: resident population, households, residence
types, age bands, tags, dwellings by use and organisations by kind.

The number of queries is fixed, whatever the size of the area: the kept counts of its
communities (rollups.py) or, for a part of a community, a recount of its records; the
persons born in the age bands' boundary stretches; and the names of the tags carried.
The pages and the API read the same figures from here.

Scope: `paths` are the region paths counted under (a region's path, or for a grid worker
the paths of their grids within it); a record counts when its region path starts with one
of them. Sensitive tags are counted like any other: their counts are for everyone, the
names under them are not (see services.may_see_sensitive_tags).
"""

import operator
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import reduce

from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr
from django.utils import timezone

from gridgov.registry import rollups
from gridgov.registry.choices import DwellingUse, OrganisationKind, ResidenceType, Sensitivity
from gridgov.registry.models import CommunityCount, Person, Tag, under, within_scope

# (key, youngest age, oldest age or None): the bands the communities report in.
AGE_BANDS = [("0-17", 0, 17), ("18-59", 18, 59), ("60-79", 60, 79), ("80+", 80, None)]


def years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier; 29 February becomes the 28th."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def age_q(today: date, youngest: int | None = None, oldest: int | None = None, prefix="") -> Q:
    """Persons aged `youngest` to `oldest` (both included) on `today`, by birth date, so that
    an index on the birth date can serve it. A person of unknown birth date is in no band."""
    condition = Q(**{f"{prefix}birth_date__isnull": False})
    if youngest is not None:
        # Aged at least n: born on or before the day n years ago.
        condition &= Q(**{f"{prefix}birth_date__lte": years_before(today, youngest)})
    if oldest is not None:
        # Aged at most n: born after the day n + 1 years ago.
        condition &= Q(**{f"{prefix}birth_date__gt": years_before(today, oldest + 1)})
    return condition


@dataclass
class RegistryFigures:
    population: int = 0
    households: int = 0
    by_residence_type: dict = field(default_factory=dict)
    by_age_band: dict = field(default_factory=dict)
    unknown_age: int = 0
    # [{"code", "name", "sensitive", "count"}], only tags somebody here carries.
    by_tag: list = field(default_factory=list)
    dwellings_by_use: dict = field(default_factory=dict)
    organisations_by_kind: dict = field(default_factory=dict)
    organisations: int = 0

    def as_dict(self) -> dict:
        return {
            "population": self.population,
            "households": self.households,
            "by_residence_type": self.by_residence_type,
            "by_age_band": self.by_age_band,
            "unknown_age": self.unknown_age,
            "by_tag": self.by_tag,
            "dwellings_by_use": self.dwellings_by_use,
            "organisations": self.organisations,
            "organisations_by_kind": self.organisations_by_kind,
        }


def registry_figures(paths, today: date | None = None) -> RegistryFigures:
    """The figures of everyone and everything currently registered under `paths`.

    Communities and anything larger are read from the kept counts (rollups.py); a part of
    a community (a grid worker's grids) is counted from its records, which are few. Either
    way the persons born in the boundary stretches of the age bands are counted live."""
    today = today or timezone.localdate()
    paths = _outermost(paths)
    whole = [path for path in paths if len(path) <= rollups.community_length()]
    parts = [path for path in paths if len(path) > rollups.community_length()]
    counts = Counter()
    if whole:
        rows = (
            CommunityCount.objects.filter(under(whole, "community_path"))
            .values_list("figure", "key")
            .annotate(n=Sum("count"))
            .order_by()
        )
        counts.update({(figure, key): n for figure, key, n in rows})
    if parts:
        counts.update(rollups.recount(parts, by_community=False))
    stretches = Stretches(today)
    live = Person.objects.filter(stretches.born_in(paths)).aggregate(**stretches.counted)
    return _figures(counts, stretches.bands(counts, live), _tag_names([counts]))


def area_figures(area_paths, today: date | None = None) -> dict[str, RegistryFigures]:
    """The figures of each of many areas at once — every community of a city, say — keyed
    by path: two grouped queries per path length and one for the tags' names, whatever the
    number of areas. Each area must be a community or larger."""
    today = today or timezone.localdate()
    stretches = Stretches(today)
    counts = {path: Counter() for path in area_paths}
    live = {}
    by_length = {}
    for path in counts:
        if len(path) > rollups.community_length():
            raise ValueError(f"{path} is below a community: use registry_figures")
        by_length.setdefault(len(path), []).append(path)
    for length, paths in by_length.items():
        rows = (
            CommunityCount.objects.filter(under(paths, "community_path"))
            .annotate(area=Substr("community_path", 1, length))
            .values_list("area", "figure", "key")
            .annotate(n=Sum("count"))
            .order_by()
        )
        for area, figure, key, n in rows:
            counts[area][(figure, key)] += n
        grouped = (
            Person.objects.filter(stretches.born_in(paths))
            .annotate(area=Substr("region_path", 1, length))
            .values("area")
            .annotate(**stretches.counted)
            .order_by()
        )
        live.update({row.pop("area"): row for row in grouped})
    names = _tag_names(counts.values())
    return {
        path: _figures(area_counts, stretches.bands(area_counts, live.get(path, {})), names)
        for path, area_counts in counts.items()
    }


def figures_seen_by(user, region_path: str) -> RegistryFigures | None:
    """The figures of the part of the region the user may see; None when they see none of
    its registry (a department handler, a grid worker elsewhere)."""
    paths = within_scope(user, region_path)
    return registry_figures(paths) if paths else None


def _outermost(paths) -> list[str]:
    """`paths` without any that lies under another (it would be counted twice)."""
    paths = sorted(set(paths))
    return [p for i, p in enumerate(paths) if not any(p.startswith(q) for q in paths[:i])]


class Stretches:
    """Persons per age band on `today`: whole birth years from the counts, and in each
    year where a band begins, the persons born in the shorter part of it before or after
    the boundary day, counted live (an index on the birth date serves it)."""

    def __init__(self, today: date):
        ages = sorted(
            {youngest for _k, youngest, _o in AGE_BANDS}
            | {oldest + 1 for _k, _y, oldest in AGE_BANDS if oldest is not None}
        )
        self.boundaries = {age: years_before(today, age) for age in ages}
        # age → (first day, last day, whether the stretch lies after the boundary day)
        self.stretches = {}
        for age, day in self.boundaries.items():
            if day.timetuple().tm_yday <= 183:
                self.stretches[age] = (date(day.year, 1, 1), day, False)
            else:
                self.stretches[age] = (day + timedelta(days=1), date(day.year, 12, 31), True)
        self.conditions = {
            f"age_{age}": Q(birth_date__gte=first, birth_date__lte=last)
            for age, (first, last, _after) in self.stretches.items()
        }
        self.counted = {name: Count("birth_date", filter=q) for name, q in self.conditions.items()}

    def born_in(self, paths) -> Q:
        """The current residents under `paths` born in one of the stretches."""
        return (
            under(paths)
            & reduce(operator.or_, self.conditions.values())
            & Q(moved_out_on__isnull=True)
        )

    def bands(self, counts: Counter, live: dict) -> dict:
        years = {
            int(key): n
            for (figure, key), n in counts.items()
            if figure == rollups.Figure.BIRTH_YEAR and key
        }

        def born_by(age: int) -> int:
            """Persons born on or before the day `age` years before today."""
            day = self.boundaries[age]
            stretch = live.get(f"age_{age}") or 0
            if self.stretches[age][2]:
                return sum(n for y, n in years.items() if y <= day.year) - stretch
            return sum(n for y, n in years.items() if y < day.year) + stretch

        return {
            key: born_by(youngest) - (born_by(oldest + 1) if oldest is not None else 0)
            for key, youngest, oldest in AGE_BANDS
        }


def _tag_names(all_counts) -> dict[str, Tag]:
    """The tags carried anywhere in the counts, by id as the counts key them."""
    ids = {
        int(key)
        for counts in all_counts
        for (figure, key) in counts
        if figure == rollups.Figure.TAG
    }
    return {str(tag.pk): tag for tag in Tag.objects.filter(pk__in=ids)} if ids else {}


def _figures(counts: Counter, by_age_band: dict, tag_names: dict) -> RegistryFigures:
    def of(figure) -> dict:
        return {key: n for (f, key), n in counts.items() if f == figure and n}

    types, tags = of(rollups.Figure.RESIDENCE_TYPE), of(rollups.Figure.TAG)
    uses, kinds = of(rollups.Figure.DWELLING_USE), of(rollups.Figure.ORGANISATION_KIND)
    carried = sorted((tag_names[pk] for pk in tags if pk in tag_names), key=lambda t: t.code)
    return RegistryFigures(
        population=sum(types.values()),
        households=of(rollups.Figure.HOUSEHOLD).get("", 0),
        by_residence_type={value: types.get(value, 0) for value in ResidenceType.values},
        by_age_band=by_age_band,
        unknown_age=of(rollups.Figure.BIRTH_YEAR).get("", 0),
        by_tag=[
            {
                "code": tag.code,
                "name": tag.name,
                "sensitive": tag.sensitivity == Sensitivity.SENSITIVE,
                "count": tags[str(tag.pk)],
            }
            for tag in carried
        ],
        dwellings_by_use={value: uses.get(value, 0) for value in DwellingUse.values},
        organisations=sum(kinds.values()),
        organisations_by_kind={value: kinds.get(value, 0) for value in OrganisationKind.values},
    )


def figure_rows(figures: RegistryFigures) -> list[tuple[str, str, int]]:
    """The figures as (group, label, value) rows, in the order the pages and the Excel
    export show them."""
    from django.utils.translation import gettext as _

    rows = [
        (_("Residents"), _("Resident population"), figures.population),
        (_("Residents"), _("Households"), figures.households),
    ]
    rows += [
        (_("Residence type"), str(label), figures.by_residence_type.get(value, 0))
        for value, label in ResidenceType.choices
    ]
    rows += [
        (_("Age"), _("%(band)s years") % {"band": key}, figures.by_age_band.get(key, 0))
        for key, _youngest, _oldest in AGE_BANDS
    ]
    if figures.unknown_age:
        rows.append((_("Age"), _("Age not known"), figures.unknown_age))
    rows += [(_("Groups cared for"), tag["name"], tag["count"]) for tag in figures.by_tag]
    rows += [
        (_("Dwellings"), str(label), figures.dwellings_by_use.get(value, 0))
        for value, label in DwellingUse.choices
    ]
    rows.append((_("Organisations"), _("Organisations"), figures.organisations))
    rows += [
        (_("Organisations"), str(label), figures.organisations_by_kind.get(value, 0))
        for value, label in OrganisationKind.choices
        if figures.organisations_by_kind.get(value)
    ]
    return rows
