"""Benchmark the closed loop: cases per second through the real services on a real database.

    python bench/loop.py --database postgres://postgres@127.0.0.1:5432/SCRATCH --cases 2000
    python bench/loop.py --database sqlite --cases 2000 [--workers 2 [--worker-kind thread]]

It creates the database (PostgreSQL: SCRATCH must not exist, or exist with no tables;
SQLite: a file in a temporary directory, with the embedded default's settings), migrates
it, builds a small demo city (4 streets, 8 communities, ~220 grids) and its accounts, then
measures, each case in its own transactions as a web request would run it:

(a) intake alone: `intake_case` for --cases hotline cases at random points in the grids;
(b) the whole loop, one process: intake → register → dispatch → accept → handle → reply →
    verify → close for --cases more cases, with the mean time of each transition;
(c) with --workers N: the same loop on --cases further cases split between N processes
    (or threads), each doing whole loops on its own cases, started together;
(d) with --profile N: N more loops under cProfile, and the gridgov functions that take
    the most of the transitions' time.

The database is dropped at the end (--keep keeps it). DATABASE_URL and SECRET_KEY are set
here, before Django's settings load.
"""

import argparse
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

STEPS = [
    # (actor key, action, fields); "unit" is whoever acts for the dispatched department.
    ("dispatcher", "register", None),
    ("dispatcher", "dispatch", {}),
    ("unit", "accept", {}),
    ("unit", "handle", {}),
    ("unit", "reply", {"result": "已处理完毕"}),
    ("verifier", "verify", {"note": "现场核查属实"}),
    ("dispatcher", "close", {}),
]
TRANSITIONS = ["intake"] + [action for _actor, action, _data in STEPS]
WARM_UP_LOOPS = 20


# --- the database -----------------------------------------------------------------------


def prepare_database(url: str) -> dict:
    """Point Django at a fresh database; return what cleanup needs to know."""
    directory = tempfile.mkdtemp(prefix="gridgov-bench-loop-")
    os.environ["GRIDGOV_VAR_DIR"] = directory  # the secret key file and uploads go there
    os.environ.setdefault("SECRET_KEY", "bench-loop-not-secret")
    os.environ["DJANGO_SETTINGS_MODULE"] = "gridgov.settings"
    state = {"directory": directory, "url": url, "created": False, "name": None}
    if url == "sqlite":
        # No DATABASE_URL: the embedded default (a file under GRIDGOV_VAR_DIR, with its
        # IMMEDIATE transactions and busy timeout) is what the demo and small sites run.
        os.environ.pop("DATABASE_URL", None)
        return state
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        sys.exit("--database takes a postgres:// URL or the word sqlite.")
    name = parts.path.lstrip("/")
    if not name or name in {"postgres", "template0", "template1"}:
        sys.exit("Name a scratch database in the URL, e.g. …:5432/gridgov_bench_loop.")
    import psycopg
    from psycopg import sql

    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            with psycopg.connect(url) as target:
                tables = target.execute(
                    "SELECT count(*) FROM information_schema.tables "
                    "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
                ).fetchone()[0]
            if tables:
                sys.exit(f"Database {name} already has {tables} tables: refusing to use it.")
        else:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    state.update(created=True, name=name, admin_url=admin_url)
    os.environ["DATABASE_URL"] = url
    return state


def drop_database(state: dict, keep: bool) -> None:
    from django.db import connections

    connections.close_all()
    if state["name"] and not keep:
        import psycopg
        from psycopg import sql

        with psycopg.connect(state["admin_url"], autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(state["name"]))
            )
        print(f"Dropped database {state['name']}.")
    if keep:
        print(f"Kept the database ({state['name'] or state['directory']}).")
    else:
        shutil.rmtree(state["directory"], ignore_errors=True)


def setup_django() -> None:
    import django

    django.setup()


# --- the city and its people ------------------------------------------------------------


