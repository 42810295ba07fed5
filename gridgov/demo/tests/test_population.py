import hashlib
import json
from collections import Counter
from datetime import date
from io import StringIO

from django.core.management import call_command
from django.db.models import F
from django.test import TestCase

from gridgov.accounts.choices import Role
from gridgov.demo.city import build_demo_city
from gridgov.demo.population import (
    build_demo_population,
    synthetic_resident_id,
)
from gridgov.demo.tests.test_demo import FAST_HASHER
from gridgov.regions.choices import Level
from gridgov.regions.models import Region
from gridgov.registry import crypto, rollups
from gridgov.registry.choices import DocumentType, DwellingUse, Relation, ResidenceType, Sex
from gridgov.registry.figures import registry_figures
from gridgov.registry.identity import check_resident_id
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

TODAY = date(2026, 6, 1)
PERSONS = 600
# The first 20 persons of the population below, fields and opened numbers: a change to the
# generator (or to the demo city it fills) changes this, and then the demo is not the same
# on every machine any more.
FIRST_PERSONS_SHA256 = "a4b700287e9e8f4702b058bc20c07ac8ff1e2b2c9ec7a355500fb060dea64aa0"


def build_small(persons=PERSONS):
    build_demo_city(streets_per_district=1, communities_per_street=2)
    return build_demo_population(persons, today=TODAY, patrol_months=2)


def fingerprint(limit=None) -> list:
    rows = []
    for person in Person.objects.select_related("household__room").order_by("pk")[:limit]:
        rows.append(
            [
                person.name,
                person.sex,
                person.birth_date.isoformat(),
                person.relation,
                person.residence_type,
                person.document_type,
                person.document_number,
                person.phone,
                person.household.room.code,
                sorted(person.tags.values_list("code", flat=True)),
            ]
        )
    return rows


def delete_population() -> None:
    PatrolLog.objects.all().delete()
    Organisation.objects.all().delete()
    Person.objects.all().delete()
    Dwelling.objects.all().delete()
    Household.objects.all().delete()
    Room.objects.all().delete()


