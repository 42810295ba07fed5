"""/api/v1/burden: sending, the inbox, the burden office's decisions and the admission list
through the API, with the same rules, scope and refusals as the pages."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from gridgov.accounts.models import ApiToken
from gridgov.api.tests.base import ApiTestCase
from gridgov.burden.choices import Admission, RecipientState, Ruling
from gridgov.burden.models import Demand, DemandRecipient
from gridgov.burden.tests.base import build_burden_cast


def url(name, *args):
    return reverse(f"burden-api:{name}", args=args)


class DemandApiTests(ApiTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        build_burden_cast(cls)
        for user in (cls.burden_office, cls.district_office):
            cls.raw_tokens[user.pk] = ApiToken.issue(user, "tests")[1]

    def body(self, **fields):
        return {
            "kind": "data_request",
            "title": "高龄老人名单核实",
            "description": "请核实本社区80岁以上老人名单，联系人 13812345678",
            "working_days": 5,
            "recipients": [self.community.code, self.neighbour_community.code],
            "matter": self.matter.code,
            **fields,
        }

    def test_a_department_sends_and_the_community_answers(self):
        response = self.post(url("demands"), self.body(), self.handler)
        self.assertEqual(response.status_code, 201, response.content[:300])
        sent = response.json()
        self.assertEqual(sent["admission"], Admission.ADMITTED)
        self.assertEqual(sent["matter_version"], 1)
        self.assertIn("138****5678", sent["description"])
        self.assertEqual(len(sent["recipients"]), 2)

        inbox = self.get(url("inbox"), self.community_staff).json()["results"]
        self.assertEqual([r["region"] for r in inbox], [self.community.code])
        received = inbox[0]["id"]
        answered = self.post(
            url("respond", received),
            {"action": "answered", "answer": "共37人"},
            self.community_staff,
        )
        self.assertEqual(answered.json()["state"], RecipientState.ANSWERED)
        # The neighbour community's copy is not this community's to answer.
        neighbour = DemandRecipient.objects.get(region=self.neighbour_community)
        response = self.post(
            url("respond", neighbour.pk), {"action": "accepted"}, self.community_staff
        )
        self.assertJsonError(response, 404)

    def test_bad_input_is_a_400_naming_the_field_and_sends_nothing(self):
        for fields, name in (
            ({"working_days": 0}, "working_days"),
            ({"recipients": []}, "recipients"),
            ({"recipients": ["990199999999"]}, "recipients"),
            ({"recipients": [self.other_community.code]}, "recipients"),
            ({"matter": "no-such-matter"}, "matter"),
            ({"kind": "petition"}, "kind"),
        ):
            with self.subTest(fields=fields):
                body = self.assertJsonError(
                    self.post(url("demands"), self.body(**fields), self.handler), 400
                )
                self.assertIn(name, body["errors"])
        self.assertJsonError(self.post(url("demands"), self.body(), self.community_staff), 403)
        self.assertFalse(Demand.objects.exists())

    def test_a_held_demand_is_decided_by_the_burden_office(self):
        held = self.post(
            url("demands"), self.body(matter="", recipients=[self.community.code]), self.handler
        ).json()
        self.assertEqual(held["admission"], Admission.HELD)
        self.assertEqual(self.get(url("inbox"), self.community_staff).json()["results"], [])
        # Held, it has not reached the community: only the sender and the office see it.
        self.assertJsonError(self.get(url("demand", held["id"]), self.community_staff), 404)
        self.assertEqual(self.get(url("demand", held["id"]), self.burden_office).status_code, 200)
        decision = url("decision", held["id"])
        self.assertJsonError(
            self.post(decision, {"admit": True, "reason": "急"}, self.handler), 403
        )
        self.assertIn(
            "reason",
            self.assertJsonError(self.post(decision, {"admit": True}, self.burden_office), 400)[
                "errors"
            ],
        )
        decided = self.post(
            decision, {"admit": True, "reason": "防汛急需"}, self.burden_office
        ).json()
        self.assertEqual(decided["admission"], Admission.EXCEPTION)
        self.assertEqual(len(self.get(url("inbox"), self.community_staff).json()["results"]), 1)

    def test_more_time_and_objections(self):
        sent = self.post(
            url("demands"), self.body(recipients=[self.community.code]), self.handler
        ).json()
        received = sent["recipients"][0]["id"]
        later = (timezone.localdate() + timedelta(days=60)).isoformat()
        self.post(
            url("respond", received),
            {"action": "extension_asked", "extension_until": later},
            self.community_staff,
        )
        self.assertJsonError(
            self.post(url("extension", received), {"grant": True}, self.community_staff), 403
        )
        granted = self.post(url("extension", received), {"grant": True}, self.handler).json()
        self.assertTrue(granted["extension_granted"])
        objected = self.post(
            url("respond", received),
            {"action": "objected", "objection": "非社区职责"},
            self.community_staff,
        )
        self.assertEqual(objected.json()["state"], RecipientState.OBJECTED)
        upheld = self.post(
            url("objection", received),
            {"uphold": True, "reason": "同意，联系人 13812345678"},
            self.burden_office,
        ).json()
        self.assertEqual(upheld["state"], RecipientState.WITHDRAWN)
        self.assertEqual(upheld["objection"], "非社区职责")
        self.assertEqual(
            (upheld["ruling"], upheld["ruled_by"], upheld["ruling_reason"]),
            (Ruling.UPHELD, self.burden_office.username, "同意，联系人 138****5678"),
        )
        self.assertIsNotNone(upheld["ruled_at"])
        # The ruling is final: a second one is a 400 naming it, and changes nothing.
        again = self.post(
            url("objection", received), {"uphold": False, "reason": "改判"}, self.district_office
        )
        self.assertIn("ruling", self.assertJsonError(again, 400)["errors"])
        for shown in (
            self.get(url("received", received), self.community_staff).json(),
            self.get(url("demand", sent["id"]), self.handler).json()["recipients"][0],
        ):
            self.assertEqual(
                (shown["ruling"], shown["ruled_by"], shown["ruled_at"]),
                (Ruling.UPHELD, self.burden_office.username, upheld["ruled_at"]),
            )
        self.assertEqual(DemandRecipient.objects.get(pk=received).ruling_reason[:2], "同意")

    def test_a_copy_not_yet_ruled_shows_no_ruling(self):
        sent = self.post(
            url("demands"), self.body(recipients=[self.community.code]), self.handler
        ).json()
        shown = sent["recipients"][0]
        self.assertEqual(
            (shown["ruling"], shown["ruled_by"], shown["ruled_at"], shown["ruling_reason"]),
            ("", None, None, ""),
        )

    def test_the_roles_without_a_part_find_no_demand_and_no_copy(self):
        sent = self.post(
            url("demands"), self.body(recipients=[self.community.code]), self.handler
        ).json()
        copy = sent["recipients"][0]["id"]
        for user in (self.dispatcher, self.grid_worker):
            with self.subTest(user=user.username):
                self.assertJsonError(self.get(url("demands"), user), 404)
                self.assertJsonError(self.get(url("demand", sent["id"]), user), 404)
                self.assertJsonError(self.get(url("inbox"), user), 404)
                self.assertJsonError(self.get(url("received", copy), user), 404)
        # A sender reads the copies with its demand, not one by one as the places do.
        self.assertJsonError(self.get(url("inbox"), self.handler), 404)
        self.assertJsonError(self.get(url("received", copy), self.handler), 404)
        self.assertEqual(self.get(url("received", copy), self.district_office).status_code, 200)

    def test_scope(self):
        sent = self.post(
            url("demands"), self.body(recipients=[self.community.code]), self.handler
        ).json()
        for user, seen in (
            (self.handler, True),
            (self.street_staff, True),
            (self.community_staff, True),
            (self.outsider, False),
            (self.grid_worker, False),
            (self.resident, False),
        ):
            with self.subTest(user=user.username):
                response = self.get(url("demand", sent["id"]), user)
                self.assertEqual(response.status_code, 200 if seen else 404)
        self.assertJsonError(self.get(url("demands")), 401)
        self.assertJsonError(
            self.get("/api/v1/burden/demands/99999999999999999999", self.admin), 404
        )

    def test_the_admission_list(self):
        matters = self.get(url("matters"), self.community_staff).json()["results"]
        self.assertEqual([m["code"] for m in matters], [self.matter.code])
        self.assertJsonError(self.get(url("matters"), self.resident), 404)
