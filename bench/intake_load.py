"""Load-test case intake over HTTP: gunicorn on loopback, POST /api/v1/cases with retries.

    pip install gunicorn      # into the venv, for the benchmark only
    python bench/intake_load.py --database-url postgres://postgres@127.0.0.1:5432/gridgov_scale_1m \
        [--workers 3] [--concurrency 4,8,16,32] [--seconds 30] [--retry-share 0.1] \
        [--race-share 0.02] [--timeout 2] [--batch 1] [--json FILE]

Run bench/generate.py first. The script starts gunicorn (sync workers) against the database,
creates an API token for the district dispatcher (a hotline operator: `gridgov token
create dispatcher --name bench`), warms every worker up (the first request of a process
builds its locate index), then at each concurrency runs that many client threads for
--seconds. Each thread takes cases in one after another over a keep-alive connection: a
JSON body with a point in the dispatcher's district and an Idempotency-Key of its own.

With --batch N (N > 1) each request carries N cases to POST /api/v1/cases/batch, each
with its own idempotency key, as a feed such as the 12345 platform would send them; the
retries below then re-send the whole batch with the same keys.

Retries, as a real client makes them, reuse the logical case's key:
- --retry-share of the cases are sent a second time after the answer (a client that lost
  the answer); the second answer must be 200 with the same case number;
- --race-share are sent twice at once on two connections (a client that gave up waiting
  and retried while the first request was still running);
- a request that takes longer than --timeout is abandoned and retried with the same key,
  up to three times.

Afterwards it checks the database: every logical case of the run exists exactly once
(counted by idempotency key and by title), and every answer for a key named the same case.
Figures: requests/s and logical cases/s, p50/p90/p99/max latency of all requests, errors.
"""

import argparse
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Last, so that PYTHONPATH (e.g. a snapshot of another checkout) or the installed package wins.
sys.path.append(str(ROOT))


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def percentile(values, q):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Target:
    def __init__(self, host, port, token):
        self.host, self.port = host, port
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = []  # ms, every request that got an answer
        self.statuses = Counter()  # per case: a batch answers one status per item
        self.errors = Counter()  # timeouts, connection errors
        self.answers = {}  # key → set of case numbers
        self.logical = 0
        self.requests = 0

    def record(self, outcomes, ms, error=None):
        """outcomes: (key, status, number) for each case the request carried."""
        with self.lock:
            self.requests += 1
            if error:
                self.errors[error] += 1
                return
            self.latencies.append(ms)
            for key, status, number in outcomes:
                self.statuses[status] += 1
                if number:
                    self.answers.setdefault(key, set()).add(number)


def send(target, conn_box, body, keys, timeout, stats):
    """One HTTP request carrying one case (keys of one) or a batch; returns the HTTP status
    (None after an error)."""
    batch = len(keys) > 1
    headers = dict(target.headers)
    if not batch:
        headers["Idempotency-Key"] = keys[0]
    started = time.perf_counter()
    try:
        conn = conn_box[0]
        if conn is None:
            conn = conn_box[0] = http.client.HTTPConnection(
                target.host, target.port, timeout=timeout
            )
        path = "/api/v1/cases/batch" if batch else "/api/v1/cases"
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        payload = response.read()
        ms = (time.perf_counter() - started) * 1000
        outcomes = []
        if response.status in (200, 201) and batch:
            for result in json.loads(payload)["results"]:
                outcomes.append((keys[result["index"]], result["status"], result.get("number")))
        elif response.status in (200, 201):
            outcomes.append((keys[0], response.status, json.loads(payload).get("number")))
        else:
            outcomes = [(key, response.status, None) for key in keys]
        stats.record(outcomes, ms)
        return response.status
    except TimeoutError:
        error = "timeout"
    except (OSError, http.client.HTTPException) as exc:
        error = type(exc).__name__
    # A dead or abandoned connection is not reused: the server may still answer on it.
    if conn_box[0] is not None:
        conn_box[0].close()
        conn_box[0] = None
    stats.record([], 0, error)
    return None


