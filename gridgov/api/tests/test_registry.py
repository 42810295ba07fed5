"""/api/v1/registry/…: scope per role, masked numbers, sensitive tags, de-duplication,
validation, the audited reveal, and the writes (persons, move-out, dwellings,
organisations, patrol logs) with their history."""

from datetime import date, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gridgov.accounts.tests.base import make_region
from gridgov.api.tests.base import api_url
from gridgov.api.tests.registry_base import RegistryApiTestCase
from gridgov.registry.models import (
    Dwelling,
    Household,
    Organisation,
    PatrolLog,
    Person,
    PersonalDataView,
    RecordChange,
)
from gridgov.registry.tests.base import resident_id

NUMBER = resident_id(date(1950, 3, 8), 7, male=False)
PHONE = "13900001111"


class RegistryScopeTests(RegistryApiTestCase):
    def setUp(self):
        super().setUp()
        self.persons = {}
        self.organisations = {}
        for serial, (grid, room, building) in enumerate(
            (
                (self.grid, self.room, self.building),
                (self.neighbour_grid, self.neighbour_room, self.neighbour_building),
                (self.other_grid, self.other_room, self.other_building),
            ),
            start=1,
        ):
            self.persons[grid.pk] = self.add_person(room=room, serial=serial)
            self.organisations[grid.pk] = Organisation.objects.create(
                name=f"店{serial}", kind="shop", building=building
            )

    def urls(self, grid) -> list[str]:
        person = self.persons[grid.pk]
        household = person.household
        return [
            api_url("registry-person-detail", person.pk),
            api_url("registry-person-history", person.pk),
            api_url("registry-household-detail", household.pk),
            api_url("registry-household-members", household.pk),
            api_url("registry-room-detail", household.room_id),
            api_url("registry-organisation-detail", self.organisations[grid.pk].pk),
            api_url("registry-counts", region=grid.code),
        ]

    def test_each_role_sees_inside_its_scope_and_gets_404_outside(self):
        for user, inside, outside in (
            (self.leader, self.grid, self.other_grid),
            (self.dispatcher, self.grid, self.other_grid),
            (self.street_staff, self.grid, self.other_grid),
            (self.community_staff, self.grid, self.neighbour_grid),
            (self.grid_worker, self.grid, self.neighbour_grid),
            (self.outsider, self.other_grid, self.grid),
            (self.admin, self.other_grid, None),
        ):
            for url in self.urls(inside):
                with self.subTest(user=user.username, url=url, where="inside"):
                    response = self.get(url, user)
                    self.assertEqual(response.status_code, 200, response.content[:300])
            for url in self.urls(outside) if outside else []:
                with self.subTest(user=user.username, url=url, where="outside"):
                    self.assertJsonError(self.get(url, user), 404)

    def test_a_resident_and_a_department_see_nothing_and_anonymous_is_401(self):
        for url in self.urls(self.grid):
            # A department acts on the cases assigned to it, not for an area.
            for user in (self.resident, self.handler):
                with self.subTest(user=user.username, url=url):
                    self.assertJsonError(self.get(url, user), 404)
            self.assertJsonError(self.get(url), 401)
        for name in (
            "registry-person-list",
            "registry-room-list",
            "registry-organisation-list",
            "registry-patrol-log-list",
            "registry-tag-list",
        ):
            for user in (self.resident, self.handler):
                self.assertEqual(self.get(api_url(name), user).json()["results"], [])

    def test_the_lists_hold_only_what_is_in_scope(self):
        mine = self.persons[self.grid.pk]
        neighbours = self.persons[self.neighbour_grid.pk]
        ours = [self.room.pk, self.second_room.pk]
        for user, expected, rooms in (
            (self.grid_worker, [mine.pk], ours),
            (self.community_staff, [mine.pk], ours),
            (self.street_staff, [mine.pk, neighbours.pk], [*ours, self.neighbour_room.pk]),
            (self.outsider, [self.persons[self.other_grid.pk].pk], [self.other_room.pk]),
        ):
            with self.subTest(user=user.username):
                body = self.get(api_url("registry-person-list"), user).json()
                self.assertEqual([row["id"] for row in body["results"]], expected)
                body = self.get(api_url("registry-room-list"), user).json()
                self.assertEqual(sorted(row["id"] for row in body["results"]), sorted(rooms))

    def test_a_region_filter_outside_scope_is_400_naming_region(self):
        response = self.get(
            api_url("registry-person-list", region=self.other_grid.code), self.community_staff
        )
        self.assertIn("region", self.assertJsonError(response, 400)["errors"])

    def test_writes_outside_scope_are_404_and_by_readers_403(self):
        outside = self.persons[self.neighbour_grid.pk]
        url = api_url("registry-person-detail", outside.pk)
        self.assertJsonError(self.patch(url, {"name": "改"}, self.grid_worker), 404)
        inside = self.persons[self.grid.pk]
        for user in (self.leader, self.dispatcher):
            with self.subTest(user=user.username):
                url = api_url("registry-person-detail", inside.pk)
                self.assertJsonError(self.patch(url, {"name": "改"}, user), 403)
                body = {"room": self.room.pk, "name": "新", "residence_type": "registered"}
                self.assertJsonError(self.post(api_url("registry-person-list"), body, user), 403)
        self.assertEqual(Person.objects.get(pk=inside.pk).name, inside.name)


