"""Hot spots: spikes against each cell's own baseline, and the ranking of monthly topics."""

from datetime import timedelta

from gridgov.cases.tests.base import CaseTestCase, at
from gridgov.triage import hotspots

# A Thursday: "this week" runs from Monday 2026-03-09.
NOW = at(2026, 3, 12, 15)
MONDAY = at(2026, 3, 9, 9)

POINTS = {  # a point inside each grid of the cast
    "grid": (120.105, 30.205),
    "second_grid": (120.115, 30.205),
    "neighbour_grid": (120.125, 30.205),
    "other_grid": (120.205, 30.205),
}


def report(test, grid, category, when, n=1):
    lng, lat = POINTS[grid]
    for i in range(n):
        test.intake(
            actor=test.admin,
            category=category.code,
            lng=lng + 0.0001 * i,
            lat=lat,
            at=when + timedelta(minutes=i),
        )


class SpikeTests(CaseTestCase):
    def spikes(self, root=None, **cfg):
        return hotspots.find_spikes(root or self.city, NOW, {**hotspots.DEFAULTS, **cfg})

    def test_a_burst_in_a_quiet_cell_is_a_spike(self):
        report(self, "grid", self.litter, MONDAY, n=4)
        report(self, "grid", self.litter, MONDAY - timedelta(weeks=5))  # one, weeks ago
        [spike] = self.spikes()
        self.assertEqual((spike.region_code, spike.category_code), (self.grid.code, "E0103"))
        self.assertEqual(spike.count, 4)
        self.assertEqual(spike.baseline, [0, 0, 0, 1, 0, 0, 0, 0])
        self.assertEqual(spike.iso_week, "2026-W11")
        self.assertLess(spike.p_value, 0.001)

    def test_a_steady_busy_cell_is_not_a_spike(self):
        for week in range(9):  # three a week, this week included
            report(self, "second_grid", self.flyposting, MONDAY - timedelta(weeks=week), n=3)
        self.assertEqual(self.spikes(), [])

    def test_below_the_minimum_count_nothing_is_flagged(self):
        report(self, "grid", self.litter, MONDAY, n=2)
        self.assertEqual(self.spikes(), [])

    def test_cases_before_monday_count_in_the_baseline_not_this_week(self):
        report(self, "grid", self.litter, at(2026, 3, 8, 23), n=4)  # Sunday night
        report(self, "grid", self.litter, MONDAY, n=3)
        self.assertEqual(self.spikes(), [])

    def test_only_the_areas_own_subtree_is_counted(self):
        report(self, "grid", self.litter, MONDAY, n=3)
        report(self, "other_grid", self.litter, MONDAY, n=3)
        self.assertEqual([s.region_code for s in self.spikes(self.street)], [self.grid.code])
        self.assertEqual(len(self.spikes(self.city)), 2)

    def test_the_poisson_rule_is_an_alternative(self):
        for week in range(1, 9):
            report(self, "grid", self.litter, MONDAY - timedelta(weeks=week), n=1)
        report(self, "grid", self.litter, MONDAY, n=4)
        # mean 1, sd 0 → threshold max(3, 1 + 3·1) = 4: flagged; P(X ≥ 4 | λ=1) ≈ 0.019.
        self.assertEqual(len(self.spikes()), 1)
        self.assertEqual(self.spikes(METHOD="poisson"), [])

    def test_the_poisson_tail(self):
        self.assertAlmostEqual(hotspots.poisson_tail(0, 2.0), 1.0)
        self.assertAlmostEqual(hotspots.poisson_tail(1, 2.0), 1 - 0.1353352832, places=8)
        self.assertAlmostEqual(hotspots.poisson_tail(4, 1.0), 0.0189881, places=6)


class MonthlyTopicTests(CaseTestCase):
    def test_topics_are_ranked_by_count_then_growth_then_grids(self):
        recent, before = NOW - timedelta(days=3), NOW - timedelta(days=40)
        report(self, "grid", self.litter, recent, n=3)
        report(self, "second_grid", self.litter, recent, n=2)  # 滨江社区 litter: 5, 2 grids
        report(self, "neighbour_grid", self.flyposting, recent, n=3)  # 临河社区 flyposting: 3
        report(self, "grid", self.flyposting, recent, n=3)  # 滨江社区 flyposting: 3 …
        report(self, "grid", self.flyposting, before, n=2)  # … but 2 the month before
        report(self, "other_grid", self.litter, recent, n=9)  # another district
        topics = hotspots.monthly_topics(self.street, NOW, hotspots.DEFAULTS)
        self.assertEqual(
            [(t.region.code, t.category_code, t.count, t.previous, t.grids) for t in topics],
            [
                (self.community.code, "E0103", 5, 0, 2),
                (self.neighbour_community.code, "E0201", 3, 0, 1),
                (self.community.code, "E0201", 3, 2, 1),
            ],
        )
        self.assertEqual(topics[0].trend, 5)
        self.assertAlmostEqual(topics[2].growth, 0.5)

    def test_a_district_sees_topics_by_street_and_the_city_by_district(self):
        report(self, "grid", self.litter, NOW - timedelta(days=1), n=2)
        report(self, "other_grid", self.litter, NOW - timedelta(days=1), n=1)
        by_street = hotspots.monthly_topics(self.district, NOW, hotspots.DEFAULTS)
        self.assertEqual([(t.region.code, t.count) for t in by_street], [(self.street.code, 2)])
        by_district = hotspots.monthly_topics(self.city, NOW, hotspots.DEFAULTS)
        self.assertEqual(
            [(t.region.code, t.count) for t in by_district],
            [(self.district.code, 2), (self.other_district.code, 1)],
        )

    def test_topic_levels(self):
        self.assertEqual(hotspots.topic_level(self.city), "district")
        self.assertEqual(hotspots.topic_level(self.street), "community")
        self.assertEqual(hotspots.topic_level(self.community), "community")
