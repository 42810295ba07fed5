"""/api/v1/burden/secondments: recording, changing, returning and counting secondments
through the API, with the same rules, scope and refusals as the pages."""

import json
from datetime import timedelta

from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from gridgov.accounts.models import ApiToken
from gridgov.burden import secondments
from gridgov.burden.models import Secondment
from gridgov.burden.tests.base import BurdenTestCase
from gridgov.burden.tests.test_secondments import make_secondment


def url(name, *args):
    return reverse(f"burden-secondments-api:{name}", args=args)


class SecondmentApiTestCase(BurdenTestCase):
    def call(self, method, path, user, body=None):
        token = ApiToken.issue(user, "tests")[1]
        return getattr(self.client, method)(
            path,
            json.dumps(body) if body is not None else None,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )

    def body(self, **fields):
        today = timezone.localdate()
        return {
            "kind": "seconded",
            "person_name": "李明",
            "from_region": self.community.code,
            "to_department": self.department.code,
            "approved_by": "望江街道办事处",
            "approval": "望江街〔2026〕12号",
            "reason": "借调区创文办，联系 13812345678",
            "started_on": today.isoformat(),
            "planned_end_on": (today + timedelta(days=60)).isoformat(),
            **fields,
        }

    def assertRefused(self, response, field):
        self.assertEqual(response.status_code, 400, response.content[:300])
        self.assertIn(field, response.json()["errors"])


class RecordingApiTests(SecondmentApiTestCase):
    def test_street_staff_record_one_and_read_it_back(self):
        response = self.call("post", url("list"), self.street_staff, self.body())
        self.assertEqual(response.status_code, 201, response.content)
        data = response.json()
        self.assertEqual(data["from_region"], self.community.code)
        self.assertEqual(data["to_department"], self.department.code)
        self.assertEqual(data["borrower"], self.department.name)
        self.assertFalse(data["overdue"])
        self.assertNotIn("13812345678", data["reason"])
        secondment = Secondment.objects.get()
        self.assertEqual(secondment.recorded_by, self.street_staff)
        again = self.call("get", url("detail", secondment.pk), self.street_staff)
        self.assertEqual(again.json()["person_name"], "李明")

    @override_settings(BURDEN_SECONDMENT_MAX_DAYS=30)
    def test_it_refuses_a_term_beyond_the_maximum(self):
        response = self.call("post", url("list"), self.street_staff, self.body())
        self.assertRefused(response, "planned_end_on")
        self.assertFalse(Secondment.objects.exists())

    def test_it_refuses_bad_records_and_saves_nothing(self):
        yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
        for field, body in (
            ("planned_end_on", self.body(planned_end_on=yesterday)),
            ("to_unit", self.body(to_department=None, to_unit="")),
            ("to_unit", self.body(to_unit="区创文办")),
            ("to_department", self.body(to_department="no-such-department")),
            ("from_region", self.body(from_region=self.other_community.code)),
            ("from_region", self.body(from_region="000000000000")),
            ("started_on", self.body(started_on="2026-02-30")),
        ):
            with self.subTest(field=field, body=body):
                response = self.call("post", url("list"), self.street_staff, body)
                self.assertRefused(response, field)
        self.assertFalse(Secondment.objects.exists())


class ChangesApiTests(SecondmentApiTestCase):
    def setUp(self):
        self.secondment = make_secondment(self, self.community)

    def test_the_planned_end_is_changed_within_the_maximum_only(self):
        started = self.secondment.started_on
        later = (started + timedelta(days=120)).isoformat()
        response = self.call(
            "patch", url("detail", self.secondment.pk), self.community_staff,
            {"planned_end_on": later},
        )  # fmt: skip
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["planned_end_on"], later)
        too_late = (started + timedelta(days=400)).isoformat()
        response = self.call(
            "patch", url("detail", self.secondment.pk), self.community_staff,
            {"planned_end_on": too_late, "reason": "延期"},
        )  # fmt: skip
        self.assertRefused(response, "planned_end_on")
        self.secondment.refresh_from_db()
        self.assertEqual(self.secondment.planned_end_on.isoformat(), later)
        self.assertEqual(self.secondment.reason, "创建文明城市迎检")

    def test_where_the_person_came_from_cannot_change(self):
        response = self.call(
            "patch", url("detail", self.secondment.pk), self.street_staff,
            {"from_region": self.neighbour_community.code},
        )  # fmt: skip
        self.assertRefused(response, "from_region")
        self.secondment.refresh_from_db()
        self.assertEqual(self.secondment.from_region, self.community)

    def test_the_return_once_not_in_the_future(self):
        today = timezone.localdate()
        path = url("return", self.secondment.pk)
        tomorrow = (today + timedelta(days=1)).isoformat()
        response = self.call("post", path, self.community_staff, {"returned_on": tomorrow})
        self.assertRefused(response, "returned_on")
        self.secondment.refresh_from_db()
        self.assertIsNone(self.secondment.returned_on)
        response = self.call("post", path, self.community_staff, {"returned_on": today.isoformat()})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["returned_on"], today.isoformat())
        again = self.call("post", path, self.community_staff, {"returned_on": today.isoformat()})
        self.assertRefused(again, "returned_on")


