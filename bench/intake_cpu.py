"""The app's own cost of one intake, in process: CPU per case and SQL statements per request.

    python bench/intake_cpu.py --database-url postgres://postgres@127.0.0.1:5432/gridgov_scale_1m \
        [--requests 300] [--batch 25] [--batches 40]

Run bench/generate.py first; the cases it takes in stay in the database, as
bench/intake_load.py's do (measure the dashboards first). The requests go through Django's
test client as the district dispatcher with an API token — the whole request path of
`POST /api/v1/cases` and `POST /api/v1/cases/batch` (authentication, validation, locate,
the transaction, the answer) but no HTTP server and no network, so the CPU time of this
process is the app's work per case. The database's own CPU is not in it. After a warm-up
(the first intake builds the locate index), --requests single intakes and --batches
batches of --batch cases; the statements are those of the last request of each kind.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

# Last, so that PYTHONPATH (e.g. a snapshot of another checkout) or the installed package wins.
sys.path.append(str(Path(__file__).resolve().parent.parent))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--batch", type=int, default=25)
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--user", default="dispatcher")
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("SECRET_KEY", "bench-intake-cpu")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from gridgov.accounts.models import ApiToken, User
    from gridgov.regions.models import Region

    user = User.objects.get(username=args.user)
    _token, secret = ApiToken.issue(user, name="bench-intake-cpu")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    from intake_load import hotline_case, intake_plan

    rng = random.Random(1)
    plan = intake_plan(args.user, points=2000)
    run = uuid.uuid4().hex[:8]
    counter = iter(range(1, 10**9))

    def case(keyed: bool) -> dict:
        n = next(counter)
        body = hotline_case(rng, plan, f"CPU {run} 第{n}件", n)
        if keyed:
            body["idempotency_key"] = f"cpu-{run}-{n}"
        return body

    def post(url: str, payload: dict, key: str | None = None):
        extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
        response = client.post(
            url, json.dumps(payload, ensure_ascii=False), content_type="application/json", **extra
        )
        if response.status_code not in (200, 201):
            raise SystemExit(f"{url}: {response.status_code} {response.content[:300]!r}")
        return response

    def measure(label: str, count: int, cases_per_request: int, send) -> dict:
        send()  # warm: the locate index, the catalogue, the first statements
        wall, cpu = [], []
        for _ in range(count - 1):
            started, started_cpu = time.perf_counter(), time.process_time()
            send()
            wall.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        with CaptureQueriesContext(connection) as queries:
            send()
        row = {
            "label": label,
            "requests": count - 1,
            "cases_per_request": cases_per_request,
            "cpu_ms_per_request": round(statistics.mean(cpu) * 1000, 2),
            "cpu_ms_per_case": round(statistics.mean(cpu) * 1000 / cases_per_request, 2),
            "wall_ms_median": round(statistics.median(wall) * 1000, 2),
            "statements_per_request": len(queries.captured_queries),
        }
        print(
            f"{label:28} {row['requests']:>5} requests: {row['cpu_ms_per_request']:7.2f} ms CPU "
            f"per request, {row['cpu_ms_per_case']:6.2f} ms per case, median wall "
            f"{row['wall_ms_median']:7.2f} ms, {row['statements_per_request']} statements"
        )
        return row

    print(f"{connection.vendor}, {Region.objects.filter(level='grid').count():,} grids, "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")  # fmt: skip
    measure(
        "single (POST /api/v1/cases)",
        args.requests,
        1,
        lambda: post("/api/v1/cases", case(False), key=f"cpu-{run}-{uuid.uuid4().hex}"),
    )
    measure(
        f"batches of {args.batch}",
        args.batches,
        args.batch,
        lambda: post("/api/v1/cases/batch", {"cases": [case(True) for _ in range(args.batch)]}),
    )


if __name__ == "__main__":
    main()
