"""Duplicate candidates on the case page, and the one-click merge."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gridgov.cases.models import Case
from gridgov.cases.tests.base import CaseTestCase
from gridgov.triage.tests.test_duplicates import LITTER, LITTER_AGAIN, WHEN


class DuplicateCandidatesOnTheCasePageTests(CaseTestCase):
    def setUp(self):
        self.master = self.intake(
            title=LITTER_AGAIN[0], description=LITTER_AGAIN[1], at=WHEN - timedelta(days=1)
        )
        self.case = self.intake(title=LITTER[0], description=LITTER[1], at=WHEN)

    def page(self, user, case=None):
        self.login(user)
        return self.client.get(reverse("cases:detail", args=[(case or self.case).number]))

    def test_the_dispatcher_sees_the_candidate_with_a_merge_button(self):
        response = self.page(self.dispatcher)
        self.assertContains(response, 'id="duplicate-candidates"')
        self.assertContains(response, f'data-number="{self.master.number}"')
        merge_url = reverse("cases:act", args=[self.case.number, "merge"])
        self.assertContains(response, f'action="{merge_url}"')
        self.assertContains(response, f'name="master" value="{self.master.number}"')

    def test_the_merge_button_merges_the_case_into_the_candidate(self):
        self.login(self.dispatcher)
        response = self.client.post(
            reverse("cases:act", args=[self.case.number, "merge"]),
            {"master": self.master.number, "version": self.case.version},
        )
        self.assertRedirects(response, reverse("cases:detail", args=[self.case.number]))
        self.case.refresh_from_db()
        self.assertEqual(self.case.status, "merged")
        self.assertEqual(self.case.master, self.master)
        # Merged, it offers no candidates any more.
        self.assertNotContains(self.page(self.dispatcher), 'id="duplicate-candidates"')

    def test_a_stale_merge_changes_nothing(self):
        self.login(self.dispatcher)
        self.client.post(
            reverse("cases:act", args=[self.case.number, "merge"]),
            {"master": self.master.number, "version": self.case.version + 5},
        )
        self.case.refresh_from_db()
        self.assertEqual(self.case.status, "received")

    def test_roles_that_may_not_merge_see_no_candidates(self):
        for user in (self.leader, self.street_staff, self.community_staff):
            with self.subTest(role=user.role):
                response = self.page(user)
                self.assertEqual(response.status_code, 200)
                self.assertNotContains(response, 'id="duplicate-candidates"')

    def test_with_no_candidate_the_dispatcher_is_told_so(self):
        lonely = self.intake(title="井盖缺失", description="路口井盖丢了", lng=120.115, at=WHEN)
        response = self.page(self.dispatcher, lonely)
        self.assertContains(response, 'id="duplicate-candidates"')
        self.assertNotContains(response, "data-number=")

    def test_the_page_runs_the_same_queries_whatever_the_number_of_candidates(self):
        self.login(self.dispatcher)
        url = reverse("cases:detail", args=[self.case.number])
        with CaptureQueriesContext(connection) as first:
            self.client.get(url)
        for i in range(4):
            self.intake(
                title=LITTER_AGAIN[0],
                description=LITTER_AGAIN[1],
                lng=120.1052 + 0.0001 * i,
                at=WHEN - timedelta(hours=i + 2),
            )
        self.assertEqual(Case.objects.count(), 6)
        with self.assertNumQueries(len(first.captured_queries)):
            response = self.client.get(url)
        self.assertEqual(response.content.decode().count("data-number="), 5)
