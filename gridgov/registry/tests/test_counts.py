"""The registry's kept counts per community (rollups.py): every door that changes a record
keeps them equal to a recount, the figures read from them are the figures counted from the
records, and the command finds and mends a count that went wrong."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F
from django.test import TransactionTestCase
from django.urls import reverse
from django.utils import timezone

from gridgov.accounts.tests.base import build_cast
from gridgov.api.tests.base import api_url
from gridgov.api.tests.registry_base import RegistryApiTestCase
from gridgov.registry import rollups, services
from gridgov.registry.choices import DwellingUse, OrganisationKind, ResidenceType
from gridgov.registry.figures import (
    AGE_BANDS,
    age_q,
    area_figures,
    registry_figures,
    years_before,
)
from gridgov.registry.models import CommunityCount, Organisation, Person, under
from gridgov.registry.tests.base import (
    RegistryTestCase,
    build_registry_cast,
    held_by_another_connection,
    resident_id,
)
from gridgov.registry.tests.test_pages import person_post


class KeptCountsTests(RegistryTestCase):
    def assertKept(self):
        self.assertEqual(rollups.differences(), [])

    def community_figures(self):
        return registry_figures([self.community.path])

    def test_every_door_keeps_the_counts(self):
        self.login(self.grid_worker)
        response = self.client.post(
            reverse("registry:person_new", args=[self.second_room.pk]),
            person_post(tags=[self.elderly_alone.pk]),
        )
        self.assertEqual(response.status_code, 302)
        person = Person.objects.get(name="张建国")
        self.assertKept()
        figures = self.community_figures()
        self.assertEqual(figures.population, 1)
        self.assertEqual(figures.households, 1)
        self.assertEqual(figures.by_residence_type[ResidenceType.FLOATING], 1)
        self.assertEqual(figures.by_age_band["18-59"], 1)
        self.assertEqual([tag["count"] for tag in figures.by_tag], [1])

        # Edited: another residence type, the tag taken off.
        response = self.client.post(
            reverse("registry:person_edit", args=[person.pk]),
            person_post(
                document_number="", phone="", residence_type=ResidenceType.REGISTERED, tags=[]
            ),
        )
        self.assertEqual(response.status_code, 302)
        self.assertKept()
        figures = self.community_figures()
        self.assertEqual(figures.by_residence_type[ResidenceType.REGISTERED], 1)
        self.assertEqual(figures.by_residence_type[ResidenceType.FLOATING], 0)
        self.assertEqual(figures.by_tag, [])

        # A room's use, set and changed.
        url = reverse("registry:room_dwelling", args=[self.second_room.pk])
        self.client.post(url, {"use": DwellingUse.VACANT})
        self.client.post(url, {"use": DwellingUse.OWNER_OCCUPIED})
        self.assertKept()
        self.assertEqual(self.community_figures().dwellings_by_use[DwellingUse.VACANT], 0)

        # An organisation, then closed.
        organisation = {
            "name": "惠民便利店",
            "kind": OrganisationKind.SHOP,
            "building": self.building.pk,
            "room_number": "",
            "contact_name": "",
            "contact_phone": "",
            "is_active": "on",
        }
        self.client.post(reverse("registry:organisation_new"), organisation)
        self.assertEqual(self.community_figures().organisations, 1)
        shop = Organisation.objects.get()
        self.client.post(
            reverse("registry:organisation_edit", args=[shop.pk]),
            organisation | {"is_active": ""},
        )
        self.assertKept()
        self.assertEqual(self.community_figures().organisations, 0)

        # The household moves out: its members and their tags stop counting here.
        self.add_person(self.room, name="李桂兰", serial=3, tags=[self.elderly_alone])
        household = self.second_room.households.get()
        self.client.post(
            reverse("registry:move_out", args=[household.pk]),
            {"moved_out_on": timezone.localdate().isoformat()},
        )
        self.assertKept()
        figures = self.community_figures()
        self.assertEqual((figures.population, figures.households), (1, 1))

    def test_a_person_who_moves_community_takes_their_counts_and_tags_along(self):
        person = self.add_person(self.room, tags=[self.elderly_alone, self.special_attention])
        # Registered again elsewhere under the same number: moved, tags kept.
        self.add_person(self.neighbour_room, document_number=person.document_number, tags=None)
        self.assertKept()
        here, there = self.community_figures(), registry_figures([self.neighbour_community.path])
        self.assertEqual((here.population, here.by_tag), (0, []))
        self.assertEqual(there.population, 1)
        self.assertEqual(sorted(tag["count"] for tag in there.by_tag), [1, 1])

    def test_age_bands_from_the_counts_are_the_bands_counted_by_birth_date(self):
        today = timezone.localdate()
        serial = 0
        for days in (-1, 0, 1):
            for age in (0, 1, 17, 18, 59, 60, 79, 80, 95):
                serial += 1
                born = years_before(today, age) + timedelta(days=days)
                if born <= today:
                    self.add_person(self.room, name=f"甲{serial}", born=born, serial=serial)
        self.add_person(
            self.room,
            name="无证",
            serial=999,
            document_type="",
            document_number="",
            birth_date=None,
        )
        self.assertKept()
        # Every stretch of the year: the boundary day in each half, and 29 February.
        for day in (today, date(2027, 2, 10), date(2027, 9, 30), date(2028, 2, 29)):
            for paths in ([self.community.path], [self.grid.path]):
                with self.subTest(day=day, paths=paths):
                    figures = registry_figures(paths, today=day)
                    residents = Person.objects.filter(under(paths), moved_out_on__isnull=True)
                    expected = {
                        key: residents.filter(age_q(day, youngest, oldest)).count()
                        for key, youngest, oldest in AGE_BANDS
                    }
                    self.assertEqual(figures.by_age_band, expected)
                    self.assertEqual(figures.unknown_age, 1)

    def test_many_areas_at_once_are_each_area_on_its_own(self):
        self.add_person(self.room, tags=[self.elderly_alone])
        self.add_person(self.neighbour_room, name="陈静", serial=9, born=date(2010, 6, 1))
        self.add_person(self.other_room, name="周强", serial=11, born=date(1944, 12, 30))
        areas = [
            self.community.path,
            self.neighbour_community.path,
            self.street.path,
            self.other_district.path,
        ]
        for day in (timezone.localdate(), date(2027, 3, 1), date(2027, 10, 1)):
            with self.subTest(day=day):
                together = area_figures(areas, today=day)
                self.assertEqual(
                    together, {path: registry_figures([path], today=day) for path in areas}
                )
        self.assertEqual(together[self.street.path].population, 2)
        with self.assertRaises(ValueError):
            area_figures([self.grid.path])

    def test_the_command_finds_a_wrong_count_and_rebuilds_it(self):
        self.add_person(self.room, tags=[self.elderly_alone])
        out = StringIO()
        call_command("registry", "counts", "--check", stdout=out)
        self.assertIn("agrees", out.getvalue())

        CommunityCount.objects.filter(figure=rollups.Figure.HOUSEHOLD).update(count=F("count") + 5)
        CommunityCount.objects.filter(figure=rollups.Figure.TAG).delete()
        out = StringIO()
        with self.assertRaisesMessage(CommandError, "2 count(s) differ"):
            call_command("registry", "counts", "--check", stdout=out)
        self.assertIn(f"{self.community.path} household -: kept 6, recounted 1", out.getvalue())

        call_command("registry", "counts", "--rebuild", stdout=StringIO())
        self.assertKept()
        self.assertEqual(self.community_figures().households, 1)
        with self.assertRaises(CommandError):
            call_command("registry", "counts", stdout=StringIO())


class KeptCountsApiTests(RegistryApiTestCase):
    def test_the_api_keeps_the_counts(self):
        body = {
            "room": self.room.pk,
            "name": "王秀英",
            "residence_type": "registered",
            "document_type": "resident_id",
            "document_number": resident_id(date(1950, 3, 8)),
            "tags": ["elderly-alone"],
        }
        response = self.post(api_url("registry-person-list"), body, self.grid_worker)
        self.assertEqual(response.status_code, 201, response.content[:300])
        url = api_url("registry-person-detail", response.json()["id"])
        self.patch(url, {"residence_type": "floating", "tags": []}, self.grid_worker)
        self.assertEqual(rollups.differences(), [])
        counts = self.get(api_url("registry-counts", region=self.community.code), self.admin)
        body = counts.json()
        self.assertEqual((body["population"], body["by_tag"]), (1, []))
        self.assertEqual(body["by_residence_type"]["floating"], 1)
        self.assertEqual(body["by_age_band"]["60-79"], 1)


@pytest.mark.postgres
class ConcurrentCountsTests(TransactionTestCase):
    """Two people change the same counts at once: each waits for the other's row, so both
    changes are counted once and on top of each other."""

    serialized_rollback = True

    def test_two_writers_of_one_person_and_one_count(self):
        if connection.vendor != "postgresql":
            self.skipTest("needs PostgreSQL's row locks between two connections")
        cast = type("Cast", (), {})
        build_cast(cast)
        build_registry_cast(cast)
        number = resident_id(date(1980, 5, 17), 7, male=True)
        person = services.save_person(
            None,
            services.PersonInput(
                name="张建国",
                residence_type=ResidenceType.REGISTERED,
                document_type="resident_id",
                document_number=number,
            ),
            services.household_at(cast.room),
            via="test",
        ).person

        def someone_else_edits_him_and_adds_a_neighbour():
            for name, number_ in (("张建国", number), ("李四", resident_id(date(1990, 1, 2), 8))):
                services.save_person(
                    None,
                    services.PersonInput(
                        name=name,
                        residence_type=ResidenceType.FLOATING,
                        document_type="resident_id",
                        document_number=number_,
                    ),
                    services.household_at(cast.room),
                    via="test",
                )

        with held_by_another_connection(someone_else_edits_him_and_adds_a_neighbour):
            self.client.force_login(cast.grid_worker)
            edited = self.client.post(
                reverse("registry:person_edit", args=[person.pk]),
                person_post(document_number="", phone="", residence_type=ResidenceType.RESIDENT),
            )
            added = self.client.post(
                reverse("registry:person_new", args=[cast.second_room.pk]),
                person_post(
                    name="王五",
                    document_number=resident_id(date(1985, 3, 3), 9, male=True),
                    residence_type=ResidenceType.FLOATING,
                ),
            )
        self.assertEqual((edited.status_code, added.status_code), (302, 302))
        self.assertEqual(rollups.differences(), [])
        figures = registry_figures([cast.community.path])
        self.assertEqual(
            figures.by_residence_type,
            {"registered": 0, "resident": 1, "floating": 2, "foreign": 0},
        )
