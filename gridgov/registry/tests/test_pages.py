"""The grid worker's round through the registry's pages: find the room, see the household,
add or update a person, move the household out, note a visit, keep organisations; the
numbers masked everywhere but on the one audited reveal."""

import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import TransactionTestCase
from django.urls import reverse
from django.utils import timezone

from gridgov.accounts.tests.base import build_cast
from gridgov.cases.models import Case
from gridgov.registry import services
from gridgov.registry.choices import DwellingUse, OrganisationKind, ResidenceType
from gridgov.registry.import_views import may_import
from gridgov.registry.models import (
    Dwelling,
    Organisation,
    PatrolLog,
    Person,
    PersonalDataView,
    RecordChange,
)
from gridgov.registry.tests.base import (
    RegistryTestCase,
    build_registry_cast,
    held_by_another_connection,
    resident_id,
)

BORN = date(1950, 3, 8)


def person_post(**fields):
    data = {
        "name": "张建国",
        "sex": "male",
        "birth_date": "",
        "document_type": "resident_id",
        "document_number": resident_id(date(1980, 5, 17), 7, male=True),
        "phone": "13812345678",
        "relation": "head",
        "residence_type": ResidenceType.FLOATING,
        "moved_in_on": "2024-03-01",
        "moved_out_on": "",
    }
    data.update(fields)
    return data


class FindARoomTests(RegistryTestCase):
    def test_search_by_building_name_and_room_number_within_the_scope(self):
        self.login(self.grid_worker)
        response = self.client.get(reverse("registry:home"), {"q": "滨江苑"})
        self.assertContains(response, reverse("registry:room", args=[self.room.pk]))
        self.assertContains(response, reverse("registry:room", args=[self.second_room.pk]))
        response = self.client.get(reverse("registry:home"), {"q": "101"})
        # 101 is a room in the neighbouring community and another district: not theirs.
        self.assertNotContains(response, reverse("registry:room", args=[self.neighbour_room.pk]))
        self.assertNotContains(response, reverse("registry:room", args=[self.other_room.pk]))
        self.assertContains(response, "没有")

    def test_search_by_standard_address(self):
        self.login(self.community_staff)
        response = self.client.get(reverse("registry:home"), {"q": self.room.address})
        self.assertContains(response, reverse("registry:room", args=[self.room.pk]))

    def test_a_grid_worker_lists_their_grids_and_a_grid_its_buildings(self):
        self.login(self.grid_worker)
        response = self.client.get(reverse("registry:home"))
        self.assertContains(response, self.grid.name)
        self.assertNotContains(response, self.neighbour_grid.name)
        response = self.client.get(reverse("registry:home"), {"grid": self.grid.code})
        self.assertContains(response, reverse("registry:building", args=[self.building.code]))
        building = self.client.get(reverse("registry:building", args=[self.building.code]))
        self.assertContains(building, reverse("registry:room", args=[self.room.pk]))
        self.assertEqual(
            reverse("registry:import") in response.content.decode(), may_import(self.grid_worker)
        )
        outside = self.client.get(reverse("registry:home"), {"grid": self.neighbour_grid.code})
        self.assertEqual(outside.status_code, 404)

    def test_header_links_the_registry_for_staff_only(self):
        for user, shown in [
            (self.grid_worker, True),
            (self.leader, True),
            (self.handler, False),
            (self.resident, False),
        ]:
            self.login(user)
            with self.subTest(role=user.role):
                page = self.client.get(reverse("home"), follow=True).content.decode()
                self.assertEqual(f'href="{reverse("registry:home")}"' in page, shown)
        self.login(self.resident)
        self.assertEqual(self.client.get(reverse("registry:home")).status_code, 404)


