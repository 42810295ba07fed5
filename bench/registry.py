"""Measure the registry (issue 13) on PostgreSQL: import, de-duplication look-ups, figures.

    python bench/registry.py --database-url postgres://postgres@127.0.0.1:5432/gridgov_registry \
        [--persons 1000000] [--import-rows 10000] [--lookups 20000] [--repeat 5]

The target database is created if it does not exist and migrated. The demo city 江州市 and
its generated population (gridgov/demo/population.py: rooms, households, persons with
sealed, blind-indexed numbers, tags, organisations) are built there the first time, with
--persons persons; a later run reuses them. Then it prints:

- generation: persons/s written in bulk (first run only);
- de-duplication: find_person look-ups/s for registered numbers (hits) and for numbers
  nobody has (misses), against everyone registered;
- import: persons/s through gridgov.registry.importing.import_people (every row through
  services.save_person) for an --import-rows row .xlsx of new persons at rooms of the demo
  community, and for re-importing the same file (nothing changes); both rolled back after;
- figures: gridgov.registry.figures.registry_figures and GET /api/v1/registry/counts for the
  first district and for the whole city: median time and the query count.
"""

import argparse
import io
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.append(str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchsetup import django_on, machine  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--import-rows", type=int, default=10_000)
    parser.add_argument("--lookups", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--copies",
        type=int,
        default=0,
        help="copy the generated persons, households and tags into this many further "
        "districts of the city (by SQL, in seconds rather than hours), for a city of "
        "(1 + copies) × --persons persons",
    )
    args = parser.parse_args()

    _create_database(args.database_url)
    django_on(args.database_url, "bench-registry")
    from django.db import connection

    print(machine(connection))
    populate(args.persons)
    copy_districts(args.copies)
    lookups(args.lookups)
    figures(args.repeat)
    import_throughput(args.import_rows)


def _create_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


def populate(persons: int) -> None:
    from django.db import connection

    from gridgov.demo.city import build_demo_city
    from gridgov.demo.population import build_demo_population
    from gridgov.registry.models import Household, Person

    t = time.monotonic()
    city = build_demo_city()
    if city.created:
        print(f"demo city: {time.monotonic() - t:.1f} s")
    result = build_demo_population(persons, stdout=sys.stdout)
    if result.created:
        print(
            f"generation: {result.persons:,} persons, {result.households:,} households, "
            f"{result.rooms:,} rooms, {result.organisations:,} organisations, "
            f"{result.patrol_logs:,} patrol logs in {result.seconds:.1f} s: "
            f"{result.persons / result.seconds:,.0f} persons/s"
        )
        t = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
        print(f"VACUUM (ANALYZE): {time.monotonic() - t:.1f} s")
    print(
        f"registered: {Person.objects.count():,} persons, {Household.objects.count():,} households"
    )


def copy_districts(copies: int) -> None:
    """Each copy k is a new district 9901/<NN>/ holding every generated person, household
    and tag, the street, community, grid and building segments of their paths kept (so its
    communities hold what two of the generated districts' communities hold). Rooms,
    dwellings and organisations are not copied. Copies have their own document indexes:
    nobody exists twice. The kept counts are rebuilt afterwards, and timed."""
    from django.db import connection

    from gridgov.demo.city import CITY_CODE
    from gridgov.regions.models import Region
    from gridgov.registry import rollups

    city = Region.objects.get(code=CITY_CODE)
    districts = list(Region.objects.filter(parent=city).order_by("code"))
    generated = [d for d in districts if not d.name.startswith("复制区")]
    made = len(districts) - len(generated)
    if copies <= made:
        return
    width = len(generated[0].path) - len(city.path) - 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM registry_person")
        person_span = cursor.fetchone()[0] + 1
        cursor.execute("SELECT max(id) FROM registry_household")
        household_span = cursor.fetchone()[0] + 1
    for k in range(made + 1, copies + 1):
        number = len(generated) + k
        code = f"{city.code[:4]}{number:0{width}d}".ljust(len(generated[0].code), "0")
        district = Region.objects.create(
            code=code, name=f"复制区{k}", level=generated[0].level, parent=city
        )
        cut = len(district.path)
        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO registry_household (id, room_id, moved_in_on, moved_out_on, "
                "region_path, created_at, updated_at) SELECT id + %s, room_id, moved_in_on, "
                "moved_out_on, %s || substr(region_path, %s), created_at, updated_at "
                "FROM registry_household WHERE id < %s",
                [k * household_span, district.path, cut + 1, household_span],
            )
            cursor.execute(
                "INSERT INTO registry_person (id, household_id, name, sex, birth_date, "
                "document_type, document_sealed, document_index, phone_sealed, phone_index, "
                "relation, residence_type, moved_in_on, moved_out_on, region_path, created_at, "
                "updated_at) SELECT id + %s, household_id + %s, name, sex, birth_date, "
                "document_type, document_sealed, CASE WHEN document_index = '' THEN '' "
                "ELSE md5(document_index || %s) END, phone_sealed, phone_index, relation, "
                "residence_type, moved_in_on, moved_out_on, %s || substr(region_path, %s), "
                "created_at, updated_at FROM registry_person WHERE id < %s",
                [k * person_span, k * household_span, str(k), district.path, cut + 1, person_span],
            )
            cursor.execute(
                "INSERT INTO registry_persontag (person_id, tag_id, since, note) "
                "SELECT person_id + %s, tag_id, since, note FROM registry_persontag "
                "WHERE person_id < %s",
                [k * person_span, person_span],
            )
        print(f"copy {k} ({district.path}): {time.monotonic() - started:.1f} s")
    with connection.cursor() as cursor:
        for table in ("registry_person", "registry_household"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
            )
    started = time.monotonic()
    rows = rollups.rebuild()
    print(f"kept counts rebuilt: {rows:,} rows in {time.monotonic() - started:.1f} s")
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    print(f"VACUUM (ANALYZE): {time.monotonic() - started:.1f} s")


def lookups(count: int) -> None:
    """find_person, as save_person and the importer call it, for numbers registered and not."""
    from gridgov.demo.population import synthetic_resident_id
    from gridgov.registry.choices import DocumentType
    from gridgov.registry.models import Person, find_person

    total = Person.objects.count()
    step = max(1, total // count)
    sealed = list(
        Person.objects.order_by("pk").values_list("pk", "document_type", "document_sealed")[::step][
            :count
        ]
    )
    # Opened here for the benchmark only; they never leave this process.
    from gridgov.registry import crypto

    hits = [
        (document_type, crypto.open_sealed(value, "person.document"))
        for _pk, document_type, value in sealed
    ]
    random.Random(1).shuffle(hits)
    # Region 990199 is one the generator never uses: nobody has these numbers.
    misses = [
        (
            DocumentType.RESIDENT_ID,
            synthetic_resident_id("990199", date(1950 + i % 60, 1 + i % 12, 1 + i % 28), i, True),
        )
        for i in range(len(hits))
    ]
    for label, numbers, expect in (("hits", hits, True), ("misses", misses, False)):
        started = time.perf_counter()
        found = sum(find_person(kind, number) is not None for kind, number in numbers)
        seconds = time.perf_counter() - started
        assert found == (len(numbers) if expect else 0), (label, found)
        print(
            f"de-duplication ({label}): {len(numbers):,} find_person look-ups against "
            f"{total:,} persons in {seconds:.2f} s: {len(numbers) / seconds:,.0f} look-ups/s, "
            f"{seconds / len(numbers) * 1000:.2f} ms each"
        )


def import_workbook(rooms, count: int) -> bytes:
    """An .xlsx of `count` new persons at the given rooms, as a community keeps its list."""
    from gridgov.demo.population import synthetic_resident_id
    from gridgov.lib.xlsx import Column, Sheet, workbook

    rng = random.Random(2)
    headers = ["姓名", "性别", "身份证号", "联系电话", "与户主关系", "户籍类型", "住址"]
    rows = []
    for i in range(count):
        room = rooms[i % len(rooms)]
        male = rng.random() < 0.5
        # One person a day from 1940 on, the serial once the days run out: all different.
        born = date(1940, 1, 1) + timedelta(days=i % 27_000)
        rows.append(
            [
                f"测试{i:06d}",
                "男" if male else "女",
                # Region 990198: never generated, so every row is a new person.
                synthetic_resident_id("990198", born, i // 27_000, male),
                f"139{rng.randrange(10**8):08d}",
                "其他",
                rng.choice(["户籍", "常住", "流动"]),
                f"{room.building.name}{room.unit}单元{room.number}",
            ]
        )
    return workbook([Sheet("人口", [Column(h) for h in headers], rows)])


def import_throughput(count: int) -> None:
    from django.conf import settings
    from django.db import transaction

    from gridgov.accounts.models import User
    from gridgov.regions.models import Region
    from gridgov.registry import importing
    from gridgov.registry.models import Room

    community = User.objects.get(username="community").region
    rooms = list(
        Room.objects.filter(region_path__startswith=community.path)
        .select_related("building")
        .order_by("pk")
    )
    if not rooms:
        print("import: the demo community has no rooms; skipped")
        return
    content = import_workbook(rooms, count)
    settings.REGISTRY_IMPORT = {
        **settings.REGISTRY_IMPORT,
        "MAX_ROWS": max(count, 100_000),
        "MAX_BYTES": max(len(content) + 1, 20 * 2**20),
    }
    admin = User.objects.get(username="admin")
    community = Region.objects.get(pk=community.pk)
    with transaction.atomic():
        for label in ("new persons", "re-import, nothing changes"):
            started = time.perf_counter()
            report = importing.import_people(admin, io.BytesIO(content), community)
            seconds = time.perf_counter() - started
            assert report.applied, [str(p) for p in report.problems[:5]]
            print(
                f"import ({label}): {count:,} rows ({len(content) / 2**20:.1f} MB .xlsx) in "
                f"{seconds:.1f} s: {count / seconds:,.0f} persons/s (created {report.created:,}, "
                f"unchanged {report.unchanged:,})"
            )
        transaction.set_rollback(True)


def figures(repeat: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from gridgov.accounts.models import User
    from gridgov.demo.city import CITY_CODE
    from gridgov.regions.models import Region
    from gridgov.registry.figures import registry_figures
    from gridgov.registry.models import Person

    city = Region.objects.get(code=CITY_CODE)
    # The district holding the most persons.
    district = max(
        Region.objects.filter(parent=city),
        key=lambda d: Person.objects.filter(region_path__startswith=d.path).count(),
    )
    client = Client()
    client.force_login(User.objects.get(username="leader"))
    for region in (district, city):
        persons = Person.objects.filter(region_path__startswith=region.path).count()
        registry_figures([region.path])  # warm
        times = []
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                result = registry_figures([region.path])
                times.append((time.perf_counter() - started) * 1000)
        assert result.population == persons
        print(
            f"figures {region.name} ({persons:,} persons): registry_figures median "
            f"{statistics.median(times):.0f} ms, {len(queries.captured_queries)} queries"
        )
        url = f"/api/v1/registry/counts?region={region.code}"
        client.get(url)
        times = []
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
        print(
            f"figures {region.name}: GET {url} median {statistics.median(times):.0f} ms, "
            f"{len(queries.captured_queries)} queries"
        )


if __name__ == "__main__":
    main()