def build_city() -> None:
    from django.core.management import call_command
    from django.test.utils import override_settings

    from gridgov.demo.city import build_demo_city

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"Migrated in {time.perf_counter() - started:.1f} s.")
    # Password hashing is not what is measured; the database is thrown away.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        started = time.perf_counter()
        demo = build_demo_city(streets_per_district=2, communities_per_street=2)
        world = load_world()
    print(
        f"Built the small demo city in {time.perf_counter() - started:.1f} s: "
        f"{demo.counts.get('grid', 0)} grids, {len(world.handlers)} departments, "
        f"{len(world.accounts_created)} extra accounts."
    )


def load_world():
    from gridgov.demo.cases import World
    from gridgov.demo.city import CITY_CODE
    from gridgov.regions.models import Region

    return World(Region.objects.get(code=CITY_CODE), random.Random(0))


def case_inputs(world, count: int, seed: int) -> list[dict]:
    """Hotline cases at random points in random grids, in department-owned categories."""
    rng = random.Random(seed)
    categories = sorted(
        (c for c in world.categories.values() if c.owner == "department"),
        key=lambda c: c.code,
    )
    inputs = []
    for n in range(count):
        grid = rng.choice(world.grids)
        lng, lat = grid.random_point(rng)
        category = rng.choice(categories)
        inputs.append(
            {
                "grid": grid.region.pk,
                "data": {
                    "channel": "hotline",
                    "case_type": "complaint",
                    "category": category.code,
                    "title": f"{category.name}问题",
                    "description": f"压测案件 {seed}-{n}：{category.admission_standard}。",
                    "lng": lng,
                    "lat": lat,
                    "datum": "gcj02",
                    "reporter_name": "测试",
                    "reporter_phone": f"139{seed % 100:02d}{n:06d}",
                },
            }
        )
    return inputs


# --- the measured work ------------------------------------------------------------------


def run_intakes(inputs: list[dict], world) -> list[float]:
    from gridgov.cases import services

    times = []
    for item in inputs:
        dispatcher = world.dispatchers[world.grid_by_id[item["grid"]].district.pk]
        started = time.perf_counter()
        services.intake_case(dispatcher, item["data"])
        times.append(time.perf_counter() - started)
    return times


def run_loops(inputs: list[dict], world) -> dict[str, list[float]]:
    """Each input through the whole loop; the seconds each transition took."""
    from gridgov.cases import services

    times = defaultdict(list)
    for item in inputs:
        grid = world.grid_by_id[item["grid"]]
        category = world.categories[item["data"]["category"]]
        actors = {
            "dispatcher": world.dispatchers[grid.district.pk],
            # The catalogue's department in the case's district: what dispatch will choose,
            # as the throwaway database has no dispatch rules.
            "unit": world.handlers[world.department_for(category, grid.district).pk],
            "verifier": world.worker(grid),
        }
        started = time.perf_counter()
        case = services.intake_case(actors["dispatcher"], item["data"]).case
        times["intake"].append(time.perf_counter() - started)
        for who, action, data in STEPS:
            fields = data if data is not None else {"category": item["data"]["category"]}
            started = time.perf_counter()
            case = services.perform(actors[who], case.number, action, fields)
            times[action].append(time.perf_counter() - started)
        assert case.status == "closed", case.status
    return times


def worker_main(kind: str, inputs, start_event, results, index: int) -> None:
    """One worker: its own connection, its own cases, started with the others."""
    if kind == "process":
        setup_django()
    from django.db import connections

    try:
        world = load_world()
        start_event.wait()
        started = time.perf_counter()
        times = run_loops(inputs, world)
        results[index] = (started, time.perf_counter(), dict(times), len(inputs))
    finally:
        connections.close_all()