class RoomPageTests(RegistryTestCase):
    def setUp(self):
        self.head = self.add_person(name="王秀英", serial=1, phone="13900001111")
        self.son = self.add_person(
            name="李明", born=date(1978, 6, 1), serial=2, male=True, relation="child"
        )
        self.son.tags.set([self.special_attention])
        self.head.tags.set([self.elderly_alone])

    def test_names_shown_numbers_masked(self):
        self.login(self.grid_worker)
        response = self.client.get(reverse("registry:room", args=[self.room.pk]))
        page = response.content.decode()
        self.assertIn("王秀英", page)
        self.assertIn("李明", page)
        self.assertIn(self.head.masked_document, page)
        self.assertIn("139****1111", page)
        self.assertNotIn(self.head.document_number, page)
        self.assertNotIn("13900001111", page)

    def test_sensitive_tags_are_named_only_to_the_roles_allowed(self):
        self.login(self.grid_worker)
        page = self.client.get(reverse("registry:room", args=[self.room.pk])).content.decode()
        self.assertIn("独居老人", page)
        # Counted, never beside a name.
        self.assertEqual(page.count("重点人员"), 1)
        self.assertIn("重点人员 × 1", page)
        person_page = self.client.get(reverse("registry:person", args=[self.son.pk]))
        self.assertNotContains(person_page, "重点人员")

        self.login(self.community_staff)
        page = self.client.get(reverse("registry:room", args=[self.room.pk])).content.decode()
        member = re.search(r'<li class="registry-member">(?:(?!</li>).)*李明.*?</li>', page, re.S)
        self.assertIn("重点人员", member.group(0))
        self.assertNotIn("× 1", page)

    def test_the_room_page_is_on_a_phone_without_inline_script(self):
        self.login(self.grid_worker)
        page = self.client.get(reverse("registry:room", args=[self.room.pk])).content.decode()
        self.assertIn('name="viewport"', page)
        self.assertNotRegex(page, r"<script(?![^>]*\bsrc=)")
        self.assertNotRegex(page, r"\son[a-z]+=")

    def test_the_room_use_is_kept_with_its_history(self):
        self.login(self.grid_worker)
        url = reverse("registry:room_dwelling", args=[self.room.pk])
        household = self.head.household
        response = self.client.post(
            url,
            {
                "use": DwellingUse.RENTED,
                "tenant_household": household.pk,
                "rented_from": "2025-01-01",
                "rented_to": "2026-12-31",
            },
        )
        self.assertEqual(response.status_code, 302)
        dwelling = Dwelling.objects.get(room=self.room)
        self.assertEqual(dwelling.tenant_household, household)
        page = self.client.get(reverse("registry:room", args=[self.room.pk]))
        self.assertContains(page, "2025-01-01")
        self.assertTrue(RecordChange.objects.filter(record_type="dwelling").exists())

        refused = self.client.post(
            url, {"use": DwellingUse.VACANT, "tenant_household": household.pk}
        )
        self.assertEqual(refused.status_code, 400)
        self.assertContains(refused, "出租", status_code=400)
        dwelling.refresh_from_db()
        self.assertEqual(dwelling.use, DwellingUse.RENTED)

    def test_moving_the_household_out_keeps_its_records(self):
        self.login(self.grid_worker)
        url = reverse("registry:move_out", args=[self.head.household_id])
        future = (timezone.localdate() + timedelta(days=3)).isoformat()
        refused = self.client.post(url, {"moved_out_on": future})
        self.assertEqual(refused.status_code, 400)
        self.head.household.refresh_from_db()
        self.assertIsNone(self.head.household.moved_out_on)

        day = timezone.localdate().isoformat()
        self.assertEqual(self.client.post(url, {"moved_out_on": day}).status_code, 302)
        self.head.refresh_from_db()
        self.assertEqual(self.head.moved_out_on.isoformat(), day)
        page = self.client.get(reverse("registry:room", args=[self.room.pk]))
        self.assertContains(page, "王秀英")  # among the earlier households
        self.assertContains(page, "以前的住户")

    def test_a_visit_note_links_only_a_case_the_user_can_see(self):
        case = Case.objects.filter(region__path__startswith=self.other_grid.path).first()
        self.login(self.grid_worker)
        url = reverse("registry:room_visit", args=[self.room.pk])
        when = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
        if case is not None:
            refused = self.client.post(
                url, {"visited_at": when, "found": "楼道堆物", "case_number": case.number}
            )
            self.assertEqual(refused.status_code, 400)
        refused = self.client.post(
            url, {"visited_at": when, "found": "楼道堆物", "case_number": "NO-SUCH"}
        )
        self.assertEqual(refused.status_code, 400)
        self.assertContains(refused, "楼道堆物", status_code=400)
        self.assertFalse(PatrolLog.objects.exists())

        self.assertEqual(
            self.client.post(url, {"visited_at": when, "found": "一切正常"}).status_code, 302
        )
        log = PatrolLog.objects.get()
        self.assertEqual(
            (log.worker, log.grid, log.household),
            (self.grid_worker, self.grid, self.head.household),
        )
        self.assertContains(
            self.client.get(reverse("registry:room", args=[self.room.pk])), "一切正常"
        )

    def test_a_reader_sees_the_room_but_has_no_forms(self):
        self.login(self.dispatcher)
        response = self.client.get(reverse("registry:room", args=[self.room.pk]))
        self.assertContains(response, "王秀英")
        self.assertNotContains(response, reverse("registry:person_new", args=[self.room.pk]))
        refused = self.client.post(
            reverse("registry:move_out", args=[self.head.household_id]),
            {"moved_out_on": timezone.localdate().isoformat()},
        )
        self.assertEqual(refused.status_code, 403)


