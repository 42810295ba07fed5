"""The demo city 江州市, generated from a seed: the same city, codes and names on every machine.

A dense urban core of about 15 km² around lng 120.15, lat 30.25 (GCJ-02): two districts
either side of a river line, five streets per district and about six communities per street
as relaxed Voronoi cells, each community cut into ~10,000 m² unit grids with two to four
buildings apiece, plus each district's functional departments and one account per role.
Region code prefix 99 is no real province, so imported real divisions never collide with it.
"""

import math
import random
import time
from dataclasses import dataclass, field

import numpy as np
import shapely
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.db.models import Count
from shapely import affinity

from gridgov.accounts.choices import Role
from gridgov.accounts.models import Department, User
from gridgov.demo import names
from gridgov.regions import codes
from gridgov.regions.choices import Datum, Level, child_level
from gridgov.regions.gridding import STANDARD_CELL_AREA_M2, build_grids
from gridgov.regions.models import Region

CITY_CODE = "990100000000"
ORIGIN = (120.15, 30.25)  # lng, lat of the city centre
# Shapes are drawn on a plane in metres that is an affine image of lng/lat (equirectangular
# about ORIGIN), not a transverse Mercator one: an affine map keeps straight lines straight, so
# a vertex one region inserts on an edge it shares with a neighbour stays on the neighbour's
# edge in lng/lat too, and siblings meet without hairline gaps. Across a city a few kilometres
# tall its scale drifts by under 0.02 %, and areas are measured geodesically anyway.
_M_PER_DEG_LAT = 6_371_008.8 * math.pi / 180
_M_PER_DEG_LNG = _M_PER_DEG_LAT * math.cos(math.radians(ORIGIN[1]))
SEED = 20240601
DEMO_PASSWORD = "demo12345"
COMMUNITY_AREA_M2 = 250_000  # a dense inner-city community: about 25 unit grids
# The outline's vertices are rounded to the centimetre, as surveyed boundaries are.
OUTLINE_DECIMALS = 2
BATCH_SIZE = 500
LLOYD_ITERATIONS = 4


@dataclass
class DemoAccount:
    username: str
    role: str  # the role's display label
    acts_for: str  # region or department name, "" for none


@dataclass
class DemoCity:
    city: Region
    created: bool
    counts: dict[str, int] = field(default_factory=dict)  # level → regions in the city
    accounts: list[DemoAccount] = field(default_factory=list)
    # Workers for the demo community's grids beyond `gridworker`, listed apart to keep the
    # printed table short.
    extra_grid_workers: list[str] = field(default_factory=list)
    seconds: float = 0.0


def build_demo_city(
    stdout=None, *, streets_per_district: int = 5, communities_per_street: int = 6
) -> DemoCity:
    """Build 江州市 with its regions, departments and demo accounts, in one transaction.

    Idempotent: if the city code exists, nothing is written and the existing city is
    returned. Tests pass smaller sizes to build a small city of the same shape.
    """

    def say(message: str) -> None:
        if stdout is not None:
            stdout.write(message if message.endswith("\n") else message + "\n")

    existing = Region.objects.filter(code=CITY_CODE).first()
    if existing is not None:
        return _describe(existing, created=False)
    started = time.monotonic()
    try:
        with transaction.atomic():
            builder = _Builder(random.Random(SEED), say)
            city = builder.build(streets_per_district, communities_per_street)
    except IntegrityError:
        # Another `gridgov demo` started at the same moment and got there first.
        existing = Region.objects.filter(code=CITY_CODE).first()
        if existing is None:
            raise
        return _describe(existing, created=False)
    from gridgov.regions.locate import invalidate

    # bulk_create sends no post_save, so the locate index is told here.
    invalidate()
    demo = _describe(city, created=True)
    demo.seconds = time.monotonic() - started
    return demo


