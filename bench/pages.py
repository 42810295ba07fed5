"""Time the main pages on an existing gridgov database (e.g. the demo's ./var/).

    cd DIR_WITH_VAR && python /path/to/bench/pages.py [--user leader] [--repeat 5]

Prints the median time and the query count of each page, as the signed-in user sees it.
Run `gridgov demo --no-serve` first for the demo city and its 5,000 cases.
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from gridgov.accounts.models import User  # noqa: E402
from gridgov.cases.models import Case  # noqa: E402

PAGES = [
    "/dashboard/",
    "/dashboard/?days=365",
    "/map/grids.geojson",
    "/cases/?list=all",
    "/cases/?list=overdue",
    "/triage/hotspots/",
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--user", default="leader")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    client = Client()
    client.force_login(User.objects.get(username=args.user))
    print(f"{Case.objects.count():,} cases; user {args.user}; database {connection.vendor}")
    for url in PAGES:
        client.get(url)  # warm caches (locate index, templates)
        times = []
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - start) * 1000)
        print(
            f"{url:28} {response.status_code}  median {statistics.median(times):6.0f} ms"
            f"  {len(queries.captured_queries):3d} queries"
        )


if __name__ == "__main__":
    main()
