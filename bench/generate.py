"""Generate a city-scale gridgov database: a large region tree and N cases, written in bulk.

    python bench/generate.py --database-url postgres://postgres@127.0.0.1:5432/gridgov_scale_1m \
        --grids 100000 --cases 1000000 [--years 5] [--seed 1] [--end 2026-11-29]

The target database is created if it does not exist and migrated (`gridgov migrate`). Then:

- the city 滨江市 (code prefix 9902, no real province): 16 districts → 16 streets each →
  16 communities each → about 25 unit grids each (100,000 grids), as a lattice of irregular
  quadrilaterals sharing their vertices (the generator of bench/locate.py), every level traced
  along the same vertices so siblings tile their parent exactly; 11 departments per district;
  staff for every district (dispatcher), street, community (office staff and a grid worker
  patrolling its grids) and department, all with the password demo12345. The accounts
  `leader` (the city), `dispatcher` (district 01), `street` (its first street), `community`,
  `gridworker` and `dept` (its 城管) match the demo's usernames.
- N cases over the last --years years up to --end, each simulated through the same steps the
  services take (intake, register, dispatch, accept, handle, reply, verify, close, rate, with
  returns, disputes, extensions, reworks, self-handling, supervision and the deadline watch's
  overdue marks) and cut at --end, so recent cases are open. The case rows, assignments,
  events, notifications, extension requests and reporters are written with COPY in chunks.

The same seed, sizes and --end give the same database. Foreign-key triggers are off for the
loading session (session_replication_role = replica): the rows are consistent by
construction, and checking 10 million references one by one would double the load time.
Secondary indexes of the bulk tables are dropped before the load and rebuilt after it.
"""

import argparse
import bisect
import itertools
import json
import math
import os
import random
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import shapely
from lattice import CELL_DEGREES, Lattice  # beside this script

ROOT = Path(__file__).resolve().parent.parent
# Last, so that PYTHONPATH (e.g. a snapshot of another checkout) or the installed package wins.
sys.path.append(str(ROOT))

CITY_CODE = "990200000000"
CITY_NAME = "滨江市"
STREET_CELLS = 20  # a street is 20 × 20 lattice cells = 4 × 4 communities
COMMUNITY_CELLS = 5  # a community is 5 × 5 cells: about 25 grids
PASSWORD = "demo12345"
CHUNK = 20_000  # cases per COPY round

DISTRICT_NAMES = [
    "江东", "江西", "滨湖", "临港", "清河", "望海", "松林", "云岭",
    "金沙", "石门", "北湖", "南湾", "新城", "高桥", "白鹭", "长乐",
]  # fmt: skip
STREET_FIRST = "东西南北中新老上下前后大小长青白"
STREET_SECOND = "山河湖港塘桥门园林坊亭湾溪岭洲浦"
COMMUNITY_FIRST = "翠桂兰松梅枫荷竹柳杏槐桃锦华景和嘉朝明秀春德安丰"
COMMUNITY_SECOND = "苑园庭湾坊里池溪林湖港城"

# Channel shares of a large city's 12345 platform: the hotline dominates.
CHANNELS = [
    ("hotline", 0.62),
    ("grid_patrol", 0.16),
    ("web", 0.09),
    ("message_board", 0.06),
    ("api", 0.04),
    ("walk_in", 0.03),
]
GROWTH_PER_YEAR = 0.15  # intake grows year on year
DAY_OFF_WEIGHT = 0.55
# Side paths, as shares of the cases that reach the step where they can happen.
P_REJECT = 0.03  # public channels only
P_SELF = 0.35  # of grid-patrol cases in a community-owned or quick-fix category
P_RETURN = 0.045
P_SECOND_RETURN = 0.12  # of returned ones: a dispute
P_EXTEND = 0.05
P_EXTEND_APPROVED = 0.8
P_REWORK = 0.04
P_SUPERVISE = 0.02
P_LATE_ACCEPT = 0.05
P_LATE_REPLY = 0.07
P_LATE_VERIFY = 0.03
P_RATED = 0.9
P_STALLED = 0.004  # stuck somewhere for good (积案): open and overdue however old
SELF_HANDLE_CODES = {"E0102", "E0201", "E0404", "E0402", "C0302", "E0104"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--grids", type=int, default=100_000)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--years", type=float, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--end", help="the present of the data, YYYY-MM-DD (default: today)")
    parser.add_argument("--chunk", type=int, default=CHUNK)
    parser.add_argument("--skip-rollups", action="store_true")
    args = parser.parse_args()

    started = time.monotonic()
    _create_database(args.database_url)
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-generate"),
    }
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    t = time.monotonic()
    subprocess.run(["gridgov", "migrate", "-v", "0"], env=env, check=True)
    print(f"migrate: {time.monotonic() - t:.1f} s")

    import django

    django.setup()
    from django.db import connection
    from django.utils import translation

    from gridgov.cases.models import Case

    if Case.objects.exists():
        sys.exit("This database already has cases; generate into an empty one.")
    translation.activate("zh-hans")
    end = _end_moment(args.end)
    print(f"the present of the data: {end.isoformat()}")

    t = time.monotonic()
    world = build_city(args.grids, args.seed)
    print(
        f"city: {len(world.districts)} districts, {len(world.streets)} streets, "
        f"{len(world.communities)} communities, {len(world.grids)} grids, "
        f"{len(world.departments)} departments, {world.user_count} accounts: "
        f"{time.monotonic() - t:.1f} s"
    )

    t = time.monotonic()
    rows = load_cases(world, args, end)
    load_seconds = time.monotonic() - t
    total_rows = sum(rows.values())
    print(
        f"cases: {args.cases:,} cases, {total_rows:,} rows "
        f"({', '.join(f'{k} {v:,}' for k, v in rows.items())}) in {load_seconds:.1f} s: "
        f"{args.cases / load_seconds:,.0f} cases/s, {total_rows / load_seconds:,.0f} rows/s"
    )

    t = time.monotonic()
    with connection.cursor() as cursor:
        # The heap is frozen and all-visible already (COPY FREEZE), so this is mostly
        # ANALYZE; it also marks the pages of the small tables built through the ORM.
        cursor.execute("VACUUM (ANALYZE)")
    print(f"VACUUM (ANALYZE): {time.monotonic() - t:.1f} s")
    if not args.skip_rollups:
        _rollups(env)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        size = cursor.fetchone()[0]
    print(f"database size: {size / 2**30:.2f} GiB; total time {time.monotonic() - started:.1f} s")


def _create_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


def _end_moment(text: str | None) -> datetime:
    from django.utils import timezone

    if text:
        day = date.fromisoformat(text)
        local = datetime(
            day.year, day.month, day.day, 17, 0, tzinfo=timezone.get_default_timezone()
        )
        return local.astimezone(UTC)
    # Whole minutes, so that two runs on one day with --end omitted differ only by the clock.
    return datetime.now(UTC).replace(second=0, microsecond=0)