def run_workers(kind: str, workers: int, inputs: list[dict]) -> tuple[float, dict, int]:
    import multiprocessing
    import threading

    chunks = [inputs[i::workers] for i in range(workers)]
    if kind == "process":
        context = multiprocessing.get_context("spawn")  # a fresh interpreter, no shared socket
        manager = context.Manager()
        results, start_event = manager.dict(), manager.Event()
        runners = [
            context.Process(target=worker_main, args=(kind, chunk, start_event, results, i))
            for i, chunk in enumerate(chunks)
        ]
    else:
        results, start_event = {}, threading.Event()
        runners = [
            threading.Thread(target=worker_main, args=(kind, chunk, start_event, results, i))
            for i, chunk in enumerate(chunks)
        ]
    for runner in runners:
        runner.start()
    time.sleep(3 if kind == "process" else 0.5)  # let each load its world before the gun
    start_event.set()
    for runner in runners:
        runner.join()
    collected = dict(results)
    if len(collected) != workers:
        sys.exit(f"Only {len(collected)} of {workers} workers finished; see the errors above.")
    first = min(start for start, _end, _times, _n in collected.values())
    last = max(end for _start, end, _times, _n in collected.values())
    merged = defaultdict(list)
    for _start, _end, times, _n in collected.values():
        for action, values in times.items():
            merged[action].extend(values)
    return last - first, merged, sum(n for *_rest, n in collected.values())


def statements_per_loop(world, item) -> dict[str, int]:
    """SQL statements (savepoints included) each step sends, for one loop."""
    from django.db import connection

    counts = defaultdict(int)
    current = {"action": "intake"}

    def count(execute, sql, params, many, context):
        counts[current["action"]] += 1
        return execute(sql, params, many, context)

    from gridgov.cases import services

    original = services.perform

    def tagged(actor, number, action, *args, **kwargs):
        current["action"] = action
        return original(actor, number, action, *args, **kwargs)

    services.perform = tagged
    try:
        with connection.execute_wrapper(count):
            run_loops([item], world)
    finally:
        services.perform = original
    return dict(counts)


# --- the report -------------------------------------------------------------------------


def profile_loops(world, inputs) -> list[str]:
    """Where the transitions' time goes, under cProfile: each gridgov function's cumulative
    time as a share of all `perform` calls (profiling slows everything alike)."""
    if not inputs:
        return []
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    run_loops(inputs, world)
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    functions = {
        f"{Path(file).name}:{name}": (calls, cumulative)
        for (file, _line, name), (calls, _primitive, _total, cumulative, _callers) in stats.items()
        if "/gridgov/" in file
    }
    perform = functions.get("services.py:perform", (0, 0.0))[1]
    rows = ["| function | calls | cumulative s | share of perform |", "|---|---|---|---|"]
    ranked = sorted(functions.items(), key=lambda item: -item[1][1])[:15]
    for label, (calls, cumulative) in ranked:
        share = f"{cumulative / perform:.0%}" if perform else "—"
        rows.append(f"| {label} | {calls:,} | {cumulative:.2f} | {share} |")
    return rows


def describe_machine() -> list[str]:
    import django
    from django.db import connection

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            names = [line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line]
        cpu = f"{names[0]} × {len(names)}" if names else cpu
    except OSError:
        pass
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            database = f"PostgreSQL {cursor.fetchone()[0]}"
        else:
            cursor.execute("SELECT sqlite_version()")
            database = f"SQLite {cursor.fetchone()[0]} (file, embedded settings)"
    load = os.getloadavg()
    return [
        f"CPU: {cpu}; load average at the start {load[0]:.2f}",
        f"Python {platform.python_version()}, Django {django.get_version()}, {database}",
    ]


def summary(label: str, seconds: float, cases: int, cpu: float | None = None) -> str:
    # This process's CPU per case moves less than the wall time when other work shares
    # the machine (the database server's own CPU is not in it).
    cpu_text = f"{cpu / cases * 1000:.1f} ms" if cpu is not None else "—"
    return (
        f"| {label} | {cases:,} | {seconds:.1f} s | **{cases / seconds:.1f} cases/s** "
        f"| {cpu_text} |"
    )


