import math
from io import StringIO

import shapely
from django.core.management import CommandError, call_command
from django.test import TestCase
from shapely.geometry import mapping, shape

from gridgov.accounts.choices import Role
from gridgov.accounts.models import User
from gridgov.lib.geo import from_local_metres
from gridgov.regions import codes
from gridgov.regions.choices import Level
from gridgov.regions.gridding import cut_into_grids
from gridgov.regions.models import Region

ORIGIN = (120.15, 30.25)


def local_polygon(coordinates, holes=()) -> shapely.Geometry:
    """A polygon drawn in metres around ORIGIN, in lng/lat."""
    return from_local_metres(shapely.Polygon(coordinates, holes), ORIGIN)


# About 0.2 km²: a slanted edge, a notch and a pond (a hole), so the cut makes slivers.
IRREGULAR = local_polygon(
    [(0, 0), (520, 40), (560, 300), (300, 330), (260, 420), (-30, 380)],
    [[(150, 150), (210, 150), (210, 200), (150, 200)]],
)
# Exactly 5 × 4 cells of 100 m.
RECTANGLE = local_polygon([(0, 0), (500, 0), (500, 400), (0, 400)])


def planar_m2(geometry) -> float:
    """Area in m² of the shape as GeoJSON means it (straight edges in lng/lat). A geodesic
    measure would see millimetre bulges between a long edge and the same edge cut in two."""
    return geometry.area * 111_195**2 * math.cos(math.radians(ORIGIN[1]))


def make_region(code, name, level, parent=None, geometry=None) -> Region:
    region = Region(code=code, name=name, level=level, parent=parent)
    if geometry is not None:
        region.set_boundary(mapping(geometry), "gcj02")
    region.full_clean()
    region.save()
    return region


def run(*args) -> str:
    out = StringIO()
    call_command("make_grids", *args, stdout=out)
    return out.getvalue()


class MakeGridsTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        city = make_region("990100000000", "江州市", Level.CITY)
        district = make_region("990101000000", "江北区", Level.DISTRICT, city)
        cls.street = make_region("990101001000", "望江街道", Level.STREET, district)
        cls.community = make_region(
            "990101001001", "滨江社区", Level.COMMUNITY, cls.street, IRREGULAR
        )
        cls.rectangle = make_region(
            "990101001002", "临河社区", Level.COMMUNITY, cls.street, RECTANGLE
        )

    def grids(self, community=None):
        community = community or self.community
        return list(Region.objects.filter(parent=community, level=Level.GRID).order_by("code"))

    def test_it_cuts_a_community_into_grids_that_cover_it_exactly(self):
        output = run("--community", self.community.code)

        grids = self.grids()
        self.assertIn(f"Made {len(grids)} grids", output)
        shapes = [shape(grid.boundary) for grid in grids]
        community = shape(self.community.boundary)
        union = shapely.union_all(shapes)
        self.assertLess(planar_m2(shapely.symmetric_difference(union, community)), 1e-4)
        # Areas adding up to the whole means no two grids overlap.
        total = sum(planar_m2(s) for s in shapes)
        self.assertAlmostEqual(total, planar_m2(community), delta=1e-4)
        self.assertTrue(all(s.is_valid and s.geom_type == "Polygon" for s in shapes))

    def test_grids_are_near_the_target_area(self):
        run("--community", self.community.code, "--cell-area", "10000")

        areas = [grid.area_m2 for grid in self.grids()]
        self.assertTrue(0.8 * 10_000 < sum(areas) / len(areas) < 1.25 * 10_000, areas)
        self.assertGreaterEqual(min(areas), 0.4 * 10_000)  # slivers were merged
        self.assertLess(max(areas), 2.0 * 10_000)

    def test_codes_are_consecutive_and_names_follow_the_community(self):
        run("--community", self.community.code)

        grids = self.grids()
        expected = [
            codes.child_code(self.community.code, Level.COMMUNITY, Level.GRID, sequence)
            for sequence in range(1, len(grids) + 1)
        ]
        self.assertEqual([grid.code for grid in grids], expected)
        self.assertEqual(grids[0].code, "990101001001001")
        self.assertEqual(grids[0].name, "滨江第01网格")
        self.assertEqual(grids[0].path, "9901/01/001/001/001/")
        for grid in grids:
            codes.validate_code(grid.code, Level.GRID)
            self.assertTrue(grid.path.startswith(self.community.path))
            self.assertEqual(grid.datum, self.community.datum)

    def test_grids_are_numbered_north_to_south_then_west_to_east(self):
        run("--community", self.rectangle.code)

        grids = self.grids(self.rectangle)
        self.assertEqual(len(grids), 20)
        rows = [grids[row * 5 : row * 5 + 5] for row in range(4)]
        for row in rows:
            lngs = [grid.centroid_lng for grid in row]
            self.assertEqual(lngs, sorted(lngs))
        for upper, lower in zip(rows, rows[1:], strict=False):
            self.assertGreater(
                min(g.centroid_lat for g in upper), max(g.centroid_lat for g in lower)
            )
        self.assertTrue(all(abs(grid.area_m2 - 10_000) < 5 for grid in grids))

    def test_a_community_smaller_than_a_cell_is_one_grid(self):
        small = make_region(
            "990101001003",
            "小河社区",
            Level.COMMUNITY,
            self.street,
            local_polygon([(0, 0), (90, 0), (90, 60), (0, 60)]),
        )

        run("--community", small.code)

        grids = self.grids(small)
        self.assertEqual(len(grids), 1)
        self.assertAlmostEqual(grids[0].area_m2, small.area_m2, delta=0.01)

    def test_it_refuses_a_region_that_is_not_a_community(self):
        with self.assertRaisesMessage(CommandError, "not a community"):
            run("--community", self.street.code)

    def test_it_refuses_a_community_without_boundary(self):
        bare = make_region("990101001004", "无界社区", Level.COMMUNITY, self.street)
        with self.assertRaisesMessage(CommandError, "has no boundary"):
            run("--community", bare.code)

    def test_it_refuses_an_unknown_code(self):
        with self.assertRaisesMessage(CommandError, "No region has the code"):
            run("--community", "990101001099")

    def test_it_refuses_absurd_cell_areas(self):
        with self.assertRaisesMessage(CommandError, "too small"):
            run("--community", self.community.code, "--cell-area", "50")
        with self.assertRaisesMessage(CommandError, "larger than"):
            run("--community", self.community.code, "--cell-area", "5000000")
        self.assertEqual(self.grids(), [])

    def test_it_refuses_a_community_that_already_has_grids(self):
        run("--community", self.community.code)
        before = [grid.pk for grid in self.grids()]

        with self.assertRaisesMessage(CommandError, "--replace"):
            run("--community", self.community.code)
        self.assertEqual([grid.pk for grid in self.grids()], before)

    def test_replace_cuts_again(self):
        run("--community", self.community.code)
        old = {grid.pk for grid in self.grids()}

        run("--community", self.community.code, "--cell-area", "2500", "--replace")

        grids = self.grids()
        self.assertFalse(old & {grid.pk for grid in grids})
        self.assertGreater(len(grids), 2 * len(old))
        self.assertEqual(grids[0].code, "990101001001001")
        total = sum(planar_m2(shape(grid.boundary)) for grid in grids)
        self.assertAlmostEqual(total, planar_m2(shape(self.community.boundary)), delta=1e-4)

    def test_replace_refuses_grids_that_buildings_sit_in(self):
        run("--community", self.community.code)
        first = self.grids()[0]
        make_region("990101001001001001", "1号楼", Level.BUILDING, first)
        before = [grid.pk for grid in self.grids()]

        with self.assertRaisesMessage(CommandError, "other records still refer to them (楼栋: 1)"):
            run("--community", self.community.code, "--replace")
        self.assertEqual([grid.pk for grid in self.grids()], before)

    def test_replace_refuses_grids_with_grid_workers(self):
        run("--community", self.community.code)
        worker = User.objects.create(username="gw", role=Role.GRID_WORKER, region=self.community)
        worker.grids.set(self.grids()[:2])

        with self.assertRaisesMessage(CommandError, "2 grid-worker assignments"):
            run("--community", self.community.code, "--replace")
        self.assertEqual(worker.grids.count(), 2)


class CutIntoGridsTestCase(TestCase):
    def test_a_detached_sliver_joins_the_nearest_grid(self):
        islet = local_polygon([(700, 0), (730, 0), (730, 30), (700, 30)])
        geometry = shapely.MultiPolygon([RECTANGLE, islet])

        grids = cut_into_grids(geometry, 10_000)

        self.assertEqual(len(grids), 20)
        self.assertEqual(sum(grid.geom_type == "MultiPolygon" for grid in grids), 1)
        union = shapely.union_all(grids)
        self.assertLess(planar_m2(shapely.symmetric_difference(union, geometry)), 1e-4)

    def test_it_refuses_a_non_positive_cell_area(self):
        with self.assertRaises(ValueError):
            cut_into_grids(RECTANGLE, 0)