def _rollups(env) -> None:
    """Rebuild the daily rollups if this checkout has them (they are being built elsewhere)."""
    probe = subprocess.run(
        ["gridgov", "help", "rollups"], env=env, capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        print("rollups: no `gridgov rollups` command in this checkout; skipped")
        return
    t = time.monotonic()
    subprocess.run(["gridgov", "rollups", "rebuild"], env=env, check=True)
    print(f"rollups rebuild: {time.monotonic() - t:.1f} s")


# --- the city -----------------------------------------------------------------------------


class World:
    """What the case generator needs to know about the city, as plain Python values."""

    def __init__(self):
        self.city = None
        self.districts = []  # Region
        self.streets = []
        self.communities = []
        self.grids = []  # (id, path, centroid lng, lat, community index)
        self.departments = {}  # (district id, short name) → Department
        self.user_count = 0
        self.dispatcher = {}  # district id → user id
        self.street_staff = {}  # street id → user id
        self.community_staff = {}  # community id → user id
        self.grid_worker = {}  # community id → user id
        self.dept_handler = {}  # department id → user id
        self.leader = None
        self.usernames = {}  # user id → what str(user) gives (display name, else username)


def build_city(grids: int, seed: int) -> World:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from gridgov.accounts.models import Department, User
    from gridgov.demo import names
    from gridgov.lib.geo import geodesic_area_m2
    from gridgov.regions import codes
    from gridgov.regions.choices import Datum, Level
    from gridgov.regions.locate import invalidate
    from gridgov.regions.models import Region

    world = World()
    rng = np.random.default_rng(seed)
    side = math.ceil(math.sqrt(grids * 1.024) / STREET_CELLS) * STREET_CELLS
    if side * side < grids:
        side += STREET_CELLS
    lattice = Lattice(side, rng)
    vx, vy, block = lattice.vx, lattice.vy, lattice.block

    now = timezone.now()
    next_id = itertools.count(1)

    def region(code, name, level, parent, geometry):
        r = Region(
            id=next(next_id),
            code=code,
            name=name,
            level=level,
            parent=parent,
            datum=Datum.GCJ02,
            boundary=json.loads(shapely.to_geojson(geometry)),
            area_m2=geodesic_area_m2(geometry),
            boundary_updated_at=now,
        )
        point = geometry.centroid
        r.centroid_lng, r.centroid_lat = point.x, point.y
        r.path = r.path_from_code()
        return r

    blocks = side // STREET_CELLS
    edges = sorted({round(k * blocks / 4) for k in range(5)})
    district_of_block = {}
    regions = [region(CITY_CODE, CITY_NAME, Level.CITY, None, block(0, side, 0, side))]
    world.city = regions[0]
    # Districts: a 4 × 4 split of the street blocks, numbered north-west to south-east.
    for dj in reversed(range(len(edges) - 1)):
        for di in range(len(edges) - 1):
            seq = len(world.districts) + 1
            code = codes.child_code(CITY_CODE, Level.CITY, Level.DISTRICT, seq)
            name = DISTRICT_NAMES[(seq - 1) % len(DISTRICT_NAMES)] + "区"
            bi0, bi1, bj0, bj1 = edges[di], edges[di + 1], edges[dj], edges[dj + 1]
            shape = block(
                bi0 * STREET_CELLS, bi1 * STREET_CELLS, bj0 * STREET_CELLS, bj1 * STREET_CELLS
            )
            district = region(code, name, Level.DISTRICT, world.city, shape)
            world.districts.append(district)
            for bi in range(bi0, bi1):
                for bj in range(bj0, bj1):
                    district_of_block[bi, bj] = district
    regions += world.districts
    street_of_block = {}
    children = {}
    for bj in reversed(range(blocks)):
        for bi in range(blocks):
            parent = district_of_block[bi, bj]
            seq = children[parent.code] = children.get(parent.code, 0) + 1
            code = codes.child_code(parent.code, Level.DISTRICT, Level.STREET, seq)
            name = STREET_FIRST[(bi + bj) % 16] + STREET_SECOND[(3 * bi + bj) % 16] + "街道"
            shape = block(
                bi * STREET_CELLS,
                (bi + 1) * STREET_CELLS,
                bj * STREET_CELLS,
                (bj + 1) * STREET_CELLS,
            )
            street = region(code, name, Level.STREET, parent, shape)
            world.streets.append(street)
            street_of_block[bi, bj] = street
    regions += world.streets
    cblocks = side // COMMUNITY_CELLS
    community_index = np.empty((cblocks, cblocks), dtype=np.int64)
    ratio = STREET_CELLS // COMMUNITY_CELLS
    community_names = [a + b + "社区" for a in COMMUNITY_FIRST for b in COMMUNITY_SECOND]
    for cj in reversed(range(cblocks)):
        for ci in range(cblocks):
            parent = street_of_block[ci // ratio, cj // ratio]
            seq = children[parent.code] = children.get(parent.code, 0) + 1
            code = codes.child_code(parent.code, Level.STREET, Level.COMMUNITY, seq)
            name = community_names[(len(world.communities) * 7) % len(community_names)]
            c0, d0 = ci * COMMUNITY_CELLS, cj * COMMUNITY_CELLS
            shape = block(c0, c0 + COMMUNITY_CELLS, d0, d0 + COMMUNITY_CELLS)
            community_index[ci, cj] = len(world.communities)
            world.communities.append(region(code, name, Level.COMMUNITY, parent, shape))
    regions += world.communities

    # Grids: `grids` of the side² cells, the rest left as holes that fall back to the
    # community (as an area not yet gridded does).
    kept = np.sort(rng.choice(side * side, size=grids, replace=False))
    ci, cj = np.divmod(kept, side)
    corners = [(ci, cj), (ci + 1, cj), (ci + 1, cj + 1), (ci, cj + 1), (ci, cj)]
    rings = np.stack([np.column_stack([vx[a, b], vy[a, b]]) for a, b in corners], axis=1)
    polygons = shapely.polygons(rings)
    texts = shapely.to_geojson(polygons)
    centroids = shapely.get_coordinates(shapely.centroid(polygons))
    owner = community_index[ci // COMMUNITY_CELLS, cj // COMMUNITY_CELLS]
    # West→east, north→south within a community, as gridding.build_grids numbers them.
    local = (
        (COMMUNITY_CELLS - 1 - cj % COMMUNITY_CELLS) * COMMUNITY_CELLS + ci % COMMUNITY_CELLS + 1
    )
    grid_regions = []
    for k in range(grids):
        parent = world.communities[owner[k]]
        code = codes.child_code(parent.code, Level.COMMUNITY, Level.GRID, int(local[k]))
        r = Region(
            id=next(next_id),
            code=code,
            name=f"{parent.name}第{int(local[k])}网格",
            level=Level.GRID,
            parent=parent,
            datum=Datum.GCJ02,
            boundary=json.loads(texts[k]),
            area_m2=geodesic_area_m2(polygons[k]),
            centroid_lng=float(centroids[k, 0]),
            centroid_lat=float(centroids[k, 1]),
            boundary_updated_at=now,
        )
        r.path = r.path_from_code()
        grid_regions.append(r)
        world.grids.append((r.id, r.path, r.centroid_lng, r.centroid_lat, int(owner[k])))
    regions += grid_regions

    password = make_password(PASSWORD)
    with transaction.atomic():
        Region.objects.bulk_create(regions, batch_size=2000)
        departments = []
        for district in world.districts:
            prefix = district.code[: codes.significant_length(Level.DISTRICT)]
            for abbreviation, short_name, template in names.DEPARTMENTS:
                departments.append(
                    Department(
                        code=f"{prefix}-{abbreviation}",
                        name=template.format(
                            city=CITY_NAME,
                            district=district.name,
                            district_short=district.name.removesuffix("区"),
                        ),
                        short_name=short_name,
                        region=district,
                    )
                )
        Department.objects.bulk_create(departments)
        for department in departments:
            world.departments[department.region_id, department.short_name] = department

        users = []

        def user(username, role, region=None, department=None, display_name=""):
            u = User(
                username=username,
                password=password,
                role=role,
                region=region,
                department=department,
                display_name=display_name,
                is_staff=role == "administrator",
                is_superuser=role == "administrator",
            )
            users.append(u)
            return u

        user("admin", "administrator", display_name="系统管理员")
        user("leader", "leader", world.city, display_name="市领导")
        first_district = world.districts[0]
        first_street = next(s for s in world.streets if s.parent is first_district)
        first_community = next(c for c in world.communities if c.parent is first_street)
        for n, district in enumerate(world.districts, start=1):
            user("dispatcher" if n == 1 else f"dispatcher{n:02d}", "dispatcher", district)
        for street in world.streets:
            user(
                "street" if street is first_street else f"street-{street.code[:9]}",
                "street_staff",
                street,
            )
        for community in world.communities:
            first = community is first_community
            user(
                "community" if first else f"community-{community.code}",
                "community_staff",
                community,
            )
            user(
                "gridworker" if first else f"gridworker-{community.code}", "grid_worker", community
            )
        for department in departments:
            first = department.region_id == first_district.id and department.short_name == "城管"
            user(
                "dept" if first else f"dept-{department.code}",
                "department_handler",
                department=department,
            )
        User.objects.bulk_create(users, batch_size=2000)
        # Grid workers patrol every grid of their community (一格一员 is the norm; one
        # account per community keeps the account table small).
        through = User.grids.through
        workers = {u.region_id: u.pk for u in users if u.role == "grid_worker"}
        through.objects.bulk_create(
            [
                through(user_id=workers[world.communities[g[4]].id], region_id=g[0])
                for g in world.grids
            ],
            batch_size=5000,
        )
    world.user_count = len(users)
    for u in users:
        world.usernames[u.pk] = str(u)
        if u.role == "dispatcher":
            world.dispatcher[u.region_id] = u.pk
        elif u.role == "street_staff":
            world.street_staff[u.region_id] = u.pk
        elif u.role == "community_staff":
            world.community_staff[u.region_id] = u.pk
        elif u.role == "grid_worker":
            world.grid_worker[u.region_id] = u.pk
        elif u.role == "department_handler":
            world.dept_handler[u.department_id] = u.pk
        elif u.role == "leader":
            world.leader = u.pk
    invalidate()
    return world


# --- the cases ----------------------------------------------------------------------------


def T(message: str, **values) -> str:
    """A message as the services write it: translated to the site's language, then filled."""
    from django.utils.translation import gettext

    text = gettext(message)
    return text % values if values else text


def _bool(value) -> str:
    return "t" if value else "f"


# COPY text format by type. Strings are written as they are: every text comes from this
# file or gridgov.demo.case_texts, checked once by _check_texts for tabs, newlines and
# backslashes, the only characters COPY would need escaped.
_FORMAT = {str: str, int: str, float: repr, bool: _bool, type(None): lambda _v: "\\N"}


def _check_texts(texts) -> None:
    strings = []

    def walk(value):
        if isinstance(value, str):
            strings.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list | tuple):
            for v in value:
                walk(v)

    for name in dir(texts):
        if name.isupper():
            walk(getattr(texts, name))
    bad = [text for text in strings if any(ch in text for ch in "\t\n\r\\")]
    if bad:
        sys.exit(f"Texts with characters COPY would need escaped: {bad[:3]}")


class Table:
    """Rows of one table, buffered as COPY text."""

    def __init__(self, name, columns):
        self.name, self.columns = name, columns
        self.lines = []
        self.count = 0
        self.next_id = 1

    def add(self, *values) -> int:
        pk = self.next_id
        self.next_id += 1
        self.lines.append(str(pk) + "\t" + "\t".join([_FORMAT[type(v)](v) for v in values]))
        self.count += 1
        return pk

    def flush(self, writer) -> None:
        if self.lines:
            writer.put(self.name, self.columns, "\n".join(self.lines) + "\n")
            self.lines = []


class Writer:
    """COPYs chunks on its own connection in a thread, so that the database ingests one
    chunk while Python generates the next (the machine has two cores).

    The whole load is one transaction that starts by truncating the (empty) bulk tables,
    so every COPY can use FREEZE: the rows are written frozen and their pages marked
    all-visible, as a database that autovacuum has caught up with would have them. Without
    it the first reads after the load rewrite every page to set hint bits, and index-only
    scans stay off until a VACUUM.
    """

    def __init__(self, url: str, tables: list[str]):
        import queue
        import threading

        import psycopg

        self.conn = psycopg.connect(url)
        self.conn.execute("SET session_replication_role = replica")
        # CASCADE reaches only tables that reference these (attachments, audit rows), all
        # empty in a fresh database: load_cases refuses a database that has cases.
        self.conn.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
        self.queue = queue.Queue(maxsize=12)
        self.error = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def put(self, table, columns, text) -> None:
        if self.error:
            raise self.error
        self.queue.put((table, columns, text))

    def commit(self) -> None:
        """Mark a chunk boundary (the load commits once, at close)."""
        self.queue.put(None)

    def _run(self):
        try:
            with self.conn.cursor() as cursor:
                while True:
                    item = self.queue.get()
                    if item == "stop":
                        break
                    if item is None:
                        continue
                    table, columns, text = item
                    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FREEZE)"
                    with cursor.copy(statement) as copy:
                        data = text.encode()
                        for start in range(0, len(data), 1 << 22):
                            copy.write(data[start : start + (1 << 22)])
            self.conn.commit()
        except Exception as exc:  # noqa: BLE001 - handed to the main thread
            self.error = exc
            while True:  # drain, so the producer never blocks on a dead writer
                if self.queue.get() == "stop":
                    break

    def close(self) -> None:
        self.queue.put("stop")
        self.thread.join()
        self.conn.close()
        if self.error:
            raise self.error


def _json(data) -> str:
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("\\", "\\\\") if "\\" in text else text


_JSON_CACHE = {}


def J(key, data) -> str:
    """Event data serialised once per distinct key: most events repeat a few shapes."""
    text = _JSON_CACHE.get(key)
    if text is None:
        text = _JSON_CACHE[key] = _json(data)
    return text


def _ts(epoch: float | None) -> str | None:
    """An epoch second as a timestamptz literal (UTC)."""
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).isoformat(sep=" ")


