"""Cases and the registry: a case taken in for a registered person without retyping them,
and the case page showing who is registered at its room."""

from django.urls import reverse

from gridgov.cases import services
from gridgov.cases.models import Case
from gridgov.registry.models import Organisation
from gridgov.registry.tests.base import RegistryTestCase

FORM = {
    "channel": "hotline",
    "case_type": "help",
    "title": "独居老人家中漏水",
    "description": "楼上漏水到家里，老人行动不便。",
}


class TakeInForARegisteredPersonTests(RegistryTestCase):
    def setUp(self):
        self.person = self.add_person(name="王秀英", phone="13900001111")

    def test_the_operator_finds_the_person_and_the_case_takes_their_details(self):
        self.login(self.dispatcher)
        for query in ("王秀", "13900001111", "139 0000 1111"):
            found = self.client.get(reverse("cases:intake_person_lookup"), {"q": query}).json()
            self.assertEqual([r["id"] for r in found["results"]], [self.person.pk], query)
        [shown] = found["results"]
        self.assertEqual(shown["phone"], "139****1111")
        self.assertNotIn("13900001111", str(found))
        response = self.client.post(
            reverse("cases:intake"), {**FORM, "registered_person": self.person.pk}
        )
        case = Case.objects.get()
        self.assertRedirects(response, reverse("cases:detail", args=[case.number]))
        self.assertEqual((case.room, case.region), (self.room, self.building))
        self.assertEqual((case.reporter.name, case.reporter.phone), ("王秀英", "13900001111"))

    def test_a_person_outside_the_operators_area_is_neither_found_nor_used(self):
        other = self.add_person(room=self.other_room, name="赵敏", serial=9)
        self.login(self.grid_worker)
        self.assertEqual(
            self.client.get(reverse("cases:intake_person_lookup"), {"q": "赵敏"}).json(),
            {"results": []},
        )
        response = self.client.post(
            reverse("cases:intake"),
            {**FORM, "channel": "grid_patrol", "registered_person": other.pk},
        )
        self.assertContains(response, FORM["description"], status_code=400)
        self.assertFalse(Case.objects.exists())

    def test_departments_residents_and_offices_may_not_look_people_up(self):
        for user in (self.handler, self.resident, self.outsider):
            self.login(user)
            response = self.client.get(reverse("cases:intake_person_lookup"), {"q": "王秀"})
            self.assertEqual(response.status_code, 403)


class CasePagePlaceTests(RegistryTestCase):
    def test_the_case_page_shows_who_is_registered_at_its_room_masked(self):
        person = self.add_person(name="王秀英", phone="13900001111")
        Organisation.objects.create(name="滨江便利店", kind="shop", building=self.building)
        case = services.intake_case(
            self.dispatcher, {**FORM, "room": self.room.code, "reporter_phone": "13800000000"}
        ).case
        self.login(self.community_staff)
        page = self.client.get(reverse("cases:detail", args=[case.number]))
        self.assertContains(page, self.room.address)
        self.assertContains(page, person.masked_name)
        self.assertContains(page, "139****1111")
        self.assertContains(page, "滨江便利店")
        self.assertNotContains(page, "13900001111")
        # The department handling it sees the case, not the registry of the community.
        services.perform(self.dispatcher, case.number, "register", {"category": "E0103"})
        services.perform(
            self.dispatcher, case.number, "dispatch", {"departments": [self.department.code]}
        )
        self.login(self.handler)
        page = self.client.get(reverse("cases:detail", args=[case.number]))
        self.assertEqual(page.status_code, 200)
        self.assertNotContains(page, person.masked_name)

    def test_an_unknown_room_code_is_refused_naming_the_field(self):
        with self.assertRaises(services.InvalidInput) as refused:
            services.intake_case(self.dispatcher, {**FORM, "room": "no-such-room"})
        self.assertIn("room", refused.exception.errors)
        self.assertFalse(Case.objects.exists())
