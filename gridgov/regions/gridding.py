"""Cutting a community into unit grids (单元网格) of roughly equal area.

The national digital-city standard divides a community into unit grids of about 10,000 m²,
numbered row by row from the north-west. We lay a square lattice over the community in
local metres, clip it to the boundary and fold the slivers the boundary leaves into their
neighbours, so every grid is a patch a grid worker can walk and the grids tile the
community with no gap or overlap.
"""

import math
from dataclasses import dataclass

import numpy as np
import shapely
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError

from gridgov.lib.geo import from_local_metres, geometry_from_geojson, to_local_metres
from gridgov.regions import codes
from gridgov.regions.choices import Level
from gridgov.regions.models import Region

STANDARD_CELL_AREA_M2 = 10_000
MIN_CELL_AREA_M2 = 100
# A clipped piece smaller than this share of a cell is too small to patrol on its own.
SLIVER_FRACTION = 0.4

_COMMUNITY_SUFFIXES = ("社区居民委员会", "居民委员会", "村民委员会", "居委会", "村委会", "社区")


class GriddingError(Exception):
    """A community cannot be cut into grids as asked; the message says why and what to do."""


@dataclass
class _Piece:
    row: int
    col: int
    geometry: shapely.Geometry  # lng/lat
    area_m2: float


