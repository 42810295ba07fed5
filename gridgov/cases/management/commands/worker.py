import argparse
import logging
import threading
import time
from collections.abc import Callable

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connections

from gridgov.cases.deadlines import watch_deadlines
from gridgov.cases.tasks import enqueue_watch

logger = logging.getLogger(__name__)


def _positive_seconds(value: str) -> float:
    seconds = float(value)
    if not 0 < seconds < float("inf"):
        raise argparse.ArgumentTypeError("must be a number of seconds above 0")
    return seconds


class Scheduler:
    """Calls `job` at once and then every `interval` seconds, from a daemon thread, until
    stopped. A failing job is logged and tried again at the next tick: a database that is
    briefly away must not end the schedule for good."""

    def __init__(self, interval: float, job: Callable[[], object]):
        self.interval = interval
        self.job = job
        self._stopping = threading.Event()
        # A daemon, so that a worker whose main thread is gone never lingers for it.
        self._thread = threading.Thread(target=self._run, name="gridgov-scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5) -> None:
        """Stop the schedule, letting a job that is under way finish first."""
        self._stopping.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        next_run = time.monotonic()
        try:
            while not self._stopping.is_set():
                # The thread keeps its own connection between ticks; drop it if the
                # database has closed it or it has outlived CONN_MAX_AGE.
                close_old_connections()
                try:
                    self.job()
                except Exception:
                    logger.exception("Scheduled job failed; trying again in %g s", self.interval)
                # Keep to the clock rather than sleeping a full interval after each job.
                next_run += self.interval
                self._stopping.wait(max(0.0, next_run - time.monotonic()))
        finally:
            connections.close_all()


class Command(BaseCommand):
    help = (
        "Run the background worker: the deadline watch every --interval seconds, and every "
        "task the site queues. Ctrl-C (or SIGTERM) stops it after the task under way."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval",
            type=_positive_seconds,
            default=60,
            help="seconds between deadline watches (default: 60)",
        )
        parser.add_argument(
            "--poll",
            type=_positive_seconds,
            default=1,
            help="seconds between looks at an empty task queue (default: 1)",
        )
        parser.add_argument(
            "--once",
            action="store_true",
            help="run one deadline watch here and now, then exit (for cron)",
        )

    def handle(self, *args, interval, poll, once, verbosity, **options):
        if once:
            report = watch_deadlines()
            if verbosity:
                self.stdout.write(str(report))
            return
        scheduler = Scheduler(interval, enqueue_watch)
        try:
            scheduler.start()
            if verbosity:
                self.stdout.write(
                    f"Worker started: deadline watch every {interval:g} s, queued tasks as "
                    "they come. Press Ctrl-C to stop."
                )
            # django-tasks-db's worker handles SIGINT and SIGTERM itself: it finishes the
            # task under way, then leaves with SystemExit, which passes through here.
            call_command(
                "db_worker",
                interval=poll,
                reload=False,  # the reloader would rerun this command, scheduler and all
                verbosity=verbosity,
                stdout=self.stdout,
                stderr=self.stderr,
            )
        except KeyboardInterrupt:
            pass  # Ctrl-C before the worker had set up its own handling
        finally:
            scheduler.stop()
