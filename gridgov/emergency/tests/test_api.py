"""/api/v1/emergency/: each endpoint through the API client, as a program calls it —
what is answered, what is in the database after, scope (404 outside), roles (403), bad
input (400 naming the field, nothing changed) and the batches all or nothing."""

import json
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from gridgov.accounts.models import ApiToken
from gridgov.api.tests.base import ApiTestCase
from gridgov.emergency import arrivals, services
from gridgov.emergency.choices import CertificationMeasure
from gridgov.emergency.models import (
    Arrival,
    Certification,
    CertificationState,
    DailyFigure,
    EmergencyArea,
    MeasureTask,
    PolicyVersion,
    RiskArea,
)
from gridgov.emergency.tests.base import (
    SHANGHAI_PUDONG,
    WUHAN_JIANGHAN,
    EmergencyTestCase,
    at,
)
from gridgov.registry.tests.base import resident_id

SIX = {measure: "已落实" for measure in CertificationMeasure.values}


def url(name, *args, **query) -> str:
    from urllib.parse import urlencode

    path = reverse(f"emergency-api:{name}", args=args)
    return f"{path}?{urlencode(query)}" if query else path


class EmergencyApiTestCase(ApiTestCase, EmergencyTestCase):
    """MRO: ApiTestCase → CaseTestCase → EmergencyTestCase → CastTestCase: one
    setUpTestData chain builds the cast, the registry, the policy in force and the tokens."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.raw_tokens[cls.city_leader.pk] = ApiToken.issue(cls.city_leader, "tests")[1]

    def risk_area(self, level="high", days_ago=10, **where) -> RiskArea:
        data = services.RiskAreaInput(level, self.days_ago(days_ago), "聚集性疫情", **where)
        return services.set_risk_area(self.admin, data)

    def arrival(self, building=None, origin=WUHAN_JIANGHAN, **fields) -> Arrival:
        data = arrivals.ArrivalInput(
            name=fields.pop("name", "张伟"),
            origin_code=origin,
            left_on=fields.pop("left_on", self.days_ago(2)),
            arrived_at=fields.pop("arrived_at", at(self.days_ago(1), 18)),
            region=building or self.building,
            channel="grid_worker",
            phone=fields.pop("phone", "13900001111"),
            **fields,
        )
        return arrivals.report(self.admin, data)

    def report_body(self, **fields) -> dict:
        return {
            "name": "李娜",
            "document_type": "resident_id",
            "document_number": resident_id(self.days_ago(30 * 365), 7),
            "phone": "13700002222",
            "origin_code": WUHAN_JIANGHAN,
            "left_on": self.days_ago(2).isoformat(),
            "arrived_at": at(self.days_ago(1), 9).isoformat(),
            "region": self.building.code,
            "address": "滨江苑1幢1单元302室",
            "reporter_name": "滨江宾馆",
            **fields,
        }


class RiskAreaApiTests(EmergencyApiTestCase):
    def test_anyone_reads_the_current_risk_areas_without_signing_in(self):
        wuhan = self.risk_area(division_code=WUHAN_JIANGHAN)
        grid = self.risk_area("medium", region=self.other_grid)
        lifted = self.risk_area("low", days_ago=30, division_code=SHANGHAI_PUDONG)
        services.change_risk_level(self.admin, lifted, "", "解除", on=self.days_ago(20))
        body = self.client.get(url("risk-area-list")).json()
        shown = {row["id"]: row for row in body["results"]}
        self.assertEqual(set(shown), {wuhan.pk, grid.pk})
        self.assertEqual(
            {k: shown[wuhan.pk][k] for k in ("level", "code", "within_city", "name", "ended_on")},
            {
                "level": "high",
                "code": WUHAN_JIANGHAN,
                "within_city": False,
                "name": "湖北省武汉市江汉区",
                "ended_on": None,
            },
        )
        self.assertEqual(
            (shown[grid.pk]["code"], shown[grid.pk]["within_city"]), (self.other_grid.code, True)
        )
        history = self.client.get(url("risk-area-list", all="true")).json()["results"]
        self.assertEqual(len(history), 3)
        past = self.client.get(url("risk-area-list", as_of=self.days_ago(25).isoformat()))
        self.assertEqual([row["id"] for row in past.json()["results"]], [lifted.pk])
        high = self.client.get(url("risk-area-list", level="high")).json()["results"]
        self.assertEqual([row["id"] for row in high], [wuhan.pk])
        detail = self.client.get(url("risk-area-detail", lifted.pk)).json()
        self.assertEqual(
            [(c["from_level"], c["to_level"]) for c in detail["changes"]],
            [("", "low"), ("low", "")],
        )
        self.assertEqual(detail["changes"][0]["policy_version"], "v1")

    def test_a_bad_filter_is_a_400_and_an_unknown_area_a_404(self):
        response = self.client.get(url("risk-area-list", as_of="yesterday"))
        self.assertIn("as_of", self.assertJsonError(response, 400, "invalid")["errors"])
        self.assertJsonError(self.client.get(url("risk-area-detail", 999)), 404)

    def test_designating_needs_a_sign_in(self):
        body = {"level": "high", "division_code": WUHAN_JIANGHAN, "reason": "x"}
        self.assertJsonError(self.post(url("risk-area-list"), body), 401)
        self.assertFalse(RiskArea.objects.exists())

    def test_the_city_leader_designates_a_place_elsewhere_and_a_district_leader_may_not(self):
        body = {"level": "high", "division_code": WUHAN_JIANGHAN, "reason": "聚集性疫情"}
        self.assertJsonError(self.post(url("risk-area-list"), body, self.leader), 403)
        response = self.post(url("risk-area-list"), body, self.city_leader)
        self.assertEqual(response.status_code, 201, response.content)
        area = RiskArea.objects.get()
        self.assertEqual(
            (area.code, area.level, area.started_on), (WUHAN_JIANGHAN, "high", self.today)
        )
        self.assertEqual(response.json()["changes"][0]["to_level"], "high")

    def test_a_leader_designates_a_region_of_their_district_by_its_code(self):
        body = {"level": "medium", "region": self.community.code, "reason": "x", "detail": "3幢"}
        response = self.post(url("risk-area-list"), body, self.leader)
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(RiskArea.objects.get().region, self.community)
        outside = {**body, "region": self.other_community.code}
        errors = self.assertJsonError(self.post(url("risk-area-list"), outside, self.leader), 400)
        self.assertIn("region", errors["errors"])
        self.assertEqual(RiskArea.objects.count(), 1)

    def test_bad_input_names_the_field_and_designates_nothing(self):
        for body, field in (
            ({"level": "high", "division_code": "999999", "reason": "x"}, "division_code"),
            ({"level": "extreme", "division_code": WUHAN_JIANGHAN, "reason": "x"}, "level"),
            ({"level": "high", "division_code": WUHAN_JIANGHAN, "reason": ""}, "reason"),
            ({"level": "high", "reason": "x"}, "region"),
            (
                {
                    "level": "high",
                    "division_code": WUHAN_JIANGHAN,
                    "reason": "x",
                    "started_on": (self.today + timedelta(days=1)).isoformat(),
                },
                "started_on",
            ),
        ):
            with self.subTest(field=field):
                response = self.post(url("risk-area-list"), body, self.city_leader)
                self.assertIn(field, self.assertJsonError(response, 400, "invalid")["errors"])
        self.assertFalse(RiskArea.objects.exists())

    def test_a_level_is_changed_and_lifted_with_its_history(self):
        area = self.risk_area(region=self.grid)
        response = self.post(
            url("risk-area-level", area.pk),
            {"to_level": "medium", "reason": "14天无新增", "on": self.days_ago(3).isoformat()},
            self.leader,
        )
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["level"], "medium")
        response = self.post(
            url("risk-area-level", area.pk), {"to_level": "", "reason": "解除"}, self.leader
        )
        self.assertEqual(response.status_code, 200, response.content)
        area.refresh_from_db()
        self.assertEqual((area.level, area.ended_on), ("medium", self.today))
        self.assertEqual(area.changes.count(), 3)

    def test_a_level_change_outside_scope_is_404_for_a_non_manager_403_and_bad_input_400(self):
        area = self.risk_area(region=self.grid)
        body = {"to_level": "low", "reason": "x"}
        self.assertJsonError(self.post(url("risk-area-level", area.pk), body, self.outsider), 404)
        self.assertJsonError(
            self.post(url("risk-area-level", area.pk), body, self.grid_worker), 403
        )
        for bad in ({"to_level": "extreme", "reason": "x"}, {"to_level": "high", "reason": "x"}):
            self.assertJsonError(self.post(url("risk-area-level", area.pk), bad, self.leader), 400)
        area.refresh_from_db()
        self.assertEqual((area.level, area.changes.count()), ("high", 1))


class EmergencyAreaApiTests(EmergencyApiTestCase):
    def test_a_leader_switches_a_street_on_and_off_and_those_under_it_see_it(self):
        response = self.post(
            url("area-list"), {"region": self.street.code, "reason": "本土疫情"}, self.leader
        )
        self.assertEqual(response.status_code, 201, response.content)
        area = EmergencyArea.objects.get()
        self.assertEqual(response.json()["region"], self.street.code)
        for user in (self.grid_worker, self.leader, self.community_staff):
            with self.subTest(user=user.username):
                rows = self.get(url("area-list", open="true"), user).json()["results"]
                self.assertEqual([row["id"] for row in rows], [area.pk])
        self.assertEqual(self.get(url("area-list"), self.outsider).json()["results"], [])
        close = url("area-close", area.pk)
        self.assertJsonError(self.post(close, {"reason": "x"}, self.outsider), 404)
        self.assertJsonError(self.post(close, {"reason": "x"}, self.community_staff), 403)
        self.assertJsonError(self.post(close, {"reason": " "}, self.leader), 400)
        self.assertTrue(EmergencyArea.objects.get().is_open)
        response = self.post(close, {"reason": "疫情平稳"}, self.leader)
        self.assertEqual(response.status_code, 200, response.content)
        self.assertFalse(response.json()["is_open"])
        self.assertEqual(EmergencyArea.objects.get().close_reason, "疫情平稳")
        self.assertEqual(self.get(url("area-list", open="true"), self.leader).json()["results"], [])

    def test_a_switch_is_refused_to_other_roles_twice_over_and_outside_scope(self):
        body = {"region": self.community.code, "reason": "x"}
        self.assertJsonError(self.post(url("area-list"), body, self.community_staff), 403)
        self.assertJsonError(self.post(url("area-list"), body), 401)
        outside = {"region": self.other_community.code, "reason": "x"}
        self.assertIn(
            "region",
            self.assertJsonError(self.post(url("area-list"), outside, self.leader), 400)["errors"],
        )
        self.post(url("area-list"), {"region": self.street.code, "reason": "x"}, self.leader)
        self.assertJsonError(self.post(url("area-list"), body, self.leader), 400)
        self.assertEqual(EmergencyArea.objects.count(), 1)


class PolicyApiTests(EmergencyApiTestCase):
    def test_the_activated_versions_with_their_rules_and_which_is_in_force(self):
        PolicyVersion.objects.create(title="draft")
        later = PolicyVersion.objects.create(
            title="2023", active_from=self.today + timedelta(days=5)
        )
        body = self.get(url("policy-list"), self.grid_worker).json()
        shown = {row["number"]: row for row in body["results"]}
        self.assertEqual(set(shown), {self.policy_version.number, later.number})
        self.assertTrue(shown[self.policy_version.number]["in_force"])
        self.assertFalse(shown[later.number]["in_force"])
        detail = self.get(url("policy-detail", self.policy_version.number), self.grid_worker).json()
        self.assertEqual(detail["rules"]["report_within_hours"], 12)
        self.assertEqual(detail["active_from"], self.policy_version.active_from.isoformat())
        self.assertJsonError(self.get(url("policy-detail", 99), self.grid_worker), 404)
        self.assertJsonError(self.get(url("policy-list")), 401)


class ArrivalApiTests(EmergencyApiTestCase):
    def test_a_grid_worker_reports_an_arrival_and_gets_its_measures_masked(self):
        self.risk_area(division_code=WUHAN_JIANGHAN)
        body = self.report_body(room=self.room.pk, region="")
        response = self.post(url("arrival-list"), body, self.grid_worker)
        self.assertEqual(response.status_code, 201, response.content)
        arrival = Arrival.objects.get()
        self.assertEqual(
            (arrival.channel, arrival.region, arrival.room), ("api", self.building, self.room)
        )
        self.assertEqual(arrival.reported_by, self.grid_worker)
        shown = response.json()
        self.assertEqual(shown["masked_name"], "李*")
        self.assertEqual(shown["masked_phone"], "137****2222")
        self.assertEqual(shown["risk_level"], "high")
        self.assertEqual([m["kind"] for m in shown["measures"]], ["central_quarantine"])
        self.assertTrue(shown["measures"][0]["tasks"])
        self.assertIn("v1", shown["explanation"])
        text = response.content.decode()
        for secret in ("李娜", "13700002222", body["document_number"]):
            self.assertNotIn(secret, text)

    def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(self):
        for fields, field in (
            ({"origin_code": "999999"}, "origin_code"),
            ({"left_on": "2026-02-30"}, "left_on"),
            ({"arrived_at": self.today.isoformat()}, "arrived_at"),
            (
                {"left_on": self.today.isoformat(), "arrived_at": at(self.days_ago(3)).isoformat()},
                "left_on",
            ),
            ({"region": self.neighbour_building.code}, "region"),
            ({"region": self.grid.parent.code}, "region"),
            ({"phone": "12"}, "phone"),
            ({"name": ""}, "name"),
        ):
            with self.subTest(field=field, fields=fields):
                response = self.post(
                    url("arrival-list"), self.report_body(**fields), self.community_staff
                )
                errors = self.assertJsonError(response, 400, "invalid")["errors"]
                self.assertIn(field, errors)
        self.assertFalse(Arrival.objects.exists())

    def test_only_staff_who_do_arrival_work_report_them(self):
        self.assertJsonError(self.post(url("arrival-list"), self.report_body()), 401)
        self.assertJsonError(
            self.post(url("arrival-list"), self.report_body(), self.dispatcher), 403
        )
        self.assertJsonError(
            self.post(url("arrival-list"), [self.report_body()], self.handler), 403
        )
        self.assertFalse(Arrival.objects.exists())

    def test_a_batch_is_all_or_nothing_and_names_every_bad_row(self):
        good = self.report_body()
        rows = [
            good,
            {**good, "name": "王芳"},
            {**good, "origin_code": "999999"},
            {**good, "left_on": "not a day"},
            "not an object",
        ]
        response = self.post(url("arrival-list"), rows, self.community_staff)
        errors = self.assertJsonError(response, 400, "invalid")["errors"]
        self.assertEqual(set(errors), {"2.origin_code", "3.left_on", "4"})
        self.assertFalse(Arrival.objects.exists())
        self.assertFalse(MeasureTask.objects.exists())
        response = self.post(url("arrival-list"), rows[:2], self.community_staff)
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(response.json()["created"], 2)
        self.assertEqual(Arrival.objects.filter(channel="api").count(), 2)
        self.assertJsonError(self.post(url("arrival-list"), [], self.community_staff), 400)

    def test_a_grid_worker_sees_the_arrivals_of_their_grids_only(self):
        mine = self.arrival()
        neighbours = self.arrival(self.neighbour_building, name="赵六")
        elsewhere = self.arrival(self.other_building, name="钱七")
        cases = (
            (self.grid_worker, {mine.pk}),
            (self.community_staff, {mine.pk}),
            (self.street_staff, {mine.pk, neighbours.pk}),
            (self.outsider, {elsewhere.pk}),
            (self.handler, set()),
            (self.resident, set()),
        )
        for user, seen in cases:
            with self.subTest(user=user.username):
                rows = self.get(url("arrival-list"), user).json()["results"]
                self.assertEqual({row["id"] for row in rows}, seen)
                for arrival in (mine, neighbours, elsewhere):
                    response = self.get(url("arrival-detail", arrival.pk), user)
                    self.assertEqual(response.status_code, 200 if arrival.pk in seen else 404)
        self.assertJsonError(self.get(url("arrival-list")), 401)

    def test_the_lists_take_as_many_queries_for_many_rows_as_for_one(self):
        lists = (url("arrival-list"), url("task-list"), url("risk-area-list"))

        def counts():
            found = []
            for path in lists:
                with CaptureQueriesContext(connection) as queries:
                    self.assertEqual(self.get(path, self.leader).status_code, 200)
                found.append(len(queries))
            return found

        self.arrival()
        self.risk_area(division_code=WUHAN_JIANGHAN)
        counts()  # the token's first use is written down once
        one = counts()
        self.risk_area(division_code=SHANGHAI_PUDONG)
        for _ in range(3):
            self.arrival()
        self.assertEqual(counts(), one)

    def test_the_list_filters_by_risk_level_lateness_and_report_time(self):
        self.risk_area(division_code=WUHAN_JIANGHAN)
        high = self.arrival(arrived_at=timezone.now() - timedelta(hours=1))
        late = self.arrival(
            origin=SHANGHAI_PUDONG, left_on=self.days_ago(4), arrived_at=at(self.days_ago(3), 8)
        )
        for query, expected in (
            ({"risk_level": "high"}, {high.pk}),
            ({"risk_level": "none"}, {late.pk}),
            ({"late": "true"}, {late.pk}),
            ({"late": "false"}, {high.pk}),
            ({"reported_since": (timezone.now() + timedelta(hours=1)).isoformat()}, set()),
            ({"region": self.grid.code}, {high.pk, late.pk}),
        ):
            with self.subTest(query=query):
                rows = self.get(url("arrival-list", **query), self.leader).json()["results"]
                self.assertEqual({row["id"] for row in rows}, expected)
        self.assertJsonError(self.get(url("arrival-list", risk_level="extreme"), self.leader), 400)


class TaskApiTests(EmergencyApiTestCase):
    def test_the_open_tasks_of_the_grid_and_one_marked_done(self):
        self.risk_area("medium", division_code=WUHAN_JIANGHAN)
        now = timezone.now()
        arrival = self.arrival(
            arrived_at=now - timedelta(hours=21), reported_at=now - timedelta(hours=20)
        )
        tasks = MeasureTask.objects.filter(measure__arrival=arrival)
        overdue = tasks.filter(due_at__lt=timezone.now())
        self.assertTrue(overdue.exists())
        rows = self.get(url("task-list"), self.grid_worker).json()["results"]
        self.assertEqual({row["id"] for row in rows}, set(tasks.values_list("pk", flat=True)))
        self.assertEqual(rows[0]["arrival"], arrival.pk)
        self.assertEqual(rows[0]["masked_name"], "张*")
        late = self.get(url("task-list", overdue="true"), self.grid_worker).json()["results"]
        self.assertEqual({row["id"] for row in late}, set(overdue.values_list("pk", flat=True)))
        self.assertEqual(self.get(url("task-list"), self.outsider).json()["results"], [])
        task = overdue.first()
        self.assertJsonError(
            self.post(url("task-done", task.pk), {"note": "x"}, self.outsider), 404
        )
        response = self.post(url("task-done", task.pk), {"note": "已上门"}, self.grid_worker)
        self.assertEqual(response.status_code, 200, response.content)
        task.refresh_from_db()
        self.assertEqual((task.done_by, task.note), (self.grid_worker, "已上门"))
        self.assertJsonError(
            self.post(url("task-done", task.pk), {"note": "again"}, self.grid_worker), 400
        )
        task.refresh_from_db()
        self.assertEqual(task.note, "已上门")


class FiguresApiTests(EmergencyApiTestCase):
    def enter(self, user, rows):
        return self.post(url("figures"), rows, user)

    def test_figures_entered_once_are_summed_for_every_area_above(self):
        day = self.days_ago(2).isoformat()
        response = self.enter(
            self.community_staff,
            [
                {"region": self.grid.code, "day": day, "confirmed": 2, "close_contacts": 7},
                {"region": self.second_grid.code, "day": day, "confirmed": 1},
            ],
        )
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(DailyFigure.objects.count(), 2)
        start = self.days_ago(3).isoformat()
        query = {"region": self.street.code, "from": start, "to": self.today.isoformat()}
        body = self.get(url("figures", **query), self.leader).json()
        self.assertEqual(len(body["days"]), 4)
        self.assertEqual(
            body["days"][1],
            {"day": day, "confirmed": 3, "suspected": 0, "asymptomatic": 0, "close_contacts": 7},
        )
        self.assertEqual(body["totals"]["confirmed"], 3)
        query["region"] = self.community.code
        children = self.get(url("figures-children", **query), self.leader).json()["children"]
        self.assertEqual(
            [(c["code"], c["confirmed"]) for c in children],
            [(self.grid.code, 2), (self.second_grid.code, 1)],
        )

    def test_a_bad_row_refuses_the_whole_list(self):
        day = self.days_ago(1).isoformat()
        rows = [
            {"region": self.grid.code, "day": day, "confirmed": 1},
            {"region": self.second_grid.code, "day": day, "confirmed": -1},
            {"region": self.other_grid.code, "day": day},
        ]
        errors = self.assertJsonError(self.enter(self.community_staff, rows), 400)["errors"]
        self.assertEqual(set(errors), {"1.confirmed", "2.region"})
        self.assertFalse(DailyFigure.objects.exists())
        self.enter(self.community_staff, rows[:1])
        twice = [{"region": self.community.code, "day": day, "confirmed": 5}]
        self.assertJsonError(self.enter(self.community_staff, twice), 400)
        self.assertEqual(
            list(DailyFigure.objects.values_list("region", "confirmed")), [(self.grid.pk, 1)]
        )

    def test_scope_and_roles(self):
        rows = [{"region": self.grid.code, "day": self.days_ago(1).isoformat(), "confirmed": 1}]
        self.assertJsonError(self.enter(self.grid_worker, rows), 403)
        self.assertJsonError(self.enter(None, rows), 401)
        self.assertFalse(DailyFigure.objects.exists())
        self.assertJsonError(
            self.get(url("figures", region=self.community.code), self.outsider), 404
        )
        self.assertJsonError(self.get(url("figures", region=self.community.code)), 401)
        backwards = {
            "region": self.community.code,
            "from": self.today.isoformat(),
            "to": self.days_ago(3).isoformat(),
        }
        self.assertJsonError(self.get(url("figures", **backwards), self.leader), 400)


class CertificationApiTests(EmergencyApiTestCase):
    def apply(self, user=None, **body):
        body = {"region": self.community.code, "attestations": SIX, **body}
        return self.post(url("certification-list"), body, user or self.community_staff)

    def test_a_community_applies_the_street_approves_then_revokes(self):
        response = self.apply()
        self.assertEqual(response.status_code, 201, response.content)
        certification = Certification.objects.get()
        shown = response.json()
        self.assertEqual(shown["state"], "applied")
        self.assertEqual(len(shown["attestations"]), 6)
        self.assertEqual({a["has_photo"] for a in shown["attestations"]}, {False})
        decide = url("certification-decision", certification.pk)
        self.assertJsonError(self.post(decide, {"approve": True}, self.community_staff), 403)
        self.assertJsonError(self.post(decide, {"approve": True}, self.outsider), 404)
        self.assertJsonError(self.post(decide, {"approve": False}, self.street_staff), 400)
        response = self.post(decide, {"approve": True, "note": "同意"}, self.street_staff)
        self.assertEqual(response.status_code, 200, response.content)
        certification.refresh_from_db()
        self.assertEqual(certification.state, CertificationState.CERTIFIED)
        rows = self.get(url("certification-list", state="certified"), self.leader).json()["results"]
        self.assertEqual([row["id"] for row in rows], [certification.pk])
        revoke = url("certification-revoke", certification.pk)
        self.assertJsonError(self.post(revoke, {"reason": ""}, self.street_staff), 400)
        response = self.post(revoke, {"reason": "核查不实"}, self.street_staff)
        self.assertEqual(response.json()["state"], "revoked")
        self.assertJsonError(
            self.get(url("certification-detail", certification.pk), self.outsider), 404
        )

    def test_an_application_without_every_measure_or_with_a_case_is_refused(self):
        missing = {k: v for k, v in SIX.items() if k != "order"}
        self.assertJsonError(self.apply(attestations=missing), 400)
        self.assertJsonError(self.apply(attestations={**SIX, "dancing": "x"}), 400)
        self.assertJsonError(self.apply(self.grid_worker), 403)
        self.assertJsonError(self.apply(region=self.other_community.code), 400)
        self.assertFalse(Certification.objects.exists())


class BodyShapeTests(EmergencyApiTestCase):
    def test_a_form_body_or_a_wrong_json_shape_is_a_400(self):
        response = self.client.post(
            url("figures"), {"region": self.grid.code}, **self.auth(self.community_staff)
        )
        self.assertJsonError(response, 400)
        response = self.client.post(
            url("arrival-list"),
            json.dumps("text"),
            content_type="application/json",
            **self.auth(self.community_staff),
        )
        self.assertJsonError(response, 400)
