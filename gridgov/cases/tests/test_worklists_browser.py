"""The worklist in a real browser (headless Chromium via Playwright), at a phone's width and a
desktop's: cards with nothing wider than the screen on the phone, the table on the desktop.

Screenshots go to ./test-artifacts/. Skipped with a clear reason where Chromium is missing.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from gridgov.cases import services
from gridgov.web.tests.browser import ARTIFACTS, CHROMIUM, BrowserTestCase

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian chromium"),
]

PHONE = BrowserTestCase.PHONE
DESKTOP = BrowserTestCase.DESKTOP


class WorklistBrowserTests(BrowserTestCase):
    def setUp(self):
        super().setUp()
        long_ago = timezone.now() - timedelta(days=20)
        for when, title in [
            (long_ago, "小区门口垃圾堆积，两天没人清运，气味很大"),
            (timezone.now(), "路灯不亮"),
            (timezone.now(), "非法小广告贴满了三号楼楼道的墙面和电梯间"),
        ]:
            case = self.intake(when, title)
            services.perform(
                self.dispatcher, case.number, "register", {"category": self.litter.code}, at=when
            )
            services.perform(self.dispatcher, case.number, "dispatch", {}, at=when)
        self.intake(timezone.now(), "楼道灯坏了")
        self.unhappy = self.intake(long_ago, "下水道堵塞，污水漫到路面")
        for action, data, actor in [
            ("register", {"category": self.litter.code}, self.dispatcher),
            ("dispatch", {}, self.dispatcher),
            ("accept", {}, self.handler),
            ("handle", {}, self.handler),
            ("reply", {"result": "已疏通"}, self.handler),
            ("verify", {}, self.grid_worker),
            ("close", {}, self.dispatcher),
            ("rate", {"solved": "false", "satisfaction": "unsatisfied"}, self.dispatcher),
        ]:
            services.perform(actor, self.unhappy.number, action, data, at=long_ago)

    def intake(self, when, title):
        data = {
            "channel": "hotline",
            "case_type": "complaint",
            "title": title,
            "description": title,
            "lng": 120.105,
            "lat": 30.205,
            "datum": "gcj02",
            "reporter_name": "张三",
            "reporter_phone": "13812341234",
        }
        return services.intake_case(self.dispatcher, data, at=when).case

    def overflow(self, page) -> int:
        """How far the page is wider than the screen (a horizontal scroll), in pixels."""
        return page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )

    def test_on_a_phone_each_case_is_a_card_and_nothing_scrolls_sideways(self):
        page = self.page_as("dispatcher", PHONE)
        page.goto(f"{self.live_server_url}/cases/?list=all")
        page.screenshot(path=str(ARTIFACTS / "worklist-390.png"), full_page=True)
        self.assertEqual(self.overflow(page), 0)
        self.assertFalse(page.locator("table.cases thead").is_visible())
        row = page.locator("table.cases tbody tr").first
        self.assertLessEqual(row.bounding_box()["width"], PHONE["width"])
        self.assertIn("超期", page.locator("table.cases").inner_text())
        # The headers are hidden on a phone: the sort bar above the cards stands in for them.
        page.click(".sort-bar a >> text=时限")
        page.wait_for_load_state()
        self.assertIn("sort=deadline", page.url)
        self.assertEqual(self.overflow(page), 0)

    def test_on_a_desktop_the_worklist_is_a_table_with_sortable_headers(self):
        page = self.page_as("dispatcher", DESKTOP)
        page.goto(f"{self.live_server_url}/cases/?list=all")
        self.assertTrue(page.locator("table.cases thead").is_visible())
        page.click("table.cases thead a.sort >> text=编号")
        page.wait_for_load_state()
        self.assertIn("sort=number", page.url)
        page.screenshot(path=str(ARTIFACTS / "worklist-1280.png"), full_page=True)
        self.assertEqual(self.overflow(page), 0)

    def test_on_a_phone_the_dispatcher_reopens_a_dissatisfied_follow_up_from_its_card(self):
        page = self.page_as("dispatcher", PHONE)
        page.goto(f"{self.live_server_url}/cases/?list=dissatisfied")
        card = page.locator("table.cases tbody tr", has_text=self.unhappy.number)
        card.locator("summary").click()
        card.locator("input[name=reason]").fill("居民回访不满意，重新办理")
        page.screenshot(path=str(ARTIFACTS / "worklist-dissatisfied-390.png"), full_page=True)
        self.assertEqual(self.overflow(page), 0)
        card.locator("button[type=submit]").click()
        page.wait_for_load_state()
        self.unhappy.refresh_from_db()
        self.assertEqual(self.unhappy.status, "handling")
        page.goto(f"{self.live_server_url}/cases/?list=dissatisfied")
        self.assertNotIn(self.unhappy.number, page.content())
