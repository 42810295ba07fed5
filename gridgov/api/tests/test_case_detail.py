"""GET /api/v1/cases/{number} and its photos."""

from gridgov.api.tests.base import ApiTestCase, api_url, png


class CaseDetailTests(ApiTestCase):
    def test_it_shows_the_case_with_its_events_assignments_and_actions(self):
        case = self.dispatched()
        response = self.get(api_url("case-detail", case.number), self.dispatcher)
        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertEqual(body["number"], case.number)
        self.assertEqual([e["action"] for e in body["events"]], ["receive", "register", "dispatch"])
        self.assertEqual(body["events"][1]["actor"], "dispatcher")
        self.assertEqual(body["assignments"][0]["kind"], "department")
        self.assertEqual(body["category"], self.litter.code)
        self.assertIn("supervise", body["actions"])
        self.assertNotIn("accept", body["actions"])  # the department's, not the dispatcher's

    def test_the_reporter_is_masked_and_the_phone_never_shown(self):
        case = self.intake(reporter_name="张三丰", reporter_phone="13812345678")
        response = self.get(api_url("case-detail", case.number), self.admin)
        self.assertEqual(response.json()["reporter"], {"name": "张**"})
        text = response.content.decode()
        for fragment in ("13812345678", "5678", "138****"):
            self.assertNotIn(fragment, text)

    def test_a_department_sees_a_case_once_it_is_dispatched_to_it(self):
        case = self.registered()
        url = api_url("case-detail", case.number)
        self.assertJsonError(self.get(url, self.handler), 404)
        self.act(self.dispatcher, case, "dispatch")
        self.assertEqual(self.get(url, self.handler).status_code, 200)
        self.assertJsonError(self.get(url, self.water_handler), 404)

    def test_out_of_scope_and_unknown_cases_are_404(self):
        case = self.intake()
        self.assertJsonError(self.get(api_url("case-detail", case.number), self.outsider), 404)
        self.assertJsonError(self.get(api_url("case-detail", case.number), self.resident), 404)
        self.assertJsonError(self.get(api_url("case-detail", "20200101-000009"), self.admin), 404)

    def test_without_credentials_it_is_401_and_writing_is_405(self):
        case = self.intake()
        url = api_url("case-detail", case.number)
        response = self.get(url)
        self.assertJsonError(response, 401)
        self.assertEqual(response["WWW-Authenticate"], 'Bearer realm="gridgov"')
        self.assertJsonError(self.post(url, {}, self.dispatcher), 405)
        self.assertJsonError(self.client.delete(url, **self.auth(self.admin)), 405)


class CasePhotoTests(ApiTestCase):
    def photographed(self):
        response = self.post_multipart(
            api_url("case-list"),
            {"title": "t", "description": "d", "region": self.grid.code, "photos": [png()]},
            self.dispatcher,
        )
        self.assertEqual(response.status_code, 201, response.content)
        return response.json()

    def test_a_photo_is_served_to_those_who_see_the_case(self):
        body = self.photographed()
        url = body["attachments"][0]["url"]
        self.assertEqual(body["events"][0]["attachments"], [body["attachments"][0]["id"]])
        response = self.get(url, self.community_staff, HTTP_ACCEPT="image/*")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "image/png")
        self.assertTrue(b"".join(response.streaming_content).startswith(b"\x89PNG"))

    def test_a_photo_out_of_scope_or_unknown_is_404_and_anonymous_401(self):
        body = self.photographed()
        url = body["attachments"][0]["url"]
        self.assertJsonError(self.get(url, self.outsider), 404)
        self.assertJsonError(self.get(url), 401)
        missing = api_url("case-photo", body["number"], 999999)
        self.assertJsonError(self.get(missing, self.dispatcher), 404)
