"""Each rate on a small hand-made set of cases whose answer is known."""

from datetime import timedelta

from django.test import override_settings

from gridgov.metrics.figures import region_figures
from gridgov.metrics.tests.base import LATER, MARCH, MONDAY, MetricsTestCase

HOUR = timedelta(hours=1)


class ResponseRateTests(MetricsTestCase):
    def test_three_accepted_in_time_and_one_late_is_three_quarters(self):
        for _n in range(3):
            self.accept(self.new_case(), MONDAY + HOUR)
        late = self.new_case()
        self.accept(late, late.accept_due_at + HOUR)
        figures = region_figures(self.district, *MARCH, now=LATER)
        self.assertEqual((figures.responded_on_time, figures.response_base), (3, 4))
        self.assertEqual(figures.rate("response"), 0.75)

    def test_a_case_awaiting_acceptance_counts_as_late_only_once_its_deadline_passes(self):
        self.accept(self.new_case(), MONDAY + HOUR)
        waiting = self.new_case()
        before = region_figures(self.district, *MARCH, now=waiting.accept_due_at - HOUR)
        after = region_figures(self.district, *MARCH, now=waiting.accept_due_at)
        self.assertEqual(before.rate("response"), 1.0)
        self.assertEqual(after.rate("response"), 0.5)

    def test_an_acceptance_before_a_return_does_not_count_for_the_next_dispatch(self):
        case = self.new_case()
        self.accept(case, MONDAY + HOUR)
        self.act(self.handler, case, "return", at=MONDAY + 2 * HOUR, reason="不是我们的事")
        self.act(
            self.dispatcher,
            case,
            "dispatch",
            at=MONDAY + 3 * HOUR,
            departments=[self.water.code],
        )
        figures = region_figures(self.district, *MARCH, now=LATER)
        self.assertEqual((figures.responded_on_time, figures.response_base), (0, 1))


class RatingTests(MetricsTestCase):
    def setUp(self):
        ratings = [
            (True, "satisfied"),
            (True, "satisfied"),
            (True, "basically_satisfied"),
            (False, "basically_satisfied"),
            (False, "unsatisfied"),
        ]
        for solved, satisfaction in ratings:
            self.rated_case(solved, satisfaction)
        # Closed but not rated: in no rating denominator.
        self.closed_case()

    def test_resolution_is_solved_over_rated(self):
        figures = region_figures(self.district, *MARCH, now=LATER)
        self.assertEqual((figures.solved, figures.rated), (3, 5))
        self.assertEqual(figures.rate("resolution"), 0.6)

    def test_satisfaction_counts_basically_satisfied_at_four_fifths(self):
        figures = region_figures(self.district, *MARCH, now=LATER)
        self.assertAlmostEqual(figures.rate("satisfaction"), (2 + 2 * 0.8) / 5)

    @override_settings(GRIDGOV_METRICS={"basically_satisfied_weight": 0.5})
    def test_the_weight_of_basically_satisfied_is_a_setting(self):
        figures = region_figures(self.district, *MARCH, now=LATER)
        self.assertAlmostEqual(figures.rate("satisfaction"), 3 / 5)


class OnTimeClosureTests(MetricsTestCase):
    def test_closed_by_the_deadline_over_due_less_merged_and_rejected(self):
        on_time = self.closed_case()
        late = self.new_case()
        self.reply(late, MONDAY + HOUR, MONDAY + 2 * HOUR)
        self.close(late, late.due_at + HOUR)
        self.new_case()  # still open past its deadline: late
        rejected = self.intake(at=MONDAY)
        self.act(self.dispatcher, rejected, "reject", at=MONDAY, reason="不属于受理范围")
        duplicate = self.intake(at=MONDAY, reporter_phone="13900001111")
        self.act(self.dispatcher, duplicate, "merge", at=MONDAY, master=on_time.number)
        figures = region_figures(self.district, *MARCH, now=LATER)
        self.assertEqual(figures.received, 5)
        self.assertEqual((figures.closed_on_time, figures.due), (1, 3))
        self.assertAlmostEqual(figures.rate("on_time"), 1 / 3)

    def test_the_cohort_is_the_cases_due_in_the_period_and_already_due(self):
        case = self.closed_case()
        # Received in March, due in March: a period of the due date alone counts it.
        due_day = case.due_at.replace(hour=0, minute=0, second=0, microsecond=0)
        figures = region_figures(self.district, due_day, due_day + timedelta(days=1), now=LATER)
        self.assertEqual((figures.received, figures.due, figures.closed_on_time), (0, 1, 1))
        # Before the deadline the case cannot have missed it, closed or not.
        early = region_figures(self.district, *MARCH, now=case.due_at - HOUR)
        self.assertEqual(early.due, 0)
        self.assertIsNone(early.rate("on_time"))