class Clock:
    """Deadlines as the services compute them, cached by local day (they depend on no more)."""

    def __init__(self):
        from django.conf import settings
        from django.utils import timezone

        from gridgov.workdays.calendar import deadline_from

        self.deadline_from = deadline_from
        self.tz = timezone.get_default_timezone()
        self.tiers = settings.GRIDGOV_DEADLINE_TIERS
        self.cache = {}

    def offset(self, epoch: float) -> float:
        return datetime.fromtimestamp(epoch, self.tz).utcoffset().total_seconds()

    def after(self, epoch: float, amount: int, unit: str) -> tuple[float, tuple]:
        """(due epoch, warnings) of deadline_from(epoch, amount, unit)."""
        if unit == "hours":
            return epoch + amount * 3600.0, ()
        day = int((epoch + self.offset(epoch)) // 86400)
        key = (day, amount, unit)
        hit = self.cache.get(key)
        if hit is None:
            start = datetime.fromtimestamp(epoch, UTC)
            deadline = self.deadline_from(start, amount, unit)
            hit = self.cache[key] = (deadline.due_at.timestamp(), tuple(deadline.warnings))
        return hit


OPEN = {"received", "registered", "dispatched", "accepted", "handling", "replied", "verified"}


class Life:
    """One case moving through the loop: the state the services would hold, the rows they
    would write, and the deadline watch marking it overdue between steps."""

    def __init__(self, gen, case):
        self.gen, self.c = gen, case
        self.events = []  # (action, from, to, actor, role, unit, note, data, at)
        self.assignments = []  # dicts
        self.notifications = []  # (assignment index, action, message, at)
        self.extensions = []
        self.now = gen.end_epoch

    # The deadline watch, run "every minute": before the case leaves a state, a step
    # deadline that passed in it gets an overdue mark, once per case.
    def advance(self, t: float) -> bool:
        """Move the clock to t; False (and the case stops there) if t is past the present."""
        c = self.c
        limit = min(t, self.now)
        if c["overdue_at"] is None and c["status"] in OPEN:
            due = self.current_due()
            if due is not None and due + 30 < limit:
                at = max(due, self.last) + 30
                step = self.step_name()
                c["overdue_at"] = at
                c["supervision_count"] += 1
                c["version"] += 1
                local_due = datetime.fromtimestamp(due, self.gen.clock.tz)
                due_text = local_due.strftime("%Y-%m-%d %H:%M")
                label = self.gen.step_labels[step]
                note = T(
                    "The deadline for %(step)s (%(due)s) has passed.", step=label, due=due_text
                )
                self.events.append(
                    (
                        "overdue",
                        c["status"],
                        c["status"],
                        None,
                        "",
                        "",
                        note,
                        {"step": step, "due_at": local_due.isoformat()},
                        at,
                    )
                )
                self.events.append(
                    (
                        "supervise",
                        c["status"],
                        c["status"],
                        None,
                        "",
                        "",
                        T("Overdue: automatic supervision"),
                        {"automatic": True, "step": step},
                        at,
                    )
                )
                message = T(
                    "Case %(number)s is overdue: %(step)s was due by %(due)s. It is now under "
                    "supervision.",
                    number=c["number"],
                    step=label,
                    due=due_text,
                )
                for index, a in enumerate(self.assignments):
                    if a["state"] == "active":
                        self.notifications.append((index, "overdue", message, at))
                self.last = at
        if t > self.now:
            return False
        self.last = t
        return True

    def current_due(self):
        c, s = self.c, self.c["status"]
        if s == "dispatched":
            return c["accept_due_at"]
        if s in ("accepted", "handling"):
            return c["reply_due_at"]
        if s in ("replied", "verified"):
            return c["verify_due_at"] or c["due_at"]
        if s in ("received", "registered"):
            return c["due_at"]
        return None

    def step_name(self):
        s = self.c["status"]
        return {
            "dispatched": "accept",
            "accepted": "reply",
            "handling": "reply",
            "replied": "verify",
            "verified": "verify",
        }.get(s, "close")

    def event(self, action, to_status, actor, role, at, unit="", note="", data=None):
        c = self.c
        self.events.append(
            (action, c["status"], to_status, actor, role, unit, note, data or {}, at)
        )
        c["status"] = to_status
        c["version"] += 1
        c["updated_at"] = at


class Generator:
    def __init__(self, world: World, args, end: datetime):
        from gridgov.cases.models import Category
        from gridgov.demo import case_texts

        self.world = world
        self.rng = random.Random(args.seed)
        self.end_epoch = end.timestamp()
        self.start_epoch = (end - timedelta(days=365.25 * args.years)).timestamp()
        self.clock = Clock()
        self.texts = case_texts
        leaves = list(
            Category.objects.filter(is_active=True, children__isnull=True)
            .select_related("parent")
            .order_by("code")
        )
        # Zipf over the categories, ranked by the demo's hand-set weights: a few matters
        # (物业, 噪声, 乱停放) dominate any 12345 platform's statistics.
        leaves.sort(key=lambda c: (-case_texts.TEXTS.get(c.code, (1,))[0], c.code))
        self.categories = leaves
        self.category_weights = list(
            itertools.accumulate(1 / (rank + 1) ** 1.1 for rank in range(len(leaves)))
        )
        self.channel_cum = list(itertools.accumulate(share for _c, share in CHANNELS))
        # Some grids see far more cases than others (markets, old estates, main roads).
        grid_rng = np.random.default_rng(args.seed + 7)
        weights = grid_rng.lognormal(0, 1.0, len(world.grids))
        self.grid_cum = list(itertools.accumulate(weights.tolist()))
        self.district_of_street = {s.id: s.parent_id for s in world.streets}
        self.street_of_community = [c.parent_id for c in world.communities]
        self.community_ids = [c.id for c in world.communities]
        self.community_position = {pk: i for i, pk in enumerate(self.community_ids)}
        self.community_names = [c.name for c in world.communities]
        self.street_names = {s.id: s.name for s in world.streets}
        self.district_names = {d.id: d.name for d in world.districts}
        from gridgov.cases.deadlines import STEPS

        self.step_labels = {step.name: str(step.label) for step in STEPS}
        self.region_codes = {
            r.id: r.code for r in world.districts + world.streets + world.communities
        }
        self.usernames = world.usernames
        self.reporter_count = max(1, args.cases // 3)
        from gridgov.regions.choices import Level

        self.level_labels = {
            "street": str(Level.STREET.label),
            "community": str(Level.COMMUNITY.label),
        }

    # --- volume over time --------------------------------------------------------

    def days(self, cases: int):
        """(local day, cases received that day), oldest first: growth, days off, noise."""
        import chinese_calendar

        tz = self.clock.tz
        first = datetime.fromtimestamp(self.start_epoch, tz).date()
        last = datetime.fromtimestamp(self.end_epoch, tz).date()
        days, weights = [], []
        day = first
        while day <= last:
            years = (day - first).days / 365.25
            try:
                worked = chinese_calendar.is_workday(day)
            except NotImplementedError:
                worked = day.weekday() < 5
            weights.append((1 + GROWTH_PER_YEAR) ** years * (1 if worked else DAY_OFF_WEIGHT))
            days.append(day)
            day += timedelta(days=1)
        # The last day has only its hours up to the present.
        end_local = datetime.fromtimestamp(self.end_epoch, tz)
        weights[-1] *= (end_local.hour + end_local.minute / 60) / 24
        rng = np.random.default_rng(self.rng.randrange(2**32))
        noisy = np.asarray(weights) * rng.lognormal(0, 0.15, len(weights))
        counts = rng.multinomial(cases, noisy / noisy.sum())
        return list(zip(days, counts.tolist(), strict=True))

    def times_in_day(self, day: date, count: int, limit: float) -> list[float]:
        from gridgov.demo.cases import HOUR_WEIGHTS

        tz = self.clock.tz
        midnight = datetime(day.year, day.month, day.day, tzinfo=tz).timestamp()
        hours = self.rng.choices(range(24), weights=HOUR_WEIGHTS, k=count)
        times = sorted(min(midnight + (h + self.rng.random()) * 3600, limit - 1) for h in hours)
        return times

    # --- one case ---------------------------------------------------------------

    def case(self, number: str, received: float) -> Life:
        rng, world = self.rng, self.world
        channel = CHANNELS[bisect.bisect(self.channel_cum, rng.random() * self.channel_cum[-1])][0]
        category = self.categories[
            bisect.bisect(self.category_weights, rng.random() * self.category_weights[-1])
        ]
        grid_id, grid_path, lng, lat, community_index = world.grids[
            bisect.bisect(self.grid_cum, rng.random() * self.grid_cum[-1])
        ]
        community_id = self.community_ids[community_index]
        street_id = self.street_of_community[community_index]
        district_id = self.district_of_street[street_id]
        _weight, pairs, results = self.texts.TEXTS.get(category.code, (1, None, None))
        if pairs:
            title, description = rng.choice(pairs)
            result = rng.choice(results)
        else:
            title = f"{category.name}问题"
            description = f"{{place}}{category.admission_standard or category.name}，请尽快处理。"
            result = f"已处理：{category.closure_standard or '问题已解决'}。"
        place = f"{self.community_names[community_index]}{rng.choice(self.texts.SPOTS)}"
        description = description.format(place=place, days=rng.randint(2, 20))
        dispatcher = world.dispatcher[district_id]
        gridworker = world.grid_worker[community_id]
        public = channel in ("hotline", "web", "message_board", "walk_in", "api")
        creator = (
            None if channel == "web" else (gridworker if channel == "grid_patrol" else dispatcher)
        )
        creator_role = {None: "", gridworker: "grid_worker", dispatcher: "dispatcher"}[creator]
        reporter = None
        if channel != "grid_patrol":
            # Repeat callers: a few people report many times.
            reporter = 1 + int(self.reporter_count * rng.random() ** 2)
        urgency = category.default_urgency
        tier = self.clock.tiers[urgency]
        handle_due, warnings = self.clock.after(
            received, tier["handle_amount"], tier["handle_unit"]
        )
        c = {
            "number": number,
            "channel": channel,
            "case_type": "complaint"
            if rng.random() < 0.8
            else rng.choice(("help", "consultation", "suggestion")),
            "category_id": category.id,
            "urgency": urgency,
            "title": title,
            "description": description,
            "address": place,
            "lng": round(lng + (rng.random() - 0.5) * CELL_DEGREES * 0.3, 6),
            "lat": round(lat + (rng.random() - 0.5) * CELL_DEGREES * 0.3, 6),
            "datum": "gcj02",
            "region_id": grid_id,
            "region_path": grid_path,
            "reporter_id": reporter,
            "status": "received",
            "result": "",
            "solved": None,
            "satisfaction": "",
            "return_count": 0,
            "rework_count": 0,
            "reopen_count": 0,
            "supervision_count": 0,
            "extension_count": 0,
            "in_dispute": False,
            "accept_due_at": received + tier["accept_hours"] * 3600.0,
            "reply_due_at": handle_due,
            "verify_due_at": None,
            "due_at": handle_due + tier["verify_hours"] * 3600.0,
            "deadline_warning": " ".join(warnings)[:300],
            "overdue_at": None,
            "received_at": received,
            "registered_at": None,
            "dispatched_at": None,
            "accepted_at": None,
            "replied_at": None,
            "verified_at": None,
            "closed_at": None,
            "rated_at": None,
            "created_by_id": creator,
            "idempotency_key": None,
            "version": 1,
            "updated_at": received,
        }
        life = Life(self, c)
        life.last = received
        life.events.append(
            (
                "receive",
                "",
                "received",
                creator,
                creator_role,
                "",
                "",
                J(("receive", channel), {"channel": channel}),
                received,
            )
        )
        stall_at = rng.randrange(1, 9) if rng.random() < P_STALLED else 99
        self._run(
            life,
            category,
            tier,
            result,
            public,
            dispatcher,
            gridworker,
            community_id,
            street_id,
            district_id,
            stall_at,
        )
        return life

    def _run(
        self,
        life,
        category,
        tier,
        result,
        public,
        dispatcher,
        gridworker,
        community_id,
        street_id,
        district_id,
        stall_at,
    ):
        rng, c, world = self.rng, life.c, self.world
        hour = 3600.0
        t = c["received_at"]
        step = 0

        def go(dt) -> bool:
            nonlocal t, step
            step += 1
            if step >= stall_at:
                life.advance(life.now)
                return False
            t += dt
            return life.advance(t)

        # Quick fixes on the spot by the grid worker who found it (自行处置).
        if (
            c["channel"] == "grid_patrol"
            and (category.owner == "community" or category.code in SELF_HANDLE_CODES)
            and rng.random() < P_SELF * 2
        ):
            if not go(rng.uniform(0.1, 2) * hour):
                return
            life.assignments.append(
                dict(
                    department=None,
                    office=community_id,
                    role="lead",
                    state="active",
                    explanation="",
                    by=gridworker,
                    at=t,
                    accepted=t,
                )
            )
            c["registered_at"] = c["dispatched_at"] = c["accepted_at"] = c["replied_at"] = t
            c["result"] = result
            c["verify_due_at"] = t + tier["verify_hours"] * hour
            life.assignments[-1]["explanation"] = T(
                "Handled on the spot by grid worker %(user)s", user=self.usernames[gridworker]
            )
            life.event(
                "self-handle",
                "replied",
                gridworker,
                "grid_worker",
                t,
                unit=self._office_name(community_id),
                note=result,
            )
            self._verify_close_rate(life, tier, dispatcher, gridworker, go)
            return

        if public and rng.random() < P_REJECT:
            if go(rng.uniform(0.1, 3) * hour):
                life.event(
                    "reject",
                    "rejected",
                    dispatcher,
                    "dispatcher",
                    t,
                    note=rng.choice(self.texts.REJECT_REASONS),
                )
            return

        if not go(rng.uniform(0.05, 4) * hour):
            return
        c["registered_at"] = t
        life.event(
            "register",
            "registered",
            dispatcher,
            "dispatcher",
            t,
            data=J(
                ("register", category.code, c["urgency"]),
                {"category": category.code, "urgency": c["urgency"]},
            ),
        )

        returns = 0
        if rng.random() < P_RETURN:
            returns = 2 if rng.random() < P_SECOND_RETURN else 1
        override = None
        while True:
            if not go(rng.uniform(0.1, 5) * hour):
                return
            actor, role = dispatcher, "dispatcher"
            if c["in_dispute"]:
                actor, role = world.leader, "leader"
            unit = self._dispatch(
                life, category, tier, t, actor, role, community_id, street_id, district_id, override
            )
            if returns == 0:
                break
            # The unit sends it back: not theirs (退单).
            if rng.random() < 0.5:
                if not go(rng.uniform(0.5, 1) * tier["accept_hours"] * hour * 0.5):
                    return
                self._accept(life, unit, t)
            elif not go(rng.uniform(0.2, 0.9) * tier["accept_hours"] * hour):
                return
            returns -= 1
            a = life.assignments[-1]
            a["state"] = "returned"
            c["accepted_at"] = None
            c["return_count"] += 1
            life.event(
                "return",
                "registered",
                unit[0],
                unit[1],
                t,
                unit=unit[2],
                note=rng.choice(self.texts.RETURN_REASONS),
                data=J(("return", c["return_count"]), {"returns": c["return_count"]}),
            )
            if c["return_count"] >= 2 and not c["in_dispute"]:
                c["in_dispute"] = True
                note = T(
                    "Returned %(count)d times: the dispatcher's supervisor decides.",
                    count=c["return_count"],
                )
                life.events.append(
                    ("dispute", "registered", "registered", None, "", "", note, {}, t)
                )
            # The next dispatch goes elsewhere: the district government (兜底).
            override = ("office", district_id)

        # Acceptance.
        late = rng.random() < P_LATE_ACCEPT
        span = tier["accept_hours"] * hour
        delay = span * (rng.uniform(1.05, 3) if late else rng.betavariate(1.2, 4))
        if not go(delay):
            return
        self._accept(life, unit, t)
        if rng.random() < P_SUPERVISE:
            self._supervise(life, t + rng.uniform(0.1, 4) * hour, dispatcher)
            t = max(t, life.last)
        if not go(rng.uniform(0.02, 2) * hour):
            return
        life.event("handle", "handling", unit[0], unit[1], t, unit=unit[2])

        if rng.random() < P_EXTEND:
            if not go(rng.uniform(0.2, 0.6) * max(c["reply_due_at"] - t, hour)):
                return
            amount = rng.choice((3, 5, 7, 10))
            reason = rng.choice(self.texts.EXTEND_REASONS)
            ext = dict(by=unit[0], amount=amount, reason=reason, state="pending", at=t)
            life.extensions.append(ext)
            life.event(
                "extend",
                c["status"],
                unit[0],
                unit[1],
                t,
                unit=unit[2],
                note=reason,
                data=J(("extend", amount), {"amount": amount, "unit": "working_days"}),
            )
            if not go(rng.uniform(0.5, 24) * hour):
                return
            ext["decided_by"], ext["decided_at"] = dispatcher, t
            if rng.random() < P_EXTEND_APPROVED:
                ext["state"] = "approved"
                old = c["reply_due_at"]
                new, _w = self.clock.after(old, amount, "working_days")
                c["reply_due_at"] = new
                c["due_at"] = (c["due_at"] or old) + (new - old)
                c["extension_count"] += 1
                if c["overdue_at"] and new > t:
                    c["overdue_at"] = None
                life.event(
                    "approve-extension",
                    c["status"],
                    dispatcher,
                    "dispatcher",
                    t,
                    data={"from": self._iso(old), "to": self._iso(new)},
                )
            else:
                ext["state"] = "refused"
                life.event(
                    "refuse-extension",
                    c["status"],
                    dispatcher,
                    "dispatcher",
                    t,
                    note=rng.choice(self.texts.REFUSE_REASONS),
                )

        reworks = 1 if rng.random() < P_REWORK else 0
        while True:
            remaining = c["reply_due_at"] - t
            if rng.random() < P_LATE_REPLY or remaining <= 0:
                delay = max(remaining, 0) + rng.uniform(0.05, 6) * 86400
            else:
                delay = remaining * rng.betavariate(1.5, 2.5)
            if not go(delay):
                return
            c["result"] = result
            c["replied_at"] = t
            c["verify_due_at"] = t + tier["verify_hours"] * hour
            life.event("reply", "replied", unit[0], unit[1], t, unit=unit[2], note=result)
            if reworks == 0:
                break
            reworks -= 1
            if not go(rng.uniform(0.1, 0.6) * tier["verify_hours"] * hour):
                return
            c["rework_count"] += 1
            c["verify_due_at"] = None
            life.event(
                "rework",
                "handling",
                dispatcher,
                "dispatcher",
                t,
                note=rng.choice(self.texts.REWORK_REASONS),
                data=J(("rework", c["rework_count"]), {"reworks": c["rework_count"]}),
            )
        self._verify_close_rate(life, tier, dispatcher, gridworker, go)

    def _verify_close_rate(self, life, tier, dispatcher, gridworker, go):
        rng, c = self.rng, life.c
        hour = 3600.0
        span = tier["verify_hours"] * hour
        delay = span * (
            rng.uniform(1.05, 2) if rng.random() < P_LATE_VERIFY else rng.uniform(0.05, 0.7)
        )
        if not go(delay):
            return
        by_worker = rng.random() < 0.3
        c["verified_at"] = life.last
        life.event(
            "verify",
            "verified",
            gridworker if by_worker else dispatcher,
            "grid_worker" if by_worker else "dispatcher",
            life.last,
        )
        if not go(rng.uniform(0.05, 0.25) * span):
            return
        c["closed_at"] = life.last
        life.event("close", "closed", dispatcher, "dispatcher", life.last)
        if rng.random() >= P_RATED or not go(rng.uniform(2, 72) * hour):
            return
        late = c["closed_at"] > c["due_at"]
        solved = rng.random() < (0.7 if late else 0.88)
        r = rng.random()
        if not solved:
            satisfaction = "unsatisfied" if r < 0.7 else "basically_satisfied"
        else:
            satisfaction = (
                "satisfied" if r < 0.8 else ("basically_satisfied" if r < 0.96 else "unsatisfied")
            )
        c["solved"], c["satisfaction"], c["rated_at"] = solved, satisfaction, life.last
        comment = rng.choice(self.texts.RATE_COMMENTS if solved else self.texts.UNRESOLVED_COMMENTS)
        life.event(
            "rate",
            "rated",
            dispatcher,
            "dispatcher",
            life.last,
            note=comment,
            data=J(
                ("rate", solved, satisfaction), {"solved": solved, "satisfaction": satisfaction}
            ),
        )

    def _office_name(self, region_id):
        for names in (self.district_names, self.street_names):
            if region_id in names:
                return names[region_id]
        return self.community_names[self.community_position[region_id]]

    def _office_ref(self, region_id):
        return {"office": self.region_codes[region_id], "name": self._office_name(region_id)}

    def _iso(self, epoch):
        return datetime.fromtimestamp(epoch, self.clock.tz).isoformat()

    def _dispatch(
        self, life, category, tier, t, actor, role, community_id, street_id, district_id, override
    ):
        """Route as routing.suggest_unit would (no dispatch rules: the catalogue), or to the
        override; returns (handler user id, role, unit name)."""
        c, world = life.c, self.world
        for a in life.assignments:
            if a["state"] == "active":
                a["state"] = "ended"
        owner = category.owner
        department = None
        if owner == "department":
            short = category.department_short_name or (
                category.parent.department_short_name if category.parent else ""
            )
            department = world.departments.get((district_id, short))
        suggestion_office = None
        if department is not None:
            suggestion = T(
                "Catalogue: %(category)s belongs to %(department)s",
                category=category.name,
                department=department.name,
            )
            suggested = {"department": department.code, "name": department.name}
        elif owner in ("street", "community"):
            suggestion_office = street_id if owner == "street" else community_id
            suggestion = T(
                "Catalogue: %(category)s belongs to the %(level)s office",
                category=category.name,
                level=self.level_labels[owner],
            )
            suggested = self._office_ref(suggestion_office)
        else:
            suggestion_office = district_id
            suggestion = T("No rule matches: the district government answers for it (兜底)")
            suggested = self._office_ref(district_id)
        if override is not None:
            department, office = None, override[1]
            explanation = T(
                "Chosen by %(user)s over the suggestion (%(suggestion)s)",
                user=self.usernames[actor],
                suggestion=suggestion,
            )
        else:
            office = suggestion_office
            explanation = suggestion
        if department is not None:
            unit = (world.dept_handler[department.id], "department_handler", department.name)
            ref = {"department": department.code, "name": department.name}
        else:
            handler = (
                world.community_staff.get(office)
                or world.street_staff.get(office)
                or world.dispatcher.get(office)
            )
            role_name = (
                "community_staff"
                if office in world.community_staff
                else "street_staff"
                if office in world.street_staff
                else "dispatcher"
            )
            unit = (handler, role_name, self._office_name(office))
            ref = self._office_ref(office)
        life.assignments.append(
            dict(
                department=department.id if department else None,
                office=None if department else office,
                role="lead",
                state="active",
                explanation=explanation[:300],
                by=actor,
                at=t,
                accepted=None,
            )
        )
        message = T("New case dispatched to you: %(title)s", title=c["title"])
        life.notifications.append((len(life.assignments) - 1, "dispatch", message, t))
        c["dispatched_at"] = t
        c["accept_due_at"] = t + tier["accept_hours"] * 3600.0
        life.event(
            "dispatch",
            "dispatched",
            actor,
            role,
            t,
            unit=unit[2],
            data=J(
                ("dispatch", unit[2], explanation, suggested["name"]),
                {
                    "units": [ref],
                    "explanation": explanation,
                    "suggested": suggested,
                    "override": override is not None,
                    "rule": None,
                },
            ),
        )
        return unit

    def _accept(self, life, unit, t):
        life.assignments[-1]["accepted"] = t
        life.c["accepted_at"] = t
        life.event("accept", "accepted", unit[0], unit[1], t, unit=unit[2])

    def _supervise(self, life, at, dispatcher):
        """A leader or the dispatcher presses the units (督办)."""
        if at > life.now:
            return
        c = life.c
        leader = self.rng.random() < 0.3
        actor, role = (self.world.leader, "leader") if leader else (dispatcher, "dispatcher")
        reason = self.rng.choice(self.texts.SUPERVISE_REASONS)
        c["supervision_count"] += 1
        message = T("Case %(number)s is being pressed: %(note)s", number=c["number"], note=reason)
        for index, a in enumerate(life.assignments):
            if a["state"] == "active":
                life.notifications.append((index, "supervise", message, at))
        life.events.append(("supervise", c["status"], c["status"], actor, role, "", reason, {}, at))
        c["version"] += 1
        life.last = at


CASE_COLUMNS = [
    "id", "number", "channel", "case_type", "category_id", "urgency", "title", "description",
    "address", "lng", "lat", "datum", "region_id", "region_path", "reporter_id", "status",
    "master_id", "result", "solved", "satisfaction", "return_count", "rework_count",
    "reopen_count", "supervision_count", "extension_count", "in_dispute", "accept_due_at",
    "reply_due_at", "verify_due_at", "due_at", "deadline_warning", "overdue_at", "received_at",
    "registered_at", "dispatched_at", "accepted_at", "replied_at", "verified_at", "closed_at",
    "rated_at", "created_by_id", "idempotency_key", "version", "updated_at",
]  # fmt: skip
TIME_FIELDS = {
    "accept_due_at", "reply_due_at", "verify_due_at", "due_at", "overdue_at", "received_at",
    "registered_at", "dispatched_at", "accepted_at", "replied_at", "verified_at", "closed_at",
    "rated_at", "updated_at",
}  # fmt: skip
EVENT_COLUMNS = [
    "id",
    "case_id",
    "action",
    "from_status",
    "to_status",
    "actor_id",
    "actor_role",
    "unit",
    "note",
    "data",
    "created_at",
]
ASSIGNMENT_COLUMNS = [
    "id",
    "case_id",
    "department_id",
    "office_id",
    "role",
    "state",
    "rule_id",
    "explanation",
    "dispatched_by_id",
    "dispatched_at",
    "accepted_at",
    "summoned",
    "report_in_due_at",
    "reported_in_at",
    "response_rating",
]
NOTIFICATION_COLUMNS = [
    "id",
    "case_id",
    "department_id",
    "office_id",
    "user_id",
    "action",
    "message",
    "created_at",
    "read_at",
]
EXTENSION_COLUMNS = [
    "id",
    "case_id",
    "requested_by_id",
    "amount",
    "unit",
    "reason",
    "state",
    "decided_by_id",
    "decided_at",
    "created_at",
]
REPORTER_COLUMNS = ["id", "name", "phone", "user_id", "created_at"]
BULK_TABLES = [
    "cases_case", "cases_caseevent", "cases_assignment", "cases_notification",
    "cases_extensionrequest", "cases_reporter",
]  # fmt: skip


def _check_columns(cursor, table, columns):
    """Fail clearly if the table gained a required column this generator does not fill."""
    cursor.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
        "AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO'",
        [table],
    )
    missing = {row[0] for row in cursor.fetchall()} - set(columns)
    if missing:
        sys.exit(f"{table} has required columns this generator does not fill: {sorted(missing)}")


def _drop_secondary_indexes(cursor) -> list[str]:
    """Drop the plain (non-constraint) indexes of the bulk tables; return their definitions."""
    cursor.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(%s) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
        [BULK_TABLES],
    )
    rows = cursor.fetchall()
    for name, _definition in rows:
        cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _name, definition in rows]


