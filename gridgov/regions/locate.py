"""Point location: the deepest region whose boundary holds a point.

A grid answers if one holds the point; otherwise the community, street, district or
city does (属地兜底, every location has someone responsible). Buildings never answer:
they are too small and too unevenly mapped to route work by.

Every process keeps one in-memory index: an STRtree of prepared boundaries per
(level, datum), built on first use. Saving or deleting a Region drops it (signals.py),
and because other processes edit boundaries too, get_index() compares a cheap marker
against the database every GRIDGOV_LOCATE_RECHECK_SECONDS and rebuilds when it moved.

This module must import without configured Django settings: the benchmark builds an
index straight from shapely geometries with no database.
"""

import gc
import itertools
import logging
import math
import threading
import time
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely
from django.db import transaction

from gridgov.lib.datum import convert
from gridgov.regions.choices import Datum, Level

if TYPE_CHECKING:
    from gridgov.regions.models import Region

logger = logging.getLogger(__name__)

# Deepest first: the order in which the levels are asked.
LOCATE_LEVELS = (Level.GRID, Level.COMMUNITY, Level.STREET, Level.DISTRICT, Level.CITY)
_LEVEL_RANK = {level.value: depth for depth, level in enumerate(LOCATE_LEVELS)}
_NOT_FOUND = np.iinfo(np.int64).max

# Points are handled in spatially sorted chunks: neighbouring points hit the same tree
# nodes and polygons, which stay in the CPU cache. Input order ran half as fast.
_CHUNK = 65_536
_SORT_BINS = 1024


class OutsideServiceArea(ValueError):
    """The point lies in no city, district, street, community or grid we know."""

    def __init__(self, lng: float, lat: float, datum: str):
        from django.utils.translation import gettext

        super().__init__(gettext("This location is outside the service area."))
        self.lng, self.lat, self.datum = lng, lat, datum


@dataclass(frozen=True)
class LocateResult:
    region: "Region"
    # True when no grid holds the point and a higher level answers for it (属地兜底).
    fallback: bool
    datum: str  # of the query point
    boundary_datum: str  # of the boundary that matched
    # The query point in boundary_datum, i.e. after the conversion that was applied.
    point: tuple[float, float]

    @property
    def conversion(self) -> tuple[str, str] | None:
        return None if self.datum == self.boundary_datum else (self.datum, self.boundary_datum)


@dataclass(frozen=True)
class _Layer:
    """The boundaries of one level in one datum, behind one tree."""

    level: str
    datum: str
    tree: shapely.STRtree
    geometries: np.ndarray  # prepared, in tree order
    entries: np.ndarray  # int64: each tree geometry's position in the index arrays