class RegistryPersonTests(RegistryApiTestCase):
    def create(self, user=None, **fields):
        body = {
            "room": self.room.pk,
            "name": "王秀英",
            "residence_type": "registered",
            "document_type": "resident_id",
            "document_number": NUMBER,
            "phone": PHONE,
            "relation": "head",
            **fields,
        }
        return self.post(api_url("registry-person-list"), body, user or self.grid_worker)

    def test_a_person_is_added_through_the_service_and_shown_masked(self):
        response = self.create(tags=["elderly-alone"])
        self.assertEqual(response.status_code, 201, response.content[:500])
        body = response.json()
        self.assertEqual(
            (body["created"], body["moved"], body["birth_date"]), (True, False, "1950-03-08")
        )
        self.assertEqual(body["masked_document"], NUMBER[:6] + "********" + NUMBER[-4:])
        self.assertEqual(body["masked_phone"], "139****1111")
        self.assertEqual(body["tags"], [{"code": "elderly-alone", "name": "独居老人"}])
        self.assertIn(f"/registry/persons/{body['id']}", response["Location"])
        change = RecordChange.objects.get(record_type="person", record_id=body["id"])
        self.assertEqual((change.actor, change.via), (self.grid_worker, "api"))

    def test_the_clear_numbers_never_appear_outside_the_reveal(self):
        answers = [self.create(), self.create()]  # new, then found again
        person_id = answers[0].json()["id"]
        household = Person.objects.get(pk=person_id).household
        org = self.post(
            api_url("registry-organisation-list"),
            {
                "name": "滨江便利店",
                "kind": "shop",
                "building": self.building.code,
                "contact_phone": "13812340000",
            },
            self.community_staff,
        ).json()
        answers.append(
            self.patch(
                api_url("registry-person-detail", person_id), {"phone": "13900002222"}, self.admin
            )
        )
        answers.append(
            self.post(
                api_url("registry-patrol-log-list"),
                {"grid": self.grid.code, "household": household.pk, "found": f"电话{PHONE}"},
                self.grid_worker,
            )
        )
        for answer in answers:
            self.assertLess(answer.status_code, 300)
            for secret in (NUMBER, PHONE, "13900002222"):
                self.assertNotIn(secret, answer.content.decode())
        urls = [
            api_url("registry-person-list"),
            api_url("registry-person-detail", person_id),
            api_url("registry-person-history", person_id),
            api_url("registry-household-detail", household.pk),
            api_url("registry-household-members", household.pk),
            api_url("registry-household-history", household.pk),
            api_url("registry-room-detail", self.room.pk),
            api_url("registry-room-list"),
            api_url("registry-organisation-list"),
            api_url("registry-organisation-detail", org["id"]),
            api_url("registry-organisation-history", org["id"]),
            api_url("registry-patrol-log-list"),
            api_url("registry-counts", region=self.community.code),
        ]
        for user in (self.admin, self.community_staff, self.grid_worker):
            for url in urls:
                with self.subTest(user=user.username, url=url):
                    response = self.get(url, user)
                    self.assertEqual(response.status_code, 200)
                    content = response.content.decode()
                    for secret in (NUMBER, PHONE, "13900002222", "13812340000"):
                        self.assertNotIn(secret, content)
        self.assertIn("139****1111", self.get(urls[-2], self.admin).content.decode())

    def test_the_same_document_answers_the_registered_person_and_moves_them(self):
        first = self.create().json()
        response = self.create(room=self.second_room.pk, name="王秀英", phone="")
        self.assertEqual(response.status_code, 200, response.content[:300])
        body = response.json()
        self.assertEqual((body["id"], body["created"], body["moved"]), (first["id"], False, True))
        self.assertEqual(body["room"], self.second_room.pk)
        self.assertEqual(body["moved_from"], str(self.room))
        # What the second call left out is kept, not cleared.
        self.assertEqual(body["masked_phone"], "139****1111")
        self.assertEqual(Person.objects.count(), 1)
        again = self.create(room=self.second_room.pk).json()
        self.assertEqual(
            (again["id"], again["created"], again["moved"]), (first["id"], False, False)
        )

    def test_bad_input_is_400_naming_each_field_and_nothing_is_saved(self):
        wrong = NUMBER[:17] + ("0" if NUMBER[17] != "0" else "1")
        for fields, named in (
            ({"document_number": wrong}, "document_number"),
            (
                {
                    "document_type": "passport",
                    "document_number": "E1234567",
                    "birth_date": "2999-01-01",
                },
                "birth_date",
            ),
            (
                {
                    "document_type": "passport",
                    "document_number": "E1234567",
                    "birth_date": str(timezone.localdate() + timedelta(days=1)),
                },
                "birth_date",
            ),
            ({"birth_date": "1951-01-01"}, "birth_date"),
            ({"phone": "12"}, "phone"),
            ({"room": self.neighbour_room.pk}, "room"),
            ({"room": 10**17}, "room"),
            ({"room": None, "household": None}, "room"),
            ({"name": "王\x00"}, "name"),
            ({"name": ""}, "name"),
            ({"residence_type": "tourist"}, "residence_type"),
            ({"tags": ["no-such-tag"]}, "tags"),
            ({"tags": "elderly-alone"}, "tags"),
            ({"document_type": ""}, "document_type"),
        ):
            with self.subTest(fields=fields):
                response = self.create(**fields)
                self.assertIn(named, self.assertJsonError(response, 400, "invalid")["errors"])
        self.assertFalse(Person.objects.exists())
        self.assertFalse(Household.objects.exists())
        self.assertFalse(RecordChange.objects.exists())

    def test_an_update_changes_only_what_is_given(self):
        person_id = self.create(tags=["elderly-alone"]).json()["id"]
        url = api_url("registry-person-detail", person_id)
        response = self.patch(url, {"relation": "spouse", "phone": "13900002222"}, self.grid_worker)
        self.assertEqual(response.status_code, 200, response.content[:300])
        body = response.json()
        self.assertEqual((body["relation"], body["masked_phone"]), ("spouse", "139****2222"))
        self.assertEqual(body["masked_document"][-4:], NUMBER[-4:])
        self.assertEqual(body["tags"], [{"code": "elderly-alone", "name": "独居老人"}])
        history = self.get(api_url("registry-person-history", person_id), self.grid_worker).json()
        self.assertEqual(history["results"][0]["changes"]["relation"], ["head", "spouse"])
        self.assertEqual(history["results"][0]["changes"]["phone"], ["***", "139****2222"])
        moved = self.patch(url, {"room": self.second_room.pk}, self.grid_worker).json()
        self.assertEqual((moved["room"], moved["moved"]), (self.second_room.pk, True))
        self.assertEqual(moved["relation"], "spouse")

    def test_another_persons_document_is_refused_on_update(self):
        self.create()
        other = self.add_person(room=self.second_room, serial=9, name="李四")
        response = self.patch(
            api_url("registry-person-detail", other.pk),
            {"document_type": "resident_id", "document_number": NUMBER},
            self.community_staff,
        )
        self.assertIn("document_number", self.assertJsonError(response, 400)["errors"])

    def test_filters_by_residence_type_tag_age_and_moved_out(self):
        today = timezone.localdate()
        old = self.add_person(born=today.replace(year=today.year - 85), serial=1)
        old.tags.add(self.elderly_alone)
        young = self.add_person(
            room=self.second_room,
            born=today.replace(year=today.year - 10, day=1) - timedelta(days=1),
            serial=2,
            residence_type="floating",
        )
        url = "registry-person-list"
        for query, expected in (
            ({"residence_type": "floating"}, [young.pk]),
            ({"tag": "elderly-alone"}, [old.pk]),
            ({"age_min": 80}, [old.pk]),
            ({"age_max": 17}, [young.pk]),
            ({"age_min": 18, "age_max": 79}, []),
            ({"moved_out": "false"}, [old.pk, young.pk]),
            ({"moved_out": "true"}, []),
            ({"region": self.grid.code}, [old.pk, young.pk]),
        ):
            with self.subTest(query=query):
                body = self.get(api_url(url, **query), self.community_staff).json()
                self.assertEqual([row["id"] for row in body["results"]], expected)
        for query, named in (
            ({"age_min": 30, "age_max": 20}, "age_min"),
            ({"age_min": -1}, "age_min"),
            ({"tag": "nope"}, "tag"),
            ({"moved_out": "maybe"}, "moved_out"),
            ({"cursor": "zz"}, "cursor"),
        ):
            with self.subTest(query=query):
                response = self.get(api_url(url, **query), self.community_staff)
                self.assertIn(named, self.assertJsonError(response, 400)["errors"])


