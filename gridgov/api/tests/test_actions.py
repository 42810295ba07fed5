"""POST /api/v1/cases/{number}/actions/{action}: the closed loop through the API."""

from gridgov.api.tests.base import ApiTestCase, action_url, png
from gridgov.cases.forms import ACTION_FORMS
from gridgov.cases.models import Attachment, Case


class ActionLoopTests(ApiTestCase):
    def api_act(self, user, case, action, body=None, status=200):
        response = self.post(action_url(case.number, action), body, user)
        self.assertEqual(response.status_code, status, response.content[:500])
        return response.json()

    def test_a_case_goes_round_the_whole_loop_through_the_api(self):
        case = self.intake()
        self.api_act(
            self.dispatcher, case, "register", {"category": self.litter.code, "version": 1}
        )
        body = self.api_act(
            self.dispatcher, case, "dispatch", {"departments": [self.department.code]}
        )
        self.assertEqual(body["assignments"][0]["code"], self.department.code)
        self.api_act(self.handler, case, "accept", {"note": "收到"})
        self.api_act(self.handler, case, "handle")
        response = self.post_multipart(
            action_url(case.number, "reply"),
            {"result": "已清运完毕", "photos": [png("a.png"), png("b.png")]},
            self.handler,
        )
        self.assertEqual(response.status_code, 200, response.content[:500])
        self.assertEqual(len(response.json()["attachments"]), 2)
        self.api_act(self.grid_worker, case, "verify")
        self.api_act(self.dispatcher, case, "close")
        body = self.api_act(
            self.dispatcher, case, "rate", {"solved": True, "satisfaction": "satisfied"}
        )
        self.assertEqual(body["status"], "rated")
        self.assertEqual(body["solved"], True)
        self.assertEqual(
            [event["action"] for event in body["events"]],
            [
                "receive",
                "register",
                "dispatch",
                "accept",
                "handle",
                "reply",
                "verify",
                "close",
                "rate",
            ],
        )
        self.assertEqual(Attachment.objects.filter(case=case).count(), 2)

    def test_the_answer_is_the_updated_case_with_its_next_actions(self):
        case = self.registered()
        body = self.api_act(self.dispatcher, case, "dispatch")
        self.assertEqual(body["status"], "dispatched")
        self.assertEqual(body["version"], 3)
        self.assertIn("supervise", body["actions"])

    def test_extension_summon_and_merge_work_through_the_api(self):
        case = self.handling()
        self.api_act(
            self.handler, case, "extend", {"amount": 2, "unit": "working_days", "reason": "x"}
        )
        body = self.api_act(self.dispatcher, case, "approve-extension")
        self.assertEqual(body["extension_count"], 1)
        summoned = self.registered()
        body = self.api_act(
            self.street_staff,
            summoned,
            "summon",
            {"lead": self.department.code, "assisting": [self.water.code]},
        )
        self.assertEqual(len(body["assignments"]), 2)
        self.api_act(self.handler, summoned, "report-in")
        master, duplicate = self.intake(), self.intake()
        body = self.api_act(self.dispatcher, duplicate, "merge", {"master": master.number})
        self.assertEqual((body["status"], body["master"]), ("merged", master.number))

    def test_a_resident_rates_their_own_case_and_is_shown_masked(self):
        case = self.intake(actor=self.resident)
        self.act(self.dispatcher, case, "register", category=self.litter.code)
        self.act(self.dispatcher, case, "dispatch")
        self.act(self.handler, case, "accept")
        self.act(self.handler, case, "handle")
        self.act(self.handler, case, "reply", result="已清运")
        self.act(self.grid_worker, case, "verify")
        self.act(self.dispatcher, case, "close")
        body = self.api_act(
            self.resident, case, "rate", {"solved": False, "satisfaction": "unsatisfied"}
        )
        self.assertEqual(body["events"][-1]["actor"], "r*******")
        self.assertEqual(body["events"][-1]["actor_role"], "resident")
        self.assertEqual(body["actions"], [])

    def test_every_action_of_the_pages_has_an_endpoint(self):
        case = self.intake()
        for action in ACTION_FORMS:
            with self.subTest(action=action):
                response = self.get(action_url(case.number, action), self.dispatcher)
                self.assertJsonError(response, 405)


