from datetime import timedelta

from gridgov.cases import deadlines
from gridgov.cases.deadlines import watch_deadlines
from gridgov.cases.models import Case, CaseEvent, Notification, overdue_q
from gridgov.cases.tests.base import CaseTestCase, at

# A Monday with working days on either side; 滨江社区 litter (E0103) is a normal matter:
# accept within 24 hours, reply within 7 working days, verify within 48 hours.
MONDAY = at(2026, 3, 2, 9)
HOUR = timedelta(hours=1)


class WatchTestCase(CaseTestCase):
    def snapshot(self, case):
        """Everything the watch may change about a case."""
        case = Case.objects.get(pk=case.pk)
        return (
            case.overdue_at,
            case.supervision_count,
            case.version,
            CaseEvent.objects.filter(case=case).count(),
            Notification.objects.filter(case=case).count(),
        )

    def system_events(self, case, action):
        return list(CaseEvent.objects.filter(case=case, action=action, actor=None))

    def overdue_notices(self, case, department):
        return Notification.objects.filter(case=case, department=department, action="overdue")


class OverdueTests(WatchTestCase):
    def test_a_case_late_to_accept_is_marked_supervised_and_its_unit_told(self):
        case = self.dispatched(at=MONDAY)
        self.assertEqual(case.accept_due_at, MONDAY + 24 * HOUR)
        version = case.version
        now = MONDAY + 72 * HOUR

        report = watch_deadlines(now=now)

        self.assertEqual(report.overdue, [case.number])
        case.refresh_from_db()
        self.assertEqual(case.overdue_at, now)
        self.assertEqual(case.supervision_count, 1)
        self.assertEqual(case.version, version + 1)
        self.assertEqual(case.status, "dispatched")
        [overdue] = self.system_events(case, "overdue")
        self.assertEqual(overdue.data["step"], "accept")
        self.assertEqual(overdue.created_at, now)
        [supervise] = self.system_events(case, "supervise")
        self.assertTrue(supervise.data["automatic"])
        self.assertTrue(supervise.note)
        [notice] = self.overdue_notices(case, self.department)
        self.assertIn(case.number, notice.message)
        self.assertEqual(case.deadline_state(now), "overdue")

    def test_running_the_watch_again_changes_nothing(self):
        case = self.dispatched(at=MONDAY)
        watch_deadlines(now=MONDAY + 72 * HOUR)
        before = self.snapshot(case)
        report = watch_deadlines(now=MONDAY + 73 * HOUR)
        self.assertEqual((report.overdue, report.late_report_ins), ([], []))
        self.assertEqual(self.snapshot(case), before)

    def test_a_case_not_yet_due_is_untouched(self):
        case = self.dispatched(at=MONDAY)
        before = self.snapshot(case)
        # Before the last quarter of its time, where a "due soon" notice would be written.
        self.assertEqual(watch_deadlines(now=MONDAY + 17 * HOUR).overdue, [])
        self.assertEqual(self.snapshot(case), before)

    def test_a_closed_case_is_untouched(self):
        case = self.closed(at=MONDAY)
        before = self.snapshot(case)
        self.assertEqual(watch_deadlines(now=MONDAY + timedelta(days=60)).overdue, [])
        self.assertEqual(self.snapshot(case), before)

    def test_each_step_is_judged_by_its_own_deadline(self):
        registered = self.registered(at=MONDAY)
        dispatched = self.dispatched(at=MONDAY)
        handling = self.handling(at=MONDAY)
        replied = self.replied(at=MONDAY)
        expected = {
            registered.number: ("close", registered.due_at),
            dispatched.number: ("accept", dispatched.accept_due_at),
            handling.number: ("reply", handling.reply_due_at),
            replied.number: ("verify", replied.verify_due_at),
        }
        # Exactly at a deadline counts as late, as in Case.deadline_state().
        for number, (step, due) in sorted(expected.items(), key=lambda item: item[1][1]):
            with self.subTest(step=step):
                self.assertEqual(watch_deadlines(now=due - timedelta(seconds=1)).overdue, [])
                self.assertEqual(watch_deadlines(now=due).overdue, [number])
                event = CaseEvent.objects.get(case__number=number, action="overdue")
                self.assertEqual(event.data["step"], step)
        # A registered case has no unit yet: it is marked, and there is nobody to tell.
        self.assertFalse(Notification.objects.filter(case=registered, action="overdue"))

    def test_the_overdue_filter_agrees_with_the_traffic_light(self):
        cases = [
            self.registered(at=MONDAY),
            self.dispatched(at=MONDAY),
            self.handling(at=MONDAY),
            self.replied(at=MONDAY),
            self.closed(at=MONDAY),
        ]
        # A case whose category sets no deadline is never overdue, and is among the rest.
        Case.objects.filter(pk=cases[0].pk).update(due_at=None)
        cases[0].refresh_from_db()
        moments = sorted({c.current_due_at() for c in cases if c.current_due_at()})
        for now in [MONDAY, *moments, *(m - timedelta(seconds=1) for m in moments)]:
            with self.subTest(now=now):
                filtered = set(Case.objects.filter(overdue_q(now)))
                lit = {case for case in cases if case.deadline_state(now) == "overdue"}
                self.assertEqual(filtered, lit)
                self.assertEqual(set(Case.objects.exclude(overdue_q(now))), set(cases) - lit)

    def test_an_approved_extension_clears_the_mark_until_the_new_deadline_passes(self):
        case = self.handling(at=MONDAY)
        late = case.reply_due_at + HOUR
        watch_deadlines(now=late)
        case.refresh_from_db()
        self.assertEqual(case.overdue_at, late)

        self.act(self.handler, case, "extend", at=late, amount=5, unit="working_days", reason="x")
        case = self.act(self.dispatcher, case, "approve-extension", at=late + HOUR)
        self.assertIsNone(case.overdue_at)
        self.assertEqual(watch_deadlines(now=late + 2 * HOUR).overdue, [])
        self.assertEqual(watch_deadlines(now=case.reply_due_at - HOUR).overdue, [])

        self.assertEqual(watch_deadlines(now=case.reply_due_at).overdue, [case.number])
        case.refresh_from_db()
        self.assertEqual(case.supervision_count, 2)
        self.assertEqual(len(self.system_events(case, "overdue")), 2)
        self.assertEqual(self.overdue_notices(case, self.department).count(), 2)

    def test_a_case_claimed_or_moved_on_since_it_was_read_is_left_alone(self):
        accept_step = deadlines.STEPS[0]
        now = MONDAY + 72 * HOUR
        first, second = self.dispatched(at=MONDAY), self.dispatched(at=MONDAY)
        # Two workers read the same candidate: only the first claim wins.
        self.assertEqual(deadlines._mark_overdue(first.pk, accept_step, now), first.number)
        self.assertIsNone(deadlines._mark_overdue(first.pk, accept_step, now))
        self.assertEqual(len(self.system_events(first, "overdue")), 1)
        # Accepted after the watch read it: the claim finds it no longer late.
        self.act(self.handler, second, "accept", at=now - HOUR)
        before = self.snapshot(second)
        self.assertIsNone(deadlines._mark_overdue(second.pk, accept_step, now))
        self.assertEqual(self.snapshot(second), before)

    def test_a_large_backlog_is_read_in_batches(self):
        cases = [self.dispatched(at=MONDAY) for _ in range(5)]
        original = deadlines.BATCH_SIZE
        deadlines.BATCH_SIZE = 2
        try:
            report = watch_deadlines(now=MONDAY + 72 * HOUR)
        finally:
            deadlines.BATCH_SIZE = original
        self.assertEqual(sorted(report.overdue), sorted(case.number for case in cases))


