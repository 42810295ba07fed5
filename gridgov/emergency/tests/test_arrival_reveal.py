"""The audited reveal of an arrival's ID number and phone, through the arrival page and
the API, as the registry's reveal of a person: the numbers in clear once, for a stated
purpose, written first to the registry's audit of unmasked views; without a purpose, for
a role not allowed or outside one's area: refused, nothing recorded, the numbers masked."""

from django.core.exceptions import PermissionDenied
from django.test import override_settings
from django.urls import reverse

from gridgov.emergency import arrivals
from gridgov.emergency.models import Channel
from gridgov.emergency.tests.base import WUHAN_JIANGHAN, EmergencyTestCase, at
from gridgov.emergency.tests.test_api import EmergencyApiTestCase, url
from gridgov.registry import crypto
from gridgov.registry.models import PersonalDataView
from gridgov.registry.tests.base import resident_id

PHONE = "13900005678"
MASKED_PHONE = "139****5678"
NO_PURPOSE = "Say why you need to see the numbers."


class RevealCase(EmergencyTestCase):
    def setUp(self):
        self.number = resident_id(self.days_ago(35 * 365), 9)
        self.arrival = self.report(self.building)

    def report(self, building):
        data = arrivals.ArrivalInput(
            name="张伟",
            origin_code=WUHAN_JIANGHAN,
            left_on=self.days_ago(2),
            arrived_at=at(self.days_ago(1), 9),
            region=building,
            channel=Channel.GRID_WORKER,
            document_type="resident_id",
            document_number=self.number,
            phone=PHONE,
        )
        return arrivals.report(self.admin, data)

    def assertNothingRecorded(self):
        self.assertFalse(PersonalDataView.objects.exists())


@override_settings(LANGUAGE_CODE="en")
class ArrivalRevealPageTests(RevealCase):
    def setUp(self):
        super().setUp()
        self.page = reverse("emergency:arrival_detail", args=[self.arrival.pk])
        self.url = reverse("emergency:arrival_reveal", args=[self.arrival.pk])

    def test_a_purpose_shows_the_numbers_once_and_is_audited(self):
        self.login(self.community_staff)
        page = self.client.get(self.page)
        self.assertContains(page, self.url)
        self.assertContains(page, MASKED_PHONE)
        self.assertNotContains(page, PHONE)
        self.assertNotContains(page, self.number)

        response = self.client.post(self.url, {"purpose": "核实居家隔离人员身份"})
        self.assertContains(response, self.number)
        self.assertContains(response, PHONE)
        self.assertEqual(response["Cache-Control"], "no-store")
        view = PersonalDataView.objects.get()
        self.assertEqual(
            (view.user, view.purpose, view.record_type, view.record_id, view.person),
            (self.community_staff, "核实居家隔离人员身份", "arrival", self.arrival.pk, None),
        )
        self.assertEqual(view.region_path, self.arrival.region_path)

        again = self.client.get(self.page)
        self.assertNotContains(again, PHONE)
        self.assertNotContains(again, self.number)

    def test_without_a_purpose_nothing_is_shown_or_recorded(self):
        self.login(self.community_staff)
        for body, message in (
            ({}, "This field is required."),
            ({"purpose": "  "}, "This field is required."),
            ({"purpose": "x"}, NO_PURPOSE),
        ):
            with self.subTest(body=body):
                response = self.client.post(self.url, body)
                self.assertContains(response, message, status_code=400)
                self.assertContains(response, MASKED_PHONE, status_code=400)
                self.assertNotContains(response, PHONE, status_code=400)
                self.assertNotContains(response, self.number, status_code=400)
        self.assertNothingRecorded()

    def test_a_role_not_allowed_sees_no_form_and_is_refused(self):
        # Both see the arrival's page: a grid worker in their grid, a dispatcher in their
        # district; neither may see personal numbers unmasked.
        for user in (self.grid_worker, self.dispatcher):
            with self.subTest(user=user.username):
                self.login(user)
                page = self.client.get(self.page)
                self.assertEqual(page.status_code, 200)
                self.assertNotContains(page, self.url)
                response = self.client.post(self.url, {"purpose": "核实身份"})
                self.assertEqual(response.status_code, 403)
                self.assertNotContains(response, PHONE, status_code=403)
        self.assertNothingRecorded()

    def test_outside_ones_area_it_is_404_and_nothing_recorded(self):
        neighbour = self.report(self.neighbour_building)
        elsewhere = reverse("emergency:arrival_reveal", args=[neighbour.pk])
        for user, target in (
            (self.community_staff, elsewhere),
            (self.outsider, self.url),
            (self.handler, self.url),
            (self.resident, self.url),
        ):
            with self.subTest(user=user.username):
                self.login(user)
                self.assertEqual(self.client.post(target, {"purpose": "核实身份"}).status_code, 404)
        self.client.logout()
        response = self.client.post(self.url, {"purpose": "核实身份"})
        self.assertEqual(response.status_code, 302)
        self.assertNothingRecorded()

    def test_the_command_checks_the_area_too(self):
        with self.assertRaises(PermissionDenied):
            arrivals.reveal_arrival(self.outsider, self.arrival, "核实身份")
        with self.assertRaises(PermissionDenied):
            arrivals.reveal_arrival(self.grid_worker, self.arrival, "核实身份")
        self.assertNothingRecorded()

    def test_the_registry_audit_page_lists_the_arrival_view_with_a_link_to_it(self):
        arrivals.reveal_arrival(self.community_staff, self.arrival, "核实居家隔离人员身份")
        self.login(self.leader)
        page = self.client.get(reverse("registry:audit"))
        self.assertContains(page, "核实居家隔离人员身份")
        self.assertContains(
            page, reverse("emergency:arrival_detail", args=[self.arrival.pk]), count=1
        )