class RegistryListQueryTests(RegistryApiTestCase):
    def test_the_lists_run_a_fixed_number_of_queries(self):
        urls = [
            api_url("registry-person-list"),
            api_url("registry-room-list"),
            api_url("registry-household-members", self.add_person(serial=1).household_id),
            api_url("registry-room-detail", self.room.pk),
        ]
        self.get(urls[0], self.community_staff)  # the token's first use is written down once
        before = [self.queries(url) for url in urls]
        for serial in range(2, 8):
            person = self.add_person(serial=serial, relation="child")
            person.tags.add(self.elderly_alone, self.special_attention)
        self.assertEqual([self.queries(url) for url in urls], before)

    def queries(self, url) -> int:
        with CaptureQueriesContext(connection) as queries:
            self.assertEqual(self.get(url, self.community_staff).status_code, 200)
        return len(queries)


class RegistrySensitiveTagTests(RegistryApiTestCase):
    def setUp(self):
        super().setUp()
        self.person = self.add_person()
        self.person.tags.add(self.special_attention, self.elderly_alone)

    def test_a_sensitive_tag_is_left_out_for_roles_not_allowed(self):
        url = api_url("registry-person-detail", self.person.pk)
        shown = [tag["code"] for tag in self.get(url, self.community_staff).json()["tags"]]
        self.assertEqual(shown, ["elderly-alone", "special-attention"])
        for user in (self.grid_worker, self.dispatcher):
            with self.subTest(user=user.username):
                for url in (
                    api_url("registry-person-detail", self.person.pk),
                    api_url("registry-person-list"),
                    api_url("registry-room-detail", self.room.pk),
                    api_url("registry-household-members", self.person.household_id),
                ):
                    self.assertNotIn("special-attention", self.get(url, user).content.decode())

    def test_listing_by_a_sensitive_tag_is_403_for_roles_not_allowed(self):
        url = api_url("registry-person-list", tag="special-attention")
        self.assertJsonError(self.get(url, self.grid_worker), 403)
        body = self.get(url, self.community_staff).json()
        self.assertEqual([row["id"] for row in body["results"]], [self.person.pk])

    def test_counts_show_the_sensitive_tag_to_everyone_as_a_number(self):
        url = api_url("registry-counts", region=self.grid.code)
        body = self.get(url, self.grid_worker).json()
        counts = {row["code"]: row["count"] for row in body["by_tag"]}
        self.assertEqual(counts, {"elderly-alone": 1, "special-attention": 1})
        self.assertNotIn(self.person.name, self.get(url, self.grid_worker).content.decode())

    def test_a_role_not_allowed_neither_gives_nor_drops_a_sensitive_tag(self):
        url = api_url("registry-person-detail", self.person.pk)
        response = self.patch(url, {"tags": ["special-attention"]}, self.grid_worker)
        self.assertIn("tags", self.assertJsonError(response, 400)["errors"])
        response = self.patch(url, {"tags": []}, self.grid_worker)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            list(self.person.tags.values_list("code", flat=True)), ["special-attention"]
        )


