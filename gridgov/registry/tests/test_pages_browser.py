"""The room page on a grid worker's phone (390 px) in headless Chromium: it fits, the
household is there, adding a visit note works from the folded form, and the person form
fits too."""

from datetime import date

import pytest

from gridgov.registry import services
from gridgov.registry.choices import Relation, ResidenceType
from gridgov.registry.models import PatrolLog
from gridgov.registry.tests.base import build_registry_cast, resident_id
from gridgov.web.tests.browser import CHROMIUM, BrowserTestCase

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian chromium"),
]


class RoomPageOnAPhoneTests(BrowserTestCase):
    def setUp(self):
        super().setUp()
        build_registry_cast(self)
        household = services.household_at(self.room)
        for serial, name in enumerate(["欧阳秀英", "欧阳建华"], start=1):
            data = services.PersonInput(
                name=name,
                residence_type=ResidenceType.REGISTERED,
                document_type="resident_id",
                document_number=resident_id(date(1948, 2, 1), serial),
                phone="13900001111",
                relation=Relation.HEAD if serial == 1 else Relation.SPOUSE,
                tags=[self.elderly_alone],
            )
            services.save_person(self.admin, data, household, via="test")

    def test_the_room_page_fits_a_phone_and_takes_a_visit_note(self):
        page = self.page_as("gridworker", self.PHONE)
        page.goto(f"{self.live_server_url}/registry/?q=302&grid={self.grid.code}")
        self.shot(page, "registry-home-phone")
        width = page.evaluate("document.documentElement.scrollWidth")
        self.assertLessEqual(width, self.PHONE["width"], f"the registry home is {width} px wide")
        page.click(f"a[href='/registry/rooms/{self.room.pk}/']")
        page.wait_for_load_state()
        self.assertIn("欧阳秀英", page.inner_text(".registry-household"))
        self.shot(page, "registry-room-phone")
        width = page.evaluate("document.documentElement.scrollWidth")
        self.assertLessEqual(width, self.PHONE["width"], f"the room page is {width} px wide")

        page.click("details.registry-action:has(textarea[name=found]) summary")
        page.fill("textarea[name=found]", "两位老人身体尚好，已提醒防范电信诈骗")
        page.click("details.registry-action:has(textarea[name=found]) button[type=submit]")
        page.wait_for_load_state()
        self.assertIn("已提醒防范电信诈骗", page.inner_text("body"))
        self.assertEqual(PatrolLog.objects.get().worker.username, "gridworker")
        width = page.evaluate("document.documentElement.scrollWidth")
        self.assertLessEqual(width, self.PHONE["width"])
        self.shot(page, "registry-room-phone-visited")

        page.click(".registry-household a.button")
        page.wait_for_load_state()
        self.shot(page, "registry-person-form-phone")
        width = page.evaluate("document.documentElement.scrollWidth")
        self.assertLessEqual(width, self.PHONE["width"], f"the person form is {width} px wide")
        self.assertEqual(self.console_errors, [])

    def test_community_staff_show_the_numbers_for_a_purpose_on_a_phone(self):
        person = self.room.households.get().members.order_by("pk").first()
        page = self.page_as("community", self.PHONE)
        page.goto(f"{self.live_server_url}/registry/people/{person.pk}/")
        self.assertNotIn(person.document_number, page.inner_text("body"))
        page.click("details.registry-action summary")
        page.fill("input[name=purpose]", "核实高龄补贴申请")
        page.click("details.registry-action button[type=submit]")
        page.wait_for_load_state()
        self.assertIn(person.document_number, page.inner_text("strong.revealed >> nth=0"))
        self.shot(page, "registry-person-revealed-phone")
        width = page.evaluate("document.documentElement.scrollWidth")
        self.assertLessEqual(width, self.PHONE["width"], f"the person page is {width} px wide")
        self.assertEqual(person.views.get().purpose, "核实高龄补贴申请")
        self.assertEqual(self.console_errors, [])