class SummonReportInTests(WatchTestCase):
    def summoned(self):
        case = self.registered(at=MONDAY)
        return self.act(
            self.street_staff,
            case,
            "summon",
            at=MONDAY,
            lead=self.department.code,
            assisting=[self.water.code],
        )

    def test_a_department_late_to_report_in_is_reminded_once(self):
        case = self.summoned()
        self.act(self.handler, case, "report-in", at=MONDAY + timedelta(minutes=10))
        water = case.assignments.get(department=self.water)

        report = watch_deadlines(now=MONDAY + HOUR)
        self.assertEqual(report.late_report_ins, [water.pk])
        self.assertEqual(report.overdue, [])  # the lead reported in: the case is on time
        [notice] = self.overdue_notices(case, self.water)
        self.assertIn(case.number, notice.message)
        self.assertFalse(self.overdue_notices(case, self.department))

        self.assertEqual(watch_deadlines(now=MONDAY + 2 * HOUR).late_report_ins, [])
        self.assertEqual(self.overdue_notices(case, self.water).count(), 1)

    def test_a_department_that_reported_in_late_is_not_reminded(self):
        case = self.summoned()
        self.act(self.handler, case, "report-in", at=MONDAY + HOUR)
        self.act(self.water_handler, case, "report-in", at=MONDAY + HOUR)
        self.assertEqual(watch_deadlines(now=MONDAY + 2 * HOUR).late_report_ins, [])

    def test_when_nobody_reports_in_each_unit_gets_one_notice(self):
        case = self.summoned()
        report = watch_deadlines(now=MONDAY + HOUR)
        # The lead not reporting in leaves the case unaccepted past its summons deadline.
        self.assertEqual(report.overdue, [case.number])
        for department in (self.department, self.water):
            with self.subTest(department=department.short_name):
                self.assertEqual(self.overdue_notices(case, department).count(), 1)


class DeadlineColourTests(CaseTestCase):
    def test_ok_then_approaching_then_overdue(self):
        # Received and dispatched at once: 24 hours to accept, yellow in the last quarter.
        case = self.dispatched(at=MONDAY)
        self.assertEqual(case.deadline_state(MONDAY + HOUR), "ok")
        self.assertEqual(case.deadline_state(MONDAY + 17 * HOUR), "ok")
        self.assertEqual(case.deadline_state(MONDAY + 19 * HOUR), "approaching")
        self.assertEqual(case.deadline_state(MONDAY + 24 * HOUR), "overdue")
        self.assertEqual(case.deadline_state(MONDAY + 72 * HOUR), "overdue")

    def test_a_finished_case_has_no_colour(self):
        case = self.closed(at=MONDAY)
        self.assertEqual(case.deadline_state(MONDAY + timedelta(days=60)), "none")