class PersonFormTests(RegistryTestCase):
    def test_adding_a_person_through_the_service(self):
        self.login(self.grid_worker)
        url = reverse("registry:person_new", args=[self.second_room.pk])
        response = self.client.post(url, person_post(tags=[self.elderly_alone.pk]))
        self.assertEqual(response.status_code, 302)
        person = Person.objects.get(name="张建国")
        self.assertEqual(person.household.room, self.second_room)
        self.assertEqual(person.birth_date, date(1980, 5, 17))
        self.assertEqual(list(person.tags.all()), [self.elderly_alone])
        change = RecordChange.objects.get(record_type="person", record_id=person.pk)
        self.assertEqual(change.actor, self.grid_worker)
        self.assertEqual(change.changes["phone"], ["", "138****5678"])
        # The history shows what was stored: masked.
        page = self.client.get(reverse("registry:person", args=[person.pk])).content.decode()
        self.assertIn("138****5678", page)
        self.assertNotIn("13812345678", page)
        # Each change named as the form names it, its choices by their labels.
        self.assertRegex(page, r"<dt>人口类型</dt><dd>— → 流动")
        self.assertNotIn(person.document_number, page)

    def test_a_refused_person_keeps_what_was_typed(self):
        self.login(self.grid_worker)
        number = resident_id(date(1980, 5, 17), 7, male=True)
        wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
        url = reverse("registry:person_new", args=[self.second_room.pk])
        response = self.client.post(
            url, person_post(document_number=wrong, birth_date="2099-01-01", name="赵六")
        )
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "校验位", status_code=400)
        self.assertContains(response, 'value="赵六"', status_code=400)
        self.assertContains(response, 'value="13812345678"', status_code=400)
        self.assertFalse(Person.objects.filter(name="赵六").exists())

    def test_a_person_registered_elsewhere_moves_here_not_twice(self):
        earlier = self.add_person(self.room, name="陈静", serial=9)
        self.login(self.grid_worker)
        response = self.client.post(
            reverse("registry:person_new", args=[self.second_room.pk]),
            person_post(name="陈静", document_number=earlier.document_number, sex="female"),
            follow=True,
        )
        self.assertContains(response, "不重复登记")
        self.assertEqual(Person.objects.filter(name="陈静").count(), 1)
        earlier.refresh_from_db()
        self.assertEqual(earlier.household.room, self.second_room)

    def test_editing_keeps_the_numbers_left_blank_and_the_tags_it_cannot_see(self):
        person = self.add_person(name="王秀英")
        person.tags.set([self.special_attention])
        index, phone_index = person.document_index, person.phone_index
        self.login(self.grid_worker)
        url = reverse("registry:person_edit", args=[person.pk])
        form = self.client.get(url).content.decode()
        self.assertNotIn(person.document_number, form)
        self.assertIn(person.masked_document, form)
        self.assertNotIn("重点人员", form)
        response = self.client.post(
            url,
            person_post(
                name="王秀英",
                sex="female",
                document_number="",
                phone="",
                relation="head",
                residence_type=ResidenceType.REGISTERED,
                tags=[self.elderly_alone.pk],
            ),
        )
        self.assertEqual(response.status_code, 302)
        person.refresh_from_db()
        self.assertEqual((person.document_index, person.phone_index), (index, phone_index))
        self.assertEqual(set(person.tags.all()), {self.elderly_alone, self.special_attention})
        change = RecordChange.objects.filter(record_type="person", record_id=person.pk).first()
        self.assertNotIn("document_number", change.changes)
        self.assertEqual(change.changes["moved_in_on"], [None, "2024-03-01"])

    def test_a_reader_may_not_add(self):
        self.login(self.leader)
        url = reverse("registry:person_new", args=[self.room.pk])
        self.assertEqual(self.client.post(url, person_post()).status_code, 403)
        self.assertFalse(Person.objects.exists())


