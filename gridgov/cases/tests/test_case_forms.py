"""The action forms on the case page: they start from the case as it is, offer only the
units serving its area, and the same limits hold in the service for every other caller."""

import re
import struct
import zlib
from io import BytesIO

from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from gridgov.accounts.models import Department
from gridgov.api.tests.base import ApiTestCase, action_url, api_url
from gridgov.api.tests.test_intake import REPORT
from gridgov.cases import services
from gridgov.cases.models import Assignment, Case, DispatchRule
from gridgov.cases.tests.base import CaseTestCase
from gridgov.open311.tests.base import Open311TestCase


def selected(page: str, form_action: str, field: str) -> list[str]:
    """The values a browser would submit for `field` of the form posting to `form_action`."""
    form = page[page.index(f'action="{form_action}"') :]
    form = form[: form.index("</form>")]
    select = re.search(rf'<select name="{field}".*?</select>', form, re.S)
    if select:
        chosen = re.findall(r'<option value="([^"]*)"[^>]*selected', select.group(0))
        first = re.search(r'<option value="([^"]*)"', select.group(0))
        return chosen or ([first.group(1)] if first else [])
    return re.findall(rf'name="{field}" value="([^"]*)"[^>]*checked', form)


class RegisterStartsFromTheCaseTests(CaseTestCase):
    def test_registering_as_offered_keeps_the_cases_type_and_urgency(self):
        case = self.intake(case_type="complaint", category=self.litter.code)
        self.assertEqual(case.urgency, "normal")
        self.login(self.dispatcher)
        url = reverse("cases:act", args=[case.number, "register"])
        page = self.client.get(reverse("cases:detail", args=[case.number])).content.decode()
        data = {name: selected(page, url, name) for name in ("category", "urgency", "case_type")}
        self.assertEqual(
            data, {"category": ["E0103"], "urgency": ["normal"], "case_type": ["complaint"]}
        )
        self.client.post(url, {**data, "version": case.version})
        case.refresh_from_db()
        self.assertEqual(
            (case.status, case.case_type, case.urgency), ("registered", "complaint", "normal")
        )

    def test_the_self_handle_form_starts_from_the_cases_category(self):
        case = self.intake(actor=self.grid_worker, channel="grid_patrol", category="E0201")
        self.login(self.grid_worker)
        page = self.client.get(reverse("cases:detail", args=[case.number])).content.decode()
        url = reverse("cases:act", args=[case.number, "self-handle"])
        self.assertEqual(selected(page, url, "category"), ["E0201"])


class DispatchWithinTheAreaTests(CaseTestCase):
    def page(self, user, case) -> str:
        self.login(user)
        return self.client.get(reverse("cases:detail", args=[case.number])).content.decode()

    def test_the_dispatch_form_offers_the_areas_departments_with_the_suggestion_ticked(self):
        case = self.registered()
        page = self.page(self.dispatcher, case)
        url = reverse("cases:act", args=[case.number, "dispatch"])
        self.assertEqual(selected(page, url, "departments"), [self.department.code])
        self.assertIn(f'value="{self.water.code}"', page)
        self.assertNotIn(f'value="{self.other_department.code}"', page)
        self.assertIn("data-picker", page)

    def test_another_districts_department_is_refused_and_nothing_changes(self):
        case = self.registered()
        self.login(self.dispatcher)
        response = self.client.post(
            reverse("cases:act", args=[case.number, "dispatch"]),
            {"departments": [self.other_department.code], "version": case.version},
        )
        self.assertEqual(response.status_code, 400)
        case.refresh_from_db()
        self.assertEqual(case.status, "registered")
        self.assertFalse(Assignment.objects.filter(case=case).exists())

    def test_a_rule_naming_another_districts_department_is_refused_too(self):
        DispatchRule.objects.create(
            category=self.litter, region=self.district, department=self.other_department
        )
        case = self.registered()
        with self.assertRaises(services.InvalidInput) as refused:
            self.act(self.dispatcher, case, "dispatch")
        self.assertIn(self.other_department.name, refused.exception.message)
        self.assertFalse(Assignment.objects.filter(case=case).exists())

    def test_a_city_department_serves_every_district(self):
        city_department = Department.objects.create(
            code="9901-sj", name="江州市水务集团", short_name="水务集团", region=self.city
        )
        case = self.registered()
        case = self.act(self.dispatcher, case, "dispatch", departments=[city_department.code])
        self.assertEqual(case.assignments.get().department, city_department)

    def test_the_summon_form_and_service_keep_to_the_area(self):
        case = self.registered()
        page = self.page(self.street_staff, case)
        self.assertNotIn(f'value="{self.other_department.code}"', page)
        response = self.client.post(
            reverse("cases:act", args=[case.number, "summon"]),
            {
                "lead": self.department.code,
                "assisting": [self.other_department.code],
                "version": case.version,
            },
        )
        self.assertEqual(response.status_code, 400)
        self.assertFalse(Assignment.objects.filter(case=case).exists())


