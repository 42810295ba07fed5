"""Periods, region subtrees, child-region rows and per-unit attribution."""

from datetime import timedelta

from django.test import override_settings

from gridgov.accounts.tests.base import make_user
from gridgov.cases.tests.base import at
from gridgov.metrics.figures import child_region_figures, region_figures, unit_figures
from gridgov.metrics.tests.base import (
    LATER,
    MARCH,
    MONDAY,
    NEIGHBOUR_POINT,
    OTHER_DISTRICT_POINT,
    MetricsTestCase,
)

HOUR = timedelta(hours=1)


class PeriodTests(MetricsTestCase):
    def test_the_period_includes_its_start_and_excludes_its_end(self):
        for received in (at(2026, 2, 28, 23, 59), MARCH[0], at(2026, 3, 31, 23, 59), MARCH[1]):
            self.intake(at=received)
        self.assertEqual(region_figures(self.district, *MARCH, now=LATER).received, 2)
        self.assertEqual(region_figures(self.district, None, None, now=LATER).received, 4)
        self.assertEqual(region_figures(self.district, MARCH[0], None, now=LATER).received, 3)

    def test_rates_follow_the_cases_received_in_the_period(self):
        self.accept(self.new_case(), MONDAY + HOUR)
        february = self.new_case(received=at(2026, 2, 16, 9))
        self.accept(february, february.accept_due_at + HOUR)
        self.assertEqual(region_figures(self.district, *MARCH, now=LATER).rate("response"), 1)
        february_only = region_figures(self.district, at(2026, 2, 1), MARCH[0], now=LATER)
        self.assertEqual(february_only.rate("response"), 0)


