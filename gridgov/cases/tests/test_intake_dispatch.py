"""A hotline operator takes a case in, registers and dispatches it in one submission."""

from django.urls import reverse

from gridgov.cases.models import Assignment, Case, CaseEvent, DispatchRule
from gridgov.cases.tests.base import CaseTestCase

FORM = {
    "channel": "hotline",
    "case_type": "complaint",
    "title": "垃圾堆积",
    "description": "小区门口垃圾两天没人清运。",
    "lng": "120.105",
    "lat": "30.205",
    "datum": "gcj02",
    "reporter_phone": "13800000000",
}


class IntakeAndDispatchTests(CaseTestCase):
    def test_the_operator_sees_the_suggested_unit_before_accepting_it(self):
        self.login(self.dispatcher)
        page = self.client.get(reverse("cases:intake"))
        self.assertContains(page, 'name="dispatch_now"')
        answer = self.client.get(
            reverse("cases:intake_suggestion"),
            {"category": self.litter.code, "lng": "120.105", "lat": "30.205", "datum": "gcj02"},
        ).json()
        self.assertEqual(answer["unit"], self.department.name)
        self.assertTrue(answer["explanation"])
        missing = self.client.get(reverse("cases:intake_suggestion"), {"lng": "120.105"})
        self.assertEqual(missing.json()["unit"], None)

    def test_one_submission_takes_in_registers_and_dispatches(self):
        self.login(self.dispatcher)
        response = self.client.post(
            reverse("cases:intake"), {**FORM, "category": self.litter.code, "dispatch_now": "1"}
        )
        case = Case.objects.get()
        self.assertRedirects(response, reverse("cases:detail", args=[case.number]))
        self.assertEqual(case.status, "dispatched")
        self.assertEqual(case.assignments.get().department, self.department)
        self.assertEqual(
            list(case.events.order_by("pk").values_list("action", flat=True)),
            ["receive", "register", "dispatch"],
        )

    def test_without_a_category_nothing_is_taken_in_and_the_text_is_kept(self):
        self.login(self.dispatcher)
        response = self.client.post(reverse("cases:intake"), {**FORM, "dispatch_now": "1"})
        self.assertContains(response, "小区门口垃圾两天没人清运。", status_code=400)
        self.assertFalse(Case.objects.exists())

    def test_a_refused_dispatch_leaves_no_half_made_case(self):
        # A rule that pushes a department's matter down to the community is refused at
        # dispatch: the intake and the registration before it must not stay behind.
        DispatchRule.objects.create(
            category=self.litter, region=self.district, office_level="community"
        )
        self.login(self.dispatcher)
        response = self.client.post(
            reverse("cases:intake"),
            {**FORM, "category": self.litter.code, "dispatch_now": "1"},
        )
        self.assertEqual(response.status_code, 409)
        self.assertContains(response, "小区门口垃圾两天没人清运。", status_code=409)
        self.assertEqual(
            (Case.objects.count(), CaseEvent.objects.count(), Assignment.objects.count()),
            (0, 0, 0),
        )

    def test_a_grid_worker_may_not_dispatch_on_intake(self):
        self.login(self.grid_worker)
        self.assertNotContains(self.client.get(reverse("cases:intake")), 'name="dispatch_now"')
        response = self.client.post(
            reverse("cases:intake"),
            {**FORM, "channel": "grid_patrol", "category": self.litter.code, "dispatch_now": "1"},
        )
        self.assertEqual(response.status_code, 403)
        self.assertFalse(Case.objects.exists())
        suggestion = self.client.get(reverse("cases:intake_suggestion"))
        self.assertEqual(suggestion.status_code, 403)
