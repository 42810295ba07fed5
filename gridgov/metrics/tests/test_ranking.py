"""The composite score and the ranking order."""

from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured
from django.test import SimpleTestCase, override_settings

from gridgov.metrics.figures import (
    DEFINITIONS,
    RATE_KEYS,
    Figures,
    composite_score,
    metrics_settings,
    rank,
    unit_figures,
)
from gridgov.metrics.tests.base import LATER, MARCH, MONDAY, MetricsTestCase


def figures(code, *, response=None, resolution=None, satisfaction=None, on_time=None, **more):
    """A row whose rates are the given fractions of 10 (None: no denominator)."""

    def pair(rate):
        return (0, 0) if rate is None else (round(rate * 10), 10)

    responded, response_base = pair(response)
    solved, rated = pair(resolution)
    satisfied, _rated = pair(satisfaction)
    closed_on_time, due = pair(on_time)
    if rated == 0 and satisfaction is not None:
        rated = 10
    return Figures(
        kind="street",
        code=code,
        name=code,
        responded_on_time=responded,
        response_base=response_base,
        solved=solved,
        rated=rated,
        satisfied=satisfied,
        closed_on_time=closed_on_time,
        due=due,
        **more,
    )


class CompositeScoreTests(SimpleTestCase):
    def test_the_score_is_the_weighted_sum_of_the_rates(self):
        row = figures("a", response=1.0, resolution=0.5, satisfaction=0.5, on_time=1.0)
        self.assertAlmostEqual(composite_score(row), 0.2 + 0.15 + 0.15 + 0.2)

    def test_a_rate_with_no_denominator_is_left_out_and_the_rest_renormalised(self):
        row = figures("a", response=1.0, resolution=0.5, satisfaction=0.5)
        self.assertAlmostEqual(composite_score(row), (0.2 + 0.15 + 0.15) / 0.8)

    def test_lower_is_better_rates_score_their_complement(self):
        row = Figures(kind="street", code="a", name="a", reworked=1, replied=4)
        self.assertAlmostEqual(composite_score(row, {"rework": 1}), 0.75)

    def test_nothing_to_rate_gives_no_score(self):
        self.assertIsNone(composite_score(figures("a")))

    def test_bad_weights_are_refused(self):
        for weights in ({"speed": 1}, {"response": -1}, {"response": 0}):
            with self.subTest(weights=weights), self.assertRaises(ImproperlyConfigured):
                composite_score(figures("a", response=1.0), weights)


class RankTests(SimpleTestCase):
    def test_rows_are_ranked_best_first_and_ties_share_a_position(self):
        rows = [
            figures("low", response=0.5, resolution=0.5, satisfaction=0.5, on_time=0.5),
            figures("none"),
            figures("top", response=1.0, resolution=1.0, satisfaction=1.0, on_time=1.0),
            figures("tie-b", response=0.8, resolution=0.8, satisfaction=0.8, on_time=0.8),
            figures("tie-a", response=0.8, resolution=0.8, satisfaction=0.8, on_time=0.8),
        ]
        ranked = rank(rows)
        self.assertEqual(
            [(r.figures.code, r.position) for r in ranked],
            [("top", 1), ("tie-a", 2), ("tie-b", 2), ("low", 4), ("none", None)],
        )
        self.assertIsNone(ranked[-1].score)

    def test_weights_change_the_order(self):
        fast = figures("fast", response=1.0, satisfaction=0.5)
        liked = figures("liked", response=0.5, satisfaction=1.0)
        self.assertEqual(rank([fast, liked], {"response": 1})[0].figures.code, "fast")
        self.assertEqual(rank([fast, liked], {"satisfaction": 1})[0].figures.code, "liked")

    def test_a_missing_rate_does_not_count_against_a_row(self):
        # Nothing due yet: ranked on its other rates, not as if it closed nothing on time.
        new = figures("new", response=0.9, resolution=0.9, satisfaction=0.9)
        old = figures("old", response=0.9, resolution=0.9, satisfaction=0.9, on_time=0.5)
        self.assertEqual([r.figures.code for r in rank([old, new])], ["new", "old"])
        self.assertAlmostEqual(rank([new])[0].score, 0.9)

    @override_settings(GRIDGOV_RANKING_WEIGHTS={"satisfaction": 1})
    def test_the_default_weights_are_a_setting(self):
        fast = figures("fast", response=1.0, satisfaction=0.5)
        liked = figures("liked", response=0.5, satisfaction=1.0)
        self.assertEqual(rank([fast, liked])[0].figures.code, "liked")


class UnitRankingTests(MetricsTestCase):
    def test_the_unit_that_accepts_late_ranks_below_the_one_that_accepts_in_time(self):
        self.accept(self.new_case(), MONDAY)
        burst = self.new_case(category=self.burst_main)
        self.accept(burst, burst.accept_due_at + timedelta(hours=1), self.water_handler)
        # Both cases are still open past their deadlines: on time 0 for both.
        ranked = rank(unit_figures(*MARCH, region=self.district, now=LATER))
        self.assertEqual(
            [(r.figures.code, r.position, r.score) for r in ranked],
            [(self.department.code, 1, (0.2 * 1 + 0.2 * 0) / 0.4), (self.water.code, 2, 0.0)],
        )


class SettingsTests(SimpleTestCase):
    def test_every_rate_is_defined(self):
        self.assertLessEqual(set(RATE_KEYS), {d.key for d in DEFINITIONS})

    def test_a_misspelt_or_out_of_range_setting_stops_with_a_message(self):
        for bad in (
            {"basically_satisfied_weigth": 0.5},
            {"basically_satisfied_weight": 2},
            {"suspended_statuses": ["closed", "paused"]},
            {"unit_roles": []},
        ):
            with (
                self.subTest(setting=bad),
                override_settings(GRIDGOV_METRICS=bad),
                self.assertRaises(ImproperlyConfigured),
            ):
                metrics_settings()

    @override_settings(GRIDGOV_RANKING_WEIGHTS={"speed": 1})
    def test_the_system_check_names_a_bad_setting(self):
        from gridgov.metrics.checks import check_metrics_settings

        errors = check_metrics_settings()
        self.assertEqual([e.id for e in errors], ["gridgov_metrics.E001"])
        self.assertIn("speed", errors[0].msg)
