"""A named cast for each role and scope, shared by every app's tests.

The tree, smallest that shows every scope boundary:

    江州市 city
    ├── 江北区 district ── 望江街道 street ─┬─ 滨江社区 community ── grids 001, 002
    │                                      └─ 临河社区 community ── grid 001
    └── 临湖区 district ── 湖滨街道 street ── 湖心社区 community ── grid 001

Each role's "inside" grid is 滨江社区's first grid; its "outside" grid is the nearest
one it must not see: the neighbouring community for community-level roles, the other
district for district-level roles.
"""

from django.test import TestCase

from gridgov.accounts.choices import Role
from gridgov.accounts.models import Department, User
from gridgov.regions.choices import Level
from gridgov.regions.models import Region

PASSWORD = "cast-password-1"


def square(lng: float, lat: float, size: float = 0.01) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [
            [[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size], [lng, lat]]
        ],
    }


def make_region(code, name, level, parent=None, boundary=None) -> Region:
    region = Region(code=code, name=name, level=level, parent=parent)
    if boundary is not None:
        region.set_boundary(boundary, "gcj02")
    region.full_clean()
    region.save()
    return region


def make_user(username, role, region=None, department=None, **extra) -> User:
    user = User(username=username, role=role, region=region, department=department, **extra)
    user.set_password(PASSWORD)
    user.full_clean()
    user.save()
    return user


def build_cast(cls):
    """Create the cast and set each member as an attribute of `cls` (a test class or object)."""
    cls.city = make_region("990100000000", "江州市", Level.CITY)
    cls.district = make_region("990101000000", "江北区", Level.DISTRICT, cls.city)
    cls.other_district = make_region("990102000000", "临湖区", Level.DISTRICT, cls.city)
    cls.street = make_region("990101001000", "望江街道", Level.STREET, cls.district)
    cls.community = make_region(
        "990101001001", "滨江社区", Level.COMMUNITY, cls.street, square(120.10, 30.20, 0.02)
    )
    cls.neighbour_community = make_region(
        "990101001002", "临河社区", Level.COMMUNITY, cls.street, square(120.12, 30.20, 0.02)
    )
    cls.other_street = make_region("990102001000", "湖滨街道", Level.STREET, cls.other_district)
    cls.other_community = make_region(
        "990102001001", "湖心社区", Level.COMMUNITY, cls.other_street, square(120.2, 30.2, 0.02)
    )
    cls.grid = make_region(
        "990101001001001", "滨江社区第01网格", Level.GRID, cls.community, square(120.10, 30.20)
    )
    cls.second_grid = make_region(
        "990101001001002", "滨江社区第02网格", Level.GRID, cls.community, square(120.11, 30.20)
    )
    cls.neighbour_grid = make_region(
        "990101001002001",
        "临河社区第01网格",
        Level.GRID,
        cls.neighbour_community,
        square(120.12, 30.20),
    )
    cls.other_grid = make_region(
        "990102001001001",
        "湖心社区第01网格",
        Level.GRID,
        cls.other_community,
        square(120.20, 30.20),
    )
    cls.department = Department.objects.create(
        code="990101-cg",
        name="江北区城市管理和综合执法局",
        short_name="城管",
        region=cls.district,
    )
    cls.other_department = Department.objects.create(
        code="990102-cg",
        name="临湖区城市管理和综合执法局",
        short_name="城管",
        region=cls.other_district,
    )
    cls.admin = make_user("admin", Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    cls.leader = make_user("leader", Role.LEADER, cls.district)
    cls.dispatcher = make_user("dispatcher", Role.DISPATCHER, cls.district)
    cls.street_staff = make_user("street", Role.STREET_STAFF, cls.street)
    cls.community_staff = make_user("community", Role.COMMUNITY_STAFF, cls.community)
    cls.grid_worker = make_user("gridworker", Role.GRID_WORKER, cls.community)
    cls.grid_worker.grids.set([cls.grid, cls.second_grid])
    cls.handler = make_user("dept", Role.DEPARTMENT_HANDLER, department=cls.department)
    cls.resident = make_user("resident", Role.RESIDENT)
    cls.outsider = make_user("outsider", Role.COMMUNITY_STAFF, cls.other_community)


class CastTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        build_cast(cls)

    def login(self, user):
        self.client.force_login(user)


class ScopeMatrixMixin:
    """Role × inside/outside scope for one region-bound model, through its page.

    A subclass (also a CastTestCase) implements make_object(grid) -> obj placed in that
    grid, and url_for(obj). Every staff role must get 200 inside its scope and 404 outside
    it; a resident gets 404 everywhere; an anonymous visitor is sent to log in.
    """

    def make_object(self, grid):
        raise NotImplementedError

    def url_for(self, obj):
        raise NotImplementedError

    def scope_cases(self):
        # (user, inside grid, outside grid)
        return [
            (self.leader, self.grid, self.other_grid),
            (self.dispatcher, self.grid, self.other_grid),
            (self.street_staff, self.grid, self.other_grid),
            (self.community_staff, self.grid, self.neighbour_grid),
            (self.grid_worker, self.grid, self.neighbour_grid),
            (self.handler, self.grid, self.other_grid),
            (self.outsider, self.other_grid, self.grid),
        ]

    def test_each_role_sees_inside_its_scope_and_gets_404_outside(self):
        for user, inside, outside in self.scope_cases():
            inside_obj, outside_obj = self.make_object(inside), self.make_object(outside)
            self.login(user)
            with self.subTest(role=user.role, user=user.username, where="inside"):
                self.assertEqual(self.client.get(self.url_for(inside_obj)).status_code, 200)
            with self.subTest(role=user.role, user=user.username, where="outside"):
                self.assertEqual(self.client.get(self.url_for(outside_obj)).status_code, 404)

    def test_resident_sees_no_staff_data(self):
        self.login(self.resident)
        obj = self.make_object(self.grid)
        self.assertEqual(self.client.get(self.url_for(obj)).status_code, 404)

    def test_administrator_sees_everything(self):
        self.login(self.admin)
        for grid in (self.grid, self.other_grid):
            obj = self.make_object(grid)
            self.assertEqual(self.client.get(self.url_for(obj)).status_code, 200)

    def test_anonymous_visitor_is_sent_to_log_in(self):
        obj = self.make_object(self.grid)
        response = self.client.get(self.url_for(obj))
        self.assertEqual(response.status_code, 302)
        self.assertIn("/login/", response["Location"])
