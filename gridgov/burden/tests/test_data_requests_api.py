"""Data requests through the API: the catalogue, a request filled at once, the table each
side sees, a community's answer, and refusals."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from gridgov.accounts.models import ApiToken
from gridgov.api.tests.base import ApiTestCase
from gridgov.burden.models import DataRequest
from gridgov.burden.tests.base import build_burden_cast


def url(name, *args):
    return reverse(f"burden-api:{name}", args=args)


class DataRequestApiTests(ApiTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        build_burden_cast(cls)
        cls.raw_tokens[cls.burden_office.pk] = ApiToken.issue(cls.burden_office, "tests")[1]

    def body(self, **fields):
        today = timezone.localdate()
        return {
            "title": "月度基础数据",
            "description": "请报送",
            "working_days": 5,
            "recipients": [self.community.code, self.neighbour_community.code],
            "matter": self.matter.code,
            "period_start": (today - timedelta(days=29)).isoformat(),
            "period_end": today.isoformat(),
            "columns": [
                {"figure": "registry.population"},
                {"figure": "cases.received"},
                {"label": "本月开展志愿服务次数", "unit": "次"},
            ],
            **fields,
        }

    def test_a_request_is_filled_at_once_and_answered_once(self):
        keys = [f["key"] for f in self.get(url("catalogue"), self.handler).json()]
        self.assertIn("registry.population", keys)
        self.assertJsonError(self.get(url("catalogue"), self.community_staff), 404)

        response = self.post(url("data-requests"), self.body(), self.handler)
        self.assertEqual(response.status_code, 201, response.content[:400])
        made = response.json()
        self.assertEqual(made["demand"]["kind"], "data_request")
        self.assertEqual([c["label"] for c in made["columns"]][2], "本月开展志愿服务次数")
        self.assertEqual(len(made["rows"]), 2)
        self.assertEqual(made["rows"][0]["values"][:2], [0, 0])
        self.assertEqual(made["rows"][0]["sources"], ["platform", "platform", "missing"])

        demand_id = made["demand"]["id"]
        seen = self.get(url("table", demand_id), self.community_staff).json()
        self.assertEqual([row["region"] for row in seen["rows"]], [self.community.code])
        self.assertJsonError(self.get(url("table", demand_id), self.outsider), 404)

        received = made["demand"]["recipients"][0]["id"]
        refused = self.post(
            url("answer-table", received), {"values": {"3": ""}}, self.community_staff
        )
        self.assertIn("column_3", self.assertJsonError(refused, 400)["errors"])
        answered = self.post(
            url("answer-table", received), {"values": {"3": "4"}}, self.community_staff
        )
        self.assertEqual(answered.status_code, 200, answered.content[:300])
        self.assertEqual(answered.json()["rows"][0]["values"][2], "4")
        self.assertEqual(answered.json()["rows"][0]["sources"][2], "typed")

    def test_bad_input_is_a_400_and_sends_nothing(self):
        for fields, name in (
            ({"columns": []}, "columns"),
            ({"columns": [{"figure": "registry.unknown"}]}, "columns"),
            ({"period_end": "2099-01-01"}, "period_end"),
            ({"period_start": "not a date"}, "period_start"),
        ):
            with self.subTest(fields=fields):
                body = self.assertJsonError(
                    self.post(url("data-requests"), self.body(**fields), self.handler), 400
                )
                self.assertTrue(any(key.startswith(name) for key in body["errors"]), body)
        self.assertFalse(DataRequest.objects.exists())

    def test_a_demand_without_a_table_has_none(self):
        sent = self.post(
            url("demands"),
            {
                "kind": "task",
                "title": "创文检查准备",
                "description": "请做好准备",
                "working_days": 5,
                "recipients": [self.community.code],
                "matter": self.matter.code,
            },
            self.handler,
        ).json()
        self.assertJsonError(self.get(url("table", sent["id"]), self.handler), 404)
