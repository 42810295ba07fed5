"""Demo cases for 江州市: about 5,000 cases over the last 90 days, in every state.

Every case goes through the real services — `intake_case` and `perform` with back-dated
`at=` timestamps — so the demo's events, deadlines, assignments and counters are exactly
what the loop itself writes, and a screen or metric that works on the demo works on real
data. Nothing here writes a case row by hand.

How it is made, all from one seed:

1. Plans. Each case gets a receipt time (more on working days and in daytime), a channel
   (mostly the 12345 hotline), a grid and a random point inside it, a category, a title
   and description from the category's templates, a reporter, and a path through the
   loop: the plain one or one of the side paths (rejected, merged into an earlier case,
   handled on the spot by the grid worker, returned once or twice, sent back for rework,
   extension asked for, summoned, reopened), each in a fixed share. A few cases are
   chosen to stall at one status, so every status has cases and some are overdue.
2. A discrete-event simulation. Each case is a generator that yields its next step
   (time, actor, action, fields) once it has seen the case as the previous step left it,
   so delays follow the deadlines the services actually set. The steps of all cases run
   in time order, so a duplicate is merged into a master that exists, and numbers follow
   receipt times. Steps later than `now` are not taken: recent cases stop early.

It is idempotent (the cases carry idempotency keys starting with "demo-", and if any
exists nothing is done) and runs in one transaction, so an interrupted build leaves
nothing behind.
"""

import heapq
import math
import random
import time
from collections import Counter
from collections.abc import Generator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import shapely
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count
from django.http import Http404
from django.utils import timezone
from shapely.geometry import shape

from gridgov.accounts.choices import Role
from gridgov.accounts.models import Department, User
from gridgov.cases import services
from gridgov.cases.choices import AssignmentRole, AssignmentState, Owner, Status, Urgency
from gridgov.cases.models import Assignment, Case, Category
from gridgov.demo.case_texts import (
    AREA_CATEGORIES,
    ESTATE_CATEGORIES,
    EXTEND_REASONS,
    GIVEN,
    MOBILE_PREFIXES,
    RATE_COMMENTS,
    REFUSE_REASONS,
    REJECT_REASONS,
    REOPEN_REASONS,
    RETURN_REASONS,
    REWORK_REASONS,
    ROAD_CATEGORIES,
    ROADS,
    SPOTS,
    SUPERVISE_REASONS,
    SURNAMES,
    TEXTS,
    UNRESOLVED_COMMENTS,
)
from gridgov.demo.city import CITY_CODE, DEMO_PASSWORD
from gridgov.metrics import rollups
from gridgov.regions.choices import Level
from gridgov.regions.models import Region
from gridgov.workdays.calendar import package_is_workday

SEED = 20240602
KEY_PREFIX = "demo-"
PROGRESS_EVERY = 500

# --- shares -----------------------------------------------------------------------------

CHANNELS = [
    ("hotline", 52),
    ("grid_patrol", 22),
    ("web", 11),
    ("api", 5),
    ("message_board", 6),
    ("walk_in", 4),
]
# Side paths as shares of all cases. "self" comes from grid patrol alone; "reject" and
# "merge" from the public channels alone.
PATHS = {
    "self": 0.08,
    "reject": 0.03,
    "merge": 0.03,
    "return1": 0.05,
    "return2": 0.01,
    "rework": 0.04,
    "extend": 0.03,
    "summon": 0.01,
    "reopen": 0.01,
}
SUPERVISED = 0.03
# Share of cases placed in the demo community, so `gridworker` and `community` have a
# real pile of work; half of those fall in the grids `gridworker` patrols.
FOCUS_SHARE = 0.06
SOLVED = 0.85
RESIDENT_SHARE = 0.008  # web reports from the demo `resident` account
# Hour-of-day weights of receipts (0–23 h): a morning and an afternoon peak.
HOUR_WEIGHTS = [
    0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1.2, 2.5, 3.5, 3.6, 3.2,
    2.2, 2.5, 3.2, 3.3, 3.0, 2.6, 2.0, 1.8, 1.5, 1.1, 0.8, 0.5,
]  # fmt: skip
DAY_OFF_WEIGHT = 0.55  # receipts on a weekend or holiday, relative to a working day

# Stalled cases: where they stop → (youngest, oldest) age in hours. Old enough that the
# case is plausibly stuck, and for dispatched/accepted/handling old enough to be overdue.
# RETURNED: back with the dispatcher after a return; DISPUTED: returned twice, waiting for
# the dispatcher's supervisor.
RETURNED, DISPUTED = "returned", "disputed"
STALL_AGES = {
    Status.RECEIVED: (6, 72),
    Status.REGISTERED: (6, 72),
    Status.DISPATCHED: (30, 150),
    Status.ACCEPTED: (48, 480),
    Status.HANDLING: (72, 720),
    Status.REPLIED: (24, 150),
    Status.VERIFIED: (20, 100),
    Status.CLOSED: (48, 240),
    RETURNED: (6, 72),
    DISPUTED: (6, 96),
}
OPEN_WORK = (Status.DISPATCHED, Status.ACCEPTED, Status.HANDLING)

# Quick fixes a grid worker makes on the spot (现场处置), and matters a street summons
# departments for (吹哨报到): knotty, several departments' business.
SELF_HANDLE_CODES = ["E0102", "E0201", "E0404", "E0402", "C0302", "E0104"]
SUMMON_CODES = ["E0101", "E0302", "E0105", "E0401", "H0102", "E0301", "E0303"]
# Whom a dispatcher plausibly mistakes a department for (returned cases).
CONFUSED_WITH = {
    "城管": ["住建", "市场监管", "生态环境"],
    "住建": ["城管", "水务"],
    "水务": ["住建", "城管"],
    "公安": ["交通", "城管"],
    "交通": ["公安", "城管"],
    "市场监管": ["城管", "卫健"],
    "生态环境": ["城管", "住建"],
}