class ReworkExtensionAndTimeTests(MetricsTestCase):
    def test_rework_is_reworked_over_replied(self):
        cases = [self.new_case() for _n in range(4)]
        for case in cases:
            self.reply(case, MONDAY + HOUR, MONDAY + 2 * HOUR)
        self.act(self.grid_worker, cases[0], "rework", at=MONDAY + 3 * HOUR, reason="仍有垃圾")
        self.new_case()  # dispatched, never replied: not in the denominator
        figures = region_figures(self.district, *MARCH, now=LATER)
        self.assertEqual((figures.reworked, figures.replied), (1, 4))
        self.assertEqual(figures.rate("rework"), 0.25)

    def test_extension_is_extended_over_dispatched(self):
        cases = [self.new_case() for _n in range(4)]
        extended = cases[0]
        self.accept(extended, MONDAY + HOUR)
        self.act(
            self.handler,
            extended,
            "extend",
            at=MONDAY + 2 * HOUR,
            amount=3,
            unit="working_days",
            reason="需协调",
        )
        self.act(self.dispatcher, extended, "approve-extension", at=MONDAY + 3 * HOUR)
        refused = cases[1]
        self.accept(refused, MONDAY + HOUR)
        self.act(
            self.handler,
            refused,
            "extend",
            at=MONDAY + 2 * HOUR,
            amount=3,
            unit="working_days",
            reason="需协调",
        )
        self.act(self.dispatcher, refused, "refuse-extension", at=MONDAY + 3 * HOUR, reason="够")
        self.new_case(dispatch=False)  # registered only: not dispatched
        figures = region_figures(self.district, *MARCH, now=LATER)
        self.assertEqual((figures.extended, figures.dispatched), (1, 4))
        self.assertEqual(figures.rate("extension"), 0.25)

    def test_average_handling_time_is_dispatch_to_reply_in_hours(self):
        self.reply(self.new_case(), MONDAY + HOUR, MONDAY + 3 * HOUR)
        self.reply(self.new_case(), MONDAY + HOUR, MONDAY + 9 * HOUR)
        self.new_case()  # not replied: left out
        figures = region_figures(self.district, *MARCH, now=LATER)
        self.assertAlmostEqual(figures.avg_handling_hours, 6.0, places=6)


class CountTests(MetricsTestCase):
    def test_received_open_overdue_and_closed(self):
        now = MONDAY + timedelta(days=5)
        self.closed_case()
        self.new_case()  # awaiting acceptance since Monday: overdue by Saturday
        self.new_case(received=now - HOUR, dispatch=False)  # registered an hour ago: in time
        rejected = self.intake(at=MONDAY)
        self.act(self.dispatcher, rejected, "reject", at=MONDAY, reason="不属于受理范围")
        figures = region_figures(self.district, *MARCH, now=now)
        self.assertEqual(
            (figures.received, figures.open, figures.overdue, figures.closed), (4, 2, 1, 1)
        )

    def test_with_no_cases_every_rate_is_none_and_every_count_zero(self):
        figures = region_figures(self.district, *MARCH, now=LATER)
        self.assertEqual(set(figures.rates.values()), {None})
        self.assertIsNone(figures.avg_handling_hours)
        self.assertEqual((figures.received, figures.open, figures.due), (0, 0, 0))


class QueryCountTests(MetricsTestCase):
    def test_region_figures_take_one_query_however_many_cases(self):
        self.rated_case(True, "satisfied")
        with self.assertNumQueries(1):
            region_figures(self.district, *MARCH, now=LATER)
        for _n in range(4):
            self.rated_case(False, "unsatisfied")
        self.new_case()
        with self.assertNumQueries(1):
            figures = region_figures(self.district, *MARCH, now=LATER)
        self.assertEqual(figures.received, 6)
