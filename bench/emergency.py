"""Measure emergency mode (issue 16) on the city-scale database of bench/generate.py.

    python bench/emergency.py --database-url postgres://postgres@127.0.0.1:5432/gridgov_scale_1m \
        [--arrivals 200000] [--written-arrivals 20000] [--days 60] [--repeat 5]

What it prints:

- the rules engine: arrivals decided per second on one core, with their explanations in
  Chinese (bench/emergency_rules.py; goal >= 10,000/s);
- writing arrivals: `arrivals.report_many` in batches of 1,000 (each decided, its
  measures and tasks written), arrivals per second;
- the figures: `figures.enter` for every community of the city for one day (through the
  command, with its checks), then 60 days of every community's figures loaded in bulk; the
  city's series, totals and table by district over those days (`figures.series`, `totals`,
  `by_child`): median time and query count;
- the emergency view for the whole city as its leader: the view's figures
  (`emergency.dashboard`) and `GET /emergency/` (goal < 500 ms).

Emergency data is added once to the database (a policy version titled "bench" marks it);
a second run measures again on what is there. The city is switched into emergency mode.
"""

import argparse
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.append(str(Path(__file__).resolve().parent.parent))

from benchsetup import django_on, machine  # noqa: E402

BENCH_TITLE = "bench"
OUTSIDE_CODES = ("420103", "420102", "310115", "310104", "440106", "440304", "330106", "110105")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--arrivals", type=int, default=200_000)
    parser.add_argument("--written-arrivals", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import emergency_rules

    # Django set up on the measured database first: the rules bench would set it up on
    # the embedded default otherwise.
    django_on(args.database_url, "bench-emergency")
    rules = emergency_rules.run(args.arrivals)
    from django.db import connection

    print(machine(connection))
    print(
        f"rules engine: {rules['arrivals']:,} arrivals against {rules['areas']:,} risk areas in "
        f"{rules['seconds']:.2f} s: {rules['per_second']:,.0f} arrivals/s "
        f"({rules['microseconds_each']:.1f} µs each, goal 10,000/s)"
    )
    city, leader = _city()
    if _seed(city, leader, args):
        _analyze()
    _figures(city, args.days, args.repeat)
    _dashboard(city, leader, args.repeat)


def _city():
    from gridgov.accounts.models import User
    from gridgov.regions.choices import Level
    from gridgov.regions.models import Region

    city = Region.objects.get(level=Level.CITY, parent__isnull=True)
    leader = User.objects.get(username="leader")
    return city, leader


def _timed(function, repeat: int):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    function()  # warm: caches, plans
    times = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            result = function()
            times.append((time.perf_counter() - started) * 1000)
    return result, statistics.median(times), len(queries.captured_queries)


def _seed(city, leader, args) -> bool:
    """Add the emergency data once; False when it is there already."""
    from django.db import transaction
    from django.utils import timezone

    from gridgov.emergency import services
    from gridgov.emergency.models import PolicyVersion
    from gridgov.emergency.policy import default_rules

    if PolicyVersion.objects.filter(title=BENCH_TITLE).exists():
        print("emergency data: there already, measuring it as is")
        return False
    today = timezone.localdate()
    PolicyVersion.objects.create(
        title=BENCH_TITLE, rules=default_rules(), active_from=today - timedelta(days=args.days + 30)
    )
    if not services.in_emergency(city.path):
        services.switch_on(leader, city, "bench")
    with transaction.atomic():
        for number, code in enumerate(OUTSIDE_CODES):
            services.set_risk_area(
                leader,
                services.RiskAreaInput(
                    ("high", "medium", "low")[number % 3],
                    today - timedelta(days=5 + number),
                    "bench",
                    division_code=code,
                ),
            )
    _arrivals(args.written_arrivals)
    _figures_loaded(city, leader, args.days)
    _certifications(city, leader)
    return True


def _arrivals(count: int) -> None:
    from django.utils import timezone

    from gridgov.accounts.models import User
    from gridgov.emergency import arrivals
    from gridgov.emergency.models import MeasureTask

    rng = random.Random(16)
    # The city's community grid workers report for their own grids.
    workers = list(User.objects.filter(role="grid_worker").prefetch_related("grids")[:200])
    now = timezone.now()
    started = time.perf_counter()
    written = 0
    while written < count:
        worker = workers[(written // 1000) % len(workers)]
        grids = list(worker.grids.all())
        rows = []
        for number in range(min(1000, count - written)):
            arrived_at = now - timedelta(hours=rng.randint(1, 24 * 10))
            rows.append(
                (
                    number + 2,
                    arrivals.ArrivalInput(
                        name="测试人员",
                        origin_code=rng.choice(OUTSIDE_CODES + ("510104", "610113")),
                        left_on=(arrived_at - timedelta(days=rng.randint(0, 9))).date(),
                        arrived_at=arrived_at,
                        region=rng.choice(grids),
                        channel="spreadsheet",
                        phone=f"139{rng.randint(0, 99_999_999):08d}",
                        reported_at=arrived_at + timedelta(hours=rng.choice((1, 3, 8, 30))),
                    ),
                )
            )
        arrivals.report_many(worker, rows)
        written += len(rows)
    elapsed = time.perf_counter() - started
    tasks = MeasureTask.objects.count()
    print(
        f"arrivals written: {written:,} by report_many in batches of 1,000 in {elapsed:.1f} s: "
        f"{written / elapsed:,.0f} arrivals/s ({tasks:,} tasks in the database)"
    )


def _figures_loaded(city, leader, days: int) -> None:
    """One day through figures.enter for every community; the other days in bulk."""
    from django.utils import timezone

    from gridgov.emergency import figures
    from gridgov.emergency.models import DailyFigure
    from gridgov.regions.choices import Level
    from gridgov.regions.models import Region

    rng = random.Random(60)
    today = timezone.localdate()
    communities = list(Region.objects.filter(level=Level.COMMUNITY).only("pk", "path", "name"))

    def counts():
        confirmed = int(rng.expovariate(1 / 3))
        return {
            "confirmed": confirmed,
            "suspected": confirmed // 8,
            "asymptomatic": confirmed // 2,
            "close_contacts": confirmed * 4,
        }

    started = time.perf_counter()
    figures.enter(leader, [figures.Row(c, today, counts()) for c in communities])
    elapsed = time.perf_counter() - started
    print(
        f"figures.enter: one day of {len(communities):,} communities in {elapsed:.1f} s "
        f"({len(communities) / elapsed:,.0f} rows/s, checks and suspensions included)"
    )
    started = time.perf_counter()
    rows = [
        DailyFigure(
            region_id=community.pk,
            region_path=community.path,
            day=today - timedelta(days=offset),
            entered_by=leader,
            **counts(),
        )
        for offset in range(1, days)
        for community in communities
    ]
    DailyFigure.objects.bulk_create(rows, batch_size=5000)
    print(
        f"figures loaded in bulk: {len(rows):,} rows ({days - 1} more days) in "
        f"{time.perf_counter() - started:.1f} s"
    )


def _certifications(city, leader) -> None:
    from gridgov.emergency.models import Certification, CertificationState, PolicyVersion
    from gridgov.regions.choices import Level
    from gridgov.regions.models import Region

    rng = random.Random(14)
    version = PolicyVersion.objects.get(title=BENCH_TITLE)
    communities = Region.objects.filter(level=Level.COMMUNITY).only("pk", "path")
    rows = [
        Certification(
            region_id=community.pk,
            region_path=community.path,
            state=rng.choice(
                [CertificationState.CERTIFIED] * 3
                + [CertificationState.SUSPENDED, CertificationState.APPLIED]
            ),
            policy_version=version,
            applied_by=leader,
        )
        for community in communities
        if rng.random() < 0.6
    ]
    Certification.objects.bulk_create(rows, batch_size=5000)
    print(f"certifications: {len(rows):,} communities in bulk")


def _analyze() -> None:
    from django.apps import apps
    from django.db import connection

    with connection.cursor() as cursor:
        for model in apps.get_app_config("emergency").get_models():
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _figures(city, days: int, repeat: int) -> None:
    from django.utils import timezone

    from gridgov.emergency import figures

    last = timezone.localdate()
    first = last - timedelta(days=days - 1)
    series, median, queries = _timed(lambda: figures.series(city, first, last), repeat)
    total = sum(day["confirmed"] for day in series)
    print(
        f"figures.series {city.name}, {days} days ({total:,} confirmed): median {median:.0f} ms, "
        f"{queries} queries"
    )
    _result, median, queries = _timed(lambda: figures.totals(city, first, last), repeat)
    print(f"figures.totals {city.name}, {days} days: median {median:.0f} ms, {queries} queries")
    lines, median, queries = _timed(lambda: figures.by_child(city, first, last), repeat)
    print(
        f"figures.by_child {city.name} ({len(lines)} districts), {days} days: median "
        f"{median:.0f} ms, {queries} queries"
    )


def _dashboard(city, leader, repeat: int) -> None:
    from django.test import Client

    from gridgov.emergency import dashboard

    view, median, queries = _timed(lambda: dashboard.emergency_view(leader, city), repeat)
    print(f"emergency view {city.name}: median {median:.0f} ms, {queries} queries")
    client = Client()
    client.force_login(leader)
    response, median, queries = _timed(lambda: client.get("/emergency/"), repeat)
    assert response.status_code == 200, response.status_code
    print(f"GET /emergency/ as the city's leader: median {median:.0f} ms, {queries} queries")


if __name__ == "__main__":
    main()
