from django.http import Http404

from gridgov.cases import services
from gridgov.cases.models import Assignment, CaseEvent, Notification
from gridgov.cases.tests.base import CaseTestCase


class HappyPathTests(CaseTestCase):
    def test_a_case_goes_round_the_whole_loop_and_every_step_is_an_event(self):
        case = self.intake()
        self.assertEqual(case.status, "received")
        self.assertEqual(case.region, self.grid)
        self.assertRegex(case.number, r"^\d{8}-\d{6}$")
        steps = [
            (self.dispatcher, "register", {"category": self.litter.code}),
            (self.dispatcher, "dispatch", {}),
            (self.handler, "accept", {}),
            (self.handler, "handle", {}),
            (self.handler, "reply", {"result": "已清运完毕"}),
            (self.grid_worker, "verify", {"note": "现场已干净"}),
            (self.dispatcher, "close", {}),
            (self.dispatcher, "rate", {"solved": "true", "satisfaction": "satisfied"}),
        ]
        for actor, action, data in steps:
            case = services.perform(actor, case.number, action, data)
        self.assertEqual(case.status, "rated")
        self.assertTrue(case.solved)
        events = list(case.events.values_list("action", "from_status", "to_status"))
        self.assertEqual(
            events,
            [
                ("receive", "", "received"),
                ("register", "received", "registered"),
                ("dispatch", "registered", "dispatched"),
                ("accept", "dispatched", "accepted"),
                ("handle", "accepted", "handling"),
                ("reply", "handling", "replied"),
                ("verify", "replied", "verified"),
                ("close", "verified", "closed"),
                ("rate", "closed", "rated"),
            ],
        )
        self.assertEqual(case.version, 9)

    def test_dispatch_follows_the_catalogue_and_says_why(self):
        case = self.dispatched()
        assignment = case.assignments.get()
        self.assertEqual(assignment.department, self.department)
        self.assertIn(self.department.name, assignment.explanation)
        event = case.events.get(action="dispatch")
        self.assertFalse(event.data["override"])
        self.assertTrue(Notification.objects.filter(case=case, department=self.department))

    def test_a_back_dated_dispatch_notifies_at_its_own_time(self):
        from datetime import timedelta

        from django.utils import timezone

        when = timezone.now() - timedelta(days=3)
        case = self.dispatched(at=when)
        notification = Notification.objects.get(case=case, action="dispatch")
        self.assertEqual(notification.created_at, when)

    def test_a_dispatcher_override_is_recorded_as_such(self):
        case = self.registered()
        case = self.act(self.dispatcher, case, "dispatch", departments=[self.water.code])
        event = case.events.get(action="dispatch")
        self.assertTrue(event.data["override"])
        self.assertEqual(event.data["suggested"]["department"], self.department.code)

    def test_community_matters_go_to_the_community_office(self):
        case = self.dispatched(category=self.flyposting)
        self.assertEqual(case.assignments.get().office, self.community)
        self.act(self.community_staff, case, "accept")