def load_cases(world: World, args, end: datetime) -> dict:
    from django.db import connection, transaction
    from tqdm import tqdm

    gen = Generator(world, args, end)
    tables = {
        "cases": Table("cases_case", CASE_COLUMNS),
        "events": Table("cases_caseevent", EVENT_COLUMNS),
        "assignments": Table("cases_assignment", ASSIGNMENT_COLUMNS),
        "notifications": Table("cases_notification", NOTIFICATION_COLUMNS),
        "extensions": Table("cases_extensionrequest", EXTENSION_COLUMNS),
        "reporters": Table("cases_reporter", REPORTER_COLUMNS),
    }
    sequences = []
    _check_texts(gen.texts)
    with connection.cursor() as cursor:
        for table in tables.values():
            _check_columns(cursor, table.name, table.columns)
        # Rebuilt once at the end: cheaper than maintaining them row by row.
        indexes = _drop_secondary_indexes(cursor)
    writer = Writer(args.database_url, [table.name for table in tables.values()])

    # Reporters: a third as many as cases; callers come back.
    surnames, given = gen.texts.SURNAMES, gen.texts.GIVEN
    prefixes = gen.texts.MOBILE_PREFIXES
    start_ts = _ts(gen.start_epoch)
    rrng = random.Random(args.seed + 3)
    phones = rrng.sample(range(10**8), gen.reporter_count)
    for k in range(gen.reporter_count):
        name = rrng.choice(surnames) + "".join(rrng.choices(given, k=rrng.randint(1, 2)))
        phone = f"{prefixes[k % len(prefixes)]}{phones[k]:08d}"
        tables["reporters"].add(name, phone, None, start_ts)
        if len(tables["reporters"].lines) >= 100_000:
            tables["reporters"].flush(writer)
    tables["reporters"].flush(writer)
    writer.commit()

    progress = tqdm(total=args.cases, unit="case", unit_scale=True, mininterval=5)
    pending = 0
    for day, count in gen.days(args.cases):
        if not count:
            continue
        sequences.append((day, count))
        prefix = day.strftime("%Y%m%d")
        for seq, received in enumerate(gen.times_in_day(day, count, gen.end_epoch), start=1):
            life = gen.case(f"{prefix}-{seq:06d}", received)
            _emit(life, tables)
            pending += 1
            if pending >= args.chunk:
                for table in tables.values():
                    table.flush(writer)
                writer.commit()
                progress.update(pending)
                pending = 0
    for table in tables.values():
        table.flush(writer)
    writer.commit()
    writer.close()
    progress.update(pending)
    progress.close()

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        raw = cursor.cursor  # psycopg's own cursor, for COPY
        # The next intake on each day takes the number after the last one generated.
        cursor.execute("DELETE FROM cases_casenumbersequence")
        with raw.copy("COPY cases_casenumbersequence (day, last) FROM STDIN") as copy:
            for day, count in sequences:
                copy.write_row((day, count))
        for table in [t.name for t in tables.values()] + ["cases_casenumbersequence"]:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"GREATEST((SELECT max(id) FROM {table}), 1))"
            )
        t = time.monotonic()
        for definition in tqdm(indexes, desc="indexes", unit="index"):
            cursor.execute(definition)
        print(f"rebuilt {len(indexes)} indexes: {time.monotonic() - t:.1f} s")
    return {name: table.count for name, table in tables.items()}