class RegistryRevealTests(RegistryApiTestCase):
    def setUp(self):
        super().setUp()
        self.person = self.add_person(document_number=NUMBER, phone=PHONE)
        self.url = api_url("registry-person-reveal", self.person.pk)

    def test_an_allowed_role_sees_the_numbers_and_the_view_is_audited(self):
        response = self.post(self.url, {"purpose": "上门核实低保申请"}, self.community_staff)
        self.assertEqual(response.status_code, 200, response.content[:300])
        self.assertEqual(response.json()["document_number"], NUMBER)
        self.assertEqual(response.json()["phone"], PHONE)
        self.assertIn("no-store", response["Cache-Control"])
        view = PersonalDataView.objects.get()
        self.assertEqual(
            (view.user, view.person, view.purpose),
            (self.community_staff, self.person, "上门核实低保申请"),
        )

    def test_other_roles_are_403_outside_404_and_no_purpose_400_none_audited(self):
        for user in (self.grid_worker, self.dispatcher):
            with self.subTest(user=user.username):
                self.assertJsonError(self.post(self.url, {"purpose": "查看"}, user), 403)
        for user in (self.outsider, self.resident, self.handler):
            with self.subTest(user=user.username):
                self.assertJsonError(self.post(self.url, {"purpose": "查看"}, user), 404)
        for body in ({}, {"purpose": " "}, {"purpose": "x" * 201}, {"purpose": ["a"]}):
            with self.subTest(body=body):
                response = self.post(self.url, body, self.community_staff)
                self.assertIn("purpose", self.assertJsonError(response, 400)["errors"])
        self.assertFalse(PersonalDataView.objects.exists())