class ActionRefusalTests(ApiTestCase):
    def assertUnchanged(self, case, before):
        self.assertEqual(self.snapshot(case), before)

    def test_an_action_the_state_machine_does_not_allow_is_409_and_changes_nothing(self):
        case = self.intake()
        before = self.snapshot(case)
        response = self.post(action_url(case.number, "close"), {}, self.dispatcher)
        body = self.assertJsonError(response, 409, "action_refused")
        self.assertTrue(body["detail"])  # the service's message, in the site's language
        self.assertUnchanged(case, before)

    def test_a_stale_version_is_409_and_changes_nothing(self):
        case = self.intake()
        before = self.snapshot(case)
        body = {"category": self.litter.code, "version": 7}
        response = self.post(action_url(case.number, "register"), body, self.dispatcher)
        self.assertJsonError(response, 409, "stale")
        self.assertUnchanged(case, before)

    def test_the_wrong_role_is_403_and_changes_nothing(self):
        case = self.intake()
        before = self.snapshot(case)
        body = {"category": self.litter.code}
        response = self.post(action_url(case.number, "register"), body, self.grid_worker)
        self.assertJsonError(response, 403, "permission_denied")
        self.assertUnchanged(case, before)

    def test_a_case_out_of_scope_is_404_and_changes_nothing(self):
        case = self.intake()
        before = self.snapshot(case)
        body = {"category": self.litter.code}
        response = self.post(action_url(case.number, "register"), body, self.outsider)
        self.assertJsonError(response, 404)
        self.assertUnchanged(case, before)
        response = self.post(action_url("20200101-999999", "register"), body, self.dispatcher)
        self.assertJsonError(response, 404)

    def test_bad_fields_are_400_naming_each_one_and_change_nothing(self):
        case = self.intake()
        before = self.snapshot(case)
        body = {"category": "NOPE", "urgency": "whenever"}
        response = self.post(action_url(case.number, "register"), body, self.dispatcher)
        errors = self.assertJsonError(response, 400, "invalid")["errors"]
        self.assertEqual(set(errors), {"category", "urgency"})
        self.assertUnchanged(case, before)

    def test_values_the_form_cannot_read_are_400_before_anything_runs(self):
        case = self.intake()
        before = self.snapshot(case)
        body = {"category": ["E0103", "E0201"], "note": {"a": 1}, "case_type": "x\x00"}
        response = self.post(action_url(case.number, "register"), body, self.dispatcher)
        errors = self.assertJsonError(response, 400)["errors"]
        self.assertEqual(set(errors), {"category", "note", "case_type"})
        response = self.client.post(
            action_url(case.number, "register"),
            "[1, 2]",
            content_type="application/json",
            **self.auth(self.dispatcher),
        )
        self.assertIn("non_field_errors", self.assertJsonError(response, 400)["errors"])
        self.assertUnchanged(case, before)

    def test_a_bad_photo_is_400_naming_photos(self):
        case = self.handling()
        before = self.snapshot(case)
        not_a_photo = png()
        not_a_photo = type(not_a_photo)(b"not an image")
        not_a_photo.name = "x.png"
        response = self.post_multipart(
            action_url(case.number, "reply"),
            {"result": "ok", "photos": [not_a_photo]},
            self.handler,
        )
        self.assertEqual(set(self.assertJsonError(response, 400)["errors"]), {"photos"})
        self.assertUnchanged(case, before)

    def test_without_credentials_it_is_401(self):
        case = self.intake()
        response = self.post(action_url(case.number, "register"), {"category": "E0103"})
        self.assertJsonError(response, 401, "not_authenticated")
        self.assertEqual(Case.objects.get(pk=case.pk).status, "received")

    def test_an_unknown_action_is_a_json_404(self):
        case = self.intake()
        response = self.post(f"/api/v1/cases/{case.number}/actions/teleport", {}, self.dispatcher)
        self.assertJsonError(response, 404)
