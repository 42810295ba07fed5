"""The people of the demo city 江州市, generated from a seed: rooms in its buildings,
households in the rooms, their members and tags, rented and vacant rooms, organisations at
the buildings and a few months of the grid workers' patrol logs.

Buildings are filled in a fixed order until the wanted number of persons live in them: the
demo community first (where the demo accounts work, so every one of its grids is full),
then one grid at a time from each of the other communities in turn, so that every street
and district has people once there are enough of them. Each building gets 2–6 units (单元)
of 6–18 floors with 2–4 rooms a floor.

Written in bulk, not through services.save_person: tens of thousands of persons would take
many minutes one by one. The ID numbers and phones are sealed and blind-indexed with
gridgov.registry.crypto exactly as Person.set_document / set_phone do, so nothing is in
clear in the database; no RecordChange is written for generated rows. The ID numbers are
synthetic (region codes 99…, which no real province uses, valid check digits); names come
from the demo's name lists; phones are drawn from a seeded generator.
"""

import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock

from django.db import transaction
from django.utils import timezone

from gridgov.accounts.choices import Role
from gridgov.accounts.models import User
from gridgov.cases.models import Case
from gridgov.demo.case_texts import GIVEN, MOBILE_PREFIXES, SURNAMES
from gridgov.demo.city import CITY_CODE
from gridgov.regions.choices import Level
from gridgov.regions.models import Region
from gridgov.registry import crypto, rollups
from gridgov.registry.choices import (
    DocumentType,
    DwellingUse,
    OrganisationKind,
    Relation,
    ResidenceType,
    Sex,
)
from gridgov.registry.identity import resident_id_check_digit
from gridgov.registry.models import (
    Dwelling,
    Household,
    Organisation,
    PatrolLog,
    Person,
    PersonTag,
    Room,
    Tag,
)
from gridgov.workdays.calendar import package_is_workday

SEED = 20240603
DEFAULT_PERSONS = 30_000
PATROL_MONTHS = 3
BATCH_SIZE = 2000
# Buildings are written a chunk at a time, so a bench population of a million persons
# never holds more than this many buildings' rows in memory.
CHUNK_BUILDINGS = 150
PROGRESS_EVERY = 10_000

# Shares of the residential rooms; the rest of a mixed building's ground floor is shops.
DWELLING_SHARES = [
    (DwellingUse.OWNER_OCCUPIED, 0.66),
    (DwellingUse.RENTED, 0.24),
    (DwellingUse.VACANT, 0.09),
    (DwellingUse.OTHER, 0.01),
]
MIXED_BUILDING_SHARE = 0.2  # buildings with shops on the ground floor
# Owner households are mostly registered here (户籍), some registered elsewhere (常住);
# tenants are mostly floating (流动), a few foreign (境外).
OWNER_RESIDENCE = [(ResidenceType.REGISTERED, 0.82), (ResidenceType.RESIDENT, 0.18)]
TENANT_RESIDENCE = [
    (ResidenceType.FLOATING, 0.72),
    (ResidenceType.RESIDENT, 0.23),
    (ResidenceType.FOREIGN, 0.05),
]
OWNER_HOUSEHOLDS = [
    ("elderly_alone", 0.09),
    ("elderly_couple", 0.11),
    ("single", 0.07),
    ("couple", 0.10),
    ("couple_child", 0.26),
    ("couple_two_children", 0.12),
    ("three_generations", 0.15),
    ("left_behind", 0.02),
    ("single_parent", 0.05),
    ("couple_adult_child", 0.03),
]
TENANT_HOUSEHOLDS = [
    ("single", 0.35),
    ("couple", 0.20),
    ("couple_child", 0.20),
    ("shared", 0.25),
]
# Shares of the persons concerned (adults, the elderly, households) that carry a tag.
P_DISABLED = 0.02
P_SUBSISTENCE = 0.015  # of households
P_EXTREME_POVERTY = 0.03  # of the elderly living alone
P_ENTITLED = 0.02  # of those over 60
P_SPECIAL_ATTENTION = 0.003  # of adults
P_PARTY_MEMBER = 0.08  # of adults
P_VOLUNTEER = 0.05  # of adults
P_NO_PHONE_ELDERLY = 0.3  # of those over 80

