"""The burden pages in a real browser (headless Chromium): a department sends a demand by
ticking a community it found by typing, and the community's overview, inbox and answer page
fit a phone with no script error (the pages run nothing inline, as the CSP requires)."""

import pytest

from gridgov.burden.choices import Admission
from gridgov.burden.models import Demand
from gridgov.burden.tests.base import build_burden_cast
from gridgov.web.tests.browser import CHROMIUM, BrowserTestCase

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian chromium"),
]


class BurdenBrowserTests(BrowserTestCase):
    def setUp(self):
        super().setUp()
        build_burden_cast(self)

    def test_a_demand_sent_by_ticking_reaches_the_community_and_its_pages_fit_a_phone(self):
        sender = self.page_as("dept")
        sender.goto(f"{self.live_server_url}/burden/demands/new/")
        sender.fill("[name=title]", "高龄老人名单核实")
        sender.fill("[name=description]", "请核实本社区80岁以上老人名单")
        sender.fill(".picker-filter >> nth=0", self.community.name)
        self.assertFalse(sender.is_visible(f"text={self.neighbour_community.name}"))
        sender.check(f"[name=recipients][value='{self.community.code}']")
        sender.check(f"[name=matter][value='{self.matter.code}']")
        self.shot(sender, "burden-send-form")
        sender.click("main form button[type=submit]")
        sender.wait_for_load_state()
        demand = Demand.objects.get()
        self.assertEqual(demand.admission, Admission.ADMITTED)
        self.assertEqual(
            list(demand.recipients.values_list("region", flat=True)), [self.community.pk]
        )

        phone = self.page_as("community", self.PHONE)
        recipient = demand.recipients.get()
        for path in ("/burden/", "/burden/inbox/", f"/burden/received/{recipient.pk}/"):
            with self.subTest(path=path):
                phone.goto(f"{self.live_server_url}{path}")
                phone.wait_for_load_state("networkidle")
                self.shot(phone, "phone-burden" + path.replace("/", "-").rstrip("-"))
                width = phone.evaluate("document.documentElement.scrollWidth")
                self.assertLessEqual(width, self.PHONE["width"], f"{path} is {width} px wide")
        self.assertIn(demand.title, phone.content())
        self.assertEqual(self.console_errors, [])
