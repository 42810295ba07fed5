"""What reaches the server's console: routine refusals and task runs only with LOG_LEVEL=DEBUG."""

from unittest import mock

from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from gridgov.accounts.tests.base import CastTestCase
from gridgov.api.tests.base import ApiTestCase, action_url
from gridgov.cases.tasks import enqueue_watch


def run_tasks_as_the_worker_does():
    """`gridgov worker`'s task loop at its default verbosity, until the queue is empty."""
    # The worker drops connections it finds inside a transaction, as each test is.
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=1)


class RefusedPageLogTests(CastTestCase):
    def refused_page(self):
        # A community office may not read the hot spots: the view raises PermissionDenied.
        self.login(self.community_staff)
        return self.client.get(reverse("triage:hotspots"))

    def test_a_page_refused_with_403_stays_off_the_console(self):
        with self.assertNoLogs(level="INFO"):
            response = self.refused_page()
        self.assertEqual(response.status_code, 403)

    def test_with_log_level_debug_the_refusal_is_logged_at_debug(self):
        with self.assertLogs(level="DEBUG") as logs:
            self.refused_page()
        refusals = [r for r in logs.records if r.getMessage().startswith("Forbidden")]
        self.assertEqual([r.levelname for r in refusals], ["DEBUG"])
        self.assertIsNotNone(refusals[0].exc_info)  # the traceback, for whoever asks for it

    def test_a_form_refused_for_its_csrf_token_stays_off_the_console(self):
        browser = Client(enforce_csrf_checks=True)
        with self.assertNoLogs(level="INFO"):
            response = browser.post(reverse("public_track"), {"number": "1", "tail": "1234"})
        self.assertEqual(response.status_code, 403)
        with self.assertLogs(level="DEBUG") as logs:
            browser.post(reverse("public_track"), {"number": "1", "tail": "1234"})
        refusals = [r for r in logs.records if r.name == "django.security.csrf"]
        self.assertEqual([r.levelname for r in refusals], ["DEBUG"])

    def test_a_missing_page_is_still_a_warning(self):
        with self.assertLogs("django.request", "WARNING") as logs:
            self.client.get("/no-such-page/")
        self.assertEqual([r.levelname for r in logs.records], ["WARNING"])


class ApiRefusalLogTests(ApiTestCase):
    def test_an_api_call_refused_with_403_stays_off_the_console(self):
        case = self.intake()
        with self.assertNoLogs(level="INFO"):
            response = self.post(action_url(case.number, "register"), {}, self.grid_worker)
        self.assertEqual(response.status_code, 403)


class TaskLogTests(CastTestCase):
    def test_the_workers_lines_per_task_stay_off_the_console(self):
        self.assertTrue(enqueue_watch())
        with self.assertNoLogs("django_tasks", "INFO"):
            run_tasks_as_the_worker_does()
        self.assertTrue(enqueue_watch(), "the queued watch has run")

    def test_with_log_level_debug_each_task_run_is_logged_at_debug(self):
        enqueue_watch()
        with self.assertLogs(level="DEBUG") as logs:
            run_tasks_as_the_worker_does()
        lines = [r for r in logs.records if r.name == "django_tasks"]
        self.assertEqual(
            [(r.levelname, r.getMessage().rsplit("state=", 1)[1]) for r in lines],
            [("DEBUG", "RUNNING"), ("DEBUG", "SUCCESSFUL")],
        )