COMMERCIAL_KINDS = [
    (OrganisationKind.SHOP, 0.7),
    (OrganisationKind.ENTERPRISE, 0.15),
    (OrganisationKind.CLINIC, 0.08),
    (OrganisationKind.OTHER, 0.07),
]
SHOP_TRADES = ["便利店", "面馆", "水果店", "理发店", "药店", "五金店", "早餐店", "洗衣店",
               "快递驿站", "烟酒店", "菜鸟驿站", "文具店", "花店", "超市"]  # fmt: skip
ENTERPRISE_TRADES = ["科技有限公司", "贸易有限公司", "物业管理有限公司", "装饰工程有限公司",
                     "文化传媒有限公司", "餐饮管理有限公司"]  # fmt: skip
CLINIC_NAMES = ["诊所", "口腔诊所", "中医诊所"]
OTHER_NAMES = ["棋牌室", "培训中心", "托管中心"]
SOCIAL_NAMES = ["老年协会", "志愿服务队", "舞蹈队", "书画社", "邻里互助会"]
SCHOOL_NAMES = ["幼儿园", "小学"]

VISIT_NOTES = [
    "入户走访，家中情况正常。",
    "核实家庭成员信息，无变化。",
    "更新了联系电话。",
    "提醒注意用电用气安全。",
    "宣传防诈骗知识，发放宣传单。",
    "楼道内堆放杂物，已劝导清理。",
    "电动车在楼道充电，已劝导移至充电桩。",
    "了解到家中老人行动不便，已告知社区。",
    "租户信息已核对，提醒办理居住登记。",
    "住户反映楼道灯不亮，已记录转物业。",
    "家中无人，留下联系卡。",
    "宣传垃圾分类，住户表示配合。",
]
ELDERLY_NOTES = [
    "看望独居老人，身体状况良好。",
    "独居老人反映腿脚不便，已联系志愿者定期探访。",
    "提醒老人冬季注意保暖、防滑。",
    "协助老人预约社区卫生服务站体检。",
]
PLACE_NOTES = [
    "检查店内消防器材，在有效期内。",
    "店外占道经营，已劝导整改。",
    "核实单位联系人信息。",
    "宣传安全生产知识。",
]
PATROL_NOTE_PREFIX = "巡查发现并上报："


@dataclass
class DemoPopulation:
    created: bool
    persons: int = 0
    households: int = 0
    rooms: int = 0
    organisations: int = 0
    patrol_logs: int = 0
    seconds: float = 0.0


def synthetic_resident_id(region: str, born: date, serial: int, male: bool) -> str:
    """An 18-digit resident ID of the demo: a region code 99…, the birth date, a serial
    whose last digit says the sex (odd for men), and a valid check digit."""
    sequence = (serial % 500) * 2 + (1 if male else 0)
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return first17 + resident_id_check_digit(first17)


def standard_tags() -> dict[str, Tag]:
    """The tags the generator gives, by code: the standard ones (registry migration 0002),
    as an administrator has left them; one that was deleted or switched off is not given."""
    return {tag.code: tag for tag in Tag.objects.filter(is_active=True)}


def demo_population_exists() -> bool:
    return Room.objects.filter(region_path__startswith=_city_path()).exists()


def _city_path() -> str:
    return Region.objects.filter(code=CITY_CODE).values_list("path", flat=True).first() or ""