def cut_into_grids(geometry: shapely.Geometry, cell_area_m2: float) -> list[shapely.Geometry]:
    """Cut a lng/lat (Multi)Polygon into grids of about cell_area_m2, in lng/lat.

    The grids are ordered north to south by lattice row, then west to east: the order of
    grid codes. Together they cover the geometry exactly. Each is a Polygon, except when
    a detached part of the geometry (an exclave) is too small to be a grid of its own: it
    joins the nearest grid, which becomes a MultiPolygon.
    """
    if cell_area_m2 <= 0:
        raise ValueError("The cell area must be positive.")
    origin = (geometry.centroid.x, geometry.centroid.y)
    local = to_local_metres(geometry, origin)
    side = math.sqrt(cell_area_m2)
    # A centimetre of margin keeps the outermost vertices strictly inside the lattice once it
    # is projected back, where its edges are chords of slightly curved lines.
    minx, miny, maxx, maxy = np.asarray(local.bounds) + [-0.01, -0.01, 0.01, 0.01]
    # The tolerance keeps a community exactly N cells wide from growing an empty N+1th column.
    ncols = max(1, math.ceil((maxx - minx) / side - 1e-6))
    nrows = max(1, math.ceil((maxy - miny) / side - 1e-6))
    xs = minx + np.arange(ncols + 1) * side
    ys = maxy - np.arange(nrows + 1) * side  # row 0 is the northernmost
    cells = np.array(
        [
            shapely.box(xs[col], ys[row + 1], xs[col + 1], ys[row])
            for row in range(nrows)
            for col in range(ncols)
        ]
    )
    # Only the lattice goes to local metres and back; the clipping happens in lng/lat, in plain
    # floating point. So the community's own vertices are kept as they are, and a cut point
    # lies on the community's edge as drawn in lng/lat, where a neighbouring community's grids
    # meet it too. (Snapping to a coordinate lattice would nudge cut points off the edge and
    # open millimetre slivers between communities.) Adjacent cells share corner coordinates,
    # so their projected corners are identical; a 100 m cell edge bends by well under a
    # millimetre between the two planes.
    cells = from_local_metres(cells, origin)
    clipped = shapely.intersection(geometry, cells)

    pieces = []
    for index, piece in enumerate(clipped):
        # A cell the boundary cuts into several disjoint parts yields one piece per part:
        # a part large enough becomes a grid of its own, a small one joins the neighbour it
        # shares most border with, so grids stay contiguous wherever the shape allows.
        for part in shapely.get_parts(piece):
            if isinstance(part, shapely.Polygon) and not part.is_empty and part.area > 0:
                pieces.append(_Piece(index // ncols, index % ncols, part, 0.0))
    if not pieces:
        raise ValueError("The geometry has no area.")
    areas = shapely.area(to_local_metres(np.array([p.geometry for p in pieces]), origin))
    for piece, area in zip(pieces, areas, strict=True):
        piece.area_m2 = float(area)

    _merge_slivers(pieces, SLIVER_FRACTION * cell_area_m2, origin)

    def reading_order(piece: _Piece):
        point = piece.geometry.representative_point()
        return (piece.row, piece.col, -point.y, point.x)

    return [piece.geometry for piece in sorted(pieces, key=reading_order)]


def _merge_slivers(pieces: list[_Piece], min_area_m2: float, origin) -> None:
    """Fold pieces under min_area_m2 into neighbours, smallest first, until none is left
    (or one piece is all there is: a community smaller than a cell is a single grid)."""
    while len(pieces) > 1:
        small = [p for p in pieces if p.area_m2 < min_area_m2]
        if not small:
            return
        sliver = min(small, key=lambda p: (p.area_m2, p.row, p.col))
        pieces.remove(sliver)
        target = _best_neighbour(sliver, pieces, origin)
        target.geometry = shapely.union(target.geometry, sliver.geometry)
        target.area_m2 += sliver.area_m2


def _best_neighbour(sliver: _Piece, others: list[_Piece], origin) -> _Piece:
    geometries = np.array([p.geometry for p in others])
    touching = np.flatnonzero(shapely.intersects(sliver.geometry, geometries))
    if len(touching):
        borders = shapely.intersection(
            sliver.geometry.boundary, shapely.boundary(geometries[touching])
        )
        # Lengths in metres: a degree of longitude is shorter than one of latitude here.
        lengths = shapely.length(to_local_metres(borders, origin))
        best = int(np.argmax(lengths))
        if lengths[best] > 0:
            return others[touching[best]]
    # An exclave touching nothing (or only at a corner) goes to the nearest piece.
    distances = shapely.distance(
        to_local_metres(sliver.geometry, origin), to_local_metres(geometries, origin)
    )
    return others[int(np.argmin(distances))]


def community_short_name(name: str) -> str:
    """翠苑社区 → 翠苑, the stem grid names are built on."""
    for suffix in _COMMUNITY_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def grid_name(community: Region, sequence: int, total: int) -> str:
    width = max(2, len(str(total)))
    return f"{community_short_name(community.name)}第{sequence:0{width}d}网格"


def build_grids(community: Region, cell_area_m2: float = STANDARD_CELL_AREA_M2) -> list[Region]:
    """Unsaved grid Regions for a community, with path and derived boundary fields set,
    ready for bulk_create. Checks nothing about existing grids: see make_grids."""
    if community.boundary is None:
        raise GriddingError(f"{community} has no boundary to cut into grids.")
    shapes = cut_into_grids(geometry_from_geojson(community.boundary), cell_area_m2)
    try:
        grid_codes = [
            codes.child_code(community.code, Level.COMMUNITY, Level.GRID, sequence)
            for sequence in range(1, len(shapes) + 1)
        ]
    except codes.RegionCodeError as exc:
        raise GriddingError(
            f"{community} would get {len(shapes)} grids, more than its codes can number "
            f"({exc}). Use a larger --cell-area."
        ) from None
    grids = []
    for sequence, (code, shape) in enumerate(zip(grid_codes, shapes, strict=True), start=1):
        grid = Region(
            code=code,
            name=grid_name(community, sequence, len(shapes)),
            level=Level.GRID,
            parent=community,
        )
        grid.set_boundary(shapely.geometry.mapping(shape), community.datum)
        grid.path = grid.path_from_code()
        grids.append(grid)
    return grids


def check_make_grids(community: Region, cell_area_m2: float) -> None:
    """Raise GriddingError unless this community can be cut with this cell area."""
    if community.level != Level.COMMUNITY:
        raise GriddingError(
            f"{community} is a {community.get_level_display()}, not a community: "
            "grids are cut from communities."
        )
    if community.boundary is None:
        raise GriddingError(
            f"{community} has no boundary. Import or draw its boundary before making grids."
        )
    if cell_area_m2 < MIN_CELL_AREA_M2:
        raise GriddingError(
            f"A cell area of {cell_area_m2:g} m² is too small: use at least "
            f"{MIN_CELL_AREA_M2} m² (the standard unit grid is {STANDARD_CELL_AREA_M2:,} m²)."
        )
    # Up to the standard size a community smaller than one cell simply becomes one grid;
    # asking for cells larger than both is a mistake (wrong units, wrong community).
    area = community.area_m2 or 0.0
    limit = max(area, STANDARD_CELL_AREA_M2)
    if cell_area_m2 > limit:
        raise GriddingError(
            f"A cell area of {cell_area_m2:,.0f} m² is larger than {community} itself "
            f"({area:,.0f} m²). Use at most {limit:,.0f} m²."
        )


def make_grids(
    community: Region, cell_area_m2: float = STANDARD_CELL_AREA_M2, replace: bool = False
) -> list[Region]:
    """Cut a community into grids and save them, coded 001… in north-west reading order.

    Refuses (GriddingError) if the community already has grids, unless replace=True, which
    deletes the old ones first, provided nothing refers to them. All or nothing.
    """
    check_make_grids(community, cell_area_m2)
    with transaction.atomic():
        # Two runs on one community at once would both pass the "no grids yet" check.
        Region.objects.select_for_update().filter(pk=community.pk).first()
        old_grids = Region.objects.filter(parent=community, level=Level.GRID)
        if old_grids.exists():
            if not replace:
                raise GriddingError(
                    f"{community} already has {old_grids.count()} grids. "
                    "Use --replace to cut it again."
                )
            _delete_grids(community, old_grids)
        grids = build_grids(community, cell_area_m2)
        Region.objects.bulk_create(grids)
    # bulk_create sends no post_save, so tell this process's locate index ourselves.
    from gridgov.regions.locate import invalidate

    invalidate()
    return grids


def _delete_grids(community: Region, old_grids) -> None:
    from gridgov.accounts.models import User

    # The grid-worker links would vanish silently with the grids (a many-to-many through
    # table cascades), leaving workers with nothing to patrol: make someone decide.
    assigned = User.grids.through.objects.filter(region__in=old_grids).count()
    if assigned:
        raise GriddingError(
            f"The grids of {community} have {assigned} grid-worker assignments. "
            "Unassign the grid workers first, then cut again."
        )
    try:
        old_grids.delete()
    except (ProtectedError, RestrictedError) as exc:
        blockers = getattr(exc, "protected_objects", None) or exc.restricted_objects
        raise GriddingError(
            f"The grids of {community} cannot be replaced: other records still refer to them "
            f"({_describe(blockers)}). Move or delete those first."
        ) from None


def _describe(objects) -> str:
    counts: dict[str, int] = {}
    for obj in objects:
        if isinstance(obj, Region):
            label = str(obj.get_level_display()).lower()
        else:
            label = str(obj._meta.verbose_name)
        counts[label] = counts.get(label, 0) + 1
    return ", ".join(f"{label}: {n}" for label, n in sorted(counts.items()))
