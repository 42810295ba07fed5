from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

from gridgov.accounts.tests.base import CastTestCase, make_region, square
from gridgov.lib.datum import gcj02_to_wgs84
from gridgov.regions.choices import Level

SEARCH = reverse("regions:search")
AREA = reverse("regions:service_area")


class PlaceSearchTests(CastTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.building = make_region(
            "990101001001001003", "3号楼", Level.BUILDING, cls.grid, square(120.101, 30.201, 0.001)
        )

    def setUp(self):
        cache.clear()  # the rate limit counts in the cache

    def test_an_address_finds_the_grid_of_the_building_it_names_first(self):
        response = self.client.get(SEARCH, {"q": "滨江社区3号楼门口"})
        self.assertEqual(response.status_code, 200)
        first = response.json()["results"][0]
        self.assertEqual(first["code"], self.grid.code)
        self.assertEqual(first["name"], "滨江社区 滨江社区第01网格")
        self.assertEqual(first["level_label"], "网格")
        # The centre is the grid's own, in the map's datum (the demo's GCJ-02).
        self.assertAlmostEqual(first["lng"], self.grid.centroid_lng, places=5)
        self.assertAlmostEqual(first["lat"], self.grid.centroid_lat, places=5)

    def test_a_name_finds_the_community_before_its_grids(self):
        results = self.client.get(SEARCH, {"q": "临河"}).json()["results"]
        self.assertEqual(
            [r["code"] for r in results], [self.neighbour_community.code, self.neighbour_grid.code]
        )

    def test_building_names_come_with_their_grid(self):
        results = self.client.get(SEARCH, {"q": "3号楼"}).json()["results"]
        self.assertEqual(
            [(r["code"], r["name"]) for r in results],
            [(self.building.code, "滨江社区第01网格 3号楼")],
        )

    @override_settings(MAP_DATUM="wgs84")
    def test_centres_are_given_in_the_maps_datum(self):
        first = self.client.get(SEARCH, {"q": "临河社区"}).json()["results"][0]
        lng, lat = gcj02_to_wgs84(
            self.neighbour_community.centroid_lng, self.neighbour_community.centroid_lat
        )
        self.assertAlmostEqual(first["lng"], lng, places=5)
        self.assertAlmostEqual(first["lat"], lat, places=5)

    def test_a_place_not_in_the_city_finds_nothing(self):
        response = self.client.get(SEARCH, {"q": "北京市朝阳区"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), {"results": []})

    def test_it_answers_only_public_geography(self):
        self.grid_worker.display_name = "滨江李四"
        self.grid_worker.save()
        results = self.client.get(SEARCH, {"q": "滨江"}).json()["results"]
        self.assertTrue(results)
        keys = {key for r in results for key in r}
        self.assertEqual(keys, {"code", "name", "level", "level_label", "lng", "lat"})
        self.assertNotIn("李四", str(results))

    def test_it_refuses_empty_too_short_and_too_long_queries(self):
        for params in ({}, {"q": ""}, {"q": " 枫 "}, {"q": "枫" * 101}):
            response = self.client.get(SEARCH, params)
            self.assertEqual(response.status_code, 400, params)
            self.assertIn("error", response.json())

    def test_it_refuses_writes(self):
        self.assertEqual(self.client.post(SEARCH, {"q": "滨江"}).status_code, 405)

    @override_settings(GRIDGOV_PUBLIC_LOOKUPS_PER_HOUR=1)
    def test_anonymous_searches_are_rate_limited_per_client(self):
        for _ in range(10):
            self.assertEqual(self.client.get(SEARCH, {"q": "滨江"}).status_code, 200)
        response = self.client.get(SEARCH, {"q": "滨江"})
        self.assertEqual(response.status_code, 429)
        self.assertIn("error", response.json())
        other_client = self.client_class(REMOTE_ADDR="10.0.0.9")
        self.assertEqual(other_client.get(SEARCH, {"q": "滨江"}).status_code, 200)
        # Staff signed in at the hotline are not counted against the public budget.
        self.login(self.dispatcher)
        self.assertEqual(self.client.get(SEARCH, {"q": "滨江"}).status_code, 200)


class PublicOutlineTests(CastTestCase):
    def setUp(self):
        cache.clear()

    def test_a_community_gives_its_grids_outlines_and_names_to_anyone(self):
        response = self.client.get(AREA, {"parent": self.community.code})
        self.assertEqual(response.status_code, 200)
        features = response.json()["features"]
        self.assertEqual(
            [(f["properties"]["code"], f["properties"]["name"]) for f in features],
            [(self.grid.code, "滨江社区第01网格"), (self.second_grid.code, "滨江社区第02网格")],
        )
        self.assertEqual(features[0]["properties"]["level"], "grid")

    def test_grids_and_unknown_codes_have_no_public_children(self):
        for code in (self.grid.code, "nope"):
            self.assertEqual(self.client.get(AREA, {"parent": code}).status_code, 404)

    @override_settings(GRIDGOV_PUBLIC_LOOKUPS_PER_HOUR=1)
    def test_anonymous_drilling_is_rate_limited(self):
        for _ in range(10):
            self.client.get(AREA, {"parent": self.community.code})
        self.assertEqual(self.client.get(AREA, {"parent": self.community.code}).status_code, 429)