class RevealTests(RegistryTestCase):
    def setUp(self):
        self.person = self.add_person(phone="13900002222")
        self.url = reverse("registry:person_reveal", args=[self.person.pk])

    def test_a_purpose_shows_the_numbers_once_and_is_audited(self):
        self.login(self.community_staff)
        page = self.client.get(reverse("registry:person", args=[self.person.pk]))
        self.assertContains(page, self.url)
        response = self.client.post(self.url, {"purpose": "核实低保申请"})
        self.assertContains(response, self.person.document_number)
        self.assertContains(response, "13900002222")
        self.assertEqual(response["Cache-Control"], "no-store")
        view = PersonalDataView.objects.get()
        self.assertEqual(
            (view.user, view.person, view.purpose),
            (self.community_staff, self.person, "核实低保申请"),
        )
        again = self.client.get(reverse("registry:person", args=[self.person.pk]))
        self.assertNotContains(again, "13900002222")

    def test_no_purpose_no_numbers(self):
        self.login(self.community_staff)
        response = self.client.post(self.url, {"purpose": " "})
        self.assertEqual(response.status_code, 400)
        self.assertNotContains(response, "13900002222", status_code=400)
        self.assertFalse(PersonalDataView.objects.exists())

    def test_a_grid_worker_has_no_button_and_is_refused(self):
        self.login(self.grid_worker)
        page = self.client.get(reverse("registry:person", args=[self.person.pk]))
        self.assertNotContains(page, self.url)
        self.assertEqual(self.client.post(self.url, {"purpose": "核实"}).status_code, 403)
        self.assertFalse(PersonalDataView.objects.exists())


class OrganisationPageTests(RegistryTestCase):
    def test_adding_and_editing_an_organisation(self):
        self.login(self.grid_worker)
        url = reverse("registry:organisation_new")
        data = {
            "name": "惠民便利店",
            "kind": OrganisationKind.SHOP,
            "credit_code": "91330100MA2B3C4D5E",
            "building": self.building.pk,
            "room_number": "1-302",
            "contact_name": "周老板",
            "contact_phone": "13700001234",
            "is_active": "on",
        }
        bad = self.client.post(url, data | {"room_number": "9-999"})
        self.assertEqual(bad.status_code, 400)
        self.assertContains(bad, "惠民便利店", status_code=400)
        outside = self.client.post(url, data | {"building": self.neighbour_building.pk})
        self.assertEqual(outside.status_code, 400)
        self.assertFalse(Organisation.objects.exists())

        response = self.client.post(url, data)
        organisation = Organisation.objects.get()
        self.assertRedirects(response, reverse("registry:organisation", args=[organisation.pk]))
        self.assertEqual(organisation.room, self.room)
        self.assertNotIn("13700001234", organisation.contact_phone_sealed)
        page = self.client.get(response["Location"])
        self.assertContains(page, "137****1234")
        self.assertNotContains(page, "13700001234")

        edit = reverse("registry:organisation_edit", args=[organisation.pk])
        self.assertNotContains(self.client.get(edit), "13700001234")
        self.client.post(edit, data | {"contact_phone": "", "name": "惠民超市"})
        organisation.refresh_from_db()
        self.assertEqual(organisation.masked_contact_phone, "137****1234")
        changes = RecordChange.objects.filter(record_type="organisation").first().changes
        self.assertEqual(changes, {"name": ["惠民便利店", "惠民超市"]})

        listed = self.client.get(reverse("registry:organisations"), {"area": self.grid.code})
        self.assertContains(listed, "惠民超市")
        self.client.post(
            reverse("registry:organisation_visit", args=[organisation.pk]),
            {
                "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
                "found": "消防通道畅通",
            },
        )
        self.assertEqual(PatrolLog.objects.get().organisation, organisation)

    def test_the_list_holds_only_the_scope(self):
        Organisation.objects.create(name="湖心诊所", kind="clinic", building=self.other_building)
        self.login(self.community_staff)
        response = self.client.get(reverse("registry:organisations"))
        self.assertNotContains(response, "湖心诊所")
        refused = self.client.get(reverse("registry:organisations"), {"area": self.other_grid.code})
        self.assertEqual(refused.status_code, 404)


