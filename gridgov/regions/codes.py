"""Region codes and the materialized path derived from them.

The first four levels use the national 12-digit statistical division code
(e.g. 440303001002: 4403 Shenzhen, 03 Luohu, 001 street, 002 community), padded
with zeros. A grid appends a 3-digit sequence (15 digits), a building another 3.
The path keeps only each level's own digits, '/'-separated with a trailing '/',
so "this region and everything under it" is one prefix filter: path LIKE '4403/03/001/%'.
"""

from functools import cache

from django.conf import settings
from django.utils.translation import gettext as _

from gridgov.regions.choices import LEVEL_ORDER


class RegionCodeError(ValueError):
    pass


@cache
def _segments(spec: str) -> tuple[tuple[str, int], ...]:
    segments = []
    for part in spec.split(","):
        level, _sep, width = part.strip().partition(":")
        if level not in LEVEL_ORDER or not width.isdigit():
            raise RegionCodeError(f"Bad REGION_CODE_SEGMENTS entry {part!r}: use level:digits.")
        segments.append((level, int(width)))
    if [level for level, _w in segments] != LEVEL_ORDER:
        raise RegionCodeError(
            "REGION_CODE_SEGMENTS must list every level in order: " + ",".join(LEVEL_ORDER)
        )
    return tuple(segments)


def segments() -> tuple[tuple[str, int], ...]:
    return _segments(settings.GRIDGOV_REGION_CODE_SEGMENTS)


def significant_length(level: str) -> int:
    """How many leading digits of a code at this level carry meaning."""
    total = 0
    for name, width in segments():
        total += width
        if name == level:
            return total
    raise RegionCodeError(_("Unknown level %(level)r") % {"level": level})


def padded_length(level: str) -> int:
    return max(significant_length(level), settings.GRIDGOV_REGION_CODE_WIDTH)


def validate_code(code: str, level: str) -> None:
    if not code.isdigit():
        raise RegionCodeError(_("Region code %(code)r must be digits only.") % {"code": code})
    if len(code) != padded_length(level):
        raise RegionCodeError(
            _("A %(level)s code has %(want)d digits; %(code)r has %(got)d.")
            % {"level": level, "want": padded_length(level), "code": code, "got": len(code)}
        )
    if code[significant_length(level) :].strip("0"):
        raise RegionCodeError(
            _("%(code)r has digits past the %(level)s part, which must be zeros.")
            % {"code": code, "level": level}
        )
    own_start = significant_length(level) - dict(segments())[level]
    if not code[own_start : significant_length(level)].strip("0"):
        raise RegionCodeError(
            _("%(code)r: the %(level)s part must not be all zeros.")
            % {"code": code, "level": level}
        )


def path_and_above(path: str) -> list[str]:
    """A region path and the paths of every region above it, root first."""
    return [path[: i + 1] for i, char in enumerate(path) if char == "/"]


def path_for(code: str, level: str) -> str:
    parts, start = [], 0
    for name, width in segments():
        parts.append(code[start : start + width])
        start += width
        if name == level:
            break
    return "/".join(parts) + "/"


def child_code(parent_code: str, parent_level: str, child_level: str, sequence: int) -> str:
    """The code of the sequence-th child (1-based) of a parent."""
    width = dict(segments())[child_level]
    if not 1 <= sequence < 10**width:
        raise RegionCodeError(
            _("Sequence %(sequence)d does not fit in %(width)d digits.")
            % {"sequence": sequence, "width": width}
        )
    prefix = parent_code[: significant_length(parent_level)]
    # A level may be skipped (streets straight under a city): its digits stay zero.
    gap = significant_length(child_level) - width - len(prefix)
    own = prefix + "0" * gap + str(sequence).zfill(width)
    return own.ljust(padded_length(child_level), "0")
