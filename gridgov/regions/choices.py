from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    """The levels of the region tree, top down. Their order is the tree's order."""

    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    STREET = "street", _("Street")
    COMMUNITY = "community", _("Community")
    GRID = "grid", _("Grid")
    BUILDING = "building", _("Building")


LEVEL_ORDER = [level.value for level in Level]


def level_depth(level: str) -> int:
    return LEVEL_ORDER.index(level)


def child_level(level: str) -> str | None:
    depth = level_depth(level)
    return LEVEL_ORDER[depth + 1] if depth + 1 < len(LEVEL_ORDER) else None


class Datum(models.TextChoices):
    """Coordinate datums. GCJ-02 is the offset datum every Chinese web map uses;
    mixing it with WGS-84 (GPS) misplaces points by a few hundred metres."""

    WGS84 = "wgs84", _("WGS-84 (GPS)")
    GCJ02 = "gcj02", _("GCJ-02 (Chinese web maps)")