def _emit(life: Life, tables) -> None:
    c = life.c
    row = []
    for key in CASE_COLUMNS[1:]:
        value = c.get(key)
        row.append(_ts(value) if key in TIME_FIELDS else value)
    case_id = tables["cases"].add(*row)
    events = tables["events"]
    for action, from_status, to_status, actor, role, unit, note, data, at in life.events:
        events.add(
            case_id,
            action,
            from_status,
            to_status,
            actor,
            role,
            unit[:100],
            note,
            data if type(data) is str else _json(data),
            _ts(at),
        )
    for a in life.assignments:
        tables["assignments"].add(
            case_id,
            a["department"],
            a["office"],
            a["role"],
            a["state"],
            None,
            a["explanation"],
            a["by"],
            _ts(a["at"]),
            _ts(a["accepted"]),
            False,
            None,
            None,
            "",
        )
    for index, action, message, at in life.notifications:
        a = life.assignments[index]
        tables["notifications"].add(
            case_id, a["department"], a["office"], None, action, message[:300], _ts(at), None
        )
    for e in life.extensions:
        tables["extensions"].add(
            case_id,
            e["by"],
            e["amount"],
            "working_days",
            e["reason"],
            e["state"],
            e.get("decided_by"),
            _ts(e.get("decided_at")),
            _ts(e["at"]),
        )


if __name__ == "__main__":
    main()
