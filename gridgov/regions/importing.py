"""Import region boundaries from a GeoJSON FeatureCollection.

`plan_import()` reads and checks every feature without writing anything; `apply_import()`
writes a plan that has no errors in one transaction, so an import with any error changes
nothing. The management command `gridgov import-regions` is a thin wrapper around both.

Features are numbered from 0, as in the file's `features` array (`jq '.features[3]'`).
"""

import json
import math
import statistics
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import shapely
from django.db import transaction
from django.utils.translation import gettext as _
from shapely.geometry import Polygon, shape
from tqdm import tqdm

from gridgov.lib import datum as datums
from gridgov.lib.geo import GeometryError, geodesic_area_m2, geometry_from_geojson
from gridgov.regions import codes
from gridgov.regions.choices import LEVEL_ORDER, Datum, level_depth
from gridgov.regions.models import Region

DEFAULT_TOLERANCE_M2 = 1000.0
# Polygons that share an edge intersect in numerically-zero slivers from floating point;
# anything smaller than this is not a real overlap and not worth a line in the report.
NOISE_M2 = 0.01
# About a centimetre: a gap's ring is built from its neighbours' vertices, but overlay
# noding can move them by a rounding error, so an exact "touches" would miss neighbours.
NEIGHBOUR_DISTANCE_DEG = 1e-7
# Parent names in real files carry or drop the administrative suffix (光明新区 vs 光明区,
# 南山街道 vs 南山); longest first so 新区 wins over 区.
PARENT_NAME_SUFFIXES = ("街道办事处", "街道", "新区", "社区", "区", "县", "镇", "乡", "市")
NAME_MAX_LENGTH = Region._meta.get_field("name").max_length


class RegionImportError(Exception):
    """The import as a whole cannot go ahead: unreadable file, unknown parent, bad level."""


@dataclass(frozen=True)
class Issue:
    index: int | None
    name: str
    message: str

    def __str__(self) -> str:
        if self.index is None:
            return self.message
        return _("Feature %(index)d (%(name)s): %(message)s") % {
            "index": self.index,
            "name": self.name or "?",
            "message": self.message,
        }


@dataclass
class PlannedRegion:
    index: int
    name: str = ""
    geojson: dict | None = None
    geometry: shapely.Geometry | None = None
    parent: Region | None = None
    code: str = ""
    # The region this feature updates; None means it will be created.
    existing: Region | None = None


@dataclass
class ImportPlan:
    level: str
    datum: str
    parent: Region
    tolerance_m2: float
    features: list[PlannedRegion] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)

    def error(self, planned: PlannedRegion, message: str) -> None:
        self.errors.append(Issue(planned.index, planned.name, message))

    def area_issue(self, planned: PlannedRegion, area_m2: float, message: str) -> None:
        """Slivers up to the tolerance are digitising noise (a warning); beyond it, an error."""
        issue = Issue(planned.index, planned.name, message)
        (self.errors if area_m2 > self.tolerance_m2 else self.warnings).append(issue)

    @property
    def valid_features(self) -> list[PlannedRegion]:
        return [p for p in self.features if p.geometry is not None]

    @property
    def to_create(self) -> int:
        return sum(1 for p in self.features if p.existing is None)

    @property
    def to_update(self) -> int:
        return len(self.features) - self.to_create

    @cached_property
    def area_m2(self) -> float:
        return sum(geodesic_area_m2(p.geometry) for p in self.valid_features)


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    area_m2: float


