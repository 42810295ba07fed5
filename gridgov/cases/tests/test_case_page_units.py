"""The units table of a closed case, and the "rate the summoned units" action, on the case
page: a closed case's units are done (not 在办), a reopen hands the case back to them, the
figures still count the case for its unit, and the rating of summoned units is offered
only while the summoning office has a unit left to rate."""

import importlib
from datetime import timedelta

from django.apps import apps
from django.urls import reverse
from django.utils import timezone, translation

from gridgov.cases.choices import AssignmentState
from gridgov.cases.models import Assignment
from gridgov.cases.tests.base import CaseTestCase
from gridgov.metrics.figures import unit_figures

migration = importlib.import_module("gridgov.cases.migrations.0009_end_assignments_of_closed_cases")


class ClosedCaseUnitsTests(CaseTestCase):
    def page(self, user, case):
        self.login(user)
        with translation.override("zh-hans"):
            return self.client.get(
                reverse("cases:detail", args=[case.number]), HTTP_ACCEPT_LANGUAGE="zh-hans"
            )

    def units_table(self, response) -> str:
        html = response.content.decode()
        start = html.index('<table class="list units">')
        return html[start : html.index("</table>", start)]

    def test_a_closed_case_lists_its_unit_as_done_not_active(self):
        case = self.closed()
        self.assertEqual(
            list(case.assignments.values_list("state", flat=True)), [AssignmentState.DONE]
        )
        table = self.units_table(self.page(self.dispatcher, case))
        self.assertIn("已办结", table)
        self.assertNotIn("在办", table)

    def test_rating_keeps_the_unit_done(self):
        case = self.closed()
        self.act(self.dispatcher, case, "rate", solved="true", satisfaction="satisfied")
        self.assertEqual(case.assignments.get().state, AssignmentState.DONE)

    def test_an_open_case_lists_its_unit_as_active(self):
        case = self.handling()
        self.assertIn("在办", self.units_table(self.page(self.dispatcher, case)))

    def test_a_reopened_case_goes_back_to_the_unit_that_finished_it(self):
        case = self.closed()
        self.act(self.dispatcher, case, "reopen", reason="居民反映未解决")
        self.assertEqual(case.assignments.get().state, AssignmentState.ACTIVE)
        case = self.act(self.handler, case, "reply", result="再次清运完毕")
        self.assertEqual(case.status, "replied")

    def test_the_unit_still_counts_the_closed_case(self):
        case = self.closed()
        now = timezone.now()
        rows = {
            row.code: row
            for row in unit_figures(now - timedelta(days=1), now + timedelta(days=1), now=now)
        }
        self.assertEqual(rows[self.department.code].closed, 1)
        self.assertEqual(case.lead_assignment().department, self.department)

    def test_the_migration_finishes_the_assignments_of_closed_cases_only(self):
        closed, open_case = self.closed(), self.handling()
        # As a version before the rule left them.
        Assignment.objects.filter(case=closed).update(state=AssignmentState.ACTIVE)
        migration.finish_assignments(apps, None)
        self.assertEqual(closed.assignments.get().state, AssignmentState.DONE)
        self.assertEqual(open_case.assignments.get().state, AssignmentState.ACTIVE)
        migration.reactivate_assignments(apps, None)
        self.assertEqual(closed.assignments.get().state, AssignmentState.ACTIVE)


class RateResponseOfferTests(CaseTestCase):
    def actions_on_page(self, user, case) -> str:
        self.login(user)
        return self.client.get(reverse("cases:detail", args=[case.number])).content.decode()

    def summoned_and_replied(self):
        case = self.registered()
        self.act(
            self.street_staff,
            case,
            "summon",
            lead=self.department.code,
            assisting=[self.water.code],
        )
        self.act(self.handler, case, "report-in")
        self.act(self.handler, case, "handle")
        return self.act(self.handler, case, "reply", result="联合处置完毕")

    def test_it_is_not_offered_on_a_case_without_summons(self):
        case = self.replied()
        page = self.actions_on_page(self.street_staff, case)
        self.assertNotIn('data-action="rate-response"', page)
        response = self.client.post(
            reverse("cases:act", args=[case.number, "rate-response"]),
            {"department": self.department.code, "rating": "good", "version": case.version},
        )
        self.assertEqual(response.status_code, 403)

    def test_it_is_offered_to_the_summoning_office_until_every_unit_is_rated(self):
        case = self.summoned_and_replied()
        self.assertIn('data-action="rate-response"', self.actions_on_page(self.street_staff, case))
        self.assertNotIn(
            'data-action="rate-response"', self.actions_on_page(self.community_staff, case)
        )
        for department in (self.department, self.water):
            self.act(
                self.street_staff, case, "rate-response", department=department.code, rating="good"
            )
        self.assertNotIn(
            'data-action="rate-response"', self.actions_on_page(self.street_staff, case)
        )
