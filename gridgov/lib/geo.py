"""GeoJSON geometry helpers: parsing, validation, geodesic area, local metric projection."""

from functools import cache

import shapely
from pyproj import Geod, Transformer
from shapely.geometry import mapping, shape
from shapely.validation import explain_validity

_GEOD = Geod(ellps="WGS84")
POLYGONAL = {"Polygon", "MultiPolygon"}


class GeometryError(ValueError):
    pass


def geometry_from_geojson(geojson: dict) -> shapely.Geometry:
    """A valid polygonal shapely geometry from GeoJSON, or GeometryError saying why not."""
    if not isinstance(geojson, dict) or geojson.get("type") not in POLYGONAL:
        kind = geojson.get("type") if isinstance(geojson, dict) else type(geojson).__name__
        raise GeometryError(f"A boundary must be a Polygon or MultiPolygon, not {kind}.")
    try:
        geometry = shape(geojson)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise GeometryError(f"Unreadable coordinates: {exc}") from None
    if geometry.is_empty:
        raise GeometryError("The boundary is empty.")
    if not geometry.is_valid:
        raise GeometryError(f"Invalid geometry: {explain_validity(geometry)}")
    minx, miny, maxx, maxy = geometry.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise GeometryError("Coordinates must be longitude, latitude in degrees.")
    return geometry


def to_geojson(geometry: shapely.Geometry) -> dict:
    return mapping(geometry)


def geodesic_area_m2(geometry: shapely.Geometry) -> float:
    """Area on the WGS-84 ellipsoid. GCJ-02's offset shifts shapes, it barely changes areas."""
    # pyproj signs each ring's area by its winding and adds them up, so a hole wound the same
    # way as its exterior (common outside strict RFC 7946 data) would be added, not taken away.
    area, _perimeter = _GEOD.geometry_area_perimeter(shapely.orient_polygons(geometry))
    return abs(area)


@cache
def _local_transformers(lng0: float, lat0: float) -> tuple[Transformer, Transformer]:
    proj = f"+proj=tmerc +lon_0={lng0} +lat_0={lat0} +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m"
    forward = Transformer.from_crs("EPSG:4326", proj, always_xy=True)
    backward = Transformer.from_crs(proj, "EPSG:4326", always_xy=True)
    return forward, backward


def to_local_metres(geometry: shapely.Geometry, origin: tuple[float, float]) -> shapely.Geometry:
    """Project lng/lat onto a transverse Mercator plane centred on origin (metres)."""
    forward, _backward = _local_transformers(round(origin[0], 6), round(origin[1], 6))
    return shapely.transform(geometry, lambda xy: _apply(forward, xy))


def from_local_metres(geometry: shapely.Geometry, origin: tuple[float, float]) -> shapely.Geometry:
    _forward, backward = _local_transformers(round(origin[0], 6), round(origin[1], 6))
    return shapely.transform(geometry, lambda xy: _apply(backward, xy))


def _apply(transformer: Transformer, xy):
    import numpy as np

    x, y = transformer.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])