class ScopeApiTests(SecondmentApiTestCase):
    def test_outside_the_area_is_404_and_changes_nothing(self):
        mine = make_secondment(self, self.community)
        far = make_secondment(self, self.other_community)
        for user, outside in (
            (self.outsider, mine),
            (self.leader, far),
            (self.community_staff, make_secondment(self, self.neighbour_community)),
        ):
            with self.subTest(user=user.username):
                self.assertEqual(self.call("get", url("detail", outside.pk), user).status_code, 404)
                patch = self.call("patch", url("detail", outside.pk), user, {"reason": "改"})
                self.assertEqual(patch.status_code, 404)
                back = {"returned_on": timezone.localdate().isoformat()}
                self.assertEqual(
                    self.call("post", url("return", outside.pk), user, back).status_code, 404
                )
                listed = [
                    row["id"] for row in self.call("get", url("list"), user).json()["results"]
                ]
                self.assertNotIn(outside.pk, listed)
        self.assertFalse(Secondment.objects.exclude(returned_on=None).exists())
        self.assertFalse(Secondment.objects.filter(reason="改").exists())

    def test_roles_that_keep_no_secondments_get_404(self):
        mine = make_secondment(self, self.community)
        for user in (self.grid_worker, self.handler, self.resident):
            with self.subTest(user=user.username):
                for path in (url("list"), url("counts"), url("detail", mine.pk)):
                    self.assertEqual(self.call("get", path, user).status_code, 404)
                response = self.call("post", url("list"), user, self.body())
                self.assertEqual(response.status_code, 404)
        self.assertEqual(Secondment.objects.count(), 1)

    def test_without_credentials_it_is_401(self):
        response = self.client.get(url("list"))
        self.assertEqual(response.status_code, 401)


class OverdueAndCountsApiTests(SecondmentApiTestCase):
    def test_overdue_filter_and_counts(self):
        today = timezone.localdate()
        late = make_secondment(
            self, self.community, started_on=today - timedelta(days=90),
            planned_end_on=today - timedelta(days=3),
        )  # fmt: skip
        make_secondment(self, self.neighbour_community, to_department=None, to_unit="区创文办")
        back = make_secondment(self, self.community, started_on=today - timedelta(days=90))
        secondments.mark_returned(self.admin, back, today)
        make_secondment(self, self.other_community, planned_end_on=today - timedelta(days=1))

        response = self.call("get", url("list") + "?status=overdue", self.street_staff)
        self.assertEqual([row["id"] for row in response.json()["results"]], [late.pk])
        self.assertTrue(response.json()["results"][0]["overdue"])
        bad = self.call("get", url("list") + "?status=late", self.street_staff)
        self.assertRefused(bad, "status")

        counts = self.call("get", url("counts"), self.street_staff).json()
        by_unit = {row["unit"]: row for row in counts["by_unit"]}
        self.assertEqual(
            by_unit[self.department.name],
            {"unit": self.department.name, "department": self.department.code,
             "total": 2, "current": 1, "overdue": 1},
        )  # fmt: skip
        self.assertEqual(by_unit["区创文办"]["department"], None)
        by_region = {row["code"]: row for row in counts["by_region"]}
        self.assertEqual(set(by_region), {self.community.code, self.neighbour_community.code})
        self.assertEqual(by_region[self.community.code]["overdue"], 1)
