"""The emergency pages in a real browser (headless Chromium): a leader switches their
district to emergency mode from the overview, and the public list of risk areas fits a
phone with no script error (the pages run nothing inline, as the CSP requires)."""

import pytest

from gridgov.emergency import services
from gridgov.emergency.models import EmergencyArea
from gridgov.emergency.tests.base import WUHAN_JIANGHAN, build_emergency_cast
from gridgov.web.tests.browser import CHROMIUM, BrowserTestCase

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian chromium"),
]


class EmergencyBrowserTests(BrowserTestCase):
    def setUp(self):
        super().setUp()
        build_emergency_cast(self)

    def test_a_leader_switches_the_district_on_and_the_overview_shows_it(self):
        page = self.page_as("leader")
        page.goto(f"{self.live_server_url}/emergency/")
        page.wait_for_load_state("networkidle")
        page.fill("[data-action=switch-on] [name=reason]", "本土聚集性疫情")
        self.shot(page, "emergency-overview-normal")
        page.click("[data-action=switch-on] button[type=submit]")
        page.wait_for_load_state()
        area = EmergencyArea.objects.get()
        self.assertEqual(area.region, self.district)
        self.assertTrue(page.is_visible("[data-action=switch-off]"))
        self.assertIn("本土聚集性疫情", page.content())
        self.assertIn("<svg", page.content())
        self.shot(page, "emergency-overview-on")
        self.assertEqual(self.console_errors, [])

    def test_the_public_risk_areas_fit_a_phone(self):
        services.set_risk_area(
            self.city_leader,
            services.RiskAreaInput(
                "high", self.today, "聚集性疫情", region=self.grid, detail="1幢、2幢"
            ),
        )
        services.set_risk_area(
            self.city_leader,
            services.RiskAreaInput("medium", self.today, "x", division_code=WUHAN_JIANGHAN),
        )
        phone = self.page_as(None, self.PHONE)
        phone.goto(f"{self.live_server_url}/risk-areas/")
        phone.wait_for_load_state("networkidle")
        self.shot(phone, "phone-public-risk-areas")
        self.assertIn(self.grid.name, phone.content())
        self.assertIn("湖北省武汉市江汉区", phone.content())
        width = phone.evaluate("document.documentElement.scrollWidth")
        self.assertLessEqual(width, self.PHONE["width"], f"the page is {width} px wide")
        self.assertEqual(self.console_errors, [])
