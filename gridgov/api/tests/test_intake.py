"""POST /api/v1/cases: intake, idempotency, anonymous reporting, limits."""

import json
from ipaddress import ip_network

from django.test import override_settings
from rest_framework.settings import api_settings

from gridgov.api.tests.base import ApiTestCase, api_url, png
from gridgov.cases.models import Attachment, Case

REPORT = {
    "case_type": "complaint",
    "title": "自来水管破裂",
    "description": "路面积水。",
    "lng": 120.105,
    "lat": 30.205,
    "datum": "gcj02",
    "reporter_name": "李四",
    "reporter_phone": "13900001111",
}


def throttled(rate):
    return override_settings(
        REST_FRAMEWORK={
            **api_settings.user_settings,
            "DEFAULT_THROTTLE_RATES": {"anon_intake": rate},
        }
    )


class IntakeTests(ApiTestCase):
    def test_staff_take_a_case_in_with_json_and_keep_their_channel(self):
        response = self.post(
            api_url("case-list"),
            {**REPORT, "channel": "hotline", "category": "E0502"},
            self.dispatcher,
        )
        self.assertEqual(response.status_code, 201, response.content)
        body = response.json()
        case = Case.objects.get(number=body["number"])
        self.assertEqual(
            (case.channel, case.category.code, case.region), ("hotline", "E0502", self.grid)
        )
        self.assertEqual(body["events"][0]["action"], "receive")
        self.assertTrue(response["Location"].endswith(f"/api/v1/cases/{case.number}"))

    def test_the_answer_is_the_case_as_a_later_read_shows_it(self):
        for user, send in [(self.dispatcher, self.post), (self.grid_worker, self.post_multipart)]:
            with self.subTest(user=user.username):
                body = {**REPORT, "category": "E0502", "address": "望江路12号"}
                if send == self.post_multipart:
                    body["photos"] = [png(), png()]
                answer = send(api_url("case-list"), body, user).json()
                read = self.get(api_url("case-detail", answer["number"]), user).json()
                self.assertEqual(answer, read)
                self.assertEqual(len(answer["attachments"]), 2 if "photos" in body else 0)

    def test_an_anonymous_report_comes_by_api_and_answers_only_a_receipt(self):
        response = self.post(api_url("case-list"), {**REPORT, "channel": "hotline"})
        self.assertEqual(response.status_code, 201, response.content)
        body = response.json()
        self.assertEqual(set(body), {"number", "title", "status", "status_label", "received_at"})
        case = Case.objects.get(number=body["number"])
        self.assertEqual((case.channel, case.created_by), ("api", None))

    def test_staff_who_cannot_see_where_the_case_landed_get_the_receipt(self):
        body = {**REPORT, "lng": 120.205}  # the other district
        response = self.post(api_url("case-list"), body, self.dispatcher)
        self.assertEqual(response.status_code, 201, response.content)
        self.assertNotIn("events", response.json())

    def test_a_token_client_without_an_intake_role_reports_by_api(self):
        response = self.post(api_url("case-list"), {**REPORT, "channel": "hotline"}, self.handler)
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(Case.objects.get().channel, "api")

    def test_a_resident_reports_as_themselves_and_sees_the_case(self):
        response = self.post(api_url("case-list"), REPORT, self.resident)
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(response.json()["reporter"], {"name": "李*"})
        self.assertEqual(Case.objects.get().reporter.user, self.resident)

    def test_a_photo_comes_multipart(self):
        response = self.post_multipart(
            api_url("case-list"), {**REPORT, "photos": [png()]}, self.grid_worker
        )
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(Attachment.objects.get().content_type, "image/png")
        self.assertEqual(Case.objects.get().channel, "api")  # no channel given

    def test_bad_fields_are_400_naming_each_one_and_create_nothing(self):
        body = {**REPORT, "title": "", "lng": 500, "case_type": "rant"}
        response = self.post(api_url("case-list"), body, self.dispatcher)
        errors = self.assertJsonError(response, 400, "invalid")["errors"]
        self.assertEqual(set(errors), {"title", "lng", "case_type"})
        self.assertFalse(Case.objects.exists())

    def test_a_point_outside_the_city_is_400_on_lng(self):
        response = self.post(api_url("case-list"), {**REPORT, "lng": 10.0}, self.dispatcher)
        self.assertIn("lng", self.assertJsonError(response, 400)["errors"])
        self.assertFalse(Case.objects.exists())

    def test_get_is_401_without_credentials_and_put_is_405(self):
        self.assertJsonError(self.get(api_url("case-list")), 401)
        response = self.client.put(
            api_url("case-list"),
            "{}",
            content_type="application/json",
            **self.auth(self.dispatcher),
        )
        self.assertJsonError(response, 405)