# --- the result -------------------------------------------------------------------------


@dataclass
class DemoCases:
    created: bool
    cases: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    paths: dict[str, int] = field(default_factory=dict)
    steps: int = 0
    accounts_created: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # "number action: message"
    seconds: float = 0.0


def demo_cases_exist() -> bool:
    return Case.objects.filter(idempotency_key__startswith=KEY_PREFIX).exists()


def build_demo_cases(
    count: int = 5000, days: int = 90, seed: int = SEED, now=None, stdout=None
) -> DemoCases:
    """Build `count` demo cases received over the last `days` days before `now`.

    Needs the demo city (build_demo_city). Does nothing if demo cases exist already.
    """

    def say(message: str) -> None:
        if stdout is not None:
            stdout.write(message if message.endswith("\n") else message + "\n")

    started = time.monotonic()
    now = now or timezone.now()
    with transaction.atomic():
        city = Region.objects.select_for_update().filter(code=CITY_CODE).first()
        if city is None:
            raise LookupError("The demo city is not there: build it first (build_demo_city).")
        # Checked under the city row's lock: two builds at once cannot both go ahead.
        if demo_cases_exist():
            return DemoCases(created=False, cases=_demo_cases().count())
        world = World(city, random.Random(f"{seed}-accounts"))
        plans = _Planner(world, random.Random(seed), count, days, now).plan()
        with rollups.deferred():
            result = _Simulation(world, plans, now, say).run()
    result.accounts_created = world.accounts_created
    result.paths = dict(Counter(plan.path for plan in plans))
    result.statuses = dict(_demo_cases().order_by().values_list("status").annotate(n=Count("id")))
    result.seconds = time.monotonic() - started
    return result


def _demo_cases():
    return Case.objects.filter(idempotency_key__startswith=KEY_PREFIX)


# --- the city as the generator needs it --------------------------------------------------


@dataclass
class Grid:
    region: Region
    community: Region
    street: Region
    district: Region
    geometry: shapely.Geometry
    inner: shapely.Geometry | None = None

    def random_point(self, rng: random.Random) -> tuple[float, float]:
        # A couple of metres inside the edge: a point rounded onto a shared edge would be
        # placed in the neighbouring grid, whose worker could not see it.
        if self.inner is None:
            inner = self.geometry.buffer(-2e-5)
            self.inner = inner if not inner.is_empty else self.geometry
        minx, miny, maxx, maxy = self.inner.bounds
        for _try in range(100):
            x, y = round(rng.uniform(minx, maxx), 6), round(rng.uniform(miny, maxy), 6)
            if shapely.contains_xy(self.inner, x, y):
                return x, y
        point = self.inner.representative_point()
        return round(point.x, 6), round(point.y, 6)


