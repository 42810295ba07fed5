"""Emergency-help case categories (cases migration 0012): offered only while a region is in
emergency mode, taken in only there, with deadlines in hours, and first on the worklist
of those who work there."""

from datetime import timedelta

from django.urls import reverse

from gridgov.cases.models import Case, Category
from gridgov.cases.tests.base import build_case_cast
from gridgov.cases.tests.test_intake_dispatch import FORM
from gridgov.emergency import services
from gridgov.emergency.tests.base import EmergencyTestCase


class EmergencyCategoryTests(EmergencyTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        build_case_cast(cls)
        cls.medical = Category.objects.get(code="X0102")

    def test_not_offered_in_normal_mode_and_refused_outside_the_emergency_area(self):
        self.login(self.dispatcher)
        self.assertNotContains(self.client.get(reverse("cases:intake")), "就医需求")
        response = self.client.post(reverse("cases:intake"), {**FORM, "category": "X0102"})
        self.assertEqual(response.status_code, 400)
        self.assertFalse(Case.objects.exists())
        services.switch_on(self.city_leader, self.other_district, "疫情")
        self.assertContains(self.client.get(reverse("cases:intake")), "就医需求")
        response = self.client.post(reverse("cases:intake"), {**FORM, "category": "X0102"})
        self.assertContains(response, '<small class="error">“就医需求”', status_code=400)
        self.assertContains(response, "小区门口垃圾两天没人清运。", status_code=400)
        self.assertFalse(Case.objects.exists())

    def test_in_emergency_mode_a_medical_need_is_due_within_two_hours_and_listed_first(self):
        services.switch_on(self.leader, self.district, "本土疫情")
        self.login(self.dispatcher)
        response = self.client.post(
            reverse("cases:intake"), {**FORM, "category": "X0102", "title": "透析患者需送医"}
        )
        self.assertEqual(response.status_code, 302)
        case = Case.objects.get()
        self.assertEqual(case.reply_due_at - case.received_at, timedelta(hours=2))
        page = self.client.get(reverse("cases:worklist"))
        self.assertEqual(page.context["current"], "emergency")
        self.assertContains(page, "透析患者需送医")
        self.login(self.outsider)
        page = self.client.get(reverse("cases:worklist"))
        self.assertNotEqual(page.context["current"], "emergency")