def intake_plan(username: str, points: int = 5000) -> dict:
    """What the cases are made of: points in the operator's own district (a hotline
    operator takes its calls) and the catalogue's leaf categories."""
    from gridgov.accounts.models import User
    from gridgov.cases.models import Category
    from gridgov.regions.models import Region

    user = User.objects.get(username=username)
    return {
        "points": list(
            Region.objects.filter(level="grid", path__startswith=user.region.path)
            .order_by("?")
            .values_list("centroid_lng", "centroid_lat")[:points]
        ),
        "categories": list(
            Category.objects.filter(is_active=True, children__isnull=True).values_list(
                "code", flat=True
            )
        ),
    }


def hotline_case(rng, plan, title: str, n: int) -> dict:
    """One case as a hotline operator's system sends it: a point in the operator's
    district (plan["points"]), a leaf category (plan["categories"])."""
    lng, lat = rng.choice(plan["points"])
    return {
        "channel": "hotline",
        "case_type": "complaint",
        "category": rng.choice(plan["categories"]),
        "title": title,
        "description": "压测：路灯不亮，晚上很黑，请尽快修理。",
        "lng": lng,
        "lat": lat,
        "datum": "gcj02",
        "reporter_name": "压测",
        "reporter_phone": f"1990000{n % 10000:04d}",
    }


def client_thread(target, plan, deadline, stats, seed, args, run_id, counter):
    rng = random.Random(seed)
    conns = [[None], [None]]
    helper = ThreadPoolExecutor(1)
    while time.monotonic() < deadline:
        with counter["lock"]:
            first = counter["n"] + 1
            counter["n"] += args.batch
        keys, cases = [], []
        for n in range(first, first + args.batch):
            key = f"bench-{run_id}-{n}"
            case = hotline_case(rng, plan, f"压测 {run_id} 第{n}件", n)
            if args.batch > 1:
                case["idempotency_key"] = key
            keys.append(key)
            cases.append(case)
        payload = {"cases": cases} if args.batch > 1 else cases[0]
        body = json.dumps(payload, ensure_ascii=False).encode()
        with stats.lock:
            stats.logical += len(keys)
        if rng.random() < args.race_share:
            # The same keys on two connections at once.
            other = helper.submit(send, target, conns[1], body, keys, args.timeout, stats)
            status = send(target, conns[0], body, keys, args.timeout, stats)
            other.result()
        else:
            status = send(target, conns[0], body, keys, args.timeout, stats)
        attempts = 1
        while status is None and attempts < 4:
            # Timed out or failed: retry with the same keys, as the API asks clients to.
            status = send(target, conns[0], body, keys, args.timeout, stats)
            attempts += 1
        if status in (200, 201) and rng.random() < args.retry_share:
            send(target, conns[0], body, keys, args.timeout, stats)
    helper.shutdown()
    for box in conns:
        if box[0] is not None:
            box[0].close()


class WaitSampler:
    """Samples what the database's client backends are doing, ten times a second: how often
    an intake waits for a lock (the day's case-number row) rather than running."""

    def __init__(self, url):
        import psycopg

        self.conn = psycopg.connect(url, autocommit=True)
        self.counts = Counter()
        self.samples = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        query = (
            "SELECT state, wait_event_type, wait_event FROM pg_stat_activity "
            "WHERE datname = current_database() AND backend_type = 'client backend' "
            "AND pid <> pg_backend_pid()"
        )
        while not self.stop.wait(0.1):
            rows = self.conn.execute(query).fetchall()
            self.samples += 1
            for state, kind, event in rows:
                if state == "active":
                    self.counts[f"{kind}:{event}" if kind else "running"] += 1
                elif state == "idle in transaction":
                    self.counts["idle in transaction (Python between statements)"] += 1

    def close(self) -> dict:
        self.stop.set()
        self.thread.join()
        self.conn.close()
        per_sample = {k: round(v / max(self.samples, 1), 2) for k, v in self.counts.most_common()}
        return {"samples": self.samples, "mean_backends_per_sample": per_sample}