class ArrivalSealingTests(RevealCase):
    def test_the_numbers_are_sealed_and_indexed_as_arrivals(self):
        arrival = self.arrival
        self.assertNotIn(self.number, arrival.document_sealed)
        self.assertEqual(
            crypto.open_sealed(arrival.document_sealed, "arrival.document"), self.number
        )
        self.assertEqual(crypto.open_sealed(arrival.phone_sealed, "arrival.phone"), PHONE)
        self.assertEqual(
            arrival.document_index, crypto.blind_index(self.number, "document:resident_id")
        )
        self.assertEqual(arrival.phone_index, crypto.blind_index(PHONE, "phone"))
        self.assertEqual(arrival.masked_phone, MASKED_PHONE)
        self.assertEqual(arrival.masked_document, "*" * 14 + self.number[-4:])


class ArrivalRevealApiTests(EmergencyApiTestCase):
    def setUp(self):
        super().setUp()
        self.number = resident_id(self.days_ago(35 * 365), 9)
        self.arrival = self.arrival(document_type="resident_id", document_number=self.number)
        self.url = url("arrival-reveal", self.arrival.pk)

    def test_an_allowed_role_sees_the_numbers_and_the_view_is_audited(self):
        response = self.post(self.url, {"purpose": "核实居家隔离人员身份"}, self.community_staff)
        self.assertEqual(response.status_code, 200, response.content[:300])
        self.assertEqual(
            response.json(),
            {
                "arrival": self.arrival.pk,
                "document_type": "resident_id",
                "document_number": self.number,
                "phone": "13900001111",
                "purpose": "核实居家隔离人员身份",
            },
        )
        self.assertIn("no-store", response["Cache-Control"])
        view = PersonalDataView.objects.get()
        self.assertEqual(
            (view.user, view.purpose, view.record_type, view.record_id, view.person),
            (self.community_staff, "核实居家隔离人员身份", "arrival", self.arrival.pk, None),
        )
        detail = self.get(url("arrival-detail", self.arrival.pk), self.community_staff)
        self.assertNotIn(self.number, detail.content.decode())

    def test_other_roles_are_403_outside_404_and_no_purpose_400_none_audited(self):
        self.assertJsonError(self.post(self.url, {"purpose": "核实身份"}, self.grid_worker), 403)
        for user in (self.outsider, self.dispatcher, self.handler, self.resident):
            with self.subTest(user=user.username):
                self.assertJsonError(self.post(self.url, {"purpose": "核实身份"}, user), 404)
        for body in (
            {},
            {"purpose": " "},
            {"purpose": "x"},
            {"purpose": "x" * 201},
            {"purpose": ["a"]},
        ):
            with self.subTest(body=body):
                response = self.post(self.url, body, self.community_staff)
                self.assertIn("purpose", self.assertJsonError(response, 400)["errors"])
        self.assertFalse(PersonalDataView.objects.exists())

    def test_the_reveal_is_in_the_schema_and_alone_answers_the_numbers(self):
        schema = self.client.get(reverse("api:schema")).json()
        operation = schema["paths"]["/api/v1/emergency/arrivals/{id}/reveal"]["post"]
        self.assertEqual(operation["tags"], ["emergency"])
        self.assertLessEqual({"200", "400", "401", "403", "404"}, set(operation["responses"]))
        components = schema["components"]["schemas"]
        self.assertIn("document_number", components["ArrivalReveal"]["properties"])
        for name in ("Arrival", "ArrivalDetail"):
            self.assertNotIn("document_number", components[name]["properties"])