class RegistryWriteTests(RegistryApiTestCase):
    def test_a_household_moves_out_with_its_members(self):
        person = self.add_person()
        household = person.household
        url = api_url("registry-household-move-out", household.pk)
        future = str(timezone.localdate() + timedelta(days=2))
        for body in ({"moved_out_on": future}, {"moved_out_on": "yesterday"}):
            response = self.post(url, body, self.grid_worker)
            self.assertIn("moved_out_on", self.assertJsonError(response, 400)["errors"])
        self.assertJsonError(self.post(url, {}, self.leader), 403)
        self.assertIsNone(Household.objects.get(pk=household.pk).moved_out_on)
        response = self.post(url, {"moved_out_on": "2026-11-30"}, self.grid_worker)
        self.assertEqual(response.status_code, 200, response.content[:300])
        body = response.json()
        self.assertEqual((body["moved_out_on"], body["is_current"]), ("2026-11-30", False))
        self.assertEqual(body["members"][0]["moved_out_on"], "2026-11-30")
        again = self.post(url, {}, self.grid_worker)
        self.assertIn("moved_out_on", self.assertJsonError(again, 400)["errors"])
        history = self.get(api_url("registry-household-history", household.pk), self.grid_worker)
        self.assertEqual(
            history.json()["results"][0]["changes"], {"moved_out_on": [None, "2026-11-30"]}
        )
        room = self.get(api_url("registry-room-detail", self.room.pk), self.grid_worker).json()
        self.assertIsNone(room["household"])

    def test_a_rooms_use_is_said_and_its_history_kept(self):
        tenant = self.add_person(serial=4).household
        elsewhere = self.add_person(room=self.second_room, serial=5).household
        url = api_url("registry-dwelling", self.room.pk)
        self.assertJsonError(self.get(url, self.grid_worker), 404)
        for body, named in (
            ({"use": "vacant", "tenant_household": tenant.pk}, "tenant_household"),
            (
                {"use": "rented", "rented_from": "2026-03-01", "rented_to": "2026-01-01"},
                "rented_to",
            ),
            ({"use": "rented", "tenant_household": elsewhere.pk}, "tenant_household"),
            ({"use": "palace"}, "use"),
        ):
            with self.subTest(body=body):
                response = self.put(url, body, self.grid_worker)
                self.assertIn(named, self.assertJsonError(response, 400)["errors"])
        self.assertFalse(Dwelling.objects.exists())
        body = {"use": "rented", "tenant_household": tenant.pk, "rented_from": "2026-03-01"}
        response = self.put(url, body, self.grid_worker)
        self.assertEqual(response.status_code, 201, response.content[:300])
        self.assertEqual(self.put(url, {"use": "vacant"}, self.grid_worker).status_code, 200)
        self.assertEqual(self.get(url, self.grid_worker).json()["use"], "vacant")
        history = self.get(api_url("registry-dwelling-history", self.room.pk), self.grid_worker)
        latest = history.json()["results"][0]["changes"]
        self.assertEqual(latest["use"], ["rented", "vacant"])
        self.assertJsonError(self.put(url, {"use": "vacant"}, self.dispatcher), 403)
        outside = api_url("registry-dwelling", self.neighbour_room.pk)
        self.assertJsonError(self.put(outside, {"use": "vacant"}, self.grid_worker), 404)

    def test_organisations_are_added_and_changed_in_scope(self):
        url = api_url("registry-organisation-list")
        body = {
            "name": "滨江便利店",
            "kind": "shop",
            "building": self.building.code,
            "room": self.room.pk,
            "contact_phone": "13812340000",
        }
        response = self.post(url, body, self.grid_worker)
        self.assertEqual(response.status_code, 201, response.content[:300])
        created = response.json()
        self.assertEqual(
            (created["grid"], created["masked_contact_phone"]), (self.grid.code, "138****0000")
        )
        for fields, named in (
            ({"building": self.neighbour_building.code}, "building"),
            ({"room": self.second_room.pk + 999}, "room"),
            ({"contact_phone": "1"}, "contact_phone"),
            ({"kind": "bank"}, "kind"),
            ({"credit_code": "X" * 19}, "credit_code"),
            ({"credit_code": "91-3301"}, "credit_code"),
        ):
            with self.subTest(fields=fields):
                response = self.post(url, {**body, **fields}, self.grid_worker)
                self.assertIn(named, self.assertJsonError(response, 400)["errors"])
        self.assertEqual(Organisation.objects.count(), 1)
        detail = api_url("registry-organisation-detail", created["id"])
        response = self.patch(detail, {"is_active": False}, self.community_staff)
        self.assertFalse(response.json()["is_active"])
        listed = self.get(api_url("registry-organisation-list", kind="shop"), self.community_staff)
        self.assertEqual([row["id"] for row in listed.json()["results"]], [created["id"]])
        listed = self.get(api_url("registry-organisation-list", kind="school"), self.admin)
        self.assertEqual(listed.json()["results"], [])
        history = self.get(api_url("registry-organisation-history", created["id"]), self.admin)
        self.assertEqual(history.json()["results"][0]["changes"], {"is_active": [True, False]})
        # Moved to another building, it cannot keep a room of the first.
        other_building = make_region(
            "990101001001002001", "滨江苑2幢", "building", self.second_grid
        )
        response = self.patch(detail, {"building": other_building.code}, self.grid_worker)
        self.assertIn("room", self.assertJsonError(response, 400)["errors"])
        body = {"building": other_building.code, "room": None}
        self.assertEqual(
            self.patch(detail, body, self.grid_worker).json()["grid"], self.second_grid.code
        )
        self.assertJsonError(self.patch(detail, {"name": "x"}, self.outsider), 404)

    def test_a_grid_worker_logs_a_visit_in_their_grid(self):
        household = self.add_person().household
        url = api_url("registry-patrol-log-list")
        body = {"grid": self.grid.code, "household": household.pk, "found": "楼道堆物已提醒"}
        response = self.post(url, body, self.grid_worker)
        self.assertEqual(response.status_code, 201, response.content[:300])
        self.assertEqual(response.json()["worker"], str(self.grid_worker))
        future = (timezone.now() + timedelta(days=1)).isoformat()
        for fields, named in (
            ({"grid": self.neighbour_grid.code}, "grid"),
            ({"grid": self.second_grid.code}, "household"),
            ({"visited_at": future}, "visited_at"),
            ({"case": "20260101-999999"}, "case"),
            ({"found": ""}, "found"),
        ):
            with self.subTest(fields=fields):
                response = self.post(url, {**body, **fields}, self.grid_worker)
                self.assertIn(named, self.assertJsonError(response, 400)["errors"])
        self.assertEqual(PatrolLog.objects.count(), 1)
        self.assertJsonError(self.post(url, body, self.dispatcher), 403)
        rows = self.get(url, self.community_staff).json()["results"]
        self.assertEqual([row["found"] for row in rows], ["楼道堆物已提醒"])
        self.assertEqual(self.get(url, self.outsider).json()["results"], [])

    def test_tags_and_rooms_list(self):
        tags = self.get(api_url("registry-tag-list"), self.grid_worker).json()["results"]
        codes = [tag["code"] for tag in tags]
        self.assertEqual(codes, sorted(codes))
        self.assertTrue({"elderly-alone", "special-attention"} <= set(codes))
        rooms = self.get(api_url("registry-room-list", q="402"), self.grid_worker).json()
        self.assertEqual([room["id"] for room in rooms["results"]], [self.second_room.pk])
        rooms = self.get(
            api_url("registry-room-list", building=self.building.code), self.community_staff
        ).json()
        self.assertEqual(len(rooms["results"]), 2)
        response = self.get(
            api_url("registry-room-list", building=self.other_building.code), self.community_staff
        )
        self.assertIn("building", self.assertJsonError(response, 400)["errors"])


class RegistrySchemaTests(RegistryApiTestCase):
    def test_the_registry_is_in_the_schema_and_only_the_reveal_answers_numbers(self):
        schema = self.client.get(api_url("schema")).json()
        for path in (
            "registry/counts",
            "registry/rooms",
            "registry/rooms/{id}",
            "registry/rooms/{id}/dwelling",
            "registry/households/{id}/move-out",
            "registry/persons",
            "registry/persons/{id}",
            "registry/persons/{id}/reveal",
            "registry/persons/{id}/history",
            "registry/tags",
            "registry/organisations",
            "registry/patrol-logs",
        ):
            self.assertIn(f"/api/v1/{path}", schema["paths"])
        components = schema["components"]["schemas"]
        answering = {
            name: set(component.get("properties", {}))
            for name, component in components.items()
            if not name.endswith("Request")
        }
        with_numbers = {
            name
            for name, fields in answering.items()
            if fields & {"document_number", "phone", "contact_phone"}
        }
        self.assertLessEqual({"Person", "PersonAnswer", "Organisation", "Reveal"}, set(answering))
        self.assertEqual(with_numbers & {"Person", "PersonAnswer", "Organisation"}, set())
        self.assertIn("Reveal", with_numbers)