def start_gunicorn(args, env):
    command = [
        sys.executable, "-m", "gunicorn", "gridgov.wsgi",
        "--workers", str(args.workers),
        "--bind", f"127.0.0.1:{args.port}",
        "--timeout", "60",
        "--log-level", "warning",
    ]  # fmt: skip
    # Not the checkout: gunicorn puts its working directory first on sys.path.
    process = subprocess.Popen(command, env=env, cwd="/tmp", start_new_session=True)
    for _ in range(300):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=2)
            conn.request("GET", "/api/v1/categories?leaf=true")
            if conn.getresponse().status == 200:
                return process
        except OSError:
            pass
        if process.poll() is not None:
            sys.exit("gunicorn exited; see its output above")
        time.sleep(0.2)
    sys.exit("gunicorn did not answer")


def worker_rss_mb(process) -> list[float]:
    result = subprocess.run(
        ["ps", "-o", "pid=,rss=", "--ppid", str(process.pid)], capture_output=True, text=True
    )
    return sorted(round(int(line.split()[1]) / 1024, 1) for line in result.stdout.splitlines())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--concurrency", default="4,8,16,32")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--retry-share", type=float, default=0.1)
    parser.add_argument("--race-share", type=float, default=0.02)
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--user", default="dispatcher")
    parser.add_argument(
        "--batch",
        type=int,
        default=1,
        help="cases per request; above 1 they go to /api/v1/cases/batch, one key each",
    )
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()

    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-intake-load-secret-key-0123456789"),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    import django

    django.setup()
    from django.db import connection

    token = subprocess.run(
        ["gridgov", "token", "create", args.user, "--name", "bench"],
        env=env, capture_output=True, text=True, check=True,
    ).stdout.split()[-1]  # fmt: skip
    plan = intake_plan(args.user)
    connection.close()
    run_id = uuid.uuid4().hex[:8]
    print(
        f"run {run_id}: {args.workers} gunicorn workers, {args.batch} case(s) per request, "
        f"load average {loadavg()}"
    )

    process = start_gunicorn(args, env)
    results = {"run": run_id, "workers": args.workers, "batch": args.batch, "levels": []}
    all_answers = {}
    try:
        target = Target("127.0.0.1", args.port, token)
        # Warm-up: every worker builds its locate index on its first intake.
        warm = Stats()
        counter = {"n": 0, "lock": threading.Lock()}
        started = time.monotonic()
        threads = [
            threading.Thread(
                target=client_thread,
                args=(
                    target,
                    plan,
                    time.monotonic() + 15,
                    warm,
                    1000 + i,
                    args,
                    f"{run_id}w",
                    counter,
                ),
            )  # fmt: skip
            for i in range(args.workers * 2)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        print(
            f"warm-up: {warm.requests} requests in {time.monotonic() - started:.0f} s, "
            f"statuses {dict(warm.statuses)}, errors {dict(warm.errors)}"
        )
        all_answers.update({("w", k): v for k, v in warm.answers.items()})
        results["warmup_keys"] = warm.logical

        header = (
            f"{'clients':>7} {'req/s':>7} {'cases/s':>8} {'p50 ms':>7} {'p90 ms':>7} "
            f"{'p99 ms':>7} {'max ms':>7} {'requests':>9} {'errors':>7}  statuses"
        )
        print(header)
        for level in [int(x) for x in args.concurrency.split(",")]:
            stats = Stats()
            counter = {"n": 0, "lock": threading.Lock()}
            load_before = loadavg()
            sampler = WaitSampler(args.database_url)
            started = time.monotonic()
            deadline = started + args.seconds
            tag = f"{run_id}c{level}"
            threads = [
                threading.Thread(
                    target=client_thread,
                    args=(target, plan, deadline, stats, level * 1000 + i, args, tag, counter),
                )
                for i in range(level)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.monotonic() - started
            waits = sampler.close()
            row = {
                "clients": level,
                "seconds": round(elapsed, 1),
                "requests": stats.requests,
                "logical_cases": stats.logical,
                "requests_per_s": round(stats.requests / elapsed, 1),
                "cases_per_s": round(stats.logical / elapsed, 1),
                "p50_ms": round(percentile(stats.latencies, 0.5), 1),
                "p90_ms": round(percentile(stats.latencies, 0.9), 1),
                "p99_ms": round(percentile(stats.latencies, 0.99), 1),
                "max_ms": round(max(stats.latencies, default=float("nan")), 1),
                "mean_ms": round(statistics.fmean(stats.latencies), 1) if stats.latencies else None,
                "statuses": dict(stats.statuses),
                "errors": dict(stats.errors),
                "loadavg_before": load_before,
                "loadavg_after": loadavg(),
                "tag": tag,
                "database_backends": waits,
            }
            results["levels"].append(row)
            all_answers.update({(tag, k): v for k, v in stats.answers.items()})
            print(
                f"{level:>7} {row['requests_per_s']:>7.0f} {row['cases_per_s']:>8.0f} "
                f"{row['p50_ms']:>7.0f} {row['p90_ms']:>7.0f} {row['p99_ms']:>7.0f} "
                f"{row['max_ms']:>7.0f} {row['requests']:>9} {sum(stats.errors.values()):>7}  "
                f"{row['statuses']} {row['errors'] or ''} (load {row['loadavg_after']})"
            )
            print(f"        database backends per sample: {waits['mean_backends_per_sample']}")
        results["worker_rss_mb"] = worker_rss_mb(process)
        print(f"gunicorn worker RSS: {results['worker_rss_mb']} MB")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)

    results["verification"] = verify(run_id, all_answers, results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, ensure_ascii=False))