class RefusalTests(CaseTestCase):
    def assert_unchanged(self, case, refused_call, error):
        case.refresh_from_db()
        before = (case.status, case.version, CaseEvent.objects.filter(case=case).count())
        with self.assertRaises(error):
            refused_call()
        case.refresh_from_db()
        after = (case.status, case.version, CaseEvent.objects.filter(case=case).count())
        self.assertEqual(before, after)

    def test_an_illegal_transition_is_refused_and_changes_nothing(self):
        case = self.intake()
        self.assert_unchanged(
            case, lambda: self.act(self.dispatcher, case, "close"), services.ActionRefused
        )

    def test_the_wrong_role_is_refused(self):
        case = self.intake()
        self.assert_unchanged(
            case,
            lambda: self.act(self.grid_worker, case, "register", category=self.litter.code),
            services.NotAllowed,
        )

    def test_a_case_outside_the_actors_scope_is_not_found(self):
        case = self.intake()
        with self.assertRaises(Http404):
            self.act(self.outsider, case, "verify")

    def test_bad_fields_are_named_and_nothing_changes(self):
        case = self.intake()
        with self.assertRaises(services.InvalidInput) as raised:
            self.act(self.dispatcher, case, "register", category="NOPE")
        self.assertIn("category", raised.exception.errors)
        case.refresh_from_db()
        self.assertEqual(case.status, "received")
        self.assertIsNone(case.category)

    def test_a_reason_is_required_to_reject(self):
        case = self.intake()
        self.assert_unchanged(
            case, lambda: self.act(self.dispatcher, case, "reject"), services.InvalidInput
        )
        case = self.act(self.dispatcher, case, "reject", reason="不属于受理范围")
        self.assertEqual(case.status, "rejected")

    def test_a_stale_form_is_told_to_reload(self):
        case = self.intake()
        old_version = case.version
        self.act(self.dispatcher, case, "register", category=self.litter.code)
        with self.assertRaises(services.StaleCase):
            services.perform(
                self.dispatcher,
                case.number,
                "reject",
                {"reason": "x"},
                expected_version=old_version,
            )

    def test_department_matters_may_not_be_pushed_down_to_a_community(self):
        case = self.registered()
        self.assert_unchanged(
            case,
            lambda: self.act(self.dispatcher, case, "dispatch", office=self.community.code),
            services.ActionRefused,
        )

    def test_only_the_lead_unit_replies(self):
        case = self.registered()
        case = self.act(
            self.dispatcher, case, "dispatch", departments=[self.department.code, self.water.code]
        )
        self.act(self.water_handler, case, "accept")
        self.act(self.water_handler, case, "handle")
        self.assertEqual(Assignment.objects.get(case=case, department=self.water).role, "lead")
        self.assertEqual(
            Assignment.objects.get(case=case, department=self.department).role, "assist"
        )
        self.assert_unchanged(
            case, lambda: self.act(self.handler, case, "reply", result="x"), services.NotAllowed
        )
        self.act(self.water_handler, case, "reply", result="已修复")