def transition_table(times: dict[str, list[float]]) -> list[str]:
    rows = ["| transition | mean ms | median ms | p95 ms |", "|---|---|---|---|"]
    total = 0.0
    for action in TRANSITIONS:
        values = sorted(times.get(action, []))
        if not values:
            continue
        mean = statistics.fmean(values) * 1000
        total += mean
        p95 = values[min(len(values) - 1, int(0.95 * len(values)))] * 1000
        rows.append(
            f"| {action} | {mean:.1f} | {statistics.median(values) * 1000:.1f} | {p95:.1f} |"
        )
    rows.append(f"| whole loop | {total:.1f} | | |")
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True, help="postgres://…/SCRATCH or sqlite")
    parser.add_argument("--cases", type=int, default=2000, help="cases per measurement")
    parser.add_argument("--workers", type=int, default=0, help="also run N workers at once")
    parser.add_argument("--worker-kind", choices=["process", "thread"], default="process")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="also run N more loops under cProfile and print where perform's time goes",
    )
    args = parser.parse_args(argv)

    state = prepare_database(args.database)
    try:
        setup_django()
        build_city()
        world = load_world()
        machine = describe_machine()
        rng_seed = args.seed * 1000
        warm = case_inputs(world, WARM_UP_LOOPS + 1, rng_seed + 1)
        # The first calls build the locate index, load translations and warm the caches.
        run_loops(warm[:-1], world)
        statements = statements_per_loop(world, warm[-1])

        intakes = case_inputs(world, args.cases, rng_seed + 2)
        started, cpu = time.perf_counter(), time.process_time()
        run_intakes(intakes, world)
        intake_seconds, intake_cpu = time.perf_counter() - started, time.process_time() - cpu

        loops = case_inputs(world, args.cases, rng_seed + 3)
        started, cpu = time.perf_counter(), time.process_time()
        loop_times = run_loops(loops, world)
        loop_seconds, loop_cpu = time.perf_counter() - started, time.process_time() - cpu

        rows = [
            "| measurement | cases | wall time | throughput | client CPU per case |",
            "|---|---|---|---|---|",
            summary("(a) intake alone, 1 process", intake_seconds, args.cases, intake_cpu),
            summary("(b) intake → close, 1 process", loop_seconds, args.cases, loop_cpu),
        ]
        worker_times = None
        if args.workers:
            from django.db import connections

            connections.close_all()
            more = case_inputs(world, args.cases, rng_seed + 4)
            seconds, worker_times, done = run_workers(args.worker_kind, args.workers, more)
            kind = "processes" if args.worker_kind == "process" else "threads"
            label = f"(c) intake → close, {args.workers} {kind}"
            rows.append(summary(label, seconds, done))

        profile = profile_loops(world, case_inputs(world, args.profile, rng_seed + 5))

        print()
        print(f"bench/loop.py {' '.join(argv if argv is not None else sys.argv[1:])}")
        for line in machine:
            print(f"- {line}")
        # Other work on the machine shows here: the figures are only as good as these.
        print(f"- load average at the end {os.getloadavg()[0]:.2f}")
        print()
        print("\n".join(rows))
        print()
        print("(b) per transition, 1 process:")
        print("\n".join(transition_table(loop_times)))
        if worker_times:
            print()
            print(f"(c) per transition, {args.workers} {args.worker_kind} workers:")
            print("\n".join(transition_table(worker_times)))
        print()
        print(
            "SQL statements per loop (savepoints included): "
            + ", ".join(f"{action} {statements.get(action, 0)}" for action in TRANSITIONS)
            + f"; total {sum(statements.values())}"
        )
        if profile:
            print()
            print(f"Under cProfile, {args.profile} loops, one process:")
            print("\n".join(profile))
    finally:
        drop_database(state, args.keep)


if __name__ == "__main__":
    main()