class LocateIndex:
    """Boundaries of the levels city..grid, ready for point queries.

    The arrays (ids, codes, levels, datums) are kept sorted by level, deepest first,
    then by code, so that within a level a smaller position means a smaller code and
    "the smallest code among the candidates" is a plain minimum.
    """

    def __init__(self, ids, codes, levels, datums, geometries, marker=None):
        ids = np.asarray(ids, dtype=np.int64)
        codes = np.asarray(codes, dtype=str)
        levels = np.asarray(levels, dtype=str)
        datums = np.asarray(datums, dtype=str)
        geometries = np.asarray(geometries, dtype=object)
        n = len(ids)
        if not len(codes) == len(levels) == len(datums) == len(geometries) == n:
            raise ValueError("ids, codes, levels, datums and geometries must have equal lengths.")
        unknown = set(levels.tolist()) - set(_LEVEL_RANK)
        if unknown:
            raise ValueError(f"Levels {sorted(unknown)} cannot be located into.")
        unknown = set(datums.tolist()) - set(Datum.values)
        if unknown:
            raise ValueError(f"Unknown datums {sorted(unknown)}.")
        if n and not np.isin(shapely.get_type_id(geometries), (3, 6)).all():
            raise ValueError("Every geometry must be a Polygon or MultiPolygon.")

        depth = np.array([_LEVEL_RANK[level] for level in levels.tolist()], dtype=np.int64)
        order = np.lexsort((codes, depth)) if n else np.arange(0)
        self.ids, self.codes, self.levels = ids[order], codes[order], levels[order]
        self.datums, self.geometries = datums[order], geometries[order]
        self.marker = marker
        self.bounds = tuple(shapely.total_bounds(self.geometries)) if n else None

        shapely.prepare(self.geometries)
        if n:
            # GEOS builds a prepared polygon's point-in-area index on first use with no
            # guard (libgeos/geos#825), and shapely runs predicates without the GIL: two
            # request threads must never be first on one polygon. Touch each one now,
            # through the same call the queries use, before the index is shared.
            minx, miny, maxx, maxy = shapely.bounds(self.geometries).T
            shapely.intersects_xy(self.geometries, (minx + maxx) / 2, (miny + maxy) / 2)
        self._layers: dict[str, list[_Layer]] = {}
        for level in LOCATE_LEVELS:
            for datum in Datum.values:
                entries = np.flatnonzero((self.levels == level) & (self.datums == datum))
                if entries.size:
                    geometries = self.geometries[entries]
                    layer = _Layer(level, datum, shapely.STRtree(geometries), geometries, entries)
                    self._layers.setdefault(level, []).append(layer)

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def from_geometries(
        cls,
        ids: Sequence[int],
        codes: Sequence[str],
        levels: Sequence[str],
        geometries: Sequence[shapely.Geometry],
        datum: str | Sequence[str] = Datum.GCJ02,
    ) -> "LocateIndex":
        """An index over given shapes, no database needed. datum: one for all, or one each."""
        datums = [datum] * len(ids) if isinstance(datum, str) else datum
        return cls(ids, codes, levels, datums, geometries)

    @classmethod
    def from_queryset(cls, queryset=None, marker=None) -> "LocateIndex":
        """An index over the boundaries in the database (all of them unless queryset narrows).

        Boundaries are read as JSON text and parsed by GEOS in one vectorised call, several
        times faster than building shapes from the decoded dicts one by one.
        """
        from django.db.models import TextField
        from django.db.models.functions import Cast

        from gridgov.regions.models import Region

        if queryset is None:
            queryset = Region.objects.all()
        rows = list(
            queryset.filter(boundary__isnull=False, level__in=LOCATE_LEVELS)
            .annotate(boundary_text=Cast("boundary", output_field=TextField()))
            .order_by()
            .values_list("id", "code", "level", "datum", "boundary_text")
        )
        if not rows:
            return cls([], [], [], [], [], marker=marker)
        ids, codes, levels, datums, texts = zip(*rows, strict=True)
        geometries = shapely.from_geojson(np.asarray(texts, dtype=object), on_invalid="ignore")
        usable = np.isin(shapely.get_type_id(geometries), (3, 6)) & np.isin(datums, Datum.values)
        if not usable.all():
            # set_boundary() refuses these; a raw UPDATE or a bulk import may not have.
            skipped = [codes[i] for i in np.flatnonzero(~usable)]
            logger.warning("The locate index skips the unusable boundaries of %s", skipped)

        def keep(values):
            return np.asarray(values, dtype=object)[usable]

        return cls(
            keep(ids), keep(codes), keep(levels), keep(datums), geometries[usable], marker=marker
        )

    def estimated_bytes(self) -> int:
        """A rough size of the shapes, the trees and the arrays, in bytes.

        The constants were measured on GEOS 3.14 (RSS growth per 100,000 polygons of 5 and
        of 41 vertices); prepared-geometry caches, built lazily, are not counted.
        """
        n = len(self)
        coordinates = int(shapely.get_num_coordinates(self.geometries).sum()) if n else 0
        arrays = sum(a.nbytes for a in (self.ids, self.codes, self.levels, self.datums))
        per_geometry = 540  # GEOS polygon, ring, coordinate sequence, Python wrapper
        per_coordinate = 30
        per_tree_item = 64  # STRtree leaf, envelope, object array slots
        return coordinates * per_coordinate + n * (per_geometry + per_tree_item) + arrays

    def locate_many(self, lngs, lats, datum: str = Datum.WGS84) -> np.ndarray:
        """Region ids (int64) of the deepest region holding each point, -1 where none does."""
        entries = self.locate_entries(lngs, lats, datum)
        ids = np.full(len(entries), -1, dtype=np.int64)
        found = entries >= 0
        ids[found] = self.ids[entries[found]]
        return ids

    def locate_entries(self, lngs, lats, datum: str = Datum.WGS84) -> np.ndarray:
        """Positions in this index's arrays (int64), -1 where no boundary holds the point."""
        check_datum(datum)
        lngs, lats = check_coordinates(lngs, lats)
        result = np.full(len(lngs), -1, dtype=np.int64)
        if not len(lngs) or not len(self):
            return result
        order = self._spatial_order(lngs, lats)
        with _collector_paused(len(order) > _CHUNK):
            for start in range(0, len(order), _CHUNK):
                chunk = order[start : start + _CHUNK]
                result[chunk] = self._locate_chunk(lngs[chunk], lats[chunk], datum)
        return result

    def _spatial_order(self, lngs: np.ndarray, lats: np.ndarray) -> np.ndarray:
        # Row-major order of a coarse lattice over the index's extent: enough locality for
        # the caches, and the datum offset (a few hundred metres) does not disturb it.
        if len(lngs) < 2:
            return np.arange(len(lngs))
        minx, miny, maxx, maxy = self.bounds
        bins = _SORT_BINS - 1
        col = np.clip((lngs - minx) * (bins / max(maxx - minx, 1e-9)), 0, bins).astype(np.int64)
        row = np.clip((lats - miny) * (bins / max(maxy - miny, 1e-9)), 0, bins).astype(np.int64)
        return np.argsort(row * _SORT_BINS + col)

    def _locate_chunk(self, lngs: np.ndarray, lats: np.ndarray, datum: str) -> np.ndarray:
        result = np.full(len(lngs), -1, dtype=np.int64)
        pending = np.arange(len(lngs))
        converted: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for level in LOCATE_LEVELS:
            layers = self._layers.get(level)
            if not layers or not pending.size:
                continue
            hit_points, hit_entries = [], []
            for layer in layers:
                if layer.datum not in converted:
                    converted[layer.datum] = convert(lngs, lats, datum, layer.datum)
                x, y = converted[layer.datum]
                if pending.size < len(lngs):
                    x, y = x[pending], y[pending]
                point_index, tree_index = layer.tree.query(shapely.points(x, y))
                # A polygon intersects a point exactly when it covers it, boundary included,
                # so a point on a shared edge is a candidate for both sides.
                covered = shapely.intersects_xy(
                    layer.geometries[tree_index], x[point_index], y[point_index]
                )
                hit_points.append(point_index[covered])
                hit_entries.append(layer.entries[tree_index[covered]])
            points = np.concatenate(hit_points)
            if not points.size:
                continue
            # Several candidates (a shared edge, overlapping boundaries): the smallest
            # position, i.e. the smallest code of the level, wins.
            best = np.full(pending.size, _NOT_FOUND, dtype=np.int64)
            np.minimum.at(best, points, np.concatenate(hit_entries))
            found = best != _NOT_FOUND
            result[pending[found]] = best[found]
            pending = pending[~found]
        return result