class IdempotencyTests(ApiTestCase):
    def test_a_retry_with_the_same_key_returns_the_first_case_and_creates_nothing(self):
        first = self.post(
            api_url("case-list"), REPORT, self.dispatcher, HTTP_IDEMPOTENCY_KEY="k-123"
        )
        again = self.post(
            api_url("case-list"), REPORT, self.dispatcher, HTTP_IDEMPOTENCY_KEY="k-123"
        )
        self.assertEqual((first.status_code, again.status_code), (201, 200))
        self.assertEqual(first.json()["number"], again.json()["number"])
        self.assertEqual(Case.objects.count(), 1)

    def test_an_anonymous_retry_is_idempotent_too(self):
        first = self.post(api_url("case-list"), REPORT, HTTP_IDEMPOTENCY_KEY="uuid-1")
        again = self.post(api_url("case-list"), REPORT, HTTP_IDEMPOTENCY_KEY="uuid-1")
        self.assertEqual((first.status_code, again.status_code), (201, 200))
        self.assertEqual(first.json(), again.json())
        self.assertEqual(Case.objects.count(), 1)

    def test_keys_are_per_client_so_nobody_replays_someone_elses(self):
        self.post(api_url("case-list"), REPORT, self.dispatcher, HTTP_IDEMPOTENCY_KEY="same")
        other = self.post(
            api_url("case-list"), REPORT, self.grid_worker, HTTP_IDEMPOTENCY_KEY="same"
        )
        self.assertEqual(other.status_code, 201)
        self.assertEqual(Case.objects.count(), 2)

    def test_a_malformed_key_is_400_naming_the_header(self):
        for key in ("has space", "x" * 200):
            with self.subTest(key=key[:10]):
                response = self.post(
                    api_url("case-list"), REPORT, self.dispatcher, HTTP_IDEMPOTENCY_KEY=key
                )
                self.assertIn("Idempotency-Key", self.assertJsonError(response, 400)["errors"])
        self.assertFalse(Case.objects.exists())


class LimitTests(ApiTestCase):
    def test_anonymous_intake_is_rate_limited_per_address(self):
        with throttled("2/hour"):
            codes = [self.post(api_url("case-list"), REPORT).status_code for _ in range(3)]
            self.assertEqual(codes, [201, 201, 429])
            response = self.post(api_url("case-list"), REPORT)
            self.assertJsonError(response, 429, "throttled")
            self.assertIn("Retry-After", response)
            # Signed-in clients and other addresses are not counted with them.
            self.assertEqual(
                self.post(api_url("case-list"), REPORT, self.dispatcher).status_code, 201
            )
            other = self.post(api_url("case-list"), REPORT, REMOTE_ADDR="10.9.9.9")
            self.assertEqual(other.status_code, 201)
        self.assertEqual(Case.objects.count(), 4)

    def test_forged_forwarding_headers_do_not_escape_the_limit(self):
        with throttled("1/hour"):
            self.post(api_url("case-list"), REPORT, HTTP_X_FORWARDED_FOR="1.1.1.1")
            response = self.post(api_url("case-list"), REPORT, HTTP_X_FORWARDED_FOR="2.2.2.2")
        self.assertEqual(response.status_code, 429)

    def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit(self):
        # The test client's REMOTE_ADDR, 127.0.0.1, plays the reverse proxy.
        proxy = override_settings(GRIDGOV_TRUSTED_PROXIES=(ip_network("127.0.0.0/8"),))
        with proxy, throttled("1/hour"):
            first = self.post(api_url("case-list"), REPORT, HTTP_X_FORWARDED_FOR="203.0.113.7")
            again = self.post(api_url("case-list"), REPORT, HTTP_X_FORWARDED_FOR="203.0.113.7")
            other = self.post(api_url("case-list"), REPORT, HTTP_X_FORWARDED_FOR="203.0.113.8")
            # An address the client wrote before the proxy appended the real one is ignored.
            forged = self.post(
                api_url("case-list"), REPORT, HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.7"
            )
        self.assertEqual(
            [r.status_code for r in (first, again, other, forged)], [201, 429, 201, 429]
        )
        self.assertEqual(Case.objects.count(), 2)

    def test_a_proxy_not_listed_is_not_believed(self):
        proxy = override_settings(GRIDGOV_TRUSTED_PROXIES=(ip_network("10.0.0.1"),))
        with proxy, throttled("1/hour"):
            self.post(api_url("case-list"), REPORT, HTTP_X_FORWARDED_FOR="203.0.113.7")
            response = self.post(api_url("case-list"), REPORT, HTTP_X_FORWARDED_FOR="203.0.113.8")
        self.assertEqual(response.status_code, 429)

    @override_settings(GRIDGOV_API_MAX_BODY_BYTES=1000)
    def test_a_body_over_the_limit_is_413_json_and_creates_nothing(self):
        body = {**REPORT, "description": "很长" * 1000}
        response = self.client.post(
            api_url("case-list"), json.dumps(body), content_type="application/json"
        )
        self.assertJsonError(response, 413, "too_large")
        self.assertFalse(Case.objects.exists())
