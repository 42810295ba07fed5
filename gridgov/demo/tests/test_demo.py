import math
from io import StringIO

import shapely
from django.core.management import call_command
from django.test import Client, TestCase, override_settings
from shapely.geometry import shape

from gridgov.accounts.choices import Role
from gridgov.accounts.models import Department, User
from gridgov.demo.city import CITY_CODE, DEMO_PASSWORD, build_demo_city
from gridgov.regions import codes
from gridgov.regions.choices import LEVEL_ORDER, Level
from gridgov.regions.models import Region

# The real hasher costs half a second per login; these tests are about the demo data.
FAST_HASHER = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])


def snapshot() -> list[tuple]:
    return list(
        Region.objects.order_by("code").values_list("code", "name", "level", "path", "area_m2")
    )


def delete_everything() -> None:
    User.objects.all().delete()
    Department.objects.all().delete()
    # Parents are protected while they have children: bottom level first.
    for level in reversed(LEVEL_ORDER):
        Region.objects.filter(level=level).delete()


def planar_m2(geometry) -> float:
    """Area in m² of the shape as GeoJSON means it (straight edges in lng/lat)."""
    return geometry.area * 111_195**2 * math.cos(math.radians(30.25))


def assert_children_tile(test, parent: Region, children: list[Region]) -> None:
    """The children cover the parent with no gap and no overlap (to within 0.01 m²)."""
    whole = shape(parent.boundary)
    parts = [shape(child.boundary) for child in children]
    gaps_and_spills = shapely.symmetric_difference(shapely.union_all(parts), whole)
    test.assertLess(planar_m2(gaps_and_spills), 0.01, parent)
    test.assertAlmostEqual(sum(map(planar_m2, parts)), planar_m2(whole), delta=0.01, msg=parent)


