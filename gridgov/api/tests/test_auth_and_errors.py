"""Bearer tokens, session with CSRF, and JSON for every error under /api/."""

from unittest import mock

from django.test import Client, override_settings
from django.utils import timezone

from gridgov.accounts.models import ApiToken
from gridgov.api.tests.base import ApiTestCase, api_url


class BearerTokenTests(ApiTestCase):
    def test_a_token_authenticates_as_its_user(self):
        self.assertEqual(self.get(api_url("me"), self.street_staff).json()["username"], "street")

    def test_a_bad_token_is_401_json_with_a_challenge(self):
        for header in ("Bearer ggv_not-a-token", "Bearer", "Bearer a b", "bearer " + "x" * 300):
            with self.subTest(header=header[:20]):
                response = self.client.get(api_url("me"), HTTP_AUTHORIZATION=header)
                self.assertJsonError(response, 401, "authentication_failed")
                self.assertEqual(
                    response["WWW-Authenticate"], 'Bearer realm="gridgov", error="invalid_token"'
                )

    def test_a_bad_token_is_refused_even_where_no_token_is_needed(self):
        response = self.client.get(api_url("category-list"), HTTP_AUTHORIZATION="Bearer nope")
        self.assertJsonError(response, 401)

    def test_revoked_tokens_and_inactive_users_are_401(self):
        token, raw = ApiToken.issue(self.leader, "old")
        token.revoked_at = timezone.now()
        token.save()
        response = self.client.get(api_url("me"), HTTP_AUTHORIZATION=f"Bearer {raw}")
        self.assertJsonError(response, 401)
        self.leader.is_active = False
        self.leader.save()
        self.assertJsonError(self.get(api_url("me"), self.leader), 401)

    def test_another_scheme_counts_as_no_credentials(self):
        response = self.client.get(api_url("me"), HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")
        self.assertJsonError(response, 401, "not_authenticated")
        self.assertEqual(response["WWW-Authenticate"], 'Bearer realm="gridgov"')


class SessionTests(ApiTestCase):
    def test_a_signed_in_browser_reads_with_its_session(self):
        self.login(self.dispatcher)
        self.assertEqual(self.client.get(api_url("me")).json()["username"], "dispatcher")

    def test_a_signed_in_browser_must_send_the_csrf_token_to_write(self):
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(self.dispatcher)
        case = self.intake()
        url = f"/api/v1/cases/{case.number}/actions/reject"
        response = browser.post(url, {"reason": "重复"}, content_type="application/json")
        body = self.assertJsonError(response, 403)
        self.assertIn("CSRF", body["detail"])
        self.assertEqual(self.snapshot(case)[0], "received")
        browser.get(api_url("docs"))  # sets the CSRF cookie, as the docs page does
        token = browser.cookies["csrftoken"].value
        response = browser.post(
            url, {"reason": "重复"}, content_type="application/json", HTTP_X_CSRFTOKEN=token
        )
        self.assertEqual(response.status_code, 200, response.content[:300])
        self.assertEqual(response.json()["status"], "rejected")


class JsonErrorTests(ApiTestCase):
    def test_an_unknown_api_url_is_a_json_404_and_other_pages_are_untouched(self):
        for url in ("/api/v1/nothing", "/api/v2/cases", "/api/v1/cases/", "/api/"):
            with self.subTest(url=url):
                self.assertJsonError(self.get(url, self.admin), 404)
        self.assertNotIn("json", self.client.get("/no-such-page/")["Content-Type"])

    def test_a_wrong_method_is_a_json_405_with_allow(self):
        response = self.client.patch(api_url("me"), **self.auth(self.admin))
        self.assertJsonError(response, 405, "method_not_allowed")
        self.assertIn("GET", response["Allow"])

    def test_a_crash_is_a_json_500(self):
        client = Client(raise_request_exception=False)
        case = self.intake()
        with mock.patch("gridgov.cases.services.access_case", side_effect=RuntimeError("boom")):
            response = client.get(api_url("case-detail", case.number), **self.auth(self.admin))
        body = self.assertJsonError(response, 500)
        self.assertNotIn("boom", body["detail"])

    def test_malformed_or_unsupported_bodies_are_json_errors(self):
        response = self.client.post(
            api_url("case-list"), "{not json", content_type="application/json"
        )
        self.assertJsonError(response, 400, "parse_error")
        response = self.client.post(
            api_url("case-list"), "[" * 100_000, content_type="application/json"
        )
        self.assertJsonError(response, 400, "parse_error")
        response = self.client.post(api_url("case-list"), "x", content_type="text/plain")
        self.assertJsonError(response, 415)
        response = self.client.post(
            api_url("case-list"), "{}", content_type="application/json", CONTENT_LENGTH="many"
        )
        self.assertJsonError(response, 400)

    @override_settings(GRIDGOV_API_MAX_BODY_BYTES=2000)
    def test_an_oversized_upload_is_a_json_413(self):
        response = self.client.post(
            api_url("case-list"), {"title": "t", "photos": [_big_file()]}, **self.auth(self.admin)
        )
        self.assertJsonError(response, 413, "too_large")

    def test_error_bodies_are_json_for_every_status_the_api_answers(self):
        case = self.intake()
        statuses = {
            400: self.post(api_url("case-list"), {"title": ""}, self.admin),
            401: self.get(api_url("case-list")),
            403: self.post(f"/api/v1/cases/{case.number}/actions/register", {}, self.grid_worker),
            404: self.get(api_url("case-detail", "19990101-000001"), self.admin),
            405: self.client.put(api_url("me"), **self.auth(self.admin)),
            409: self.post(f"/api/v1/cases/{case.number}/actions/close", {}, self.admin),
        }
        for status, response in statuses.items():
            with self.subTest(status=status):
                self.assertJsonError(response, status)


def _big_file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("big.png", b"0" * 5000, content_type="image/png")
