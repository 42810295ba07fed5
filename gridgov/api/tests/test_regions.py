"""GET /api/v1/regions, /regions/{code}, its GeoJSON, and /locate."""

from gridgov.api.tests.base import ApiTestCase, api_url
from gridgov.regions.models import Region


def stored_boundary(region):
    return Region.objects.get(pk=region.pk).boundary


class RegionListTests(ApiTestCase):
    def codes(self, user, **query):
        response = self.get(api_url("region-list", **query), user)
        self.assertEqual(response.status_code, 200, response.content[:300])
        return [row["code"] for row in response.json()["results"]]

    def test_each_user_lists_their_subtree_in_path_order(self):
        self.assertEqual(
            self.codes(self.community_staff),
            [self.community.code, self.grid.code, self.second_grid.code],
        )
        self.assertNotIn(self.other_grid.code, self.codes(self.dispatcher))
        self.assertEqual(self.codes(self.resident), [])

    def test_it_filters_by_parent_and_level(self):
        self.assertEqual(
            self.codes(self.dispatcher, parent=self.street.code),
            [self.community.code, self.neighbour_community.code],
        )
        self.assertEqual(
            self.codes(self.leader, level="grid"),
            [self.grid.code, self.second_grid.code, self.neighbour_grid.code],
        )

    def test_a_row_has_no_boundary_but_says_whether_there_is_one(self):
        response = self.get(api_url("region-list", parent=self.community.code), self.dispatcher)
        row = response.json()["results"][0]
        self.assertNotIn("boundary", row)
        self.assertEqual((row["parent"], row["has_boundary"]), (self.community.code, True))

    def test_a_bad_level_is_400_and_anonymous_401(self):
        response = self.get(api_url("region-list", level="planet"), self.dispatcher)
        self.assertEqual(set(self.assertJsonError(response, 400)["errors"]), {"level"})
        self.assertJsonError(self.get(api_url("region-list")), 401)

    def test_the_pages_walk_every_region_once(self):
        url, seen = api_url("region-list", page_size=2), []
        while url:
            body = self.get(url, self.admin).json()
            seen += [row["code"] for row in body["results"]]
            url = body["next"]
        self.assertEqual(len(seen), 12)
        self.assertEqual(seen, sorted(set(seen), key=seen.index))


class RegionDetailTests(ApiTestCase):
    def test_one_region_comes_with_its_boundary(self):
        body = self.get(api_url("region-detail", self.grid.code), self.grid_worker).json()
        self.assertEqual(body["boundary"], stored_boundary(self.grid))
        self.assertEqual((body["level"], body["datum"]), ("grid", "gcj02"))

    def test_format_geojson_and_the_sub_route_answer_a_feature(self):
        for url in (
            api_url("region-detail", self.grid.code, format="geojson"),
            api_url("region-boundary", self.grid.code),
        ):
            with self.subTest(url=url):
                response = self.get(url, self.street_staff)
                self.assertEqual(response.status_code, 200)
                self.assertEqual(response["Content-Type"], "application/geo+json")
                feature = response.json()
                self.assertEqual(feature["type"], "Feature")
                self.assertEqual(feature["geometry"], stored_boundary(self.grid))
                self.assertEqual(feature["properties"]["parent"], self.community.code)

    def test_out_of_scope_is_404_like_the_pages(self):
        for user, region in (
            (self.community_staff, self.neighbour_grid),
            (self.dispatcher, self.other_grid),
            (self.resident, self.grid),
        ):
            for name in ("region-detail", "region-boundary"):
                with self.subTest(user=user.username, name=name):
                    self.assertJsonError(self.get(api_url(name, region.code), user), 404)

    def test_anonymous_is_401_and_writing_405(self):
        url = api_url("region-detail", self.grid.code)
        self.assertJsonError(self.get(url), 401)
        self.assertJsonError(self.post(url, {}, self.admin), 405)
        self.assertJsonError(self.post(api_url("region-list"), {}, self.admin), 405)


class LocateTests(ApiTestCase):
    def test_a_point_is_placed_on_its_grid(self):
        response = self.get(api_url("locate", lng=120.105, lat=30.205, datum="gcj02"), self.admin)
        body = response.json()
        self.assertEqual((body["inside"], body["region"]["code"]), (True, self.grid.code))
        response = self.get(api_url("locate", lng=10, lat=10), self.admin)
        self.assertEqual(response.json()["inside"], False)

    def test_bad_points_are_400_and_anonymous_401(self):
        response = self.get(api_url("locate", lng="nan", lat=200, datum="x"), self.admin)
        errors = self.assertJsonError(response, 400)["errors"]
        self.assertTrue({"lat", "datum"} <= set(errors))
        self.assertJsonError(self.get(api_url("locate", lng=120, lat=30)), 401)