class RatingFormTests(CaseTestCase):
    def test_the_rating_form_chooses_nothing_for_the_resident(self):
        case = self.closed()
        self.login(self.dispatcher)
        page = self.client.get(reverse("cases:detail", args=[case.number])).content.decode()
        url = reverse("cases:act", args=[case.number, "rate"])
        self.assertEqual(selected(page, url, "solved"), [])
        self.assertEqual(selected(page, url, "satisfaction"), [])
        response = self.client.post(url, {"version": case.version})
        self.assertEqual(response.status_code, 400)
        case.refresh_from_db()
        self.assertEqual(case.status, "closed")


def bomb_png(width=50000, height=50000) -> bytes:
    """A tiny PNG whose header declares a huge picture (a decompression bomb)."""
    buffer = BytesIO()
    Image.new("RGB", (1, 1)).save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    ihdr = bytearray(data[12:29])  # chunk type + 13 bytes of header data
    ihdr[4:12] = struct.pack(">II", width, height)
    data[12:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(ihdr)))
    return bytes(data)


def bomb(name="bomb.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, bomb_png(), content_type="image/png")


class DecompressionBombTests(ApiTestCase):
    def setUp(self):
        super().setUp()
        cache.clear()

    def test_the_api_refuses_it_as_a_bad_photo(self):
        response = self.post_multipart(
            api_url("case-list"), {**REPORT, "photos": [bomb()]}, self.grid_worker
        )
        self.assertEqual(response.status_code, 400, response.content)
        self.assertIn("photos", response.json()["errors"])
        self.assertFalse(Case.objects.exists())

    def test_the_report_page_refuses_it_and_keeps_the_text(self):
        response = self.client.post(
            reverse("public_report"),
            {
                "case_type": "complaint",
                "title": "楼道堆物",
                "description": "楼道里堆满杂物",
                "address": "滨江社区门口",
                "reporter_phone": "13911112222",
                "photos": [bomb()],
            },
        )
        self.assertContains(response, "楼道里堆满杂物", status_code=400)
        self.assertContains(response, "bomb.png", status_code=400)
        self.assertFalse(Case.objects.exists())

    def test_self_handling_refuses_it_and_the_case_stays(self):
        case = self.intake(actor=self.grid_worker, channel="grid_patrol")
        response = self.post_multipart(
            action_url(case.number, "self-handle"),
            {"category": self.flyposting.code, "result": "已清除", "photos": [bomb()]},
            self.grid_worker,
        )
        self.assertEqual(response.status_code, 400, response.content)
        case.refresh_from_db()
        self.assertEqual(case.status, "received")


class Open311BombTests(Open311TestCase):
    def test_open311_media_refuses_it_with_the_specs_error(self):
        response = self.post(data={**self.valid(), "media": bomb()})
        self.assert_error(response, 400, mentions=["media"])
        self.assertFalse(Case.objects.exists())


class DispatchRuleAdminTests(CaseTestCase):
    def test_a_rule_may_not_name_a_department_outside_its_region(self):
        self.client.force_login(self.admin)
        url = reverse("admin:cases_dispatchrule_add")
        data = {
            "category": self.litter.pk,
            "region": self.district.pk,
            "department": self.other_department.pk,
            "office_level": "",
            "priority": 100,
            "is_active": "on",
        }
        response = self.client.post(url, data)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, self.other_department.name)
        self.assertFalse(DispatchRule.objects.exists())
        self.client.post(url, {**data, "department": self.department.pk})
        self.assertEqual(DispatchRule.objects.get().department, self.department)