def load_feature_collection(path: Path) -> dict:
    try:
        with open(path, encoding="utf-8") as file:
            collection = json.load(file)
    except OSError as exc:
        raise RegionImportError(
            _("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc}
        ) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise RegionImportError(
            _("%(path)s is not valid JSON: %(error)s") % {"path": path, "error": exc}
        ) from None
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise RegionImportError(_("%(path)s is not a GeoJSON FeatureCollection.") % {"path": path})
    return collection


def resolve_parent(code: str) -> Region:
    try:
        return Region.objects.get(code=code)
    except Region.DoesNotExist:
        raise RegionImportError(
            _("No region has the code %(code)s; create the parent region first.") % {"code": code}
        ) from None


def plan_import(
    feature_collection: dict,
    *,
    level: str,
    parent: Region,
    name_field: str,
    code_field: str | None = None,
    datum: str = Datum.GCJ02,
    parent_field: str | None = None,
    tolerance_m2: float = DEFAULT_TOLERANCE_M2,
    progress: bool = False,
) -> ImportPlan:
    """Read and check every feature; write nothing. The plan lists all errors and warnings."""
    _check_level(level, parent)
    if datum not in Datum.values:
        raise RegionImportError(_("Unknown datum %(datum)s.") % {"datum": datum})
    features = feature_collection.get("features")
    if not isinstance(features, list):
        raise RegionImportError(_("The FeatureCollection has no features list."))
    plan = ImportPlan(level=level, datum=datum, parent=parent, tolerance_m2=tolerance_m2)
    parents = _ParentIndex(parent, level) if parent_field else None
    for index, feature in enumerate(_progress(features, _("Validating"), progress)):
        planned = PlannedRegion(index=index)
        plan.features.append(planned)
        _read_feature(plan, planned, feature, name_field, code_field, parent_field, parents)
    if code_field:
        _match_given_codes(plan)
    else:
        _generate_codes(plan)
    _check_geometry(plan)
    # Checks run one after another; the report reads better feature by feature.
    plan.errors.sort(key=_by_feature)
    plan.warnings.sort(key=_by_feature)
    return plan


def _by_feature(issue: Issue) -> tuple[int, int]:
    return (-1, 0) if issue.index is None else (0, issue.index)


def apply_import(plan: ImportPlan, *, progress: bool = False) -> ImportResult:
    """Write a plan without errors, all or nothing."""
    if plan.errors:
        raise RegionImportError(_("An import with errors cannot be applied."))
    created = updated = 0
    with transaction.atomic():
        # Looked up again inside the transaction: a region created since planning is
        # updated rather than tripping the unique constraint.
        current = Region.objects.select_for_update().in_bulk(
            [p.code for p in plan.features], field_name="code"
        )
        for planned in _progress(plan.features, _("Writing"), progress):
            region = current.get(planned.code)
            if region is None:
                region = Region(code=planned.code, level=plan.level)
                created += 1
            else:
                updated += 1
            region.name, region.parent = planned.name, planned.parent
            region.set_boundary(planned.geojson, plan.datum)
            region.save()
    return ImportResult(created=created, updated=updated, area_m2=plan.area_m2)


def format_issues(issues: list[Issue], limit: int = 50) -> list[str]:
    lines = [str(issue) for issue in issues[:limit]]
    if len(issues) > limit:
        lines.append(_("... and %(count)d more") % {"count": len(issues) - limit})
    return lines


def _progress(items, description: str, enabled: bool):
    # disable=None lets tqdm switch itself off when stderr is not a terminal.
    return tqdm(items, desc=description, file=sys.stderr, disable=None if enabled else True)


def _check_level(level: str, parent: Region) -> None:
    if level not in LEVEL_ORDER:
        raise RegionImportError(_("Unknown level %(level)s.") % {"level": level})
    if level_depth(level) <= parent.depth:
        raise RegionImportError(
            _("A %(level)s cannot sit under %(parent)s, which is a %(parent_level)s.")
            % {"level": level, "parent": parent, "parent_level": parent.level}
        )


# Reading one feature


def _read_feature(plan, planned, feature, name_field, code_field, parent_field, parents) -> None:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        plan.error(planned, _("not a GeoJSON Feature"))
        return
    properties = feature.get("properties") or {}
    planned.name = _text(properties.get(name_field))
    if not planned.name:
        plan.error(planned, _("the name property %(field)s is missing") % {"field": name_field})
    elif len(planned.name) > NAME_MAX_LENGTH:
        plan.error(planned, _("the name is longer than %(max)d") % {"max": NAME_MAX_LENGTH})
    try:
        planned.geometry = geometry_from_geojson(feature.get("geometry"))
        planned.geojson = feature["geometry"]
    except GeometryError as exc:
        plan.error(planned, str(exc))
    planned.parent = plan.parent
    if parents is not None:
        planned.parent = parents.match(plan, planned, _text(properties.get(parent_field)))
    if code_field and planned.parent is not None:
        try:
            planned.code = _given_code(properties.get(code_field), plan.level, planned.parent)
        except codes.RegionCodeError as exc:
            plan.error(
                planned, _("bad code in %(field)s: %(error)s") % {"field": code_field, "error": exc}
            )


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _given_code(value, level: str, parent: Region) -> str:
    """A national 12-digit code, or a shorter one (a 6-digit adcode) padded with zeros."""
    code = _text(value)
    if not code:
        raise codes.RegionCodeError(_("the property is missing"))
    if code.isdigit() and len(code) < codes.padded_length(level):
        code = code.ljust(codes.padded_length(level), "0")
    codes.validate_code(code, level)
    if not codes.path_for(code, level).startswith(parent.path):
        raise codes.RegionCodeError(
            _("%(code)s does not lie under %(parent)s") % {"code": code, "parent": parent}
        )
    return code


class _ParentIndex:
    """The regions between --parent and the imported level, found by name."""

    def __init__(self, root: Region, level: str):
        between = LEVEL_ORDER[root.depth + 1 : level_depth(level)]
        candidates = Region.objects.subtree(root).filter(level__in=between).defer("boundary")
        self.exact, self.loose = {}, {}
        for region in candidates:
            self.exact.setdefault(region.name, []).append(region)
            self.loose.setdefault(_strip_suffix(region.name), []).append(region)

    def match(self, plan: ImportPlan, planned: PlannedRegion, value: str) -> Region | None:
        found = self.exact.get(value) or self.loose.get(_strip_suffix(value)) or []
        # A district and a street may share a stem (南山区, 南山街道): the parent field
        # names the immediate parent, so the deepest match wins.
        deepest = max((r.depth for r in found), default=None)
        found = [r for r in found if r.depth == deepest]
        if len(found) == 1:
            return found[0]
        message = (
            _("no region named %(value)s under %(root)s")
            if not found
            else _("several regions are named %(value)s under %(root)s")
        )
        plan.error(planned, message % {"value": value or '""', "root": plan.parent})
        return None


def _strip_suffix(name: str) -> str:
    for suffix in PARENT_NAME_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


# Codes


def _match_given_codes(plan: ImportPlan) -> None:
    seen: dict[str, PlannedRegion] = {}
    for planned in plan.features:
        if not planned.code:
            continue
        if planned.code in seen:
            first = seen[planned.code]
            plan.error(
                planned,
                _("duplicate code %(code)s, already used by feature %(index)d (%(name)s)")
                % {"code": planned.code, "index": first.index, "name": first.name},
            )
        seen.setdefault(planned.code, planned)
    existing = Region.objects.defer("boundary").in_bulk(list(seen), field_name="code")
    for planned in plan.features:
        _mark_existing(plan, planned, existing.get(planned.code))


def _mark_existing(plan: ImportPlan, planned: PlannedRegion, region: Region | None) -> None:
    if region is not None and region.level != plan.level:
        plan.error(
            planned,
            _("code %(code)s already belongs to %(region)s, a %(level)s")
            % {"code": planned.code, "region": region, "level": region.level},
        )
    else:
        planned.existing = region


def _generate_codes(plan: ImportPlan) -> None:
    """Re-imports keep the codes of same-named children; new ones are numbered in reading
    order after the parent's highest existing sequence."""
    groups: dict[int, list[PlannedRegion]] = {}
    for planned in plan.features:
        if planned.parent is not None and planned.geometry is not None and planned.name:
            groups.setdefault(planned.parent.pk, []).append(planned)
    for group in groups.values():
        _generate_group_codes(plan, group)


def _generate_group_codes(plan: ImportPlan, group: list[PlannedRegion]) -> None:
    parent = group[0].parent
    by_name = {
        region.name: region
        for region in Region.objects.filter(parent=parent, level=plan.level).defer("boundary")
    }
    names: dict[str, PlannedRegion] = {}
    new = []
    for planned in _reading_order(group):
        if planned.name in names:
            first = names[planned.name]
            plan.error(
                planned,
                _("duplicate name under %(parent)s, also feature %(index)d")
                % {"parent": parent, "index": first.index},
            )
            continue
        names[planned.name] = planned
        if planned.name in by_name:
            planned.existing = by_name[planned.name]
            planned.code = planned.existing.code
        else:
            new.append(planned)
    sequence = _highest_sequence(parent, plan.level)
    for planned in new:
        sequence += 1
        try:
            planned.code = codes.child_code(parent.code, parent.level, plan.level, sequence)
        except codes.RegionCodeError as exc:
            plan.error(planned, str(exc))


def _reading_order(group: list[PlannedRegion]) -> list[PlannedRegion]:
    """North to south in rows about one feature tall, west to east within a row."""
    points = [p.geometry.representative_point() for p in group]
    heights = [p.geometry.bounds[3] - p.geometry.bounds[1] for p in group]
    row_height = statistics.median(heights) or 1.0
    north = max(point.y for point in points)

    def key(item):
        planned, point = item
        # Rows are centred on the northernmost point, so a grid of equal cells (whose
        # points sit exactly a row apart) never straddles a row edge.
        return (math.floor((north - point.y) / row_height + 0.5), point.x, planned.index)

    return [planned for planned, _point in sorted(zip(group, points, strict=True), key=key)]


def _highest_sequence(parent: Region, level: str) -> int:
    width = dict(codes.segments())[level]
    end = codes.significant_length(level)
    prefix = codes.child_code(parent.code, parent.level, level, 1)[: end - width]
    existing = Region.objects.filter(level=level, code__startswith=prefix)
    return max(
        (int(code[end - width : end]) for code in existing.values_list("code", flat=True)),
        default=0,
    )


# Geometry checks between siblings


@dataclass
class _Sibling:
    """A region of the imported level that already exists and is not being replaced."""

    region: Region
    geometry: shapely.Geometry

    @property
    def label(self) -> str:
        return str(self.region)


def _check_geometry(plan: ImportPlan) -> None:
    planned = plan.valid_features
    if not planned:
        return
    siblings = _existing_siblings(plan)
    _check_overlaps(plan, planned, siblings)
    _check_gaps(plan, planned, siblings)
    _check_within_parents(plan, planned)


def _existing_siblings(plan: ImportPlan) -> list[_Sibling]:
    replaced = [p.existing.pk for p in plan.features if p.existing is not None]
    regions = (
        Region.objects.subtree(plan.parent)
        .filter(level=plan.level)
        .with_boundary()
        .exclude(pk__in=replaced)
    )
    return [
        _Sibling(r, _in_datum(shape(r.boundary), r.datum, plan.datum)) for r in regions.iterator()
    ]


def _in_datum(geometry: shapely.Geometry, source: str, target: str) -> shapely.Geometry:
    if source == target:
        return geometry
    return shapely.transform(
        geometry, lambda xy: np.column_stack(datums.convert(xy[:, 0], xy[:, 1], source, target))
    )


def _check_overlaps(plan, planned: list[PlannedRegion], siblings: list[_Sibling]) -> None:
    geometries = np.array([p.geometry for p in planned] + [s.geometry for s in siblings])
    shapely.prepare(geometries)
    left, right = shapely.STRtree(geometries).query(geometries, predicate="intersects")
    # Each pair once, and only pairs involving the file: siblings' own overlaps are old news.
    keep = (left < right) & (left < len(planned))
    left, right = left[keep], right[keep]
    # Touching along an edge is how neighbours should meet; only shared interior counts.
    inside = shapely.relate_pattern(geometries[left], geometries[right], "T********")
    for i, j in zip(left[inside], right[inside], strict=True):
        area = geodesic_area_m2(geometries[i].intersection(geometries[j]))
        if area < NOISE_M2:
            continue
        if j < len(planned):
            target, other = planned[j], _feature_label(planned[i])
        else:
            target, other = planned[i], siblings[j - len(planned)].label
        message = _("overlaps %(other)s by %(area)s m²") % {"other": other, "area": _m2(area)}
        plan.area_issue(target, area, message)


def _feature_label(planned: PlannedRegion) -> str:
    return _("feature %(index)d (%(name)s)") % {"index": planned.index, "name": planned.name}


def _check_gaps(plan, planned: list[PlannedRegion], siblings: list[_Sibling]) -> None:
    """Holes in the union of all siblings belong to no sibling: a gap in the tiling."""
    union = shapely.union_all([p.geometry for p in planned] + [s.geometry for s in siblings])
    parts = shapely.get_parts(union)
    parts_tree = shapely.STRtree(parts)
    planned_tree = shapely.STRtree([p.geometry for p in planned])
    for part in parts:
        for ring in part.interiors:
            hole = Polygon(ring)
            islands = parts_tree.query(hole, predicate="contains_properly")
            if len(islands):
                hole = hole.difference(shapely.union_all(parts[islands]))
            neighbours = sorted(
                planned_tree.query(ring, predicate="dwithin", distance=NEIGHBOUR_DISTANCE_DEG)
            )
            # A gap only between existing regions predates this import.
            if neighbours:
                _report_gap(plan, [planned[n] for n in neighbours], hole)


def _report_gap(plan: ImportPlan, neighbours: list[PlannedRegion], hole) -> None:
    area = geodesic_area_m2(hole)
    point = hole.representative_point()
    values = {"area": _m2(area), "lng": point.x, "lat": point.y}
    message = _("leaves a gap of %(area)s m² near %(lng).5f, %(lat).5f that belongs to no region")
    if len(neighbours) > 1:
        values["names"] = ", ".join(p.name for p in neighbours[1:])
        message = _(
            "leaves a gap of %(area)s m² near %(lng).5f, %(lat).5f next to %(names)s "
            "that belongs to no region"
        )
    message %= values
    plan.area_issue(neighbours[0], area, message)


def _check_within_parents(plan: ImportPlan, planned: list[PlannedRegion]) -> None:
    parent_ids = {p.parent.pk for p in planned if p.parent is not None}
    bounded = Region.objects.filter(pk__in=parent_ids).with_boundary()
    outlines = {
        r.pk: (r, _in_datum(shape(r.boundary), r.datum, plan.datum)) for r in bounded.iterator()
    }
    shapely.prepare([outline for _region, outline in outlines.values()])
    for item in planned:
        if item.parent is None or item.parent.pk not in outlines:
            continue
        parent, outline = outlines[item.parent.pk]
        if shapely.covers(outline, item.geometry):
            continue
        area = geodesic_area_m2(item.geometry.difference(outline))
        if area >= NOISE_M2:
            message = _("lies %(area)s m² outside its parent %(parent)s") % {
                "area": _m2(area),
                "parent": parent,
            }
            plan.area_issue(item, area, message)


def _m2(area: float) -> str:
    return f"{area:,.0f}" if area >= 10 else f"{area:.2g}"
