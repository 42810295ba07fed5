"""GET /api/v1/categories (public) and /api/v1/departments (scoped), /api/v1/me."""

from gridgov.api.tests.base import ApiTestCase, api_url
from gridgov.cases.models import Category


class CategoryTests(ApiTestCase):
    def test_the_catalogue_is_public_with_its_routing_defaults(self):
        response = self.get(api_url("category-list", leaf="true"))
        self.assertEqual(response.status_code, 200)
        rows = {row["code"]: row for row in response.json()["results"]}
        self.assertEqual(
            {k: rows["E0502"][k] for k in ("parent", "kind", "owner", "default_urgency")},
            {
                "parent": self.burst_main.parent.code,
                "kind": self.burst_main.kind,
                "owner": self.burst_main.owner,
                "default_urgency": self.burst_main.default_urgency,
            },
        )
        self.assertTrue(all(row["is_leaf"] for row in rows.values()))

    def test_it_filters_by_parent_and_kind_and_hides_inactive_ones(self):
        Category.objects.filter(code="E0103").update(is_active=False)
        response = self.get(api_url("category-list", parent="E01", kind="event"))
        codes = [row["code"] for row in response.json()["results"]]
        self.assertTrue(codes)
        self.assertTrue(all(code.startswith("E01") for code in codes))
        self.assertNotIn("E0103", codes)

    def test_bad_filters_are_400_and_writing_405(self):
        response = self.get(api_url("category-list", kind="vegetable", leaf="perhaps"))
        self.assertEqual(set(self.assertJsonError(response, 400)["errors"]), {"kind", "leaf"})
        self.assertJsonError(self.post(api_url("category-list"), {}, self.admin), 405)


class DepartmentTests(ApiTestCase):
    def test_departments_are_scoped_like_the_pages(self):
        def codes(user):
            response = self.get(api_url("department-list"), user)
            self.assertEqual(response.status_code, 200)
            return {row["code"] for row in response.json()["results"]}

        self.assertEqual(codes(self.dispatcher), {self.department.code, self.water.code})
        self.assertEqual(codes(self.outsider), set())  # a community sees no district office
        self.assertEqual(codes(self.resident), set())
        self.assertEqual(
            codes(self.admin), {self.department.code, self.water.code, self.other_department.code}
        )

    def test_anonymous_is_401_and_writing_405(self):
        self.assertJsonError(self.get(api_url("department-list")), 401)
        self.assertJsonError(self.post(api_url("department-list"), {}, self.admin), 405)


class MeTests(ApiTestCase):
    def test_it_says_who_the_token_acts_as(self):
        body = self.get(api_url("me"), self.grid_worker).json()
        self.assertEqual((body["role"], body["region"]), ("grid_worker", self.community.code))
        self.assertEqual(body["grids"], [self.grid.code, self.second_grid.code])
        self.assertIn("to_verify", [w["key"] for w in body["worklists"]])
        self.assertJsonError(self.get(api_url("me")), 401)