class World:
    """The demo city's regions, departments and the people who work its cases.

    The eight demo accounts act where they fit (dispatcher, dept, street, community,
    gridworker…); every other unit that gets cases gets an account of its own, with the
    demo password, named after its code: dispatcher-990102, dept-990102-cg, street-990101002,
    community-990101002003, gridworker-990101002003.
    """

    def __init__(self, city: Region, rng: random.Random):
        self.city = city
        self.rng = rng
        regions = list(
            Region.objects.subtree(city)
            .filter(level__in=[Level.DISTRICT, Level.STREET, Level.COMMUNITY, Level.GRID])
            .order_by("code")
        )
        by_id = {region.pk: region for region in regions}
        self.districts = [r for r in regions if r.level == Level.DISTRICT]
        self.streets = [r for r in regions if r.level == Level.STREET]
        self.communities = [r for r in regions if r.level == Level.COMMUNITY]
        self.grids = []
        for region in regions:
            if region.level != Level.GRID or not region.boundary:
                continue
            community = by_id[region.parent_id]
            street = by_id[community.parent_id]
            self.grids.append(
                Grid(region, community, street, by_id[street.parent_id], shape(region.boundary))
            )
        self.grid_by_id = {grid.region.pk: grid for grid in self.grids}
        self.departments = {
            (department.region_id, department.short_name): department
            for department in Department.objects.filter(
                is_active=True, region__in=self.districts
            ).order_by("code")
        }
        # Normal times: the emergency-help categories are taken in only in emergency mode.
        self.categories = {
            category.code: category
            for category in Category.objects.filter(
                is_active=True, children__isnull=True, emergency_only=False
            )
        }
        self.accounts_created: list[str] = []
        self._people()

    def department_for(self, category: Category, district: Region) -> Department | None:
        if category.owner != Owner.DEPARTMENT:
            return None
        return self.departments.get((district.pk, category.department_short_name))

    def district_departments(self, district: Region) -> list[Department]:
        return [d for (region_id, _name), d in self.departments.items() if region_id == district.pk]

    # --- accounts ---------------------------------------------------------------------------

    def _people(self) -> None:
        users = {user.username: user for user in User.objects.select_related("department")}
        self._hash = None
        pending: list[User] = []

        def person(preferred, fallback, role, region=None, department=None) -> User:
            """The named demo account if it acts for this unit, else one made for it."""
            for username in (preferred, fallback):
                user = users.get(username) if username else None
                if (
                    user is not None
                    and user.role == role
                    and user.region_id == (region.pk if region else None)
                    and user.department_id == (department.pk if department else None)
                ):
                    return user
            if fallback in users:
                raise RuntimeError(f"{fallback} exists but acts for something else.")
            user = User(
                username=fallback,
                password=self._password(),
                role=role,
                region=region,
                department=department,
                display_name=self.name(),
            )
            users[fallback] = user
            pending.append(user)
            return user

        main = self.districts[0]
        self.leader = person("leader", "leader-" + self.city.code[:4], Role.LEADER, self.city)
        self.dispatchers = {
            d.pk: person(
                "dispatcher" if d == main else None,
                f"dispatcher-{d.code[:6]}",
                Role.DISPATCHER,
                d,
            )
            for d in self.districts
        }
        dept = users.get("dept")
        # `dept` and `gridworker` get piles of work: they are the demo's first screens.
        self.focus_department = (
            dept.department if dept and dept.role == Role.DEPARTMENT_HANDLER else None
        )
        demo_department = self.focus_department.pk if self.focus_department else None
        self.handlers = {
            d.pk: person(
                "dept" if d.pk == demo_department else None,
                f"dept-{d.code}",
                Role.DEPARTMENT_HANDLER,
                department=d,
            )
            for d in self.departments.values()
        }
        demo_street = users["street"].region_id if "street" in users else None
        self.street_staff = {
            s.pk: person(
                "street" if s.pk == demo_street else None,
                f"street-{s.code[:9]}",
                Role.STREET_STAFF,
                s,
            )
            for s in self.streets
        }
        demo_community = users["community"].region_id if "community" in users else None
        self.community_staff = {
            c.pk: person(
                "community" if c.pk == demo_community else None,
                f"community-{c.code}",
                Role.COMMUNITY_STAFF,
                c,
            )
            for c in self.communities
        }
        resident = users.get("resident")
        self.resident = resident if resident and resident.role == Role.RESIDENT else None
        street = users.get("street")
        self.focus_street = street.region if street and street.role == Role.STREET_STAFF else None
        gridworker = users.get("gridworker")
        self.focus_community = (
            gridworker.region if gridworker and gridworker.role == Role.GRID_WORKER else None
        )
        self.focus_grids = (
            set(gridworker.grids.values_list("pk", flat=True)) if self.focus_community else set()
        )
        User.objects.bulk_create(pending)
        self.accounts_created = [user.username for user in pending]

        # Who patrols which grid; a community without any grid worker gets one for all
        # of its grids (一格一员 in the demo community, one per community elsewhere).
        Patrol = User.grids.through
        self.workers: dict[int, User] = {}
        community_worker: dict[int, User] = {}
        workers = {u.pk: u for u in User.objects.filter(role=Role.GRID_WORKER)}
        for user_id, region_id in (
            Patrol.objects.filter(user__in=list(workers))
            .values_list("user_id", "region_id")
            .order_by("user_id", "region_id")
        ):
            self.workers.setdefault(region_id, workers[user_id])
        for user in sorted(workers.values(), key=lambda u: u.username):
            community_worker.setdefault(user.region_id, user)
        links, new_workers = [], []
        for community in self.communities:
            worker = community_worker.get(community.pk)
            if worker is None:
                worker = User(
                    username=f"gridworker-{community.code}",
                    password=self._password(),
                    role=Role.GRID_WORKER,
                    region=community,
                    display_name=self.name(),
                )
                new_workers.append(worker)
                community_worker[community.pk] = worker
        User.objects.bulk_create(new_workers)
        self.accounts_created += [user.username for user in new_workers]
        for grid in self.grids:
            worker = self.workers.get(grid.region.pk)
            if worker is None:
                worker = community_worker[grid.community.pk]
                self.workers[grid.region.pk] = worker
                if worker in new_workers:
                    links.append(Patrol(user_id=worker.pk, region_id=grid.region.pk))
        Patrol.objects.bulk_create(links)

    def _password(self) -> str:
        # One slow hash for every account: the demo password is published anyway.
        if self._hash is None:
            self._hash = make_password(DEMO_PASSWORD)
        return self._hash

    def name(self, rng: random.Random | None = None) -> str:
        rng = rng or self.rng
        surname = SURNAMES[min(int(rng.expovariate(1 / 12)), len(SURNAMES) - 1)]
        given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
        return surname + given

    def worker(self, grid: Grid) -> User:
        return self.workers[grid.region.pk]


# --- plans ------------------------------------------------------------------------------


@dataclass
class _Plan:
    index: int
    received_at: datetime
    channel: str
    path: str = "normal"
    category: Category | None = None
    grid: Grid | None = None
    case_type: str = "complaint"
    point: tuple[float, float] = (0.0, 0.0)
    title: str = ""
    description: str = ""
    address: str = ""
    reporter: tuple[str, str] | None = None
    resident: bool = False
    supervised: bool = False
    stall: str | None = None
    master: "_Plan | None" = None
    wrong: list[Department] = field(default_factory=list)
    number: str | None = None


