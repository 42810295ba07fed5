"""Idempotency keys are the client's own, whatever door they come through: a key sent
through a web form can never answer with a case that the API, Open311 or another visitor
made, and the other way round."""

from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from gridgov.api.tests.base import ApiTestCase, api_url
from gridgov.api.tests.test_intake import REPORT
from gridgov.cases.models import Case

PUBLIC_REPORT = {
    "case_type": "complaint",
    "title": "楼道堆物",
    "description": "楼道里堆满杂物",
    "address": "滨江社区门口",
    "reporter_name": "李四",
    "reporter_phone": "13911112222",
}


class KeysAcrossDoorsTests(ApiTestCase):
    def setUp(self):
        super().setUp()
        cache.clear()

    def api_intake(self, key):
        return self.post(api_url("case-list"), REPORT, self.dispatcher, HTTP_IDEMPOTENCY_KEY=key)

    def public_report(self, key, client=None):
        return (client or self.client).post(
            reverse("public_report"), {**PUBLIC_REPORT, "idempotency_key": key}
        )

    def test_a_visitor_cannot_take_a_dispatchers_api_key_first(self):
        # The probe: the visitor posts the key as the API used to store it, and the raw key.
        for key in (f"api:{self.dispatcher.pk}:order-1", "order-1"):
            self.assertEqual(self.public_report(key).status_code, 200)
        visitor_cases = set(Case.objects.values_list("number", flat=True))
        response = self.api_intake("order-1")
        self.assertEqual(response.status_code, 201)
        self.assertNotIn(response.json()["number"], visitor_cases)
        self.assertEqual(Case.objects.count(), 3)

    def test_a_visitor_cannot_read_a_case_number_with_someone_elses_key(self):
        dispatcher_case = self.api_intake("order-2").json()["number"]
        stored = Case.objects.get(number=dispatcher_case).idempotency_key
        for key in (stored, "order-2"):
            response = self.public_report(key)
            self.assertEqual(response.status_code, 200)
            self.assertNotContains(response, dispatcher_case)
        self.assertEqual(Case.objects.count(), 3)

    def test_two_visitors_with_one_key_get_two_cases_and_each_retry_one(self):
        first, second = Client(), Client()
        for client in (first, second):
            client.get(reverse("public_report"))  # the page sets the visitor's CSRF cookie
            self.public_report("same-key", client)
            self.public_report("same-key", client)
        self.assertEqual(Case.objects.count(), 2)

    def test_a_staff_form_key_is_the_signed_in_users_own(self):
        data = {**REPORT, "channel": "hotline", "idempotency_key": "form-1"}
        for user in (self.dispatcher, self.grid_worker, self.dispatcher):
            self.client.force_login(user)
            self.client.post(reverse("cases:intake"), data)
        self.assertEqual(Case.objects.count(), 2)
        self.assertEqual(self.api_intake("form-1").status_code, 201)

    def test_an_unprintable_or_overlong_form_key_is_refused_and_changes_nothing(self):
        for key in ("k" * 129, "bad\x01key"):
            response = self.public_report(key)
            self.assertEqual(response.status_code, 400)
            self.assertContains(response, "楼道里堆满杂物", status_code=400)
        self.assertFalse(Case.objects.exists())
