"""The registry's figures for a region subtree: resident population, households, residence
types, age bands, tags, dwellings by use and organisations by kind.

Each figure is an aggregate the database computes (COUNT … FILTER, GROUP BY), so the number
of queries is fixed — five, whatever the size of the area — and no row is read into Python.
The pages and the API read the same figures from here.

Scope: `paths` are the region paths counted under (a region's path, or for a grid worker
the paths of their grids within it); a record counts when its region path starts with one
of them. Sensitive tags are counted like any other: their counts are for everyone, the
names under them are not (see services.may_see_sensitive_tags).
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Q
from django.utils import timezone

from gridgov.registry.choices import DwellingUse, OrganisationKind, ResidenceType, Sensitivity
from gridgov.registry.models import Dwelling, Household, Organisation, Person, PersonTag, under

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
    """The figures of everyone and everything currently registered under `paths`."""
    today = today or timezone.localdate()
    paths = list(paths)
    residents = Person.objects.filter(under(paths), moved_out_on__isnull=True)
    people = residents.aggregate(
        population=Count("pk"),
        unknown_age=Count("pk", filter=Q(birth_date__isnull=True)),
        **{
            f"type_{value}": Count("pk", filter=Q(residence_type=value))
            for value in ResidenceType.values
        },
        **{
            f"band_{index}": Count("pk", filter=age_q(today, youngest, oldest))
            for index, (_key, youngest, oldest) in enumerate(AGE_BANDS)
        },
    )
    households = Household.objects.filter(under(paths), moved_out_on__isnull=True).count()
    tags = (
        PersonTag.objects.filter(
            under(paths, "person__region_path"), person__moved_out_on__isnull=True
        )
        .values("tag__code", "tag__name", "tag__sensitivity")
        .annotate(count=Count("pk"))
        .order_by("tag__code")
    )
    uses = dict(
        Dwelling.objects.filter(under(paths))
        .values_list("use")
        .annotate(count=Count("pk"))
        .order_by()
    )
    kinds = dict(
        Organisation.objects.filter(under(paths), is_active=True)
        .values_list("kind")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return RegistryFigures(
        population=people["population"],
        households=households,
        by_residence_type={value: people[f"type_{value}"] for value in ResidenceType.values},
        by_age_band={key: people[f"band_{index}"] for index, (key, _y, _o) in enumerate(AGE_BANDS)},
        unknown_age=people["unknown_age"],
        by_tag=[
            {
                "code": row["tag__code"],
                "name": row["tag__name"],
                "sensitive": row["tag__sensitivity"] == Sensitivity.SENSITIVE,
                "count": row["count"],
            }
            for row in tags
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