class AdminTests(RegistryTestCase):
    def test_the_admin_shows_persons_masked_and_the_audit_read_only(self):
        person = self.add_person(phone="13900003333")
        self.login(self.admin)
        listing = self.client.get(reverse("admin:registry_person_changelist"))
        self.assertContains(listing, person.masked_document)
        self.assertNotContains(listing, person.document_number)
        detail = self.client.get(reverse("admin:registry_person_change", args=[person.pk]))
        self.assertContains(detail, "139****3333")
        self.assertNotContains(detail, "13900003333")
        self.assertNotContains(detail, person.document_sealed)
        for name in ("personaldataview", "recordchange"):
            with self.subTest(model=name):
                self.assertEqual(
                    self.client.get(reverse(f"admin:registry_{name}_add")).status_code, 403
                )
        change = RecordChange.objects.first()
        response = self.client.post(
            reverse("admin:registry_recordchange_delete", args=[change.pk]), {"post": "yes"}
        )
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.client.get(reverse("admin:registry_tag_add")).status_code, 200)


class QueryCountTests(RegistryTestCase):
    def count_room_page(self):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            self.assertEqual(
                self.client.get(reverse("registry:room", args=[self.room.pk])).status_code, 200
            )
        return len(queries)

    def test_the_room_page_reads_a_fixed_number_of_queries(self):
        """However many live there and however many households came before."""
        self.login(self.community_staff)
        first = self.add_person(serial=1)
        first.tags.set([self.elderly_alone])
        few = self.count_room_page()
        for serial in range(2, 7):
            self.add_person(name=f"成员{serial}", serial=serial).tags.set([self.special_attention])
        self.client.post(
            reverse("registry:move_out", args=[first.household_id]),
            {"moved_out_on": timezone.localdate().isoformat()},
        )
        self.add_person(name="新住户", serial=20)
        self.assertEqual(self.count_room_page(), few)


class EmptyRoomVisitTests(RegistryTestCase):
    def test_a_visit_to_an_empty_room_is_noted_against_the_room_and_makes_no_household(self):
        self.login(self.grid_worker)
        when = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
        response = self.client.post(
            reverse("registry:room_visit", args=[self.second_room.pk]),
            {"visited_at": when, "found": "空置，门窗完好"},
        )
        self.assertEqual(response.status_code, 302)
        log = PatrolLog.objects.get()
        self.assertEqual((log.room, log.household, log.grid), (self.second_room, None, self.grid))
        self.assertFalse(self.second_room.households.exists())
        page = self.client.get(reverse("registry:room", args=[self.second_room.pk]))
        self.assertContains(page, "空置，门窗完好")


@pytest.mark.postgres
class ConcurrentAddTests(TransactionTestCase):
    """A grid worker adds a person whom someone else is registering at that very moment:
    the page finds that person instead of failing with a server error."""

    serialized_rollback = True

    def test_the_form_that_loses_the_race_finds_the_person_instead(self):
        if connection.vendor != "postgresql":
            self.skipTest("needs PostgreSQL's row locks between two connections")
        cast = type("Cast", (), {})
        build_cast(cast)
        build_registry_cast(cast)
        data = person_post()

        def someone_else_registers_him():
            services.save_person(
                None,
                services.PersonInput(
                    name="张建国",
                    residence_type="floating",
                    document_type="resident_id",
                    document_number=data["document_number"],
                ),
                services.household_at(cast.room),
                via="test",
            )

        with held_by_another_connection(someone_else_registers_him):
            self.client.force_login(cast.grid_worker)
            response = self.client.post(
                reverse("registry:person_new", args=[cast.second_room.pk]), data
            )
        self.assertEqual(response.status_code, 302)
        [person] = Person.objects.filter(name="张建国")
        self.assertEqual(person.household.room, cast.second_room)
