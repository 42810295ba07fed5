"""GET /api/v1/metrics?region=CODE&from=…&to=…"""

from gridgov.api.tests.base import ApiTestCase, api_url
from gridgov.cases.tests.base import at


class MetricsTests(ApiTestCase):
    def test_a_region_gets_its_figures_for_the_period(self):
        self.closed(at=at(2026, 3, 2, 9))
        self.act(
            self.dispatcher,
            self.closed(at=at(2026, 3, 3, 9)),
            "rate",
            solved="true",
            satisfaction="satisfied",
        )
        self.intake(at=at(2026, 4, 2, 9))  # outside the period
        query = {"region": self.street.code, "from": "2026-03-01", "to": "2026-03-31"}
        response = self.get(api_url("metrics", **query), self.street_staff)
        self.assertEqual(response.status_code, 200, response.content[:300])
        body = response.json()
        self.assertEqual((body["from"], body["to"]), ("2026-03-01", "2026-03-31"))
        figures = body["figures"]
        self.assertEqual(
            (figures["code"], figures["received"], figures["closed"]), (self.street.code, 2, 2)
        )
        self.assertEqual(
            set(figures["rates"]),
            {"response", "resolution", "satisfaction", "on_time", "rework", "extension"},
        )
        self.assertEqual(figures["rates"]["resolution"], 1.0)

    def test_it_ranks_child_regions_and_units_on_request(self):
        self.closed(at=at(2026, 3, 2, 9))
        query = {"region": self.street.code, "from": "2026-03-01", "to": "2026-03-31"}
        body = self.get(api_url("metrics", by="children", **query), self.leader).json()
        self.assertEqual(
            [row["code"] for row in body["rows"]][:2],
            [self.community.code, self.neighbour_community.code],
        )
        body = self.get(api_url("metrics", by="units", **query), self.leader).json()
        self.assertEqual(body["rows"][0]["code"], self.department.code)
        self.assertIn("score", body["rows"][0])

    def test_a_region_out_of_scope_or_unknown_is_404(self):
        for user, code in (
            (self.community_staff, self.street.code),
            (self.dispatcher, self.other_district.code),
            (self.resident, self.grid.code),
            (self.admin, "990199999999"),
        ):
            with self.subTest(user=user.username):
                self.assertJsonError(self.get(api_url("metrics", region=code), user), 404)

    def test_bad_input_is_400_naming_fields(self):
        response = self.get(api_url("metrics", **{"from": "March", "by": "mood"}), self.admin)
        self.assertEqual(
            set(self.assertJsonError(response, 400)["errors"]), {"region", "from", "by"}
        )
        query = {"region": self.city.code, "from": "2026-03-02", "to": "2026-03-01"}
        response = self.get(api_url("metrics", **query), self.admin)
        self.assertEqual(set(self.assertJsonError(response, 400)["errors"]), {"from"})
        query = {"region": self.city.code, "to": "9999-12-31"}
        self.assertIn(
            "to",
            self.assertJsonError(self.get(api_url("metrics", **query), self.admin), 400)["errors"],
        )

    def test_anonymous_is_401_and_writing_405(self):
        self.assertJsonError(self.get(api_url("metrics", region=self.city.code)), 401)
        self.assertJsonError(self.post(api_url("metrics"), {}, self.admin), 405)