def build_demo_population(
    persons: int = DEFAULT_PERSONS,
    *,
    seed: int = SEED,
    today: date | None = None,
    patrol_months: int = PATROL_MONTHS,
    stdout=None,
) -> DemoPopulation:
    """Generate about `persons` persons in the demo city, with their rooms, households,
    dwellings, tags, the organisations at their buildings and the grid workers' patrol logs.

    Needs the demo city (build_demo_city). Does nothing if the city has rooms already. The
    same seed, size and `today` give the same population.
    """

    def say(message: str) -> None:
        if stdout is not None:
            stdout.write(message if message.endswith("\n") else message + "\n")

    started = time.monotonic()
    today = today or timezone.localdate()
    with transaction.atomic():
        city = Region.objects.select_for_update().filter(code=CITY_CODE).first()
        if city is None:
            raise LookupError("The demo city is not there: build it first (build_demo_city).")
        if demo_population_exists():
            return DemoPopulation(created=False, persons=_count(Person, city.path))
        tags = standard_tags()
        generator = _Generator(random.Random(seed), today, tags, say)
        generator.fill(city, persons)
        generator.patrol(city, patrol_months)
        # Written in bulk, past the saves that keep the registry's counts.
        rollups.rebuild()
    result = generator.result
    result.seconds = time.monotonic() - started
    return result


def _count(model, path: str) -> int:
    return model.objects.filter(region_path__startswith=path).count()


def _pick(rng: random.Random, shares):
    choices, weights = zip(*shares, strict=True)
    return rng.choices(choices, weights)[0]


@dataclass
class _Member:
    relation: str
    age: int
    male: bool


