from django.urls import reverse

from gridgov.accounts.tests.base import CastTestCase, ScopeMatrixMixin


class RegionPageScopeTests(ScopeMatrixMixin, CastTestCase):
    def make_object(self, grid):
        return grid

    def url_for(self, region):
        return reverse("regions:detail", args=[region.code])


class RegionGeoJSONScopeTests(ScopeMatrixMixin, CastTestCase):
    def make_object(self, grid):
        return grid.parent

    def url_for(self, region):
        return reverse("regions:children_geojson", args=[region.code])


class RegionPageTests(CastTestCase):
    def test_community_page_lists_its_grids_and_links_only_visible_ancestors(self):
        self.login(self.community_staff)
        response = self.client.get(reverse("regions:detail", args=[self.community.code]))
        self.assertContains(response, "滨江社区第01网格")
        self.assertContains(response, "滨江社区第02网格")
        self.assertNotContains(response, "临河社区第01网格")
        # The street is named in the breadcrumbs but not linked: it is outside the scope.
        self.assertContains(response, "望江街道")
        self.assertNotContains(response, reverse("regions:detail", args=[self.street.code]))

    def test_grid_page_names_its_grid_workers(self):
        self.login(self.community_staff)
        response = self.client.get(reverse("regions:detail", args=[self.grid.code]))
        self.assertContains(response, "gridworker")

    def test_children_geojson_holds_self_and_visible_children(self):
        self.login(self.street_staff)
        response = self.client.get(reverse("regions:children_geojson", args=[self.community.code]))
        features = response.json()["features"]
        roles = {f["properties"]["code"]: f["properties"]["role"] for f in features}
        self.assertEqual(
            roles,
            {
                self.community.code: "self",
                self.grid.code: "child",
                self.second_grid.code: "child",
            },
        )

    def test_index_sends_each_user_to_the_top_of_their_area(self):
        self.login(self.street_staff)
        response = self.client.get(reverse("regions:index"))
        self.assertRedirects(response, reverse("regions:detail", args=[self.street.code]))
        self.login(self.resident)
        self.assertEqual(self.client.get(reverse("regions:index")).status_code, 404)

    def test_pages_refuse_writes(self):
        self.login(self.admin)
        response = self.client.post(reverse("regions:detail", args=[self.grid.code]))
        self.assertEqual(response.status_code, 405)


class LocateEndpointTests(CastTestCase):
    def test_it_names_the_grid_a_point_falls_in(self):
        self.login(self.grid_worker)
        response = self.client.get(
            reverse("regions:locate"), {"lng": 120.105, "lat": 30.205, "datum": "gcj02"}
        )
        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertTrue(body["inside"])
        self.assertEqual(body["region"]["code"], self.grid.code)
        self.assertFalse(body["fallback"])

    def test_it_says_when_a_point_is_outside_the_service_area(self):
        self.login(self.grid_worker)
        response = self.client.get(
            reverse("regions:locate"), {"lng": 100.0, "lat": 40.0, "datum": "gcj02"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertFalse(response.json()["inside"])

    def test_bad_coordinates_get_a_clear_error(self):
        self.login(self.grid_worker)
        for params in (
            {"lng": "east", "lat": "30"},
            {"lng": "120"},
            {"lng": "nan", "lat": "30"},
            {"lng": "120", "lat": "30", "datum": "bd09"},
        ):
            with self.subTest(params=params):
                response = self.client.get(reverse("regions:locate"), params)
                self.assertEqual(response.status_code, 400)
                self.assertIn("error", response.json())
