"""The four kinds of notice the message centre is for are written where the work happens."""

from datetime import timedelta

from gridgov.accounts.tests.base import make_user
from gridgov.cases.deadlines import DUE_SOON, watch_deadlines
from gridgov.cases.tests.base import at
from gridgov.notices.tests.base import NoticeTestCase
from gridgov.triage.classifier import triage_actor

# A Monday with working days around it: litter (E0103) has 24 hours to be accepted.
MONDAY = at(2026, 3, 2, 9)
HOUR = timedelta(hours=1)


class ReturnTests(NoticeTestCase):
    def test_a_returned_case_is_news_for_the_dispatcher_and_their_desk(self):
        colleague = make_user("dispatcher2", "dispatcher", self.district)
        case = self.dispatched()
        self.act(self.handler, case, "return", reason="不属于本部门职责")

        [notice] = self.notices_of(case, "return")
        self.assertEqual((notice.user, notice.office), (self.dispatcher, self.district))
        self.assertIn("不属于本部门职责", notice.message)
        for user in (self.dispatcher, colleague):
            with self.subTest(user=user.username):
                response = self.page(user, kind="returned")
                self.assertEqual(self.unread_on_page(response), {notice.pk})
        # The unit that returned it is not told about its own return.
        self.assertEqual(self.listed(self.page(self.handler, kind="returned")), set())

    def test_a_case_the_triage_account_dispatched_goes_back_to_the_desk_above_it(self):
        case = self.registered()
        self.act(triage_actor(), case, "dispatch")
        self.act(self.handler, case, "return", reason="请改派")

        [notice] = self.notices_of(case, "return")
        self.assertEqual(notice.office, self.district)
        self.assertEqual(self.listed(self.page(self.dispatcher, kind="returned")), {notice.pk})


class SupervisionTests(NoticeTestCase):
    def test_pressing_a_case_tells_the_unit_holding_it(self):
        case = self.dispatched()
        self.act(self.leader, case, "supervise", reason="群众反映强烈")
        [notice] = self.notices_of(case, "supervise")
        self.assertEqual(notice.department, self.department)
        self.assertEqual(self.listed(self.page(self.handler, kind="supervision")), {notice.pk})

    def test_pressing_a_case_nobody_holds_tells_the_desk_that_must_dispatch_it(self):
        case = self.registered()
        self.act(self.leader, case, "supervise", reason="尽快派遣")
        [notice] = self.notices_of(case, "supervise")
        self.assertEqual(notice.office, self.district)
        self.assertEqual(self.listed(self.page(self.dispatcher, kind="supervision")), {notice.pk})


class DueSoonTests(NoticeTestCase):
    def test_the_watch_warns_once_when_a_step_enters_its_last_quarter(self):
        case = self.dispatched(at=MONDAY)
        self.assertEqual(case.accept_due_at, MONDAY + 24 * HOUR)

        self.assertEqual(watch_deadlines(now=MONDAY + 17 * HOUR).due_soon, [])
        self.assertFalse(self.notices_of(case, DUE_SOON))

        report = watch_deadlines(now=MONDAY + 19 * HOUR)
        self.assertEqual(report.due_soon, [case.number])
        [notice] = self.notices_of(case, DUE_SOON)
        self.assertEqual(notice.department, self.department)
        self.assertIn(case.number, notice.message)
        self.assertIn("2026-03-03 09:00", notice.message)

        self.assertEqual(watch_deadlines(now=MONDAY + 20 * HOUR).due_soon, [])
        self.assertEqual(self.notices_of(case, DUE_SOON).count(), 1)
        response = self.page(self.handler, kind="due_soon")
        self.assertEqual(self.listed(response), {notice.pk})

    def test_the_next_step_is_warned_again(self):
        case = self.dispatched(at=MONDAY)
        watch_deadlines(now=MONDAY + 19 * HOUR)
        self.act(self.handler, case, "accept", at=MONDAY + 20 * HOUR)
        case.refresh_from_db()
        # Seven working days to reply: the last quarter is a working day and a half or so.
        almost = case.reply_due_at - 2 * HOUR

        self.assertEqual(watch_deadlines(now=almost).due_soon, [case.number])
        self.assertEqual(watch_deadlines(now=almost + HOUR).due_soon, [])
        self.assertEqual(self.notices_of(case, DUE_SOON).count(), 2)

    def test_an_overdue_case_is_not_warned_as_due_soon(self):
        case = self.dispatched(at=MONDAY)
        report = watch_deadlines(now=MONDAY + 30 * HOUR)
        self.assertEqual((report.overdue, report.due_soon), ([case.number], []))
        self.assertFalse(self.notices_of(case, DUE_SOON))
