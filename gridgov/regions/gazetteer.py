"""Placing a typed address on the region tree, with no geocoding service.

Residents write addresses like "枫苑社区3号楼" or "凤起街道枫苑社区". The tree already holds
every name (streets, communities, grids, buildings), so the address is matched against it:
the deepest area whose name appears in the text wins, and a building name ("3号楼") only
counts inside a community the text also names, since building names repeat across the city.
"""

from django.db.models import Q

from gridgov.regions.choices import Level
from gridgov.regions.models import Region

SUFFIXES = ("街道办事处", "街道", "社区居委会", "社区", "居委会")


def _name_forms(name: str) -> set[str]:
    forms = {name}
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            forms.add(name[: -len(suffix)])
    return forms


def match_address(text: str, within: Region | None = None) -> Region | None:
    """The deepest region the address names: a building's grid, a community or a street."""
    text = (text or "").strip()
    if len(text) < 2:
        return None
    areas = Region.objects.filter(level__in=[Level.DISTRICT, Level.STREET, Level.COMMUNITY])
    if within is not None:
        areas = areas.filter(path__startswith=within.path)
    named = [
        region
        for region in areas.only("pk", "name", "level", "path", "code")
        if any(form in text for form in _name_forms(region.name))
    ]
    if not named:
        return None
    depth = {Level.DISTRICT: 0, Level.STREET: 1, Level.COMMUNITY: 2}
    # Deepest first; among equals the longest name (the most specific match).
    named.sort(key=lambda r: (depth[r.level], len(r.name)), reverse=True)
    best = named[0]
    if best.level == Level.COMMUNITY:
        building = _building_in(best, text)
        if building is not None:
            return building.parent
    return best


def _building_in(community: Region, text: str) -> Region | None:
    buildings = Region.objects.filter(
        Q(level=Level.BUILDING), path__startswith=community.path
    ).only("pk", "name", "parent_id", "path")
    matches = [b for b in buildings.select_related("parent") if b.name and b.name in text]
    if not matches:
        return None
    return max(matches, key=lambda b: len(b.name))