@contextmanager
def _collector_paused(pause: bool):
    """Pause the cyclic garbage collector around a bulk query.

    Each chunk makes tens of thousands of short-lived point objects. The collector counts
    them, promotes the survivors and then sweeps the whole heap again and again: a third
    of the run time. They hold no cycles, so reference counting frees them all anyway.
    """
    if not pause or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def check_datum(datum: str) -> None:
    if datum not in Datum.values:
        raise ValueError(f"Unknown datum {datum!r}: use one of {', '.join(Datum.values)}.")


def check_point(lng, lat) -> tuple[float, float]:
    """The point as floats, or ValueError saying which coordinate is wrong."""
    return _check_number(lng, "Longitude", 180.0), _check_number(lat, "Latitude", 90.0)


def _check_number(value, name: str, limit: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number) or abs(number) > limit:
        raise ValueError(
            f"{name} must be a number between -{limit:g} and {limit:g}, not {value!r}."
        )
    return number


def check_coordinates(lngs, lats) -> tuple[np.ndarray, np.ndarray]:
    """Two equally long 1-d float arrays of valid degrees, else ValueError naming the first bad."""
    try:
        lngs = np.asarray(lngs, dtype=np.float64)
        lats = np.asarray(lats, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("Longitudes and latitudes must be numbers.") from None
    if lngs.ndim != 1 or lngs.shape != lats.shape:
        raise ValueError("Longitudes and latitudes must be two 1-d sequences of equal length.")
    bad = ~(np.isfinite(lngs) & np.isfinite(lats) & (np.abs(lngs) <= 180) & (np.abs(lats) <= 90))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"Point {i} ({lngs[i]}, {lats[i]}) is not a valid longitude, latitude: "
            f"longitude must lie within ±180 and latitude within ±90 degrees."
        )
    return lngs, lats


