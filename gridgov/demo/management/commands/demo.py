import signal
import subprocess
import sys
import unicodedata

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connections

from gridgov.cases.choices import FINAL_STATUSES, Status
from gridgov.cases.models import Case
from gridgov.demo.burden import build_demo_burden
from gridgov.demo.cases import build_demo_cases
from gridgov.demo.city import DEMO_PASSWORD, DemoCity, build_demo_city
from gridgov.demo.emergency import build_demo_emergency
from gridgov.demo.population import DEFAULT_PERSONS, build_demo_population
from gridgov.metrics.models import AreaDailyRollup
from gridgov.triage import classifier, training


class Command(BaseCommand):
    help = (
        "Run the demo on this machine: migrate the database, build the demo city 江州市 "
        "if it is not there yet, list the demo accounts and serve the site."
    )

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1", help="address to serve on")
        parser.add_argument("--port", type=int, default=8000, help="port to serve on")
        parser.add_argument(
            "--no-serve", action="store_true", help="prepare the data and accounts, then exit"
        )
        parser.add_argument(
            "--cases",
            type=int,
            default=5000,
            help="demo cases to generate over the last 90 days, the first time (0: none)",
        )
        parser.add_argument(
            "--persons",
            type=int,
            default=DEFAULT_PERSONS,
            help="persons to generate in the demo city's buildings, the first time (0: none)",
        )
        parser.add_argument(
            "--emergency",
            action="store_true",
            help="also play a few weeks of an outbreak over the demo district, once: emergency "
            "mode, risk areas, arrivals with measures, daily figures, certifications",
        )

    def handle(self, *args, addr, port, no_serve, cases, persons, emergency, **options):
        self.stdout.write("Migrating the database…")
        call_command("migrate", interactive=False, verbosity=0)
        demo = self.prepare_city()
        if cases > 0 and self.prepare_cases(cases):
            self.prepare_triage()
        if persons > 0:
            self.prepare_population(persons)
        self.prepare_burden()
        if emergency:
            self.prepare_emergency()
        self.backfill_rollups()
        self.print_accounts(demo)
        if not no_serve:
            self.serve(addr, port)

    def prepare_city(self) -> DemoCity:
        self.stdout.write("Building the demo city 江州市…")
        demo = build_demo_city(stdout=self.stdout)
        if demo.created:
            self.stdout.write(f"Built in {demo.seconds:.1f} s.")
        else:
            self.stdout.write(
                f"It is already there ({demo.counts.get('grid', 0):,} grids): using it as is."
            )
        return demo

    def prepare_cases(self, count: int) -> bool:
        """Generate the demo cases unless they are there; True when this run made them."""
        self.stdout.write(
            f"Generating {count:,} demo cases through the case services, once: about "
            f"{max(1, round(count * 0.05 / 60))} min (--cases N for fewer next time)…"
        )
        result = build_demo_cases(count=count, stdout=self.stdout)
        if not result.created:
            self.stdout.write(f"They are already there ({result.cases:,}): using them as is.")
            return False
        self.stdout.write(f"Generated in {result.seconds:.0f} s.")
        if result.failures:
            self.stderr.write(
                f"{len(result.failures)} steps were refused, the first: {result.failures[0]}"
            )
        if result.accounts_created:
            examples = [
                next((name for name in result.accounts_created if name.startswith(kind)), "")
                for kind in ("dispatcher-", "dept-", "street-", "community-", "gridworker-")
            ]
            self.stdout.write(
                f"{len(result.accounts_created)} more accounts act on them, named after their "
                f"unit ({', '.join(filter(None, examples))}, …), same password."
            )
        return True

    def prepare_population(self, count: int) -> None:
        """After the cases, so that the grid workers' patrol logs link the cases they
        reported on their rounds."""
        self.stdout.write(
            f"Generating {count:,} residents with their rooms, households, organisations and "
            "patrol logs, once (--persons N for fewer)…"
        )
        result = build_demo_population(count, stdout=self.stdout)
        if not result.created:
            self.stdout.write(f"They are already there ({result.persons:,}): using them as is.")
            return
        self.stdout.write(f"Generated in {result.seconds:.0f} s.")

    def prepare_burden(self) -> None:
        """After the population, whose figures the demo's data requests are filled from."""
        self.stdout.write(
            "Sending ten months of demands to the communities, with the admission list, once…"
        )
        result = build_demo_burden(stdout=self.stdout)
        if not result.created:
            self.stdout.write(f"They are already there ({result.demands:,}): using them as is.")
            return
        self.stdout.write(f"Sent in {result.seconds:.0f} s.")

    def prepare_emergency(self) -> None:
        self.stdout.write("Playing a few weeks of an outbreak over the demo district, once…")
        result = build_demo_emergency(stdout=self.stdout)
        if not result.created:
            self.stdout.write("Emergency mode has data already: using it as is.")
            return
        self.stdout.write(f"Played in {result.seconds:.0f} s.")

    def backfill_rollups(self) -> None:
        """A ./var/ made before the daily rollups existed has finished cases and no rollup:
        the dashboard would show none of its history."""
        finished = Case.objects.filter(status__in=FINAL_STATUSES)
        if finished.exists() and not AreaDailyRollup.objects.exists():
            self.stdout.write("Adding up the daily rollups of the existing cases…")
            call_command("rollups", "rebuild", stdout=self.stdout)

    def prepare_triage(self) -> None:
        """Learn from the demo's closed cases, so that the cases still waiting to be
        registered show a suggested category and unit, as they would after a real year."""
        self.stdout.write("Training the triage model on the demo's closed cases…")
        try:
            model = training.train_cases(cv_folds=0)
        except training.TrainingError as exc:
            self.stdout.write(f"Skipped: {exc}")
            return
        waiting = Case.objects.filter(status=Status.RECEIVED).values_list("pk", flat=True)
        suggested = sum(classifier.triage_case(pk) is not None for pk in waiting)
        self.stdout.write(
            f"Model {model.version}: {model.metrics['examples']:,} examples; "
            f"{suggested} waiting cases have a suggestion."
        )

    def print_accounts(self, demo: DemoCity) -> None:
        rows = [(account.username, account.role, account.acts_for) for account in demo.accounts]
        widths = [max([_width(row[i]) for row in rows] + [0]) for i in range(2)]
        self.stdout.write("")
        self.stdout.write(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
        for username, role, acts_for in rows:
            self.stdout.write(
                f"  {_pad(username, widths[0])}  {_pad(role, widths[1])}  {acts_for}".rstrip()
            )
        if demo.extra_grid_workers:
            self.stdout.write(
                f"  and {len(demo.extra_grid_workers)} more grid workers for the demo "
                f"community's other grids: {', '.join(demo.extra_grid_workers)}"
            )
        self.stdout.write("")

    def serve(self, addr: str, port: int) -> None:
        """Run every process the demo needs until Ctrl-C: the background worker (the
        deadline watch) in a child process, and the web server here."""
        # The same interpreter and settings: the child inherits DJANGO_SETTINGS_MODULE and
        # the working directory, so it uses the same database. In a session of its own,
        # Ctrl-C reaches only this process, which then stops the worker with one SIGTERM:
        # a second signal would make the worker abandon the task under way.
        worker = subprocess.Popen(
            [sys.executable, "-m", "gridgov.cli", "worker"], start_new_session=True
        )
        self.stdout.write(
            f"Started the background worker (pid {worker.pid}): it marks overdue cases every "
            "minute."
        )
        # Python's default for these ends the process at once, skipping the clean-up
        # below and leaving the worker running.
        stop_signals = [signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
        previous = {signum: signal.signal(signum, _exit_on_signal) for signum in stop_signals}
        try:
            self.stdout.write(f"Serving on http://{addr}:{port}/ — press Ctrl-C to stop.")
            _one_database_connection_per_request()
            # The reloader would restart this whole command, migrations and all, in a child.
            call_command("runserver", f"{addr}:{port}", use_reloader=False)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            _stop(worker)
            self.stdout.write("Stopped the background worker.")


def _one_database_connection_per_request() -> None:
    """The development server serves each browser connection in a thread of its own, and
    browsers keep their connections open: with persistent database connections every idle
    one would hold a database connection, until PostgreSQL refuses everyone. The worker
    child, a single long-lived loop, keeps DB_CONN_MAX_AGE."""
    for alias in connections:
        # The dictionaries every new thread's connection is built from.
        connections.settings[alias]["CONN_MAX_AGE"] = 0


def _exit_on_signal(signum, frame):
    sys.exit(0)


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM the child, which finishes the task under way; kill it if that takes long."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _width(text: str) -> int:
    """Terminal columns: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