class _Planner:
    def __init__(self, world: World, rng: random.Random, count: int, days: int, now: datetime):
        self.world, self.rng, self.count, self.now = world, rng, count, now
        tz = timezone.get_default_timezone()
        today = timezone.localtime(now, tz).date()
        self.day_starts = []
        self.day_weights = []
        for back in range(days):
            day = today - timedelta(days=back)
            self.day_starts.append(datetime(day.year, day.month, day.day, tzinfo=tz))
            self.day_weights.append(1.0 if package_is_workday(day) else DAY_OFF_WEIGHT)
        self.by_kind: dict[str, list[Category]] = {}
        for code in sorted(world.categories):
            category = world.categories[code]
            self.by_kind.setdefault(category.kind, []).append(category)

    def plan(self) -> list["_Plan"]:
        rng = self.rng
        channels, weights = zip(*CHANNELS, strict=True)
        plans = [
            _Plan(index, self._received_at(), rng.choices(channels, weights)[0])
            for index in range(self.count)
        ]
        for plan in plans:
            if plan.channel == "grid_patrol":
                # Patrols are walked in working hours.
                start = plan.received_at.replace(hour=0, minute=0, second=0, microsecond=0)
                plan.received_at = start + timedelta(minutes=rng.uniform(8.5 * 60, 17.5 * 60))
                if plan.received_at >= self.now:
                    plan.received_at = self.now - timedelta(minutes=rng.uniform(5, 60))
        self._assign_paths(plans)
        reporters = self._reporters()
        for plan in plans:
            self._fill(plan, reporters)
        self._merge_masters(plans)
        if self.world.resident is not None:
            web = [p for p in plans if p.channel == "web" and p.path != "merge"]
            for plan in rng.sample(web, min(len(web), max(2, round(RESIDENT_SHARE * len(plans))))):
                plan.resident = True
        self._stalls(plans)
        supervisable = [p for p in plans if p.path not in {"self", "reject", "merge", "summon"}]
        for plan in rng.sample(
            supervisable, min(len(supervisable), round(SUPERVISED * len(plans)))
        ):
            plan.supervised = True
        # The simulation pushes plans in this order, which only breaks ties in time.
        return sorted(plans, key=lambda p: (p.received_at, p.index))

    def _received_at(self) -> datetime:
        rng = self.rng
        while True:
            day = rng.choices(self.day_starts, self.day_weights)[0]
            hour = rng.choices(range(24), HOUR_WEIGHTS)[0]
            moment = day + timedelta(hours=hour, seconds=rng.uniform(0, 3600))
            moment = moment.replace(microsecond=0)
            if moment < self.now - timedelta(minutes=2):
                return moment

    def _assign_paths(self, plans: list[_Plan]) -> None:
        rng, n = self.rng, len(plans)
        patrol = [p for p in plans if p.channel == "grid_patrol"]
        public = [p for p in plans if p.channel != "grid_patrol"]
        for plan in rng.sample(patrol, min(len(patrol), round(PATHS["self"] * n))):
            plan.path = "self"
        for path in ("reject", "merge"):
            free = [p for p in public if p.path == "normal"]
            for plan in rng.sample(free, min(len(free), round(PATHS[path] * n))):
                plan.path = path
        for path in ("return1", "return2", "rework", "extend", "summon", "reopen"):
            free = [p for p in plans if p.path == "normal"]
            for plan in rng.sample(free, min(len(free), max(1, round(PATHS[path] * n)))):
                plan.path = path

    def _reporters(self) -> list[tuple[str, str]]:
        rng, phones, people = self.rng, set(), []
        while len(people) < max(10, int(self.count * 0.75)):
            phone = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
            if phone not in phones:
                phones.add(phone)
                people.append((self.world.name(rng), phone))
        return people

    def _category(self, plan: _Plan) -> Category:
        rng, world = self.rng, self.world
        if plan.path == "self":
            codes = [c for c in SELF_HANDLE_CODES if c in world.categories]
            return world.categories[rng.choice(codes)]
        if plan.path == "summon":
            codes = [c for c in SUMMON_CODES if c in world.categories]
            return world.categories[rng.choice(codes)]
        if plan.channel == "grid_patrol":
            kinds = [("component", 35), ("event", 65)]
        elif plan.channel in {"hotline", "walk_in"}:
            kinds = [("hotline", 55), ("event", 40), ("component", 5)]
        else:
            kinds = [("event", 50), ("hotline", 38), ("component", 12)]
        kinds = [(kind, weight) for kind, weight in kinds if self.by_kind.get(kind)]
        kind = rng.choices([k for k, _w in kinds], [w for _k, w in kinds])[0]
        candidates = self.by_kind[kind]
        if plan.path in {"return1", "return2", "extend"}:
            # A wrong department or a long job: matters that belong to a department.
            owned = [c for c in candidates if c.owner == Owner.DEPARTMENT]
            candidates = owned or candidates
        weights = [TEXTS.get(c.code, (2,))[0] for c in candidates]
        return rng.choices(candidates, weights)[0]

    def _grid(self, plan: _Plan) -> Grid:
        rng, world = self.rng, self.world
        if world.focus_community is not None and rng.random() < FOCUS_SHARE:
            mine = [g for g in world.grids if g.region.pk in world.focus_grids]
            theirs = [g for g in world.grids if g.community.pk == world.focus_community.pk]
            pool = mine if mine and rng.random() < 0.5 else theirs
            if pool:
                return rng.choice(pool)
        return rng.choice(world.grids)

    def _fill(self, plan: _Plan, reporters) -> None:
        rng = self.rng
        plan.category = self._category(plan)
        plan.grid = self._grid(plan)
        plan.point = plan.grid.random_point(rng)
        plan.case_type = self._case_type(plan.category)
        place = self._place(plan.grid, plan.category)
        plan.title, detail = rng.choice(_texts(plan.category)[1])
        plan.description = detail.format(place=place, days=rng.randint(2, 7))
        plan.address = place
        if plan.path in {"return1", "return2"}:
            plan.wrong = self._wrong_departments(plan, int(plan.path[-1]))
            if not plan.wrong:
                plan.path = "normal"
        if plan.channel == "grid_patrol":
            return  # reported by the grid worker: no reporter to call back
        plan.reporter = rng.choice(reporters)

    def _case_type(self, category: Category) -> str:
        rng = self.rng
        if category.code in {"H0202", "H0301", "H0801", "H0102"}:
            return rng.choices(["consultation", "help", "complaint"], [50, 30, 20])[0]
        if category.kind == "hotline":
            return rng.choices(
                ["complaint", "help", "consultation", "suggestion"], [70, 12, 10, 8]
            )[0]
        return rng.choices(["complaint", "suggestion"], [95, 5])[0]

    def _place(self, grid: Grid, category: Category) -> str:
        rng = self.rng
        community = grid.community.name
        if category.code in AREA_CATEGORIES:
            return community
        form = rng.random()
        if category.code in ROAD_CATEGORIES:
            form = 1.0
        elif category.code in ESTATE_CATEGORIES:
            form *= 0.75
        if form < 0.45:
            return f"{community}{rng.randint(1, 24)}号楼"
        if form < 0.75:
            return f"{community}{rng.choice(SPOTS)}"
        road, other = rng.sample(ROADS, 2)
        return rng.choice(
            [f"{road}与{other}交叉口", f"{road}{rng.randint(1, 300)}号", f"{road}路边"]
        )

    def _wrong_departments(self, plan: _Plan, count: int) -> list[Department]:
        right = self.world.department_for(plan.category, plan.grid.district)
        if right is None:
            return []
        others = [d for d in self.world.district_departments(plan.grid.district) if d != right]
        likely = [d for d in others if d.short_name in CONFUSED_WITH.get(right.short_name, [])]
        pool = likely if len(likely) >= count else others
        return self.rng.sample(pool, count) if len(pool) >= count else []

    def _merge_masters(self, plans: list[_Plan]) -> None:
        """A duplicate is a second report of an earlier case: same place, same matter."""
        rng = self.rng
        masters = sorted(
            (p for p in plans if p.path not in {"reject", "merge", "self"}),
            key=lambda p: p.received_at,
        )
        for plan in (p for p in plans if p.path == "merge"):
            candidates = [m for m in masters if m.received_at < self.now - timedelta(hours=1)]
            if not candidates:
                plan.path = "normal"
                continue
            master = rng.choice(candidates)
            room = (self.now - master.received_at).total_seconds() / 3600
            plan.received_at = master.received_at + timedelta(
                hours=min(rng.uniform(0.3, 36), room * 0.8)
            )
            plan.received_at = plan.received_at.replace(microsecond=0)
            plan.master, plan.category, plan.grid = master, master.category, master.grid
            plan.point = plan.grid.random_point(rng)
            plan.title, plan.address = master.title, master.address
            # The second caller tells it in their own words, or much the same ones.
            _title, detail = rng.choice(_texts(plan.category)[1])
            plan.description = detail.format(place=master.address, days=rng.randint(2, 7))
            plan.channel = rng.choice(["hotline", "hotline", "web", "message_board"])

    def _stalls(self, plans: list[_Plan]) -> None:
        """Cases left at one status: one set for every open status, and extra piles for the
        demo accounts' first screens (work for `dept`, `community` and `street`, replied
        cases for `gridworker` to verify)."""
        rng, world = self.rng, self.world
        taken: set[int] = set()

        def stall(candidates: list[_Plan], status: str, how_many: int, path="normal") -> None:
            youngest, oldest = STALL_AGES[status]
            free = [p for p in candidates if p.path == path and p.index not in taken]
            if status == Status.CLOSED:
                free = [p for p in free if p.reporter]  # left unrated: the call-back is due
            if status in {Status.RECEIVED, Status.REGISTERED}:
                free = [p for p in free if p.channel != "grid_patrol"]

            def age(plan: _Plan) -> float:
                return (self.now - plan.received_at).total_seconds() / 3600

            inside = [p for p in free if youngest <= age(p) <= oldest]
            picked = rng.sample(inside, min(how_many, len(inside)))
            # A small build may have too few inside the window: then older ones first, as
            # a case too young never gets as far as the status.
            older = sorted((p for p in free if age(p) > oldest), key=age)
            younger = sorted((p for p in free if age(p) < youngest), key=age, reverse=True)
            picked += (older + younger)[: how_many - len(picked)]
            for plan in picked:
                plan.stall = status
                taken.add(plan.index)

        n = len(plans)
        for status in STALL_AGES:
            if status == RETURNED:
                stall(plans, status, max(1, round(n * 0.001)), path="return1")
            elif status == DISPUTED:
                stall(plans, status, max(1, round(n * 0.0006)), path="return2")
            else:
                stall(plans, status, max(1, round(n * 0.0025)))
        pile = max(3, round(n * 0.004))
        if world.focus_community is not None:
            here = [p for p in plans if p.grid.community.pk == world.focus_community.pk]
            stall(here, Status.REPLIED, pile)
            ours = [p for p in here if p.category.owner == Owner.COMMUNITY]
            for status in OPEN_WORK:
                stall(ours, status, max(1, pile // 6))
        if world.focus_street is not None:
            ours = [
                p
                for p in plans
                if p.grid.street.pk == world.focus_street.pk and p.category.owner == Owner.STREET
            ]
            for status in OPEN_WORK:
                stall(ours, status, max(1, pile // 6))
        if world.focus_department is not None:
            ours = [
                p
                for p in plans
                if world.department_for(p.category, p.grid.district) == world.focus_department
            ]
            for status in OPEN_WORK:
                stall(ours, status, pile // 3 + 1)


def _halts(plan: _Plan, case: Case) -> bool:
    """Whether a stalling case has got where it stops."""
    if plan.stall == RETURNED:
        return case.status == Status.REGISTERED and case.return_count > 0 and not case.in_dispute
    if plan.stall == DISPUTED:
        return case.status == Status.REGISTERED and case.in_dispute
    return case.status == plan.stall


def _texts(category: Category) -> tuple[int, list[tuple[str, str]], list[str]]:
    """(weight, [(title, description)…], results) for a category: its own words, or plain
    ones made from its name and standards for a category added after this was written."""
    if category.code in TEXTS:
        return TEXTS[category.code]
    detail = f"{{place}}{category.admission_standard or category.name}，请尽快处理。"
    return (
        2,
        [(f"{category.name}问题", detail), (f"反映{category.name}", detail)],
        [f"已处理：{category.closure_standard or '问题已解决'}。"],
    )


# --- the simulation ---------------------------------------------------------------------


@dataclass
class _Step:
    at: datetime
    actor: User | None
    action: str  # "intake" or a perform action
    data: dict


INTAKE = "intake"
_Lifecycle = Generator[_Step, Case, None]


class _Simulation:
    def __init__(self, world: World, plans: list[_Plan], now: datetime, say):
        self.world, self.plans, self.now, self.say = world, plans, now, say
        self.result = DemoCases(created=True)
        self._started = time.monotonic()

    def run(self) -> DemoCases:
        queue: list = []
        order = 0
        for plan in self.plans:
            life = self._life(plan)
            step = next(life)
            heapq.heappush(queue, (step.at, order, plan, life, step))
            order += 1
        taken_in = 0
        while queue:
            _at, _order, plan, life, step = heapq.heappop(queue)
            try:
                case = self._take(plan, step)
            except (services.CaseError, Http404) as exc:
                message = getattr(exc, "message", "") or type(exc).__name__
                errors = getattr(exc, "errors", None)
                self.result.failures.append(
                    f"{plan.number or plan.index} {step.action}: {message} {errors or ''}".strip()
                )
                continue
            self.result.steps += 1
            if step.action == INTAKE:
                taken_in += 1
                if taken_in % PROGRESS_EVERY == 0 or taken_in == len(self.plans):
                    self.say(
                        f"  {taken_in:,} / {len(self.plans):,} cases taken in "
                        f"({time.monotonic() - self._started:.0f} s)"
                    )
            if _halts(plan, case):
                continue
            try:
                step = life.send(case)
            except StopIteration:
                continue
            if step.at > self.now:
                continue  # not yet: the case waits at this step
            heapq.heappush(queue, (step.at, order, plan, life, step))
            order += 1
        self.result.cases = taken_in
        return self.result

    def _take(self, plan: _Plan, step: _Step) -> Case:
        if step.action == INTAKE:
            result = services.intake_case(
                step.actor, step.data, idempotency_key=f"{KEY_PREFIX}{plan.index}", at=step.at
            )
            plan.number = result.case.number
            return result.case
        return services.perform(step.actor, plan.number, step.action, step.data, at=step.at)

    # --- one case's life: yields its steps, receives the case after each ------------------

    def _life(self, plan: _Plan) -> _Lifecycle:
        world = self.world
        rng = random.Random(f"{plan.index}-{plan.received_at.isoformat()}")
        grid = plan.grid
        dispatcher = world.dispatchers[grid.district.pk]
        clock = _Clock(
            plan.received_at, rng, plan.category.default_urgency, hurry=plan.stall is not None
        )

        data = {
            "channel": plan.channel,
            "case_type": plan.case_type,
            "title": plan.title,
            "description": plan.description,
            "address": plan.address,
            "lng": plan.point[0],
            "lat": plan.point[1],
            "datum": "gcj02",
        }
        if plan.channel in {"hotline", "walk_in", "grid_patrol"}:
            data["category"] = plan.category.code  # classified by whoever takes it in
        if plan.reporter:
            data["reporter_name"], data["reporter_phone"] = plan.reporter
        if plan.channel == "grid_patrol":
            actor = world.worker(grid)
        elif plan.resident:
            # Signed in: the services take the reporter from the account.
            actor = world.resident
            data.pop("reporter_name", None)
            data.pop("reporter_phone", None)
        elif plan.channel in {"hotline", "walk_in", "message_board"}:
            actor = dispatcher
        else:
            actor = None  # the public report page or a partner's API
        case = yield _Step(plan.received_at, actor, INTAKE, data)

        if plan.path == "self":
            worker = world.worker(grid)
            result = rng.choice(_texts(plan.category)[2])
            case = yield _Step(
                clock.after(5, 40),
                worker,
                "self-handle",
                {"category": plan.category.code, "result": "现场处置：" + result},
            )
            yield from self._verify_and_close(plan, case, clock, rng, verifier=dispatcher)
            return
        if plan.path == "reject":
            yield _Step(
                clock.pace(10, 240), dispatcher, "reject", {"reason": rng.choice(REJECT_REASONS)}
            )
            return
        if plan.path == "merge":
            if rng.random() < 0.3:
                case = yield self._register(plan, clock, dispatcher)
            yield _Step(
                clock.pace(10, 180),
                dispatcher,
                "merge",
                {"master": plan.master.number, "note": f"与{plan.master.number}反映同一问题"},
            )
            return

        case = yield self._register(plan, clock, dispatcher)
        if plan.path == "summon":
            yield from self._summon(plan, case, clock, rng)
            return
        for wrong in plan.wrong:
            case = yield _Step(
                clock.pace(5, 120), dispatcher, "dispatch", {"departments": [wrong.code]}
            )
            handler = world.handlers[wrong.pk]
            if rng.random() < 0.3:
                case = yield _Step(clock.accept(case), handler, "accept", {})
            case = yield _Step(
                clock.office(clock.after(30, 600)),
                handler,
                "return",
                {"reason": rng.choice(RETURN_REASONS)},
            )
        # A case returned twice is the dispatcher's supervisor's to dispatch.
        chooser = world.leader if case.in_dispute else dispatcher
        case = yield _Step(clock.pace(5, 180), chooser, "dispatch", {})
        unit = self._unit_actor(case)
        yield from self._work(plan, case, clock, rng, unit, dispatcher)

    def _register(self, plan: _Plan, clock: "_Clock", dispatcher: User) -> _Step:
        return _Step(clock.pace(10, 240), dispatcher, "register", {"category": plan.category.code})

    def _work(self, plan, case, clock, rng, unit: User, dispatcher: User) -> _Lifecycle:
        """From dispatched to rated: accept, handle, reply, verify, close, rate."""
        world = self.world
        case = yield _Step(clock.accept(case), unit, "accept", {})
        handle_at = clock.after(2, 30) if clock.urgent else clock.office(clock.after(10, 600))
        case = yield _Step(handle_at, unit, "handle", {})
        if plan.path == "extend":
            case = yield _Step(
                clock.office(clock.within(case.reply_due_at, 0.3, 0.8)),
                unit,
                "extend",
                {
                    "amount": rng.choice([3, 5, 5, 7, 10]),
                    "unit": "working_days",
                    "reason": rng.choice(EXTEND_REASONS),
                },
            )
            if rng.random() < 0.7:
                case = yield _Step(
                    clock.office(clock.after(30, 24 * 60)),
                    dispatcher,
                    "approve-extension",
                    {"note": "同意延期"},
                )
            else:
                case = yield _Step(
                    clock.office(clock.after(30, 24 * 60)),
                    dispatcher,
                    "refuse-extension",
                    {"reason": rng.choice(REFUSE_REASONS)},
                )
        if plan.supervised:
            who = rng.choice([world.leader, dispatcher, world.street_staff[plan.grid.street.pk]])
            case = yield _Step(
                clock.office(clock.within(case.reply_due_at, 0.5, 0.9)),
                who,
                "supervise",
                {"reason": rng.choice(SUPERVISE_REASONS)},
            )
        results = _texts(plan.category)[2]
        case = yield _Step(clock.reply(case), unit, "reply", {"result": rng.choice(results)})
        if plan.path == "rework":
            verifier = self._verifier(plan, dispatcher, rng)
            case = yield _Step(
                clock.verify(case), verifier, "rework", {"reason": rng.choice(REWORK_REASONS)}
            )
            case = yield _Step(
                clock.office(clock.after(3 * 60, 3 * 24 * 60)),
                unit,
                "reply",
                {"result": "已按要求重新处置：" + rng.choice(results)},
            )
        case = yield from self._verify_and_close(plan, case, clock, rng, dispatcher=dispatcher)
        if plan.path == "reopen" and case.status == Status.RATED:
            case = yield _Step(
                clock.office(clock.after(60, 24 * 60)),
                dispatcher,
                "reopen",
                {"reason": rng.choice(REOPEN_REASONS)},
            )
            case = yield _Step(
                clock.office(clock.after(4 * 60, 4 * 24 * 60)),
                unit,
                "reply",
                {"result": "重新处置：" + rng.choice(results)},
            )
            yield from self._verify_and_close(
                plan, case, clock, rng, dispatcher=dispatcher, second_round=True
            )

    def _verify_and_close(
        self, plan, case, clock, rng, verifier=None, dispatcher=None, second_round=False
    ) -> Generator[_Step, Case, Case]:
        dispatcher = dispatcher or self.world.dispatchers[plan.grid.district.pk]
        verifier = verifier or self._verifier(plan, dispatcher, rng)
        case = yield _Step(
            clock.verify(case), verifier, "verify", {"note": "现场核查属实，已处置到位"}
        )
        case = yield _Step(clock.office(clock.after(10, 8 * 60)), dispatcher, "close", {})
        if not plan.reporter:
            return case  # nobody to call back
        rater = self.world.resident if plan.resident else dispatcher
        # A case on its way to being reopened is rated unsolved the first time round.
        solved = rng.random() < SOLVED and (plan.path != "reopen" or second_round)
        if solved:
            satisfaction = rng.choices(
                ["satisfied", "basically_satisfied", "unsatisfied"], [80, 17, 3]
            )[0]
            comment = rng.choice(RATE_COMMENTS)
        else:
            satisfaction = rng.choices(
                ["unsatisfied", "basically_satisfied", "satisfied"], [65, 30, 5]
            )[0]
            comment = rng.choice(UNRESOLVED_COMMENTS)
        case = yield _Step(
            clock.office(clock.after(2 * 60, 3 * 24 * 60)),
            rater,
            "rate",
            {
                "solved": "true" if solved else "false",
                "satisfaction": satisfaction,
                "comment": comment,
            },
        )
        return case

    def _summon(self, plan, case, clock, rng) -> _Lifecycle:
        """吹哨报到: the street calls the departments in; they report in; the lead handles."""
        world = self.world
        street = world.street_staff[plan.grid.street.pk]
        lead = world.department_for(plan.category, plan.grid.district)
        others = [d for d in world.district_departments(plan.grid.district) if d != lead]
        assisting = rng.sample(others, rng.randint(1, 2))
        case = yield _Step(
            clock.pace(30, 180),
            street,
            "summon",
            {
                "lead": lead.code,
                "assisting": [d.code for d in assisting],
                "note": "多部门联合处置",
            },
        )
        arrivals = [lead, *assisting]
        rng.shuffle(arrivals)
        for department in arrivals:
            case = yield _Step(clock.after(5, 45), world.handlers[department.pk], "report-in", {})
        handler = world.handlers[lead.pk]
        case = yield _Step(clock.after(10, 120), handler, "handle", {"note": "联合执法"})
        results = _texts(plan.category)[2]
        case = yield _Step(clock.reply(case), handler, "reply", {"result": rng.choice(results)})
        for department in [lead, *assisting]:
            case = yield _Step(
                clock.after(5, 120),
                street,
                "rate-response",
                {
                    "department": department.code,
                    "rating": rng.choices(["good", "fair", "poor"], [70, 25, 5])[0],
                },
            )
        yield from self._verify_and_close(plan, case, clock, rng)

    def _unit_actor(self, case: Case) -> User:
        """Whoever acts for the unit the dispatch rules chose."""
        assignment = (
            Assignment.objects.filter(
                case=case,
                state=AssignmentState.ACTIVE,
                role__in=[AssignmentRole.LEAD, AssignmentRole.PENDING],
            )
            .values_list("department_id", "office_id")
            .first()
        )
        department_id, office_id = assignment
        world = self.world
        if department_id:
            return world.handlers[department_id]
        return (
            world.community_staff.get(office_id)
            or world.street_staff.get(office_id)
            or world.dispatchers[office_id]
        )

    def _verifier(self, plan: _Plan, dispatcher: User, rng) -> User:
        # Grid workers check most results on their rounds; the hotline checks by phone.
        return self.world.worker(plan.grid) if rng.random() < 0.75 else dispatcher


class _Clock:
    """One case's clock: each step happens after the last, at a pace set by its urgency,
    mostly within the step's deadline and sometimes after it.

    A case that is to stall hurries to its status, so that it surely gets there and then
    waits; its age is then about how long it has been stuck.
    """

    def __init__(self, start: datetime, rng: random.Random, urgency: str, hurry: bool = False):
        self.t, self.rng, self.urgency, self.hurry = start, rng, urgency, hurry
        self.urgent = urgency in {Urgency.EMERGENCY, Urgency.UTILITY}

    def _advance(self, moment: datetime) -> datetime:
        self.t = max(moment, self.t + timedelta(minutes=1)).replace(microsecond=0)
        return self.t

    def after(self, low_minutes: float, high_minutes: float) -> datetime:
        # Log-uniform: most steps are quick, a few take long.
        minutes = math.exp(self.rng.uniform(math.log(low_minutes), math.log(high_minutes)))
        if self.hurry:
            minutes = min(minutes, low_minutes * 2)
        return self._advance(self.t + timedelta(minutes=minutes))

    def pace(self, low_minutes: float, high_minutes: float) -> datetime:
        """The dispatcher's steps: minutes for the urgent tiers, up to hours otherwise."""
        if self.urgency == Urgency.EMERGENCY:
            return self.after(2, 12)
        if self.urgency == Urgency.UTILITY:
            return self.after(5, 30)
        return self.after(low_minutes, high_minutes)

    def within(self, due: datetime | None, low: float, high: float) -> datetime:
        """A moment between low and high of the way from now to `due`."""
        if due is None or due <= self.t:
            return self.after(10, 120)
        return self._advance(self.t + (due - self.t) * self.rng.uniform(low, high))

    def deadline_step(self, due, late_share: float) -> datetime:
        if self.hurry and due is not None and due > self.t:
            return self._advance(self.t + (due - self.t) * self.rng.uniform(0.02, 0.08))
        if due is None or due <= self.t or self.rng.random() < late_share:
            # Late: past the deadline by up to half the time that was allowed.
            base = max(due or self.t, self.t)
            span = max((base - self.t).total_seconds(), 3600)
            moment = base + timedelta(seconds=span * self.rng.uniform(0.05, 0.5))
            return self._advance(moment)
        fraction = self.rng.triangular(0.03, 0.95, 0.25)
        moment = self.t + (due - self.t) * fraction
        if not self.urgent:
            office = self.office_time(moment)
            moment = office if office < due else moment
        return self._advance(moment)

    def accept(self, case: Case) -> datetime:
        return self.deadline_step(case.accept_due_at, late_share=0.1)

    def reply(self, case: Case) -> datetime:
        return self.deadline_step(case.reply_due_at, late_share=0.12)

    def verify(self, case: Case) -> datetime:
        return self.deadline_step(case.verify_due_at, late_share=0.08)

    def office(self, moment: datetime) -> datetime:
        if self.urgent:
            return moment
        return self._advance(self.office_time(moment))

    def office_time(self, moment: datetime) -> datetime:
        """Night work waits for the morning (8:00–20:00), except for the urgent tiers."""
        local = timezone.localtime(moment)
        if 8 <= local.hour < 20:
            return moment
        morning = local.replace(hour=8, minute=0, second=0, microsecond=0)
        if local.hour >= 20:
            morning += timedelta(days=1)
        return morning + timedelta(minutes=self.rng.uniform(0, 120))