# --- the process-wide index -----------------------------------------------------------

_lock = threading.Lock()
_index: LocateIndex | None = None
_checked_at = -math.inf  # time.monotonic() of the last marker check
# Bumped (atomically, under the GIL) by every invalidate(): a build that saw another
# generation when it started may hold boundaries older than the database's, so it is
# used for the call that asked but not kept.
_generations = itertools.count()
_generation = next(_generations)


def invalidate() -> None:
    """Drop this process's index; the next locate rebuilds it.

    Called on every Region save and delete. Inside a transaction the index is dropped again
    after the commit: another thread may rebuild in between from the not yet committed state.
    """
    _forget()
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        transaction.on_commit(_forget)


def _forget() -> None:
    global _index, _generation
    _generation = next(_generations)
    _index = None


def _database_marker() -> tuple:
    """Changes whenever a boundary is set, cleared or its region deleted: one aggregate."""
    from django.db.models import Count, Max

    from gridgov.regions.models import Region

    marker = Region.objects.filter(boundary__isnull=False, level__in=LOCATE_LEVELS).aggregate(
        count=Count("id"), latest=Max("boundary_updated_at")
    )
    return marker["count"], marker["latest"]


def get_index() -> LocateIndex:
    """This process's index, built on first use and rebuilt when the boundaries changed."""
    global _index, _checked_at
    from django.conf import settings

    recheck = settings.GRIDGOV_LOCATE_RECHECK_SECONDS
    index = _index
    if index is not None and time.monotonic() - _checked_at < recheck:
        return index
    with _lock:
        index = _index
        if index is not None and time.monotonic() - _checked_at < recheck:
            return index
        generation = _generation
        # Read before the rows: a change committed in between makes the next check rebuild.
        marker = _database_marker()
        if index is None or index.marker != marker:
            started = time.monotonic()
            index = LocateIndex.from_queryset(marker=marker)
            logger.info(
                "Built the locate index: %d boundaries in %.2fs",
                len(index),
                time.monotonic() - started,
            )
        if generation == _generation:
            _index, _checked_at = index, time.monotonic()
        return index


def locate(lng, lat, datum: str = Datum.WGS84) -> LocateResult:
    """The deepest region (grid, else community … city) whose boundary covers the point.

    Raises ValueError for a malformed point or datum, OutsideServiceArea (a ValueError)
    when no city holds the point. On a shared edge the smallest code wins.
    """
    from gridgov.regions.models import Region

    check_datum(datum)
    lng, lat = check_point(lng, lat)
    # The row may have been deleted by another process since the index was built:
    # then rebuild once and ask again.
    for _attempt in range(2):
        index = get_index()
        entry = int(index.locate_entries(np.array([lng]), np.array([lat]), datum)[0])
        if entry < 0:
            raise OutsideServiceArea(lng, lat, datum)
        # Not the boundary: the index has already tested it, and a district's is large.
        region = Region.objects.defer("boundary").filter(pk=int(index.ids[entry])).first()
        if region is not None:
            break
        invalidate()
    else:
        # Deleted again under a fresh index: whatever held the point is gone.
        raise OutsideServiceArea(lng, lat, datum)
    boundary_datum = str(index.datums[entry])
    x, y = convert(lng, lat, datum, boundary_datum)
    return LocateResult(
        region=region,
        fallback=region.level != Level.GRID,
        datum=datum,
        boundary_datum=boundary_datum,
        point=(float(x), float(y)),
    )


def locate_many(lngs, lats, datum: str = Datum.WGS84) -> np.ndarray:
    """Region ids (int64, -1 outside the service area) for many points at once.

    Raises ValueError if any point is malformed (the message names the first).
    """
    return get_index().locate_many(lngs, lats, datum)
