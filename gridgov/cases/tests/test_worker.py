import threading
from datetime import timedelta
from io import StringIO
from unittest import mock

from django.core.management import call_command
from django.test import SimpleTestCase, override_settings
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from gridgov.cases.management.commands import worker
from gridgov.cases.tasks import enqueue_watch, watch_deadlines_task
from gridgov.cases.tests.base import CaseTestCase
from gridgov.triage.tasks import triage_cases_task


class WorkerTestCase(CaseTestCase):
    """The watch run by the clock, not with an explicit `now`: cases from three days ago."""

    def late_case(self):
        # Dispatched three days ago with 24 hours to accept.
        return self.dispatched(at=timezone.now() - timedelta(days=3))

    def assert_marked(self, case):
        case.refresh_from_db()
        self.assertIsNotNone(case.overdue_at)
        self.assertEqual(case.supervision_count, 1)
        self.assertEqual(case.events.filter(action="overdue", actor=None).count(), 1)


class WorkerOnceTests(WorkerTestCase):
    def test_worker_once_runs_one_watch_and_says_what_it_did(self):
        case = self.late_case()
        output = StringIO()
        call_command("worker", "--once", stdout=output)
        self.assert_marked(case)
        self.assertIn(case.number, output.getvalue())
        call_command("worker", "--once", stdout=StringIO())
        self.assert_marked(case)


class TaskTests(WorkerTestCase):
    @override_settings(
        TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    )
    def test_the_task_runs_the_watch(self):
        case = self.late_case()
        result = watch_deadlines_task.enqueue()
        self.assertEqual(result.status, TaskResultStatus.SUCCESSFUL)
        self.assertEqual(result.return_value["overdue"], [case.number])
        self.assert_marked(case)

    def test_the_database_worker_runs_a_queued_watch_and_one_is_queued_at_a_time(self):
        case = self.late_case()
        self.assertTrue(enqueue_watch())
        self.assertFalse(enqueue_watch())  # one is already waiting
        [queued] = DBTaskResult.objects.filter(task_path=watch_deadlines_task.module_path)

        # The worker drops connections it finds inside a transaction, as each test is.
        with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
            call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)

        queued.refresh_from_db()
        self.assertEqual(queued.status, TaskResultStatus.SUCCESSFUL)
        self.assertEqual(queued.return_value["overdue"], [case.number])
        self.assert_marked(case)
        self.assertTrue(enqueue_watch())

    def test_old_successful_tasks_are_pruned_and_failed_ones_kept(self):
        self.intake()  # queues a triage
        enqueue_watch()
        two_days_ago = timezone.now() - timedelta(days=2)
        DBTaskResult.objects.update(status=TaskResultStatus.SUCCESSFUL, finished_at=two_days_ago)
        failed = DBTaskResult.objects.filter(task_path=triage_cases_task.module_path).get()
        failed.status = TaskResultStatus.FAILED
        failed.save()
        enqueue_watch()
        self.assertEqual(
            sorted(DBTaskResult.objects.values_list("status", flat=True)),
            sorted([TaskResultStatus.READY, TaskResultStatus.FAILED]),
        )


class SchedulerTests(SimpleTestCase):
    def test_it_runs_the_job_at_once_and_again_and_survives_a_failure(self):
        calls = []
        third_call = threading.Event()

        def job():
            calls.append(len(calls))
            if len(calls) == 1:
                raise RuntimeError("database away")
            if len(calls) == 3:
                third_call.set()

        scheduler = worker.Scheduler(0.01, job)
        with self.assertLogs(worker.logger, "ERROR"):
            scheduler.start()
            self.assertTrue(third_call.wait(5))
        scheduler.stop()
        self.assertFalse(scheduler._thread.is_alive())

    def test_the_worker_runs_the_queue_beside_the_schedule_and_stops_both(self):
        enqueued = threading.Event()
        options = {}

        def db_worker(name, **kwargs):
            options.update(kwargs, name=name)
            self.assertTrue(enqueued.wait(5))
            raise SystemExit(0)  # how db_worker leaves on Ctrl-C or SIGTERM

        with (
            mock.patch.object(worker, "call_command", db_worker),
            mock.patch.object(worker, "enqueue_watch", enqueued.set),
            self.assertRaises(SystemExit),
        ):
            call_command("worker", "--interval", "30", "--poll", "2", stdout=StringIO())

        self.assertEqual(options["name"], "db_worker")
        self.assertEqual((options["interval"], options["reload"]), (2, False))
        alive = [t for t in threading.enumerate() if t.name == "gridgov-scheduler"]
        self.assertEqual(alive, [])
