"""Measure the burden module (issue 15) on PostgreSQL: a data-request table for every
community of a city, and the burden observatory of the whole city.

    python bench/burden.py --database-url postgres://postgres@127.0.0.1:5432/gridgov_scale_10m \
        [--demands 2000] [--repeat 5]

Run it on the city-scale database of bench/generate.py (10M cases, 4,096 communities; no
registry) and on the registry's of bench/registry.py (10M persons, the demo city's
communities; few cases): each holds one half of what a table is filled from. It prints:

- fill: gridgov.burden.catalogue.fill for every community of the first city, every figure
  of the catalogue (registry, cases and patrols of the last full month): median time and
  the query count;
- send: data_requests.send_data_request of a 20-column table (one column of its own) to
  every community — the fill, the demand, its recipients and rows written — rolled back;
- observatory: after --demands demands of every kind sent to random sets of communities
  over the last two months (once; they stay) and the burden tables analysed,
  observatory.observe for the whole city and GET /burden/observatory/ as the city's
  leader: median time and the query count.
"""

import argparse
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.append(str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchsetup import django_on, machine  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--demands", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    django_on(args.database_url, "bench-burden")
    from django.db import connection

    print(machine(connection))
    city, communities = _city()
    print(f"city {city.name}: {len(communities):,} communities; {_sizes()}")
    first, last = _last_full_month()
    fill(communities, first, last, args.repeat)
    send(city, communities, first, last, args.repeat)
    observe(city, communities, args.demands, args.repeat)


def _city():
    from gridgov.regions.models import Region

    city = Region.objects.filter(parent=None).order_by("code").first()
    communities = list(
        Region.objects.filter(path__startswith=city.path, level="community").order_by("path")
    )
    return city, communities


def _sizes() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        sizes = []
        for table, label in (("cases_case", "cases"), ("registry_person", "persons")):
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
            row = cursor.fetchone()
            sizes.append(f"about {max(row[0], 0) if row else 0:,} {label}")
    return ", ".join(sizes)


def _last_full_month():
    from django.utils import timezone

    first_of_this = timezone.localdate().replace(day=1)
    last = first_of_this - timedelta(days=1)
    return last.replace(day=1), last


def _timed(function, repeat: int):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    function()  # warm
    times = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            result = function()
            times.append((time.perf_counter() - started) * 1000)
    return result, statistics.median(times), len(queries.captured_queries)


def fill(communities, first: date, last: date, repeat: int) -> None:
    from gridgov.burden import catalogue

    keys = [figure.key for figure in catalogue.catalogue()]
    table, median, queries = _timed(lambda: catalogue.fill(communities, first, last, keys), repeat)
    received = sum(row.get("cases.received") or 0 for row in table.values())
    print(
        f"fill: {len(communities):,} communities × {len(keys)} figures ({first} – {last}, "
        f"{received:,} cases received) median {median:.0f} ms, {queries} queries"
    )


def _sender():
    from gridgov.accounts.models import User

    return User.objects.filter(role="leader", region__parent=None).order_by("pk").first() or (
        User.objects.filter(is_superuser=True).order_by("pk").first()
    )


def _matter():
    from gridgov.accounts.models import User
    from gridgov.burden import services
    from gridgov.burden.models import AdmittedMatter

    matter = AdmittedMatter.objects.filter(code="bench-figures").first()
    if matter is None:
        admin = User.objects.filter(is_superuser=True).order_by("pk").first() or _sender()
        matter = services.save_matter(
            admin,
            AdmittedMatter(
                code="bench-figures",
                title="基础数据报送",
                basis="bench",
                community_part="报送基础数据",
                valid_from=date(2020, 1, 1),
            ),
            "bench",
        )
    return matter


def send(city, communities, first: date, last: date, repeat: int) -> None:
    from django.db import transaction

    from gridgov.burden import catalogue, data_requests, services

    keys = [figure.key for figure in catalogue.catalogue()][:19]
    sender, matter = _sender(), _matter()

    def once():
        with transaction.atomic():
            made = data_requests.send_data_request(
                sender,
                services.DemandInput(
                    kind="data_request",
                    title="bench",
                    description="bench",
                    working_days=5,
                    recipients=communities,
                    matter=matter,
                ),
                first,
                last,
                [data_requests.ColumnInput(figure=key) for key in keys]
                + [data_requests.ColumnInput(label="本月开展活动次数", unit="次")],
            )
            rows = made.rows.count()
            transaction.set_rollback(True)
        return rows

    rows, median, queries = _timed(once, repeat)
    print(
        f"send: a 20-column data request to {len(communities):,} communities ({rows:,} rows "
        f"written, rolled back) median {median:.0f} ms, {queries} queries"
    )


def _bench_demands(communities, count: int) -> None:
    """Demands of every kind over the last two months, once."""
    from django.utils import timezone

    from gridgov.burden import services
    from gridgov.burden.choices import DemandKind
    from gridgov.burden.models import Demand

    if Demand.objects.filter(title__startswith="bench ").count() >= count:
        return
    rng = random.Random(3)
    sender, matter = _sender(), _matter()
    started = time.monotonic()
    for i in range(count):
        day = timezone.localdate() - timedelta(days=rng.randrange(60))
        services.send_demand(
            sender,
            services.DemandInput(
                kind=rng.choice(DemandKind.values),
                title=f"bench {i}",
                description="bench",
                working_days=rng.choice([1, 2, 3, 5, 10]),
                recipients=rng.sample(communities, rng.choice([1, 5, 20, 200])),
                matter=matter if rng.random() < 0.8 else None,
                asks_for_engagement=rng.random() < 0.02,
            ),
            now=timezone.make_aware(datetime.combine(day, datetime.min.time()))
            + timedelta(hours=10),
        )
    print(f"observatory data: {count:,} demands sent in {time.monotonic() - started:.0f} s")


def _analyze() -> None:
    """Statistics for the demands just written. The measured server runs with autovacuum
    off (bench/SCALE.md) and the generator analysed its tables before any demand existed:
    planned for empty tables, the observatory's grouped reads took a nested loop over an
    index matching every recipient in the city (2.4 s instead of tens of ms)."""
    from django.db import connection

    from gridgov.burden.models import DataRequest, Demand, DemandRecipient, RequestRow, Secondment

    with connection.cursor() as cursor:
        for model in (Demand, DemandRecipient, DataRequest, RequestRow, Secondment):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def observe(city, communities, count: int, repeat: int) -> None:
    from django.test import Client
    from django.utils import timezone

    from gridgov.burden import observatory

    _bench_demands(communities, count)
    _analyze()
    first, last = observatory.month_span(timezone.localdate())
    seen, median, queries = _timed(lambda: observatory.observe(city, first, last), repeat)
    print(
        f"observatory {city.name} ({first} – {last}: {seen.total.received:,} demands received "
        f"by {len(seen.places):,} communities from {len(seen.senders)} senders): observe "
        f"median {median:.0f} ms, {queries} queries"
    )
    client = Client()
    client.force_login(_sender())
    url = f"/burden/observatory/?region={city.code}"
    response, median, queries = _timed(lambda: client.get(url), repeat)
    assert response.status_code == 200, response.status_code
    print(f"observatory: GET {url} median {median:.0f} ms, {queries} queries")


if __name__ == "__main__":
    main()