class RegionScopeTests(MetricsTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.other_handler = make_user(
            "otherdept", "department_handler", department=cls.other_department
        )

    def setUp(self):
        self.accept(self.new_case(), MONDAY + HOUR)  # 滨江社区, grid 1
        self.accept(self.new_case(**NEIGHBOUR_POINT), MONDAY + HOUR)  # 临河社区
        far = self.new_case(actor=self.admin, **OTHER_DISTRICT_POINT)  # 临湖区, late
        self.accept(far, far.accept_due_at + HOUR, self.other_handler)

    def test_another_districts_cases_do_not_count(self):
        ours = region_figures(self.district, *MARCH, now=LATER)
        theirs = region_figures(self.other_district, *MARCH, now=LATER)
        self.assertEqual((ours.received, ours.rate("response")), (2, 1))
        self.assertEqual((theirs.received, theirs.rate("response")), (1, 0))
        self.assertEqual(region_figures(self.city, *MARCH, now=LATER).received, 3)
        self.assertEqual(region_figures(self.community, *MARCH, now=LATER).received, 1)

    def test_each_child_region_gets_a_row_from_one_grouped_query(self):
        with self.assertNumQueries(2):
            districts = child_region_figures(self.city, *MARCH, now=LATER)
        self.assertEqual(
            [(f.code, f.received, f.rate("response")) for f in districts],
            [(self.district.code, 2, 1.0), (self.other_district.code, 1, 0.0)],
        )
        communities = child_region_figures(self.street, *MARCH, now=LATER)
        self.assertEqual(
            [(f.name, f.received) for f in communities],
            [(self.community.name, 1), (self.neighbour_community.name, 1)],
        )
        # A child with no case still has its row, with nothing to rate.
        grids = child_region_figures(self.community, *MARCH, now=LATER)
        self.assertEqual(
            [(f.code, f.received) for f in grids], [(self.grid.code, 1), (self.second_grid.code, 0)]
        )
        self.assertIsNone(grids[1].rate("response"))

    def test_a_region_with_no_children_has_no_rows(self):
        self.assertEqual(child_region_figures(self.grid, *MARCH, now=LATER), [])


class UnitAttributionTests(MetricsTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.other_handler = make_user(
            "otherdept", "department_handler", department=cls.other_department
        )

    def rows(self, region=None):
        return {f.code: f for f in unit_figures(*MARCH, region=region, now=LATER)}

    def test_cases_count_for_the_unit_that_leads_them(self):
        # 城管 by the catalogue, accepted in time.
        self.accept(self.new_case(), MONDAY + HOUR)
        # 水务 by the catalogue, accepted late.
        burst = self.new_case(category=self.burst_main)
        self.accept(burst, burst.accept_due_at + HOUR, self.water_handler)
        # The community office, for a community matter.
        posters = self.new_case(category=self.flyposting)
        self.accept(posters, MONDAY + HOUR, self.community_staff)
        # Sent to both departments; 水务 accepts first and leads, 城管 assists.
        joint = self.new_case(dispatch=False)
        self.act(
            self.dispatcher,
            joint,
            "dispatch",
            at=MONDAY,
            departments=[self.department.code, self.water.code],
        )
        self.accept(joint, MONDAY + HOUR, self.water_handler)
        # 城管 returns it; 水务 takes it over in time.
        returned = self.new_case()
        self.act(self.handler, returned, "return", at=MONDAY + HOUR, reason="不是我们的事")
        self.act(
            self.dispatcher,
            returned,
            "dispatch",
            at=MONDAY + 2 * HOUR,
            departments=[self.water.code],
        )
        self.accept(returned, MONDAY + 3 * HOUR, self.water_handler)
        # In the other district: a row only when no region is given.
        self.new_case(actor=self.admin, **OTHER_DISTRICT_POINT)

        with self.assertNumQueries(1):
            rows = unit_figures(*MARCH, region=self.district, now=LATER)
        self.assertEqual(
            [(r.kind, r.code) for r in rows],
            [
                ("department", self.department.code),
                ("department", self.water.code),
                ("office", self.community.code),
            ],
        )
        city, water, office = rows
        self.assertEqual((city.assigned, city.returned, city.received), (3, 1, 1))
        self.assertEqual(city.rate("response"), 1)
        self.assertEqual((water.assigned, water.returned, water.received), (3, 0, 3))
        self.assertEqual((water.responded_on_time, water.response_base), (2, 3))
        self.assertEqual((office.received, office.rate("response")), (1, 1))
        self.assertIn(self.other_department.code, self.rows())

    def test_until_someone_accepts_every_unit_sent_a_joint_case_answers_for_it(self):
        joint = self.new_case(dispatch=False)
        self.act(
            self.dispatcher,
            joint,
            "dispatch",
            at=MONDAY,
            departments=[self.department.code, self.water.code],
        )
        rows = self.rows()
        for code in (self.department.code, self.water.code):
            self.assertEqual((rows[code].response_base, rows[code].responded_on_time), (1, 0))

    def test_handling_figures_follow_the_lead_unit_through_the_loop(self):
        case = self.new_case()
        self.reply(case, MONDAY + HOUR, MONDAY + 5 * HOUR)
        self.close(case, MONDAY + 6 * HOUR)
        self.rate(case, MONDAY + 7 * HOUR, True, "satisfied")
        city = self.rows()[self.department.code]
        self.assertEqual(city.rates["resolution"], 1)
        self.assertEqual(city.rates["satisfaction"], 1)
        self.assertEqual(city.rates["on_time"], 1)
        self.assertAlmostEqual(city.avg_handling_hours, 5.0, places=6)

    @override_settings(GRIDGOV_METRICS={"unit_roles": ["lead", "pending", "assist"]})
    def test_assisting_units_can_be_made_to_share_the_figures(self):
        joint = self.new_case(dispatch=False)
        self.act(
            self.dispatcher,
            joint,
            "dispatch",
            at=MONDAY,
            departments=[self.department.code, self.water.code],
        )
        self.accept(joint, MONDAY + HOUR, self.water_handler)
        rows = self.rows()
        self.assertEqual(rows[self.department.code].responded_on_time, 1)
        self.assertEqual(rows[self.water.code].responded_on_time, 1)