@FAST_HASHER
class FullSizeDemoTestCase(TestCase):
    """The demo city at full size, built once through `gridgov demo --no-serve`."""

    @classmethod
    def setUpTestData(cls):
        cls.output = StringIO()
        call_command("demo", "--no-serve", "--cases", "0", "--persons", "0", stdout=cls.output)

    def regions(self, level):
        return list(Region.objects.filter(level=level).order_by("code"))

    def test_the_city_has_the_stated_size(self):
        city = Region.objects.get(code=CITY_CODE)
        self.assertEqual(city.name, "江州市")
        self.assertEqual(city.datum, "gcj02")
        self.assertTrue(13e6 < city.area_m2 < 20e6, city.area_m2)
        self.assertTrue(120.1 < city.centroid_lng < 120.2 and 30.2 < city.centroid_lat < 30.3)
        self.assertEqual(len(self.regions(Level.DISTRICT)), 2)
        self.assertEqual(len(self.regions(Level.STREET)), 10)
        self.assertEqual(len(self.regions(Level.COMMUNITY)), 60)
        grids = self.regions(Level.GRID)
        self.assertTrue(1300 <= len(grids) <= 1800, len(grids))
        self.assertTrue(8_000 < sum(g.area_m2 for g in grids) / len(grids) < 12_000)
        buildings = Region.objects.filter(level=Level.BUILDING).count()
        self.assertTrue(2 * len(grids) <= buildings <= 4 * len(grids))
        self.assertEqual(Department.objects.count(), 22)

    def test_codes_are_valid_and_paths_follow_them(self):
        regions = {region.pk: region for region in Region.objects.all()}
        for region in regions.values():
            codes.validate_code(region.code, region.level)
            self.assertEqual(region.path, region.path_from_code())
            if region.parent_id:
                parent = regions[region.parent_id]
                self.assertTrue(region.path.startswith(parent.path))
                self.assertEqual(LEVEL_ORDER.index(region.level), parent.depth + 1)
        names = [r.name for r in regions.values() if r.level in (Level.STREET, Level.COMMUNITY)]
        self.assertEqual(len(names), len(set(names)))
        self.assertTrue(all(name.endswith(("街道", "社区")) for name in names))

    def test_siblings_tile_their_parent_at_every_level(self):
        children = {}
        for region in Region.objects.exclude(level=Level.BUILDING):
            children.setdefault(region.parent_id, []).append(region)
        for region in Region.objects.exclude(level__in=[Level.GRID, Level.BUILDING]):
            assert_children_tile(self, region, children[region.pk])

    def test_buildings_stand_inside_their_grid_without_touching(self):
        grids = {grid.pk: shape(grid.boundary) for grid in self.regions(Level.GRID)}
        per_grid = {}
        for building in Region.objects.filter(level=Level.BUILDING):
            footprint = shape(building.boundary)
            self.assertTrue(grids[building.parent_id].contains(footprint), building)
            per_grid.setdefault(building.parent_id, []).append(footprint)
        self.assertEqual(set(per_grid), set(grids))
        for footprints in per_grid.values():
            self.assertTrue(2 <= len(footprints) <= 4)
            for i, footprint in enumerate(footprints):
                for other in footprints[i + 1 :]:
                    self.assertGreater(footprint.distance(other), 0)

    def test_each_district_has_its_departments(self):
        district = Region.objects.get(code="990101000000")
        departments = Department.objects.filter(region=district)
        self.assertEqual(departments.count(), 11)
        city_management = departments.get(code="990101-cg")
        self.assertEqual(city_management.name, f"{district.name}城市管理和综合执法局")
        self.assertEqual(city_management.short_name, "城管")

    def test_the_demo_accounts_sign_in_with_the_demo_password(self):
        for username in [
            "admin",
            "leader",
            "dispatcher",
            "street",
            "community",
            "gridworker",
            "dept",
            "resident",
        ]:
            self.assertTrue(Client().login(username=username, password=DEMO_PASSWORD), username)

    def test_the_demo_accounts_have_their_roles_and_regions(self):
        users = {user.username: user for user in User.objects.all()}
        self.assertTrue(users["admin"].is_superuser and users["admin"].is_staff)
        self.assertEqual(users["admin"].role, Role.ADMINISTRATOR)
        self.assertEqual(users["leader"].region.level, Level.CITY)
        self.assertEqual(users["dispatcher"].region.code, "990101000000")
        street = users["street"].region
        community = users["community"].region
        self.assertEqual(street.level, Level.STREET)
        self.assertEqual(community.parent, street)
        self.assertEqual(users["gridworker"].region, community)
        self.assertIn(users["gridworker"].grids.count(), (2, 3))
        self.assertEqual(users["dept"].department.code, "990101-cg")
        self.assertEqual(users["resident"].role, Role.RESIDENT)
        self.assertIsNone(users["resident"].region)
        for user in users.values():
            user.full_clean()  # the role/region rules of the model hold
        unpatrolled = Region.objects.filter(parent=community, level=Level.GRID, grid_workers=None)
        self.assertFalse(unpatrolled.exists())

    def test_running_the_demo_again_reuses_the_city(self):
        before = snapshot()
        users = User.objects.count()

        output = StringIO()
        call_command("demo", "--no-serve", "--cases", "0", "--persons", "0", stdout=output)

        self.assertEqual(snapshot(), before)
        self.assertEqual(User.objects.count(), users)
        self.assertIn("already there", output.getvalue())
        for text in (self.output.getvalue(), output.getvalue()):
            self.assertIn(DEMO_PASSWORD, text)
            self.assertIn("gridworker", text)
            self.assertIn("江北区城市管理和综合执法局", text)


@FAST_HASHER
class SmallDemoTestCase(TestCase):
    def test_the_same_seed_builds_the_same_city(self):
        first = build_demo_city(streets_per_district=2, communities_per_street=2)
        self.assertTrue(first.created)
        before = snapshot()
        delete_everything()

        build_demo_city(streets_per_district=2, communities_per_street=2)

        self.assertEqual(snapshot(), before)

    def test_a_second_build_returns_the_existing_city(self):
        first = build_demo_city(streets_per_district=2, communities_per_street=2)
        second = build_demo_city()

        self.assertFalse(second.created)
        self.assertEqual(second.city, first.city)
        self.assertEqual(second.counts, first.counts)
        self.assertEqual(second.counts[Level.COMMUNITY], 8)
        self.assertEqual([a.username for a in second.accounts][:2], ["admin", "leader"])

    def test_it_keeps_an_existing_account_with_a_demo_username(self):
        User.objects.create_user("admin", password="their-own-password")

        build_demo_city(streets_per_district=2, communities_per_street=2)

        admin = User.objects.get(username="admin")
        self.assertTrue(admin.check_password("their-own-password"))
        self.assertFalse(admin.is_superuser)
        self.assertTrue(User.objects.filter(username="leader").exists())
