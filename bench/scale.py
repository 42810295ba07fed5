"""Time the pages, the metrics API and locate on a generated city-scale database.

    python bench/scale.py --database-url postgres://postgres@127.0.0.1:5432/gridgov_scale_1m \
        [--repeat 7] [--points 1000000] [--json FILE]

Run bench/generate.py first. Every page is requested through Django's test client (no
network, no browser) as the user who would open it, after one warm-up request, --repeat
times; the table shows the median and the 95th percentile (the slowest run when there are
fewer than 20) and the SQL statements of the last run (CaptureQueriesContext;
--statements lists each one's time: where a page's time goes). Then locate throughput
over --points uniform points on the city (the index built from the database's
boundaries), the database's size per table, and this process's memory.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

# Last, so that PYTHONPATH (e.g. a snapshot of another checkout) or the installed package wins.
sys.path.append(str(Path(__file__).resolve().parent.parent))


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--only", help="labels of the pages to time, separated by semicolons")
    parser.add_argument(
        "--statements",
        action="store_true",
        help="under each page, the time of each SQL statement of its last run, slowest first",
    )
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("SECRET_KEY", "bench-scale")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from gridgov.accounts.models import User
    from gridgov.regions.models import Region

    results = {"loadavg_start": loadavg(), "rss_mb_start": round(rss_mb(), 1)}
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cases_case")
        cases = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM regions_region WHERE level = 'grid'")
        grids = cursor.fetchone()[0]
    results.update(cases=cases, grids=grids)
    print(f"{cases:,} cases, {grids:,} grids; load average {results['loadavg_start']}")

    city = Region.objects.get(level="city")
    street_user = User.objects.get(username="street")
    pages = [
        ("city dashboard, 30 days", "leader", "/dashboard/"),
        ("city dashboard, 365 days", "leader", "/dashboard/?days=365"),
        ("street dashboard, 30 days", "street", "/dashboard/"),
        ("street dashboard, 365 days", "street", "/dashboard/?days=365"),
        ("city ranking export (xlsx), 30 days", "leader", "/dashboard/ranking.xlsx"),
        ("street ranking export (xlsx), 30 days", "street", "/dashboard/ranking.xlsx"),
        ("dispatcher worklist /cases/", "dispatcher", "/cases/"),
        ("dispatcher worklist, all, page 2", "dispatcher", "/cases/?list=all&page=2"),
        ("leader worklist, overdue", "leader", "/cases/?list=overdue"),
        ("/api/v1/metrics city, 30 days", "leader", f"/api/v1/metrics?region={city.code}"),
        (
            "/api/v1/metrics city by children",
            "leader",
            f"/api/v1/metrics?region={city.code}&by=children",
        ),
        (
            "/api/v1/metrics street by units",
            "street",
            f"/api/v1/metrics?region={street_user.region.code}&by=units",
        ),
        ("/api/v1/cases (leader, first page)", "leader", "/api/v1/cases"),
    ]
    if args.only:
        wanted = {label.strip() for label in args.only.split(";")}
        pages = [page for page in pages if page[0] in wanted]
    clients = {}
    rows = []
    print(f"{'page':42} {'status':>6} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for label, username, url in pages:
        client = clients.get(username)
        if client is None:
            client = clients[username] = Client()
            client.force_login(User.objects.get(username=username))
        response = client.get(url)  # warm: locate index, templates, the database's cache
        times = []
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                if hasattr(response, "streaming_content"):
                    b"".join(response.streaming_content)
                times.append((time.perf_counter() - started) * 1000)
        row = {
            "page": label,
            "user": username,
            "url": url,
            "status": response.status_code,
            "median_ms": round(statistics.median(times), 1),
            "p95_ms": round(percentile(times, 0.95), 1),
            "queries": len(queries.captured_queries),
            "sql_ms": round(sum(float(q["time"]) for q in queries.captured_queries) * 1000, 1),
            "loadavg": loadavg(),
        }
        rows.append(row)
        print(
            f"{label:42} {row['status']:>6} {row['median_ms']:>10.0f} {row['p95_ms']:>8.0f} "
            f"{row['queries']:>8}   (load {row['loadavg']})"
        )
        if args.statements:
            row["statements"] = statement_split(queries.captured_queries)
            for statement in row["statements"]:
                print(f"    {statement['ms']:>8.1f} ms  {statement['sql']}")
    results["pages"] = rows

    if args.points:
        results["locate"] = measure_locate(args.points)
    results["sizes"] = database_sizes(connection, cases)
    results["rss_mb_end"] = round(rss_mb(), 1)
    results["loadavg_end"] = loadavg()
    print(f"this process's RSS at the end: {results['rss_mb_end']:.0f} MB")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, ensure_ascii=False))


def statement_split(captured: list[dict]) -> list[dict]:
    """Each statement's time, slowest first, and the start of its SQL with its FROM: which
    part of a page the time goes to."""
    split = []
    for query in captured:
        sql = " ".join(query["sql"].split())
        start = sql.find(" FROM ")
        gist = sql[:60] + (" …" + sql[start : start + 60] if start > 60 else "")
        split.append({"ms": round(float(query["time"]) * 1000, 1), "sql": gist})
    return sorted(split, key=lambda statement: -statement["ms"])


def measure_locate(points: int) -> dict:
    import numpy as np

    from gridgov.regions.locate import LocateIndex, get_index
    from gridgov.regions.models import Region

    before = rss_mb()
    started = time.perf_counter()
    index = LocateIndex.from_queryset()
    build_s = time.perf_counter() - started
    grown = rss_mb() - before
    get_index()  # the process-wide one the pages use, for the RSS figure at the end
    city = Region.objects.get(level="city")
    ring = city.boundary["coordinates"][0]
    lngs = [p[0] for p in ring]
    lats = [p[1] for p in ring]
    rng = np.random.default_rng(1)
    # Uniform over the city's bounding box, in GCJ-02 like the boundaries (a map click).
    x = rng.uniform(min(lngs), max(lngs), points)
    y = rng.uniform(min(lats), max(lats), points)
    index.locate_many(x[:1000], y[:1000], "gcj02")
    started = time.perf_counter()
    ids = index.locate_many(x, y, "gcj02")
    gcj_s = time.perf_counter() - started
    started = time.perf_counter()
    index.locate_many(x, y, "wgs84")
    wgs_s = time.perf_counter() - started
    found = float((ids >= 0).mean())
    result = {
        "points": points,
        "index_build_s": round(build_s, 2),
        "index_rss_mb": round(grown, 1),
        "gcj02_points_per_s": round(points / gcj_s),
        "wgs84_points_per_s": round(points / wgs_s),
        "found_share": round(found, 4),
        "loadavg": loadavg(),
    }
    print(
        f"locate: index from the database {build_s:.1f} s (+{grown:.0f} MB RSS); "
        f"{points:,} points: {points / gcj_s:,.0f}/s GCJ-02, {points / wgs_s:,.0f}/s WGS-84 "
        f"(with the datum conversion); {found:.1%} placed (load {result['loadavg']})"
    )
    return result


def database_sizes(connection, cases: int) -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        total = cursor.fetchone()[0]
        cursor.execute(
            "SELECT c.relname, c.reltuples::bigint, pg_table_size(c.oid), pg_indexes_size(c.oid), "
            "pg_total_relation_size(c.oid) FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r' "
            "ORDER BY pg_total_relation_size(c.oid) DESC LIMIT 12"
        )
        tables = [
            {
                "table": name,
                "rows": rows,
                "table_mb": t / 2**20,
                "index_mb": i / 2**20,
                "total_mb": a / 2**20,
            }  # fmt: skip
            for name, rows, t, i, a in cursor.fetchall()
        ]
    per_million = total / (cases / 1e6) if cases else None
    print(
        f"database: {total / 2**30:.2f} GiB"
        + (f", {per_million / 2**30:.2f} GiB per million cases" if per_million else "")
    )
    print(f"{'table':28} {'rows':>12} {'table MB':>9} {'index MB':>9} {'total MB':>9}")
    for t in tables:
        print(
            f"{t['table']:28} {t['rows']:>12,} {t['table_mb']:>9.0f} {t['index_mb']:>9.0f} "
            f"{t['total_mb']:>9.0f}"
        )
    return {"database_bytes": total, "bytes_per_million_cases": per_million, "tables": tables}


if __name__ == "__main__":
    main()
