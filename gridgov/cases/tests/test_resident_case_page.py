"""A resident's own case page: what matters to them (status, result, rating, timeline) and
its map, without the staff-only parts and without opening any region to them."""

from django.urls import reverse

from gridgov.accounts.tests.base import make_user
from gridgov.cases import services
from gridgov.cases.tests.base import CaseTestCase


class ResidentCasePageTests(CaseTestCase):
    def resident_case(self):
        data = {
            "channel": "web",
            "case_type": "complaint",
            "title": "路灯不亮",
            "description": "楼下路灯坏了三天。",
            "lng": 120.105,
            "lat": 30.205,
            "datum": "gcj02",
        }
        case = services.intake_case(self.resident, data).case
        self.act(self.dispatcher, case, "register", category=self.litter.code)
        self.act(self.dispatcher, case, "dispatch")
        self.act(self.handler, case, "accept")
        self.act(self.handler, case, "handle")
        self.act(self.handler, case, "reply", result="路灯已修复")
        self.act(self.grid_worker, case, "verify", note="内部核查备注")
        return self.act(self.dispatcher, case, "close")

    def test_the_page_shows_the_result_and_hides_staff_only_parts(self):
        case = self.resident_case()
        self.login(self.resident)
        response = self.client.get(reverse("cases:detail", args=[case.number]))
        self.assertContains(response, "路灯已修复")
        self.assertContains(response, "已结案")
        self.assertContains(response, 'data-action="rate"')
        for staff_only in ("内部核查备注", "紧急程度", "依据", "dispatcher"):
            self.assertNotContains(response, staff_only)
        region_page = reverse("regions:detail", args=[case.region.code])
        self.assertNotContains(response, f'href="{region_page}"')

    def test_the_map_of_their_own_case_draws_its_grid_and_nothing_else(self):
        case = self.resident_case()
        self.login(self.resident)
        response = self.client.get(reverse("regions:children_geojson", args=[case.region.code]))
        self.assertEqual(response.status_code, 200)
        features = response.json()["features"]
        self.assertEqual([f["properties"]["code"] for f in features], [case.region.code])

    def test_no_other_region_opens_to_a_resident(self):
        case = self.resident_case()
        self.login(self.resident)
        for code in (self.second_grid.code, self.community.code, self.other_grid.code):
            with self.subTest(code=code):
                url = reverse("regions:children_geojson", args=[code])
                self.assertEqual(self.client.get(url).status_code, 404)
        # Their own case's region page stays closed: it lists staff and sub-areas.
        url = reverse("regions:detail", args=[case.region.code])
        self.assertEqual(self.client.get(url).status_code, 404)

    def test_another_residents_case_region_stays_closed(self):
        case = self.resident_case()
        self.login(make_user("neighbour", "resident"))
        url = reverse("regions:children_geojson", args=[case.region.code])
        self.assertEqual(self.client.get(url).status_code, 404)