class _Generator:
    def __init__(self, rng: random.Random, today: date, tags: dict, say):
        self.rng = rng
        self.today = today
        self.tags = tags
        self.say = say
        self.result = DemoPopulation(created=True)
        self.used_documents: set[str] = set()
        self.next_progress = PROGRESS_EVERY
        # The city's regions down to the buildings, by pk: the addresses are made from them.
        self.regions: dict[int, Region] = {}
        self.communities_with_organisations: set[int] = set()
        self.chunk = _Chunk()

    # --- which buildings, in which order ----------------------------------------------------

    def buildings_in_order(self, city: Region) -> list[Region]:
        regions = (
            Region.objects.subtree(city)
            .exclude(level=Level.CITY)
            .only("id", "code", "name", "level", "parent_id", "path")
            .order_by("code")
        )
        by_parent = defaultdict(list)
        for region in regions:
            self.regions[region.pk] = region
            by_parent[region.parent_id].append(region)
        communities = [r for r in self.regions.values() if r.level == Level.COMMUNITY]
        if not communities:
            return []
        first, *others = communities
        order = [b for grid in by_parent[first.pk] for b in by_parent[grid.pk]]
        grid_lists = [by_parent[community.pk] for community in others]
        for round_ in range(max((len(grids) for grids in grid_lists), default=0)):
            for grids in grid_lists:
                if round_ < len(grids):
                    order += by_parent[grids[round_].pk]
        return order

    def address(self, building: Region) -> str:
        """As building_address does, from the names already loaded: district, street,
        community, building."""
        names = []
        region = self.regions.get(building.parent_id)
        while region is not None:
            if region.level != Level.GRID:
                names.append(region.name)
            region = self.regions.get(region.parent_id)
        return "".join(reversed(names)) + building.name

    def district_code(self, building: Region) -> str:
        return building.code[:6]

    # --- the population ---------------------------------------------------------------------

    def fill(self, city: Region, wanted: int) -> None:
        if wanted <= 0:
            return
        order = self.buildings_in_order(city)
        self.say(f"  {len(order):,} buildings; filling them until {wanted:,} persons live there…")
        for count, building in enumerate(order, start=1):
            self.building(building, wanted)
            if count % CHUNK_BUILDINGS == 0 or self.result.persons >= wanted:
                self.flush()
            if self.result.persons >= wanted:
                break
            if self.result.persons >= self.next_progress:
                self.say(f"  {self.result.persons:,} persons…")
                self.next_progress += PROGRESS_EVERY
        self.flush()
        self.say(
            f"  {self.result.persons:,} persons in {self.result.households:,} households, "
            f"{self.result.rooms:,} rooms, {self.result.organisations:,} organisations"
        )

    def building(self, building: Region, wanted: int) -> None:
        rng = self.rng
        units = rng.choice([2, 2, 2, 3, 3, 3, 4, 4, 5, 6])
        floors = rng.choice([6, 6, 6, 7, 7, 8, 9, 11, 12, 15, 16, 18])
        per_floor = rng.choice([2, 2, 3, 3, 4])
        mixed = rng.random() < MIXED_BUILDING_SHARE
        address = self.address(building)
        for unit in range(1, units + 1):
            for floor in range(1, floors + 1):
                for number in range(1, per_floor + 1):
                    if self.result.persons >= wanted:
                        return
                    room = Room(
                        building=building,
                        unit=str(unit),
                        number=f"{floor}{number:02d}",
                        floor=floor,
                        code=f"{building.code}-{unit}-{floor}{number:02d}",
                        region_path=building.path,
                    )
                    # As Room.save writes it.
                    room.address = f"{address}{unit}单元{room.number}室"[:200]
                    self.chunk.rooms.append(room)
                    self.result.rooms += 1
                    if mixed and floor == 1:
                        self.commercial(room, building)
                    else:
                        self.dwelling(room, building, wanted)

    def dwelling(self, room: Room, building: Region, wanted: int) -> None:
        use = _pick(self.rng, DWELLING_SHARES)
        dwelling = Dwelling(room=room, use=use, region_path=building.path)
        self.chunk.dwellings.append(dwelling)
        if use not in {DwellingUse.OWNER_OCCUPIED, DwellingUse.RENTED}:
            return
        rented = use == DwellingUse.RENTED
        if rented:
            moved_in = self.today - timedelta(days=self.rng.randint(10, 3 * 365))
            dwelling.rented_from = moved_in
            dwelling.rented_to = moved_in + timedelta(days=365 * self.rng.choice([1, 1, 2, 3]))
            kind = _pick(self.rng, TENANT_HOUSEHOLDS)
            residence = _pick(self.rng, TENANT_RESIDENCE)
        else:
            moved_in = self.today - timedelta(days=self.rng.randint(60, 30 * 365))
            kind = _pick(self.rng, OWNER_HOUSEHOLDS)
            residence = _pick(self.rng, OWNER_RESIDENCE)
        household = Household(room=room, moved_in_on=moved_in, region_path=building.path)
        if rented:
            dwelling.tenant_household = household
        self.chunk.households.append(household)
        self.result.households += 1
        members = self.members(kind)[: wanted - self.result.persons]
        household_tags = []
        if self.rng.random() < P_SUBSISTENCE:
            household_tags.append("subsistence")
        for member in members:
            self.person(household, member, residence, building, kind, household_tags, moved_in)

    def members(self, kind: str) -> list[_Member]:
        rng = self.rng
        male = rng.random() < 0.5

        def adult(low, high):
            return rng.randint(low, high)

        def spouse_of(head: _Member) -> _Member:
            return _Member(Relation.SPOUSE, max(20, head.age + rng.randint(-5, 5)), not head.male)

        def child_of(parent_age: int, relation=Relation.CHILD, low=22, high=36) -> _Member:
            return _Member(
                relation, max(0, parent_age - rng.randint(low, high)), rng.random() < 0.5
            )

        if kind == "elderly_alone":
            return [_Member(Relation.HEAD, adult(65, 93), rng.random() < 0.35)]
        if kind == "elderly_couple":
            head = _Member(Relation.HEAD, adult(65, 88), True)
            return [head, spouse_of(head)]
        if kind == "single":
            return [_Member(Relation.HEAD, adult(20, 60), male)]
        if kind == "couple":
            head = _Member(Relation.HEAD, adult(22, 64), True)
            return [head, spouse_of(head)]
        if kind in {"couple_child", "couple_two_children", "couple_adult_child"}:
            low, high = (45, 62) if kind == "couple_adult_child" else (25, 50)
            head = _Member(Relation.HEAD, adult(low, high), rng.random() < 0.7)
            family = [head, spouse_of(head), child_of(head.age)]
            if kind == "couple_two_children":
                family.append(child_of(head.age, low=24, high=40))
            return family
        if kind == "three_generations":
            head = _Member(Relation.HEAD, adult(30, 45), rng.random() < 0.7)
            family = [head, spouse_of(head), child_of(head.age)]
            grandparent = _Member(
                Relation.PARENT, head.age + rng.randint(24, 32), rng.random() < 0.4
            )
            family.append(grandparent)
            if rng.random() < 0.6:
                family.append(
                    _Member(
                        Relation.PARENT, grandparent.age + rng.randint(-3, 3), not grandparent.male
                    )
                )
            return family
        if kind == "left_behind":
            head = _Member(Relation.HEAD, adult(58, 75), True)
            return [head, spouse_of(head), _Member(Relation.GRANDCHILD, rng.randint(3, 15), male)]
        if kind == "single_parent":
            head = _Member(Relation.HEAD, adult(28, 50), rng.random() < 0.2)
            return [head, child_of(head.age)]
        # Flatmates: a head and one to three lodgers who are no relation.
        head = _Member(Relation.HEAD, adult(20, 40), male)
        return [head] + [
            _Member(Relation.TENANT, adult(20, 40), rng.random() < 0.55)
            for _other in range(rng.randint(1, 3))
        ]

    def person(self, household, member, residence, building, kind, household_tags, moved_in):
        rng = self.rng
        born = self.today - timedelta(days=member.age * 365 + rng.randint(0, 364))
        name = self.name()
        person = Person(
            household=household,
            name=name,
            sex=Sex.MALE if member.male else Sex.FEMALE,
            birth_date=born,
            relation=member.relation,
            residence_type=residence,
            moved_in_on=max(moved_in, born),
            region_path=building.path,
        )
        if residence == ResidenceType.FOREIGN:
            document_type = DocumentType.PASSPORT
            number = self.passport()
        else:
            document_type = DocumentType.RESIDENT_ID
            region = (
                self.district_code(building)
                if residence == ResidenceType.REGISTERED
                else f"99{rng.randint(3, 60):02d}{rng.randint(1, 20):02d}"
            )
            number = self.resident_id(region, born, member.male)
        person.document_type = document_type
        person.document_sealed = crypto.seal(number, "person.document")
        person.document_index = crypto.blind_index(number, f"document:{document_type}")
        if member.age >= 12 and not (member.age >= 80 and rng.random() < P_NO_PHONE_ELDERLY):
            phone = f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"
            person.phone_sealed = crypto.seal(phone, "person.phone")
            person.phone_index = crypto.blind_index(phone, "phone")
        self.chunk.persons.append(person)
        self.result.persons += 1
        for code in self.tag_codes(member, kind, household_tags):
            if code not in self.tags:
                continue
            since = max(born, moved_in)
            self.chunk.person_tags.append(
                PersonTag(person=person, tag=self.tags[code], since=since)
            )

    def tag_codes(self, member: _Member, kind: str, household_tags: list[str]) -> list[str]:
        rng = self.rng
        codes = []
        if member.relation == Relation.HEAD:
            codes += household_tags
        if kind == "elderly_alone":
            codes.append("elderly-alone")
            if rng.random() < P_EXTREME_POVERTY:
                codes.append("extreme-poverty")
        if kind == "elderly_couple":
            codes.append("empty-nest")
        if kind == "left_behind" and member.relation == Relation.GRANDCHILD:
            codes.append("left-behind-child")
        if rng.random() < P_DISABLED:
            codes.append("disabled")
        if member.age >= 60 and rng.random() < P_ENTITLED:
            codes.append("entitled-groups")
        if member.age >= 18:
            if rng.random() < P_SPECIAL_ATTENTION:
                codes.append("special-attention")
            if rng.random() < P_PARTY_MEMBER:
                codes.append("party-member")
            if member.age < 75 and rng.random() < P_VOLUNTEER:
                codes.append("volunteer")
        return codes

    def name(self) -> str:
        rng = self.rng
        surname = SURNAMES[min(int(rng.expovariate(1 / 12)), len(SURNAMES) - 1)]
        given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
        return surname + given

    def resident_id(self, region: str, born: date, male: bool) -> str:
        serial = self.rng.randrange(500)
        for attempt in range(500):
            number = synthetic_resident_id(region, born, serial + attempt, male)
            if number not in self.used_documents:
                self.used_documents.add(number)
                return number
        # Five hundred of one sex born the same day in one region: the next day's serials.
        return self.resident_id(region, born + timedelta(days=1), male)

    def passport(self) -> str:
        while True:
            number = f"{self.rng.choice('EGPKS')}{self.rng.randrange(10**8):08d}"
            if number not in self.used_documents:
                self.used_documents.add(number)
                return number

    # --- organisations ----------------------------------------------------------------------

    def commercial(self, room: Room, building: Region) -> None:
        rng = self.rng
        self.chunk.dwellings.append(
            Dwelling(room=room, use=DwellingUse.COMMERCIAL, region_path=building.path)
        )
        kind = _pick(rng, COMMERCIAL_KINDS)
        surname = SURNAMES[rng.randrange(20)]
        if kind == OrganisationKind.SHOP:
            name = f"{surname}记{rng.choice(SHOP_TRADES)}"
        elif kind == OrganisationKind.ENTERPRISE:
            name = f"江州{rng.choice(GIVEN)}{rng.choice(GIVEN)}{rng.choice(ENTERPRISE_TRADES)}"
        elif kind == OrganisationKind.CLINIC:
            name = f"{surname}氏{rng.choice(CLINIC_NAMES)}"
        else:
            name = f"{rng.choice(GIVEN)}{rng.choice(GIVEN)}{rng.choice(OTHER_NAMES)}"
        self.organisation(name, kind, building, room)

    def community_organisations(self, community_pk: int, building: Region) -> None:
        """A community's school, health station and social organisations, at its first
        populated building."""
        community = self.regions[community_pk].name.removesuffix("社区")
        self.organisation(
            f"江州市{community}{self.rng.choice(SCHOOL_NAMES)}", OrganisationKind.SCHOOL, building
        )
        self.organisation(f"{community}社区卫生服务站", OrganisationKind.CLINIC, building)
        for name in self.rng.sample(SOCIAL_NAMES, 2):
            self.organisation(f"{community}社区{name}", OrganisationKind.SOCIAL, building)

    def organisation(self, name, kind, building, room=None) -> None:
        phone = f"{self.rng.choice(MOBILE_PREFIXES)}{self.rng.randrange(10**8):08d}"
        self.chunk.organisations.append(
            Organisation(
                name=name,
                kind=kind,
                building=building,
                room=room,
                contact_name=self.name(),
                contact_phone_sealed=crypto.seal(phone, "organisation.contact_phone"),
                contact_phone_index=crypto.blind_index(phone, "phone"),
                region_path=building.path,
            )
        )
        self.result.organisations += 1

    def flush(self) -> None:
        chunk = self.chunk
        if not chunk.rooms:
            return
        seen = self.communities_with_organisations
        for room in chunk.rooms:
            community_pk = self.regions[room.building.parent_id].parent_id
            if community_pk not in seen:
                seen.add(community_pk)
                self.community_organisations(community_pk, room.building)
        Room.objects.bulk_create(chunk.rooms, batch_size=BATCH_SIZE)
        Household.objects.bulk_create(chunk.households, batch_size=BATCH_SIZE)
        Dwelling.objects.bulk_create(chunk.dwellings, batch_size=BATCH_SIZE)
        Person.objects.bulk_create(chunk.persons, batch_size=BATCH_SIZE)
        PersonTag.objects.bulk_create(chunk.person_tags, batch_size=BATCH_SIZE)
        Organisation.objects.bulk_create(chunk.organisations, batch_size=BATCH_SIZE)
        self.chunk = _Chunk()

    # --- patrol logs ------------------------------------------------------------------------

    def patrol(self, city: Region, months: int) -> None:
        """Every grid worker's rounds over the last `months` months: a few visits each
        working day to the households and organisations of their grids, and a log for each
        case they reported on patrol, linked to it."""
        if months <= 0:
            return
        workers = (
            User.objects.filter(role=Role.GRID_WORKER, grids__path__startswith=city.path)
            .distinct()
            .order_by("username")
            .prefetch_related("grids")
        )
        start = self.today - timedelta(days=30 * months)
        days = [
            start + timedelta(days=offset)
            for offset in range((self.today - start).days)
            if package_is_workday(start + timedelta(days=offset))
        ]
        logs = []
        for worker in workers:
            grids = sorted(worker.grids.all(), key=lambda grid: grid.code)
            if not grids:
                continue
            places = self.places(grids)
            for day in days:
                for _visit in range(self.rng.randint(3, 7)):
                    grid, household, organisation, elderly = self.rng.choice(places)
                    logs.append(
                        PatrolLog(
                            worker=worker,
                            grid=grid,
                            visited_at=self.moment(day),
                            household_id=household,
                            organisation_id=organisation,
                            found=self.note(household, organisation, elderly),
                            region_path=grid.path,
                        )
                    )
            reported = Case.objects.filter(
                created_by=worker,
                channel="grid_patrol",
                region__in=grids,
                received_at__date__gte=start,
            ).select_related("region")
            for case in reported.order_by("received_at"):
                logs.append(
                    PatrolLog(
                        worker=worker,
                        grid=case.region,
                        visited_at=case.received_at,
                        found=f"{PATROL_NOTE_PREFIX}{case.title}",
                        case=case,
                        region_path=case.region.path,
                    )
                )
        PatrolLog.objects.bulk_create(logs, batch_size=BATCH_SIZE)
        self.result.patrol_logs = len(logs)
        self.say(f"  {len(logs):,} patrol logs by {len(workers):,} grid workers")

    def places(self, grids: list[Region]) -> list[tuple]:
        """(grid, household id, organisation id, elderly alone?) a worker may visit."""
        by_pk = {grid.pk: grid for grid in grids}
        grid_of = {
            path: by_pk[parent]
            for path, parent in Region.objects.filter(parent__in=grids).values_list(
                "path", "parent_id"
            )
        }
        places = [(grid, None, None, False) for grid in grids]
        households = Household.objects.filter(region_path__in=list(grid_of)).order_by("pk")
        alone = set(
            PersonTag.objects.filter(
                tag__code="elderly-alone", person__household__in=households
            ).values_list("person__household_id", flat=True)
        )
        for pk, path in households.values_list("pk", "region_path"):
            places.append((grid_of[path], pk, None, pk in alone))
        organisations = Organisation.objects.filter(building__parent__in=grids).order_by("pk")
        for pk, path in organisations.values_list("pk", "region_path"):
            places.append((grid_of[path], None, pk, False))
        return places

    def note(self, household, organisation, elderly) -> str:
        if organisation is not None:
            return self.rng.choice(PLACE_NOTES)
        if elderly and self.rng.random() < 0.7:
            return self.rng.choice(ELDERLY_NOTES)
        if household is None:
            return "巡查网格内道路、楼道和公共区域，未发现问题。"
        return self.rng.choice(VISIT_NOTES)

    def moment(self, day: date) -> datetime:
        minutes = self.rng.randint(8 * 60 + 30, 17 * 60 + 30)
        return timezone.make_aware(
            datetime.combine(day, clock(minutes // 60, minutes % 60)),
            timezone.get_current_timezone(),
        )


@dataclass
class _Chunk:
    rooms: list = field(default_factory=list)
    households: list = field(default_factory=list)
    dwellings: list = field(default_factory=list)
    persons: list = field(default_factory=list)
    person_tags: list = field(default_factory=list)
    organisations: list = field(default_factory=list)