class SidePathTests(CaseTestCase):
    def test_a_case_returned_twice_becomes_a_dispute_for_the_supervisor(self):
        case = self.dispatched()
        self.act(self.handler, case, "return", reason="不是我们的事")
        case = self.act(self.dispatcher, case, "dispatch", departments=[self.water.code])
        case = self.act(self.water_handler, case, "return", reason="也不是我们的")
        self.assertTrue(case.in_dispute)
        self.assertEqual(case.return_count, 2)
        self.assertTrue(case.events.filter(action="dispute").exists())
        with self.assertRaises(services.NotAllowed):
            self.act(self.dispatcher, case, "dispatch")
        case = self.act(self.leader, case, "dispatch", departments=[self.department.code])
        self.assertEqual(case.status, "dispatched")

    def test_failed_verification_sends_it_back_and_is_counted(self):
        case = self.replied()
        case = self.act(self.grid_worker, case, "rework", reason="现场仍有垃圾")
        self.assertEqual((case.status, case.rework_count), ("handling", 1))

    def test_an_approved_extension_moves_the_deadline(self):
        case = self.handling()
        due = case.reply_due_at
        self.act(self.handler, case, "extend", amount=3, unit="working_days", reason="需协调")
        with self.assertRaises(services.ActionRefused):
            self.act(self.handler, case, "extend", amount=1, unit="working_days", reason="again")
        case = self.act(self.dispatcher, case, "approve-extension")
        self.assertGreater(case.reply_due_at, due)
        self.assertEqual(case.extension_count, 1)

    def test_a_refused_extension_keeps_the_deadline(self):
        case = self.handling()
        due = case.reply_due_at
        self.act(self.handler, case, "extend", amount=3, unit="working_days", reason="需协调")
        case = self.act(self.dispatcher, case, "refuse-extension", reason="时限足够")
        self.assertEqual(case.reply_due_at, due)

    def test_a_merged_duplicate_gets_the_masters_result(self):
        master = self.replied()
        duplicate = self.intake(reporter_phone="13900001111")
        duplicate = self.act(self.dispatcher, duplicate, "merge", master=master.number)
        self.assertEqual(duplicate.status, "merged")
        self.act(self.grid_worker, master, "verify")
        self.act(self.dispatcher, master, "close")
        duplicate.refresh_from_db()
        self.assertEqual(duplicate.result, "已清运完毕")
        self.assertIsNotNone(duplicate.closed_at)

    def test_a_case_cannot_merge_into_itself(self):
        case = self.intake()
        with self.assertRaises(services.InvalidInput) as raised:
            self.act(self.dispatcher, case, "merge", master=case.number)
        self.assertIn("master", raised.exception.errors)

    def test_a_grid_worker_fixes_it_on_the_spot_and_it_goes_to_verification(self):
        case = self.intake(actor=self.grid_worker, channel="grid_patrol")
        case = self.act(
            self.grid_worker,
            case,
            "self-handle",
            category=self.flyposting.code,
            result="已现场清除小广告",
        )
        self.assertEqual(case.status, "replied")
        case = self.act(self.dispatcher, case, "verify")
        self.assertEqual(case.status, "verified")

    def test_supervision_is_recorded_and_shown_to_the_unit(self):
        case = self.dispatched()
        case = self.act(self.leader, case, "supervise", reason="尽快处理")
        self.assertEqual(case.supervision_count, 1)
        self.assertTrue(
            Notification.objects.filter(case=case, department=self.department, action="supervise")
        )

    def test_not_solved_can_reopen_the_case(self):
        case = self.closed()
        case = self.act(self.dispatcher, case, "rate", solved="false", satisfaction="unsatisfied")
        case = self.act(self.dispatcher, case, "reopen", reason="居民反映未解决")
        self.assertEqual((case.status, case.reopen_count), ("handling", 1))
        self.act(self.handler, case, "reply", result="再次清运")


class SummonTests(CaseTestCase):
    def test_a_street_summons_departments_who_report_in_and_only_the_lead_replies(self):
        case = self.registered()
        case = self.act(
            self.street_staff,
            case,
            "summon",
            lead=self.department.code,
            assisting=[self.water.code],
        )
        self.assertEqual(case.status, "dispatched")
        lead = case.assignments.get(department=self.department)
        self.assertTrue(lead.summoned)
        self.assertEqual(
            (lead.report_in_due_at - case.events.get(action="summon").created_at).seconds, 1800
        )
        case = self.act(self.water_handler, case, "report-in")
        self.assertEqual(case.status, "dispatched")
        case = self.act(self.handler, case, "report-in")
        self.assertEqual(case.status, "accepted")
        with self.assertRaises(services.ActionRefused):
            self.act(self.handler, case, "report-in")
        self.act(self.handler, case, "handle")
        with self.assertRaises(services.NotAllowed):
            self.act(self.water_handler, case, "reply", result="x")
        self.act(self.handler, case, "reply", result="联合处置完毕")
        self.act(
            self.street_staff, case, "rate-response", department=self.water.code, rating="good"
        )
        self.assertEqual(case.assignments.get(department=self.water).response_rating, "good")

    def test_only_the_summoning_office_rates_the_response(self):
        case = self.registered()
        self.act(self.street_staff, case, "summon", lead=self.department.code)
        self.act(self.handler, case, "report-in")
        self.act(self.handler, case, "handle")
        self.act(self.handler, case, "reply", result="完毕")
        with self.assertRaises(services.NotAllowed):
            self.act(
                self.community_staff,
                case,
                "rate-response",
                department=self.department.code,
                rating="poor",
            )
