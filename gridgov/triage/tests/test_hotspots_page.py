"""The hot-spots page: who sees what, and turning a monthly topic into a proactive task."""

from datetime import timedelta
from unittest import mock

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gridgov.cases.models import Case
from gridgov.cases.tests.base import CaseTestCase
from gridgov.triage import hotspots
from gridgov.triage.models import ProactiveTask
from gridgov.triage.tests.test_hotspots import MONDAY, NOW, report

PAGE = reverse("triage:hotspots")
TASKS = reverse("triage:create_task")


@mock.patch("gridgov.triage.views._now", lambda: NOW)
class HotspotsPageTests(CaseTestCase):
    def test_a_street_sees_only_its_own_streets_cells(self):
        report(self, "grid", self.litter, MONDAY, n=3)
        report(self, "other_grid", self.flyposting, MONDAY, n=3)
        self.login(self.street_staff)
        response = self.client.get(PAGE)
        self.assertContains(response, f'data-region="{self.grid.code}" data-category="E0103"')
        self.assertContains(response, self.community.name)  # topics by community
        self.assertNotContains(response, self.other_grid.code)
        self.assertNotContains(response, "E0201")
        self.login(self.leader)  # the district
        self.assertNotContains(self.client.get(PAGE), self.other_grid.code)
        self.login(self.admin)  # everything
        self.assertContains(self.client.get(PAGE), self.other_grid.code)

    def test_a_region_outside_the_scope_is_not_found(self):
        self.login(self.street_staff)
        self.assertEqual(self.client.get(PAGE, {"region": self.community.code}).status_code, 200)
        self.assertEqual(self.client.get(PAGE, {"region": self.other_street.code}).status_code, 404)

    def test_residents_get_404_other_staff_403_visitors_the_login_page(self):
        self.login(self.resident)
        self.assertEqual(self.client.get(PAGE).status_code, 404)
        for user in (self.grid_worker, self.community_staff, self.handler):
            self.login(user)
            self.assertEqual(self.client.get(PAGE).status_code, 403, user.role)
        self.client.logout()
        self.assertEqual(self.client.get(PAGE).status_code, 302)

    def test_the_page_runs_the_same_queries_whatever_the_number_of_cases(self):
        report(self, "grid", self.litter, MONDAY, n=3)
        self.login(self.leader)
        with CaptureQueriesContext(connection) as first:
            self.client.get(PAGE)
        report(self, "second_grid", self.litter, MONDAY, n=4)
        report(self, "neighbour_grid", self.flyposting, NOW - timedelta(days=20), n=5)
        for week in range(1, 4):
            report(self, "grid", self.litter, MONDAY - timedelta(weeks=week), n=2)
        with self.assertNumQueries(len(first.captured_queries)):
            response = self.client.get(PAGE)
        # The second grid's 4 stand out; the first grid's 3 do not, against 2 a week before.
        self.assertContains(response, f'data-region="{self.second_grid.code}"')
        self.assertNotContains(response, f'data-region="{self.grid.code}"')


@mock.patch("gridgov.triage.views._now", lambda: NOW)
class ProactiveTaskTests(CaseTestCase):
    def setUp(self):
        report(self, "grid", self.litter, NOW - timedelta(days=3), n=3)
        report(self, "second_grid", self.litter, NOW - timedelta(days=40), n=1)
        self.topic = {"region": self.community.code, "category": self.litter.code}

    def post(self, user, data):
        self.login(user)
        return self.client.post(TASKS, data)

    def test_a_dispatcher_makes_a_registered_proactive_case(self):
        response = self.post(self.dispatcher, self.topic)
        task = ProactiveTask.objects.get()
        case = task.case
        self.assertRedirects(response, reverse("cases:detail", args=[case.number]))
        self.assertEqual((case.channel, case.status), ("proactive", "registered"))
        self.assertEqual((case.category, case.region), (self.litter, self.community))
        self.assertTrue(case.title.startswith("每月一题："))
        self.assertIn("3", case.description)
        self.assertEqual((task.case_count, task.previous_count, task.grid_count), (3, 1, 1))
        self.assertEqual(
            list(case.events.values_list("action", flat=True)), ["receive", "register"]
        )

    def test_a_leaders_task_is_registered_and_waits_for_dispatch(self):
        self.post(self.leader, self.topic)
        case = ProactiveTask.objects.get().case
        self.assertEqual((case.channel, case.status), ("proactive", "registered"))
        self.assertEqual(case.category, self.litter)
        self.login(self.dispatcher)
        to_dispatch = self.client.get(reverse("cases:worklist"), {"list": "to_dispatch"})
        self.assertContains(to_dispatch, case.number)

    def test_the_same_topic_twice_in_a_month_makes_one_case(self):
        self.post(self.dispatcher, self.topic)
        response = self.post(self.leader, self.topic)
        task = ProactiveTask.objects.get()
        self.assertRedirects(response, reverse("cases:detail", args=[task.case.number]))
        self.assertEqual(Case.objects.filter(channel="proactive").count(), 1)
        # The street's page lists the topic with its task instead of the button.
        self.login(self.leader)
        response = self.client.get(PAGE, {"region": self.street.code})
        self.assertContains(response, reverse("cases:detail", args=[task.case.number]))
        self.assertNotContains(response, f'name="region" value="{self.community.code}"')

    def test_bad_input_creates_nothing_and_says_why(self):
        cases = Case.objects.count()
        for data, message in [
            ({"region": self.community.code, "category": "NOPE"}, "末级类别"),
            ({"region": self.other_community.code, "category": "E0103"}, "没有该区域"),
            ({"region": "", "category": "E0103"}, "没有该区域"),
            ({"region": self.neighbour_community.code, "category": "E0103"}, "无法形成题目"),
        ]:
            with self.subTest(data=data):
                response = self.post(self.dispatcher, data)
                self.assertEqual(response.status_code, 400)
                self.assertContains(response, message, status_code=400)
        self.assertEqual(Case.objects.count(), cases)
        self.assertFalse(ProactiveTask.objects.exists())

    def test_roles_that_may_not_create_tasks_are_refused(self):
        self.assertEqual(self.post(self.street_staff, self.topic).status_code, 403)
        self.assertEqual(self.post(self.resident, self.topic).status_code, 404)
        self.assertFalse(ProactiveTask.objects.exists())
        self.login(self.dispatcher)
        self.assertEqual(self.client.get(TASKS).status_code, 405)

    def test_proactive_cases_do_not_feed_the_topics(self):
        self.post(self.dispatcher, self.topic)
        [topic] = hotspots.monthly_topics(self.street, NOW, hotspots.DEFAULTS)
        self.assertEqual((topic.count, topic.task.case.channel), (3, "proactive"))
