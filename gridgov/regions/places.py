"""Finding a typed place on the map: the address search of the report and intake maps.

Public geography only: names, levels, codes and centres of areas and buildings, never
anything about people or cases.
"""

from dataclasses import dataclass

from django.db.models.functions import Length

from gridgov.lib.datum import convert
from gridgov.regions.choices import Level, level_depth
from gridgov.regions.gazetteer import match_address
from gridgov.regions.models import Region

SEARCHED_LEVELS = [Level.DISTRICT, Level.STREET, Level.COMMUNITY, Level.GRID, Level.BUILDING]
MAX_QUERY_LENGTH = 100
# How many rows a name search reads before ranking: a building name such as "3号楼" repeats
# in every estate, and a longer list would only bury the useful answers.
CANDIDATES = 50


@dataclass(frozen=True)
class Place:
    region: Region
    lng: float
    lat: float

    @property
    def label(self) -> str:
        """The name, with its parent's for grids and buildings, whose names repeat."""
        parent = self.region.parent
        if self.region.level in (Level.GRID, Level.BUILDING) and parent is not None:
            return f"{parent.name} {self.region.name}"
        return self.region.name


def find_places(text: str, datum: str, limit: int = 8) -> list[Place]:
    """The areas and buildings a typed address or name points at, best first, with centres
    in `datum` (the map's). The area the whole address names (match_address) comes first,
    then regions whose own name contains the text."""
    text = text.strip()
    found: list[Region] = []
    best = match_address(text)
    if best is not None:
        found.append(best)
    named = (
        Region.objects.filter(level__in=SEARCHED_LEVELS, name__contains=text)
        .exclude(pk__in=[r.pk for r in found])
        .select_related("parent")
        .order_by(Length("name"), "code")[:CANDIDATES]
    )
    # Exact names first, then the coarser levels: "枫苑" should find the community before
    # each of its grids.
    found += sorted(named, key=lambda r: (r.name != text, level_depth(r.level), len(r.name)))
    places = []
    for region in found:
        centre = _centre(region)
        if centre is not None:
            lng, lat = convert(centre[0], centre[1], region.datum, datum)
            places.append(Place(region, round(lng, 6), round(lat, 6)))
        if len(places) == limit:
            break
    return places


def _centre(region: Region) -> tuple[float, float] | None:
    if region.centroid_lng is not None and region.centroid_lat is not None:
        return region.centroid_lng, region.centroid_lat
    return None
