"""The commands of emergency mode (services.py, arrivals.py, figures.py), called as the
pages and the API call them: the switch, risk areas and their history, arrivals decided
against the risk areas of the day they left, the figures entered once, certification."""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from gridgov.emergency import arrivals, figures, services
from gridgov.emergency.choices import CertificationMeasure
from gridgov.emergency.models import (
    Arrival,
    CertificationState,
    DailyFigure,
    EmergencyArea,
    Measure,
    MeasureState,
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

SIX = {measure: ("做了", None) for measure in CertificationMeasure.values}


class SwitchTests(EmergencyTestCase):
    def test_a_leader_switches_their_subtree_and_back_and_every_switch_is_kept(self):
        area = services.switch_on(self.leader, self.street, "本土疫情")
        self.assertTrue(services.in_emergency(self.grid.path))
        self.assertFalse(services.in_emergency(self.other_grid.path))
        with self.assertRaises(ValidationError):
            services.switch_on(self.leader, self.community, "重复")
        services.switch_off(self.leader, area, "疫情平稳")
        self.assertFalse(services.in_emergency(self.grid.path))
        self.assertEqual(EmergencyArea.objects.count(), 1)
        self.assertIsNotNone(EmergencyArea.objects.get().closed_at)

    def test_only_a_leader_over_the_region_switches_and_a_reason_is_required(self):
        with self.assertRaises(PermissionDenied):
            services.switch_on(self.community_staff, self.community, "x")
        with self.assertRaises(PermissionDenied):
            services.switch_on(self.leader, self.other_district, "x")
        with self.assertRaises(ValidationError):
            services.switch_on(self.leader, self.street, "  ")
        self.assertFalse(EmergencyArea.objects.exists())


class RiskAreaTests(EmergencyTestCase):
    def test_an_area_outside_the_city_by_division_code_with_its_history(self):
        area = services.set_risk_area(
            self.city_leader,
            services.RiskAreaInput(
                "high", self.days_ago(20), "聚集性疫情", division_code=WUHAN_JIANGHAN
            ),
        )
        self.assertEqual(area.name, "湖北省武汉市江汉区")
        services.change_risk_level(
            self.city_leader, area, "medium", "14天无新增", on=self.days_ago(6)
        )
        area.refresh_from_db()
        self.assertEqual((area.level, area.level_since), ("medium", self.days_ago(6)))
        self.assertEqual(
            list(area.changes.values_list("from_level", "to_level")),
            [("", "high"), ("high", "medium")],
        )

    def test_bad_input_changes_nothing(self):
        for data in (
            services.RiskAreaInput("high", self.days_ago(1), "x", division_code="999999"),
            services.RiskAreaInput("extreme", self.days_ago(1), "x", division_code=WUHAN_JIANGHAN),
            services.RiskAreaInput("high", self.today + timedelta(days=1), "x", region=self.grid),
            services.RiskAreaInput("high", self.days_ago(1), "", region=self.grid),
        ):
            with self.assertRaises(ValidationError):
                services.set_risk_area(self.city_leader, data)
        self.assertFalse(RiskArea.objects.exists())

    def test_a_district_leader_manages_areas_in_their_district_only(self):
        services.set_risk_area(
            self.leader, services.RiskAreaInput("high", self.days_ago(1), "x", region=self.grid)
        )
        with self.assertRaises(PermissionDenied):
            services.set_risk_area(
                self.leader,
                services.RiskAreaInput("high", self.days_ago(1), "x", region=self.other_grid),
            )
        with self.assertRaises(PermissionDenied):
            services.set_risk_area(
                self.leader,
                services.RiskAreaInput("high", self.days_ago(1), "x", division_code=WUHAN_JIANGHAN),
            )

    def test_downgrades_are_proposed_when_due_and_a_new_case_restarts_the_count(self):
        area = services.set_risk_area(
            self.leader, services.RiskAreaInput("high", self.days_ago(15), "x", region=self.grid)
        )
        (proposal,) = services.proposed_downgrades([area])
        self.assertTrue(proposal.is_due)
        self.assertEqual(proposal.to_level, "medium")
        figures.enter(
            self.community_staff,
            [figures.Row(self.building, self.days_ago(2), {"confirmed": 1})],
        )
        area.refresh_from_db()
        self.assertEqual(area.last_case_on, self.days_ago(2))
        (proposal,) = services.proposed_downgrades([area])
        self.assertFalse(proposal.is_due)
        self.assertEqual(proposal.due_on, self.days_ago(2) + timedelta(days=14))


class ArrivalTests(EmergencyTestCase):
    def arrival(self, **changes):
        data = dict(
            name="张伟",
            origin_code=WUHAN_JIANGHAN,
            left_on=self.days_ago(2),
            arrived_at=at(self.days_ago(1), 9),
            region=self.building,
            channel="grid_worker",
            document_type="resident_id",
            document_number="",
            phone="13900001234",
            reported_at=at(self.days_ago(1), 15),
        )
        data.update(changes)
        return arrivals.ArrivalInput(**data)

    def test_the_origins_level_on_the_day_of_departure_decides_with_the_version(self):
        area = services.set_risk_area(
            self.city_leader,
            services.RiskAreaInput("high", self.days_ago(30), "x", division_code="420100"),
        )
        services.change_risk_level(self.city_leader, area, "", "解除", on=self.days_ago(1))
        arrival = arrivals.report(self.grid_worker, self.arrival())
        self.assertEqual(arrival.risk_level, "high")
        self.assertEqual(arrival.policy_version, self.policy_version)
        self.assertIn("v1", arrival.explanation)
        measure = arrival.measures.get()
        self.assertEqual(measure.kind, "central_quarantine")
        self.assertEqual(list(measure.tasks.values_list("kind", flat=True))[:1], ["transfer"])
        self.assertFalse(arrival.late)
        self.assertEqual(arrival.masked_phone[-4:], "1234")
        self.assertNotIn("13900001234", arrival.phone_sealed)
        # Left after the area was lifted: no measure.
        later = arrivals.report(
            self.grid_worker,
            self.arrival(
                left_on=self.days_ago(1),
                arrived_at=at(self.days_ago(1), 18),
                reported_at=at(self.days_ago(1), 20),
            ),
        )
        self.assertEqual(later.risk_level, "none")
        self.assertFalse(later.measures.exists())

    def test_a_late_report_is_flagged(self):
        arrival = arrivals.report(
            self.grid_worker,
            self.arrival(reported_at=at(self.days_ago(0), 9) + timedelta(minutes=1)),
        )
        self.assertTrue(arrival.late)
        self.assertGreater(arrival.hours_late, 0)

    def test_bad_reports_change_nothing(self):
        for changes in (
            {"origin_code": "000000"},
            {"left_on": self.today},
            {"region": self.community},
            {"region": self.other_building},
            {"document_number": "110101199003071234"},
            {"phone": "12"},
            {"name": ""},
        ):
            with self.subTest(**{k: str(v) for k, v in changes.items()}):
                with self.assertRaises(ValidationError):
                    arrivals.report(self.grid_worker, self.arrival(**changes))
        self.assertFalse(Arrival.objects.exists())

    def test_a_batch_is_all_or_nothing(self):
        rows = [(2, self.arrival()), (3, self.arrival(origin_code="12345")), (4, self.arrival())]
        with self.assertRaises(arrivals.ArrivalsRefused) as refused:
            arrivals.report_many(self.community_staff, rows)
        self.assertEqual([error.row for error in refused.exception.row_errors], [3])
        self.assertFalse(Arrival.objects.exists())
        written = arrivals.report_many(self.community_staff, [rows[0], rows[2]])
        self.assertEqual(len(written), 2)
        self.assertEqual(Measure.objects.count(), 0)  # 420103 is no risk area

    def test_tasks_are_done_and_measures_end_with_a_record(self):
        services.set_risk_area(
            self.city_leader,
            services.RiskAreaInput("medium", self.days_ago(30), "x", division_code=SHANGHAI_PUDONG),
        )
        arrival = arrivals.report(self.grid_worker, self.arrival(origin_code=SHANGHAI_PUDONG))
        measure = arrival.measures.get()
        self.assertEqual(measure.kind, "home_quarantine")
        visit = measure.tasks.get(kind="home_visit")
        arrivals.finish_task(self.grid_worker, visit, "已上门")
        with self.assertRaises(ValidationError):
            arrivals.finish_task(self.grid_worker, visit, "again")
        with self.assertRaises(PermissionDenied):
            arrivals.finish_task(self.outsider, measure.tasks.filter(done_at=None).first(), "")
        with self.assertRaises(ValidationError):
            arrivals.close_measure(self.grid_worker, measure, "结束")
        arrivals.close_measure(self.grid_worker, measure, "转运至集中隔离点", early=True)
        measure.refresh_from_db()
        self.assertEqual(measure.state, MeasureState.CLOSED_EARLY)
        self.assertFalse(MeasureTask.objects.open().filter(measure=measure).exists())

    def test_measures_past_their_last_day_end_on_their_own(self):
        services.set_risk_area(
            self.city_leader,
            services.RiskAreaInput("medium", self.days_ago(30), "x", division_code=SHANGHAI_PUDONG),
        )
        arrivals.report(
            self.grid_worker,
            self.arrival(
                origin_code=SHANGHAI_PUDONG,
                left_on=self.days_ago(12),
                arrived_at=at(self.days_ago(11)),
                reported_at=at(self.days_ago(11), 12),
            ),
        )
        self.assertEqual(arrivals.end_due_measures(), 1)
        measure = Measure.objects.get()
        self.assertEqual(measure.state, MeasureState.ENDED)
        self.assertIn("tasks done", measure.outcome.replace("项任务", "tasks done"))


class FigureTests(EmergencyTestCase):
    def test_entered_once_summed_above_and_never_counted_twice(self):
        figures.enter(
            self.community_staff,
            [
                figures.Row(self.grid, self.days_ago(1), {"confirmed": 2, "close_contacts": 5}),
                figures.Row(self.second_grid, self.days_ago(1), {"confirmed": 1}),
            ],
        )
        self.assertEqual(figures.totals(self.street, self.days_ago(3), self.today)["confirmed"], 3)
        days = figures.series(self.district, self.days_ago(2), self.today)
        self.assertEqual([d["confirmed"] for d in days], [0, 3, 0])
        with self.assertRaises(ValidationError):
            figures.enter(
                self.street_staff, [figures.Row(self.community, self.days_ago(1), {"confirmed": 9})]
            )
        with self.assertRaises(ValidationError):
            figures.enter(
                self.community_staff, [figures.Row(self.grid, self.days_ago(2), {"confirmed": -1})]
            )
        with self.assertRaises(ValidationError):
            figures.enter(
                self.community_staff, [figures.Row(self.grid, self.today + timedelta(days=1), {})]
            )
        with self.assertRaises(PermissionDenied):
            figures.enter(
                self.community_staff, [figures.Row(self.other_grid, self.days_ago(1), {})]
            )
        self.assertEqual(DailyFigure.objects.count(), 2)
        lines = figures.by_child(self.community, self.days_ago(1), self.days_ago(1))
        self.assertEqual(
            {line["region"].name: line["confirmed"] for line in lines}[self.grid.name], 2
        )


class CertificationTests(EmergencyTestCase):
    def test_apply_approve_and_suspend_at_the_next_case(self):
        figures.enter(
            self.community_staff, [figures.Row(self.grid, self.days_ago(20), {"confirmed": 1})]
        )
        certification = services.apply_for_certification(self.community_staff, self.community, SIX)
        self.assertEqual(certification.attestations.count(), 6)
        with self.assertRaises(PermissionDenied):
            services.decide_certification(self.community_staff, certification, True, "")
        services.decide_certification(self.street_staff, certification, True, "同意")
        certification.refresh_from_db()
        self.assertEqual(certification.state, CertificationState.CERTIFIED)
        figures.enter(
            self.community_staff, [figures.Row(self.grid, self.today, {"close_contacts": 1})]
        )
        certification.refresh_from_db()
        self.assertEqual(certification.state, CertificationState.SUSPENDED)

    def test_too_soon_or_a_measure_unattested_is_refused(self):
        figures.enter(
            self.community_staff, [figures.Row(self.grid, self.days_ago(3), {"suspected": 1})]
        )
        with self.assertRaises(ValidationError) as refused:
            services.apply_for_certification(self.community_staff, self.community, SIX)
        self.assertIn("14", " ".join(refused.exception.messages))
        incomplete = dict(SIX)
        incomplete["order"] = ("", None)
        with self.assertRaises(ValidationError):
            services.apply_for_certification(
                self.street_staff, self.neighbour_community, incomplete
            )
        self.assertFalse(services.Certification.objects.exists())


class PolicyVersionTests(EmergencyTestCase):
    def test_a_version_in_force_is_frozen(self):
        version = PolicyVersion.objects.get()
        version.rules = dict(version.rules, report_within_hours=24)
        with self.assertRaises(ValidationError):
            version.full_clean()
        draft = PolicyVersion(title="draft", rules={"report_within_hours": 12})
        with self.assertRaises(ValidationError):
            draft.full_clean()
        self.assertEqual(PolicyVersion.in_force(), version)
        self.assertIsNone(PolicyVersion.in_force(timezone.localdate() - timedelta(days=365)))
