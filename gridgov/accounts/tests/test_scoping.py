from django.core.exceptions import ValidationError

from gridgov.accounts.choices import Role
from gridgov.accounts.models import Department, User
from gridgov.accounts.tests.base import CastTestCase
from gridgov.regions.models import Region


class RegionScopeTests(CastTestCase):
    def codes_visible_to(self, user):
        return set(Region.objects.visible_to(user).values_list("code", flat=True))

    def test_community_staff_see_only_their_community(self):
        self.assertEqual(
            self.codes_visible_to(self.community_staff),
            {self.community.code, self.grid.code, self.second_grid.code},
        )

    def test_street_staff_see_their_communities_not_the_other_street(self):
        visible = self.codes_visible_to(self.street_staff)
        self.assertIn(self.neighbour_grid.code, visible)
        self.assertNotIn(self.other_grid.code, visible)
        self.assertNotIn(self.district.code, visible)

    def test_department_handler_sees_its_departments_district(self):
        visible = self.codes_visible_to(self.handler)
        self.assertIn(self.district.code, visible)
        self.assertNotIn(self.other_district.code, visible)

    def test_resident_and_inactive_staff_see_nothing(self):
        self.assertEqual(self.codes_visible_to(self.resident), set())
        self.community_staff.is_active = False
        self.assertEqual(self.codes_visible_to(self.community_staff), set())

    def test_administrator_sees_the_whole_tree(self):
        self.assertEqual(
            self.codes_visible_to(self.admin), set(Region.objects.values_list("code", flat=True))
        )

    def test_prefix_scope_does_not_leak_into_codes_that_merely_start_alike(self):
        # '990101001001/' must not match a sibling whose digits extend it; paths end in '/'.
        visible = self.codes_visible_to(self.community_staff)
        self.assertNotIn(self.neighbour_community.code, visible)


class DepartmentAndUserScopeTests(CastTestCase):
    def test_departments_are_scoped_by_the_region_they_serve(self):
        self.assertEqual(list(Department.objects.visible_to(self.street_staff)), [])
        self.assertEqual(list(Department.objects.visible_to(self.leader)), [self.department])
        self.assertEqual(
            set(Department.objects.visible_to(self.admin)), {self.department, self.other_department}
        )

    def test_users_are_scoped_by_the_region_they_act_for(self):
        visible = set(User.objects.visible_to(self.street_staff).values_list("username", flat=True))
        self.assertEqual(visible, {"street", "community", "gridworker"})


class UserRulesTests(CastTestCase):
    def test_staff_roles_need_a_region_at_the_right_level(self):
        with self.assertRaises(ValidationError) as raised:
            User(username="x", role=Role.COMMUNITY_STAFF).full_clean()
        self.assertIn("region", raised.exception.message_dict)
        with self.assertRaises(ValidationError) as raised:
            User(username="y", role=Role.STREET_STAFF, region=self.community).full_clean()
        self.assertIn("region", raised.exception.message_dict)

    def test_department_handler_needs_a_department(self):
        with self.assertRaises(ValidationError) as raised:
            User(username="z", role=Role.DEPARTMENT_HANDLER).full_clean()
        self.assertIn("department", raised.exception.message_dict)


class UserAdminTests(CastTestCase):
    def test_admin_refuses_grids_outside_the_workers_region(self):
        from django.urls import reverse

        self.login(self.admin)
        url = reverse("admin:accounts_user_change", args=[self.grid_worker.pk])
        form = self.client.get(url).context["adminform"].form
        data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
        data.update(
            {
                "username": "gridworker",
                "role": "grid_worker",
                "region": self.community.pk,
                "grids": f"{self.grid.pk},{self.other_grid.pk}",
                "date_joined_0": "2026-01-01",
                "date_joined_1": "00:00:00",
            }
        )
        data.pop("last_login", None)
        data.pop("groups", None)
        data.pop("user_permissions", None)
        data.pop("date_joined", None)
        response = self.client.post(url, data)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "湖心社区第01网格")
        self.grid_worker.refresh_from_db()
        self.assertEqual(set(self.grid_worker.grids.all()), {self.grid, self.second_grid})
