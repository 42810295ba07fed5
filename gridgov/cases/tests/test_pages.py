from io import BytesIO

from django.urls import reverse
from openpyxl import load_workbook

from gridgov.accounts.tests.base import ScopeMatrixMixin
from gridgov.cases.models import Case, PersonalDataAccess
from gridgov.cases.tests.base import CaseTestCase


class CasePageScopeTests(ScopeMatrixMixin, CaseTestCase):
    def make_object(self, grid):
        # A department handler sees what is assigned to it: dispatch each case to the
        # department of the district it lies in.
        lng, lat = {
            self.grid.pk: (120.105, 30.205),
            self.neighbour_grid.pk: (120.125, 30.205),
            self.other_grid.pk: (120.205, 30.205),
        }[grid.pk]
        case = self.intake(actor=self.admin, lng=lng, lat=lat)
        department = (
            self.department if grid.path.startswith(self.district.path) else (self.other_department)
        )
        self.act(self.admin, case, "register", category=self.litter.code)
        self.act(self.admin, case, "dispatch", departments=[department.code])
        return case

    def url_for(self, case):
        return reverse("cases:detail", args=[case.number])


class WorklistTests(CaseTestCase):
    def test_the_department_sees_its_cases_to_accept_with_deadline_colours(self):
        case = self.dispatched()
        self.login(self.handler)
        response = self.client.get(reverse("cases:worklist"), {"list": "to_accept"})
        self.assertContains(response, case.number)
        self.assertContains(response, "deadline-ok")

    def test_a_list_not_offered_to_the_role_is_not_found(self):
        self.login(self.handler)
        response = self.client.get(reverse("cases:worklist"), {"list": "to_register"})
        self.assertEqual(response.status_code, 404)

    def test_filters_narrow_the_list(self):
        litter = self.registered()
        flyposting = self.registered(category=self.flyposting)
        self.login(self.dispatcher)
        response = self.client.get(
            reverse("cases:worklist"), {"list": "to_dispatch", "category": self.flyposting.code}
        )
        self.assertContains(response, flyposting.number)
        self.assertNotContains(response, litter.number)

    def test_the_worklist_exports_to_excel(self):
        case = self.registered()
        self.login(self.dispatcher)
        response = self.client.get(reverse("cases:export"), {"list": "to_dispatch"})
        self.assertEqual(response.status_code, 200)
        sheet = load_workbook(BytesIO(response.content)).active
        rows = list(sheet.iter_rows(values_only=True))
        self.assertEqual(rows[1][0], case.number)
        self.assertNotIn("13812341234", str(rows))

    def test_the_worklist_query_count_does_not_grow_with_cases(self):
        self.login(self.dispatcher)
        for _ in range(3):
            self.registered()
        with self.assertNumQueries(11) as first:
            self.client.get(reverse("cases:worklist"), {"list": "to_dispatch"})
        for _ in range(5):
            self.registered()
        with self.assertNumQueries(len(first.captured_queries)):
            self.client.get(reverse("cases:worklist"), {"list": "to_dispatch"})


class CaseActionPageTests(CaseTestCase):
    def test_the_case_page_offers_only_the_actions_the_viewer_may_take(self):
        case = self.dispatched()
        self.login(self.handler)
        response = self.client.get(reverse("cases:detail", args=[case.number]))
        actions = [block["action"] for block in response.context["action_blocks"]]
        self.assertEqual(actions, ["accept", "return"])
        self.assertContains(response, "138****1234")
        self.assertNotContains(response, "13812341234")

    def test_an_action_through_the_page_moves_the_case(self):
        case = self.dispatched()
        self.login(self.handler)
        response = self.client.post(
            reverse("cases:act", args=[case.number, "accept"]), {"version": case.version}
        )
        self.assertRedirects(response, reverse("cases:detail", args=[case.number]))
        self.assertEqual(Case.objects.get(pk=case.pk).status, "accepted")

    def test_bad_input_is_shown_with_the_form_and_what_was_typed_is_kept(self):
        case = self.dispatched()
        self.login(self.handler)
        response = self.client.post(
            reverse("cases:act", args=[case.number, "return"]), {"version": case.version}
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(Case.objects.get(pk=case.pk).status, "dispatched")
        self.assertContains(response, "has-error", status_code=400)

    def test_a_stale_page_is_told_to_reload(self):
        case = self.dispatched()
        self.login(self.handler)
        response = self.client.post(
            reverse("cases:act", args=[case.number, "accept"]),
            {"version": case.version - 1},
            follow=True,
        )
        self.assertEqual(Case.objects.get(pk=case.pk).status, "dispatched")
        self.assertTrue(list(response.context["messages"]))

    def test_a_refused_action_answers_409_and_changes_nothing(self):
        case = self.intake()
        self.login(self.dispatcher)
        response = self.client.post(reverse("cases:act", args=[case.number, "close"]))
        self.assertEqual(response.status_code, 409)
        self.assertEqual(Case.objects.get(pk=case.pk).status, "received")

    def test_the_wrong_role_gets_403(self):
        case = self.intake()
        self.login(self.grid_worker)
        response = self.client.post(
            reverse("cases:act", args=[case.number, "register"]), {"category": self.litter.code}
        )
        self.assertEqual(response.status_code, 403)

    def test_showing_the_reporters_phone_is_audited(self):
        case = self.intake()
        self.login(self.dispatcher)
        response = self.client.post(reverse("cases:reveal_reporter", args=[case.number]))
        self.assertContains(response, "13812341234")
        self.assertTrue(PersonalDataAccess.objects.filter(user=self.dispatcher, case=case))

    def test_a_grid_worker_may_not_see_the_phone(self):
        case = self.intake()
        self.login(self.grid_worker)
        response = self.client.post(reverse("cases:reveal_reporter", args=[case.number]))
        self.assertEqual(response.status_code, 403)
        self.assertFalse(PersonalDataAccess.objects.exists())


class IntakePageTests(CaseTestCase):
    def test_an_operator_takes_in_a_case_and_lands_on_it(self):
        self.login(self.dispatcher)
        response = self.client.post(
            reverse("cases:intake"),
            {
                "channel": "hotline",
                "case_type": "complaint",
                "title": "路灯不亮",
                "description": "小区门口路灯坏了",
                "lng": "120.105",
                "lat": "30.205",
                "datum": "gcj02",
                "reporter_phone": "13800000000",
            },
        )
        case = Case.objects.get()
        self.assertRedirects(response, reverse("cases:detail", args=[case.number]))
        self.assertEqual(case.region, self.grid)

    def test_bad_intake_keeps_what_was_typed_and_creates_nothing(self):
        self.login(self.dispatcher)
        response = self.client.post(
            reverse("cases:intake"),
            {
                "channel": "hotline",
                "case_type": "complaint",
                "title": "",
                "description": "一段很长的描述，不应丢失",
                "lng": "120.105",
            },
        )
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "一段很长的描述，不应丢失", status_code=400)
        self.assertFalse(Case.objects.exists())

    def test_departments_cannot_take_in_cases(self):
        self.login(self.handler)
        self.assertEqual(self.client.get(reverse("cases:intake")).status_code, 403)