def verify(run_id, answers, results) -> dict:
    """Every logical case of the run exists exactly once, and each key's answers agree."""
    from django.db import connection

    sent = results["warmup_keys"] + sum(level["logical_cases"] for level in results["levels"])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(DISTINCT idempotency_key), count(DISTINCT title) "
            "FROM cases_case WHERE idempotency_key LIKE %s",
            [f"%bench-{run_id}%"],
        )
        rows, keys, titles = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM cases_case WHERE title LIKE %s", [f"压测 {run_id}%"])
        by_title = cursor.fetchone()[0]
        cursor.execute(
            "SELECT idempotency_key, number FROM cases_case WHERE idempotency_key LIKE %s",
            [f"%bench-{run_id}%"],
        )
        # Stored namespaced by the client (api:USER:KEY), see gridgov.api.inputs.
        stored = {key[key.index("bench-") :]: number for key, number in cursor.fetchall()}
    disagreements = 0
    unanswered_but_stored = 0
    for (_tag, key), numbers in answers.items():
        if len(numbers) != 1 or stored.get(key) not in numbers:
            disagreements += 1
    answered = {key for (_tag, key) in answers}
    missing = [key for key in answered if key not in stored]
    unanswered_but_stored = len(set(stored) - answered)
    result = {
        "logical_cases_sent": sent,
        "case_rows": rows,
        "distinct_keys": keys,
        "distinct_titles": titles,
        "rows_by_title": by_title,
        "keys_answered": len(answered),
        "answered_but_missing": len(missing),
        "stored_but_never_answered": unanswered_but_stored,
        "answers_disagreeing": disagreements,
    }
    ok = (
        rows == keys == titles == by_title
        and not missing
        and not disagreements
        and rows <= sent
        and rows == len(answered) + unanswered_but_stored
    )
    result["ok"] = ok
    print(
        f"verification: {sent} logical cases sent, {rows} rows ({keys} keys, {titles} titles, "
        f"{by_title} by title), {len(answered)} answered, {len(missing)} answered but missing, "
        f"{unanswered_but_stored} stored but never answered (every attempt timed out), "
        f"{disagreements} keys answered with different cases: {'OK' if ok else 'FAILED'}"
    )
    return result


if __name__ == "__main__":
    main()