def _describe(city: Region, created: bool) -> DemoCity:
    counts = dict(
        Region.objects.subtree(city)
        .order_by()
        .values_list("level")
        .annotate(n=Count("id"))
        .values_list("level", "n")
    )
    users = {user.username: user for user in User.objects.filter(username__in=names.PEOPLE)}
    accounts = []
    for username in names.PEOPLE:
        user = users.get(username)
        if user is None:
            continue
        acts_for = user.department or user.region
        accounts.append(
            DemoAccount(username, str(Role(user.role).label), acts_for.name if acts_for else "")
        )
    extra = [
        username
        for username in User.objects.filter(
            username__startswith="gridworker", role=Role.GRID_WORKER
        ).values_list("username", flat=True)
        if username.removeprefix("gridworker").isdigit()
    ]
    extra.sort(key=lambda username: int(username.removeprefix("gridworker")))
    return DemoCity(city, created, counts, accounts, extra)


class _Builder:
    def __init__(self, rng: random.Random, say):
        self.rng = rng
        self.say = say
        self.community_names = [
            f"{first}{second}社区"
            for first in names.COMMUNITY_FIRST
            for second in names.COMMUNITY_SECOND
        ]
        rng.shuffle(self.community_names)
        self.street_names = list(names.STREET_NAMES)
        rng.shuffle(self.street_names)

    def build(self, streets_per_district: int, communities_per_street: int) -> Region:
        n_communities = len(names.DISTRICT_NAMES) * streets_per_district * communities_per_street
        if streets_per_district * len(names.DISTRICT_NAMES) > len(self.street_names):
            raise ValueError("Not enough street names for that many streets.")
        city_shape = self._city_outline(n_communities * COMMUNITY_AREA_M2)
        city = self._region(CITY_CODE, names.CITY_NAME, Level.CITY, None, city_shape)
        city.save()

        district_shapes = self._split_by_river(city_shape)
        districts = self._children(city, district_shapes, names.DISTRICT_NAMES)
        streets = []
        for district, district_shape in zip(districts, district_shapes, strict=True):
            shapes = self._partition(district_shape, streets_per_district)
            labels = [self.street_names.pop() for _shape in shapes]
            streets += list(zip(self._children(district, shapes, labels), shapes, strict=True))
        communities = []
        for street, street_shape in streets:
            shapes = self._partition(street_shape, communities_per_street)
            labels = [self.community_names.pop() for _shape in shapes]
            communities += self._children(street, shapes, labels)
        self.say(
            f"  {len(districts)} districts, {len(streets)} streets, {len(communities)} communities"
        )

        grids = [
            grid
            for community in communities
            for grid in build_grids(community, STANDARD_CELL_AREA_M2)
        ]
        Region.objects.bulk_create(grids, batch_size=BATCH_SIZE)
        self.say(f"  {len(grids)} grids")
        buildings = self._buildings(grids)
        Region.objects.bulk_create(buildings, batch_size=BATCH_SIZE)
        self.say(f"  {len(buildings)} buildings")

        departments = self._departments(districts)
        accounts = self._accounts(city, districts[0], streets[0][0], departments[0], grids)
        self.say(f"  {len(departments)} departments, {accounts} demo accounts")
        return city

    # --- shapes, on the plane in metres around ORIGIN ---------------------------------------

    def _city_outline(self, area_m2: float) -> shapely.Polygon:
        """A rounded, slightly irregular outline of the given area."""
        vertices = 28
        harmonics = [
            (k, self.rng.uniform(0.02, 0.06), self.rng.uniform(0, 2 * math.pi)) for k in (2, 3, 5)
        ]
        points = []
        for i in range(vertices):
            angle = 2 * math.pi * i / vertices
            radius = 1 + sum(a * math.cos(k * angle + phase) for k, a, phase in harmonics)
            # Wider east-west, as cities along a river tend to be.
            points.append((1.25 * radius * math.cos(angle), radius * math.sin(angle) / 1.25))
        outline = shapely.Polygon(points)
        scale = math.sqrt(area_m2 / outline.area)
        outline = affinity.scale(outline, scale, scale, origin=(0, 0))
        # Rounded by hand: set_precision would also attach a precision model to the geometry,
        # and every overlay made from it would snap its cut points off the edges it cuts.
        return shapely.transform(outline, lambda xy: np.round(xy, OUTLINE_DECIMALS))

    def _split_by_river(self, city: shapely.Polygon) -> list[shapely.Geometry]:
        """North and south of a meandering river line through the middle."""
        minx, miny, maxx, maxy = city.bounds
        xs = np.linspace(minx - 10, maxx + 10, 24)
        wavelength = (maxx - minx) / self.rng.uniform(1.2, 1.8)
        phase = self.rng.uniform(0, 2 * math.pi)
        amplitude = 0.08 * (maxy - miny)
        river = [(x, amplitude * math.sin(2 * math.pi * x / wavelength + phase)) for x in xs]
        north_side = shapely.Polygon([*river, (xs[-1], maxy + 10), (xs[0], maxy + 10)])
        north = shapely.intersection(city, north_side)
        south = shapely.difference(city, north_side)
        return [north, south]

    def _partition(self, parent: shapely.Geometry, count: int) -> list[shapely.Geometry]:
        """Split a polygon into `count` Voronoi cells of similar size, in reading order.

        Lloyd relaxation (moving each seed to its cell's centroid) evens out the sizes. A
        draw that leaves a cell in pieces or much too small is redrawn; the generator moves
        on deterministically, so the city stays the same from run to run.
        """
        for _attempt in range(50):
            seeds = self._points_inside(parent, count)
            for _round in range(LLOYD_ITERATIONS):
                cells = self._voronoi(parent, seeds)
                seeds = shapely.MultiPoint([cell.centroid for cell in cells])
            cells = self._voronoi(parent, seeds)
            areas = [cell.area for cell in cells]
            if all(isinstance(cell, shapely.Polygon) for cell in cells) and min(areas) > 0.5 * (
                parent.area / count
            ):
                return _reading_order(cells, math.sqrt(parent.area / count))
        raise RuntimeError("Could not partition the demo city: change SEED.")

    def _voronoi(self, parent, seeds: shapely.MultiPoint) -> list[shapely.Geometry]:
        cells = shapely.voronoi_polygons(seeds, extend_to=parent, ordered=True)
        # Plain floating-point clipping: neighbours share the Voronoi edge's own vertices, and a
        # point where an edge crosses the parent's boundary stays on that boundary. (Snapping
        # to a lattice would nudge it off, leaving millimetre slivers along every edge.)
        return list(shapely.intersection(shapely.get_parts(cells), parent))

    def _points_inside(self, polygon, count: int) -> shapely.MultiPoint:
        minx, miny, maxx, maxy = polygon.bounds
        points = []
        while len(points) < count:
            point = shapely.Point(self.rng.uniform(minx, maxx), self.rng.uniform(miny, maxy))
            if polygon.contains(point):
                points.append(point)
        return shapely.MultiPoint(points)

    # --- regions ----------------------------------------------------------------------------

    def _region(self, code, name, level, parent, local_shape) -> Region:
        region = Region(code=code, name=name, level=level, parent=parent)
        lnglat = _to_lnglat(local_shape)
        region.set_boundary(shapely.geometry.mapping(lnglat), Datum.GCJ02)
        region.path = region.path_from_code()
        return region

    def _children(self, parent: Region, shapes, labels) -> list[Region]:
        level = child_level(parent.level)
        children = [
            self._region(
                codes.child_code(parent.code, parent.level, level, sequence),
                label,
                level,
                parent,
                shape,
            )
            for sequence, (shape, label) in enumerate(zip(shapes, labels, strict=True), start=1)
        ]
        Region.objects.bulk_create(children)
        return children

    def _buildings(self, grids: list[Region]) -> list[Region]:
        buildings = []
        number = {}  # community code → last building number: numbered per estate
        for grid in grids:
            community = grid.parent
            local = _to_plane(shapely.geometry.shape(grid.boundary))
            for sequence, footprint in enumerate(self._footprints(local), start=1):
                number[community.code] = number.get(community.code, 0) + 1
                building = self._region(
                    codes.child_code(grid.code, Level.GRID, Level.BUILDING, sequence),
                    f"{number[community.code]}号楼",
                    Level.BUILDING,
                    grid,
                    footprint,
                )
                buildings.append(building)
        return buildings

    def _footprints(self, grid: shapely.Geometry) -> list[shapely.Polygon]:
        """Two to four non-touching rectangles inside a grid, 3 m clear of its edge."""
        wanted = self.rng.randint(2, 4)
        free = grid.buffer(-3)
        placed = []
        for _try in range(40 * wanted):
            if len(placed) == wanted or free.is_empty:
                break
            # Slab blocks: long side east-west, facing south, as Chinese housing mostly does.
            width, depth = self.rng.uniform(18, 45), self.rng.uniform(10, 15)
            if len(placed) < 2 and _try > 20 * wanted:
                width, depth = width / 3, depth / 2  # a cramped grid still gets two small ones
            minx, miny, maxx, maxy = free.bounds
            x, y = self.rng.uniform(minx, maxx), self.rng.uniform(miny, maxy)
            footprint = shapely.box(x - width / 2, y - depth / 2, x + width / 2, y + depth / 2)
            if free.contains(footprint):
                placed.append(footprint)
                free = free.difference(footprint.buffer(6, join_style="mitre"))
        return placed

    # --- departments and accounts -----------------------------------------------------------

    def _departments(self, districts: list[Region]) -> list[Department]:
        departments = []
        for district in districts:
            prefix = district.code[: codes.significant_length(Level.DISTRICT)]
            for abbreviation, short_name, template in names.DEPARTMENTS:
                full_name = template.format(
                    city=names.CITY_NAME,
                    district=district.name,
                    district_short=district.name.removesuffix("区"),
                )
                departments.append(
                    Department(
                        code=f"{prefix}-{abbreviation}",
                        name=full_name,
                        short_name=short_name,
                        region=district,
                    )
                )
        return Department.objects.bulk_create(departments)

    def _accounts(self, city, district, street, department, grids) -> int:
        """Create the demo accounts; return how many."""
        community = next(grid.parent for grid in grids if grid.parent.parent_id == street.pk)
        community_grids = [grid for grid in grids if grid.parent_id == community.pk]
        # Hashing is deliberately slow (about half a second); the password is published anyway,
        # so one hash serves every demo account.
        password = make_password(DEMO_PASSWORD)
        # A database that already has, say, its own `admin` keeps it untouched.
        taken = set(User.objects.values_list("username", flat=True))

        created = []

        def create(username, role, region=None, department=None, display_name=""):
            if username in taken:
                return None
            created.append(username)
            return User.objects.create(
                username=username,
                password=password,
                role=role,
                region=region,
                department=department,
                display_name=display_name or names.PEOPLE[username],
                is_staff=role == Role.ADMINISTRATOR,
                is_superuser=role == Role.ADMINISTRATOR,
            )

        create("admin", Role.ADMINISTRATOR)
        create("leader", Role.LEADER, city)
        create("dispatcher", Role.DISPATCHER, district)
        create("street", Role.STREET_STAFF, street)
        create("community", Role.COMMUNITY_STAFF, community)
        worker = create("gridworker", Role.GRID_WORKER, community)
        create("dept", Role.DEPARTMENT_HANDLER, department=department)
        create("resident", Role.RESIDENT)
        # Every grid of the demo community gets a worker (一格一员 is the norm): `gridworker`
        # patrols the first three, colleagues the rest, four each.
        rest = community_grids
        if worker is not None:
            worker.grids.set(community_grids[:3])
            rest = community_grids[3:]
        number = 1
        while rest:
            number += 1
            colleague = create(
                f"gridworker{number}",
                Role.GRID_WORKER,
                community,
                display_name=names.GRID_WORKER_NAMES[(number - 2) % len(names.GRID_WORKER_NAMES)],
            )
            if colleague is not None:
                colleague.grids.set(rest[:4])
                rest = rest[4:]
        return len(created)


def _to_plane(geometry: shapely.Geometry) -> shapely.Geometry:
    return affinity.affine_transform(
        geometry,
        [
            _M_PER_DEG_LNG,
            0,
            0,
            _M_PER_DEG_LAT,
            -ORIGIN[0] * _M_PER_DEG_LNG,
            -ORIGIN[1] * _M_PER_DEG_LAT,
        ],
    )


def _to_lnglat(geometry: shapely.Geometry) -> shapely.Geometry:
    return affinity.affine_transform(
        geometry, [1 / _M_PER_DEG_LNG, 0, 0, 1 / _M_PER_DEG_LAT, ORIGIN[0], ORIGIN[1]]
    )


def _reading_order(cells: list[shapely.Geometry], band: float) -> list[shapely.Geometry]:
    """North to south in bands of about one cell's height, west to east within a band."""

    def key(cell):
        point = cell.centroid
        return (-math.floor(point.y / band), point.x)

    return sorted(cells, key=key)