@FAST_HASHER
class DemoPopulationTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.result = build_small()

    def test_it_makes_the_persons_asked_for_in_households_at_rooms_of_buildings(self):
        self.assertTrue(self.result.created)
        self.assertEqual(Person.objects.count(), PERSONS)
        self.assertEqual(self.result.persons, PERSONS)
        self.assertFalse(Person.objects.filter(household=None).exists())
        for person in Person.objects.select_related("household__room__building"):
            room = person.household.room
            self.assertEqual(room.building.level, Level.BUILDING)
            self.assertEqual(person.region_path, room.building.path)
            self.assertEqual(person.household.region_path, room.building.path)
            self.assertEqual(room.region_path, room.building.path)
        # Each household has one head; every room has its dwelling.
        heads = Counter(
            Person.objects.filter(relation=Relation.HEAD).values_list("household", flat=True)
        )
        self.assertEqual(set(heads.values()), {1})
        self.assertEqual(len(heads), Household.objects.count())
        self.assertEqual(Dwelling.objects.count(), Room.objects.count())

    def test_what_is_written_in_bulk_is_counted(self):
        self.assertEqual(rollups.differences(), [])
        city = Region.objects.get(level=Level.CITY)
        figures = registry_figures([city.path], today=TODAY)
        self.assertEqual(figures.population, PERSONS)
        self.assertEqual(figures.households, Household.objects.count())
        self.assertEqual(sum(figures.by_age_band.values()), PERSONS)

    def test_room_codes_and_addresses_are_what_room_save_writes(self):
        for room in Room.objects.select_related("building").order_by("pk")[:50]:
            code, address = room.code, room.address
            room.save()
            self.assertEqual((room.code, room.address), (code, address))

    def test_resident_ids_are_valid_with_the_demo_region_codes(self):
        numbers = set()
        for person in Person.objects.select_related("household__room__building"):
            number = person.document_number
            numbers.add(number)
            if person.document_type == DocumentType.RESIDENT_ID:
                self.assertEqual(check_resident_id(number, today=TODAY), person.birth_date)
                self.assertTrue(number.startswith("99"), number)
                self.assertEqual(int(number[16]) % 2 == 1, person.sex == Sex.MALE)
                if person.residence_type == ResidenceType.REGISTERED:
                    # Registered here: the district's own region code.
                    self.assertEqual(number[:6], person.household.room.building.code[:6])
            else:
                self.assertEqual(person.residence_type, ResidenceType.FOREIGN)
                self.assertEqual(person.document_type, DocumentType.PASSPORT)
        self.assertEqual(len(numbers), PERSONS)

    def test_the_helper_makes_a_valid_id(self):
        number = synthetic_resident_id("990101", date(1980, 2, 29), 7, male=False)
        self.assertEqual(check_resident_id(number), date(1980, 2, 29))
        self.assertEqual(int(number[16]) % 2, 0)

    def test_the_mix_is_roughly_as_configured(self):
        residence = Counter(Person.objects.values_list("residence_type", flat=True))
        self.assertTrue(0.45 < residence[ResidenceType.REGISTERED] / PERSONS < 0.8, residence)
        self.assertGreater(residence[ResidenceType.RESIDENT], 0.08 * PERSONS)
        self.assertGreater(residence[ResidenceType.FLOATING], 0.05 * PERSONS)
        uses = Counter(Dwelling.objects.values_list("use", flat=True))
        self.assertGreater(uses[DwellingUse.OWNER_OCCUPIED], uses[DwellingUse.RENTED])
        self.assertGreater(uses[DwellingUse.RENTED], 0.1 * sum(uses.values()))
        self.assertGreater(uses[DwellingUse.VACANT], 0)
        rented = Dwelling.objects.filter(use=DwellingUse.RENTED)
        self.assertFalse(rented.filter(tenant_household=None).exists())
        self.assertFalse(rented.filter(rented_to__lte=F("rented_from")).exists())
        self.assertFalse(
            Dwelling.objects.exclude(use=DwellingUse.RENTED).exclude(tenant_household=None).exists()
        )
        ages = [
            TODAY.year - born.year for born in Person.objects.values_list("birth_date", flat=True)
        ]
        self.assertTrue(0.08 < sum(age >= 65 for age in ages) / PERSONS < 0.35)
        self.assertTrue(0.05 < sum(age < 15 for age in ages) / PERSONS < 0.25)
        per_household = PERSONS / Household.objects.count()
        self.assertTrue(2.0 < per_household < 3.4, per_household)

    def test_tags_are_data_and_given_where_they_belong(self):
        # The standard tags of registry migration 0002, not tags of the generator's own.
        given = set(PersonTag.objects.values_list("tag__code", flat=True))
        self.assertLessEqual(given, set(Tag.objects.values_list("code", flat=True)))
        self.assertGreaterEqual(len(given), 7)
        self.assertEqual(Tag.objects.count(), 10)
        alone = Person.objects.filter(tags__code="elderly-alone")
        self.assertTrue(alone.exists())
        for person in alone.select_related("household"):
            self.assertGreaterEqual(person.age_on(TODAY), 65)
            self.assertEqual(person.household.members.count(), 1)
        self.assertTrue(Person.objects.filter(tags__code="party-member").exists())
        for person in Person.objects.filter(tags__code="left-behind-child"):
            self.assertEqual(person.relation, Relation.GRANDCHILD)

    def test_organisations_have_a_contact_at_a_building(self):
        self.assertGreater(self.result.organisations, 0)
        kinds = set(Organisation.objects.values_list("kind", flat=True))
        self.assertTrue({"school", "clinic", "social"} <= kinds, kinds)
        for organisation in Organisation.objects.select_related("building", "room"):
            self.assertEqual(organisation.building.level, Level.BUILDING)
            self.assertEqual(organisation.region_path, organisation.building.path)
            self.assertTrue(organisation.contact_name)
            self.assertRegex(organisation.masked_contact_phone, r"^1\d\d\*+\d{4}$")
            if organisation.room is not None:
                self.assertEqual(organisation.room.dwelling.use, DwellingUse.COMMERCIAL)

    def test_grid_workers_patrol_their_own_grids_on_working_days(self):
        logs = PatrolLog.objects.select_related("worker", "grid")
        self.assertGreater(logs.count(), 50)
        self.assertTrue(logs.exclude(household=None).exists())
        for log in logs:
            self.assertEqual(log.worker.role, Role.GRID_WORKER)
            self.assertIn(log.grid, log.worker.grids.all())
            self.assertEqual(log.region_path, log.grid.path)
            day = log.visited_at.date()
            self.assertTrue(date(2026, 3, 31) < day < TODAY and package_is_workday(day), day)
            if log.household is not None:
                self.assertTrue(log.household.region_path.startswith(log.grid.path))

    def test_nothing_is_in_clear_in_the_database(self):
        plain = set()
        for person in Person.objects.all():
            plain.add(person.document_number)
            if person.phone_sealed:
                plain.add(person.phone)
        for organisation in Organisation.objects.all():
            if organisation.contact_phone_sealed:
                plain.add(
                    crypto.open_sealed(
                        organisation.contact_phone_sealed, "organisation.contact_phone"
                    )
                )
        dump = json.dumps(
            [
                list(model.objects.values())
                for model in (Person, Organisation, Household, Room, Dwelling, PersonTag, PatrolLog)
            ],
            default=str,
            ensure_ascii=False,
        )
        self.assertGreater(len(plain), PERSONS)
        leaked = [number for number in plain if number in dump]
        self.assertEqual(leaked, [])

    def test_the_same_seed_makes_the_same_population(self):
        before = fingerprint()
        digest = hashlib.sha256(json.dumps(before[:20], ensure_ascii=False).encode()).hexdigest()
        delete_population()

        again = build_small()

        self.assertTrue(again.created)
        self.assertEqual(fingerprint(), before)
        self.assertEqual(digest, FIRST_PERSONS_SHA256)

    def test_a_second_build_changes_nothing(self):
        again = build_demo_population(50, today=TODAY)
        self.assertFalse(again.created)
        self.assertEqual(Person.objects.count(), PERSONS)


@FAST_HASHER
class DemoCommandPopulationTestCase(TestCase):
    def test_gridgov_demo_generates_the_population_once(self):
        build_demo_city(streets_per_district=1, communities_per_street=1)
        output = StringIO()
        call_command("demo", "--no-serve", "--cases", "0", "--persons", "200", stdout=output)
        self.assertIn("Generating 200 residents", output.getvalue())
        self.assertIn("200 persons in", output.getvalue())
        self.assertEqual(Person.objects.count(), 200)

        again = StringIO()
        call_command("demo", "--no-serve", "--cases", "0", "--persons", "500", stdout=again)
        self.assertIn("already there (200)", again.getvalue())
        self.assertEqual(Person.objects.count(), 200)

    def test_persons_0_generates_none(self):
        build_demo_city(streets_per_district=1, communities_per_street=1)
        call_command("demo", "--no-serve", "--cases", "0", "--persons", "0", stdout=StringIO())
        self.assertFalse(Person.objects.exists())
        self.assertFalse(Room.objects.exists())
