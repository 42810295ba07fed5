"""The rollups: kept current by the loop, equal to a recomputation, rebuilt by a command.

Every figure read through the rollups is compared with the same figure computed straight
from the case rows (gridgov/metrics/direct.py, the pre-rollup implementation) after real
transitions through the services.
"""

import importlib
from collections import Counter
from datetime import timedelta
from io import StringIO

from django.core.management import CommandError, call_command
from django.db.models import F
from django.test import override_settings
from django.utils import translation

from gridgov.accounts.tests.base import make_user
from gridgov.cases.choices import OPEN_STATUSES
from gridgov.cases.models import Case
from gridgov.cases.tests.base import at
from gridgov.metrics import rollups
from gridgov.metrics.direct import (
    direct_child_region_figures,
    direct_region_figures,
    direct_unit_figures,
)
from gridgov.metrics.figures import (
    child_region_figures,
    daily_counts,
    received_counts,
    region_and_child_figures,
    region_figures,
    unit_figures,
)
from gridgov.metrics.models import (
    CategoryDailyRollup,
    DailyRollup,
    DistrictDailyRollup,
    UnitDailyRollup,
)
from gridgov.metrics.rollups import local_day
from gridgov.metrics.tests.base import (
    LATER,
    MARCH,
    MONDAY,
    NEIGHBOUR_POINT,
    OTHER_DISTRICT_POINT,
    MetricsTestCase,
)

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
MINUTES_10 = timedelta(minutes=10)
FIRST, LAST = at(2026, 1, 1).date(), at(2026, 6, 1).date()

# Periods: whole months, whole days, periods starting or ending inside a day, open-ended.
PERIODS = [
    MARCH,
    (at(2026, 2, 1), MARCH[0]),
    (MARCH[1], at(2026, 5, 1)),
    (None, None),
    (MARCH[0], None),
    (None, at(2026, 3, 10)),
    (MONDAY, MONDAY + DAY),
    (MONDAY + 2 * HOUR, MONDAY + 3 * DAY + 5 * HOUR),
    (MONDAY + 30 * HOUR, MONDAY + 31 * HOUR),
    (at(2026, 3, 9, 12), at(2026, 4, 14, 7)),
]
# Moments the figures are taken at: during the loop, on a deadline, long after.
NOWS = [MONDAY + 3 * HOUR, MONDAY + 2 * DAY + 9 * HOUR, at(2026, 3, 16, 17, 30), LATER]


class RollupTestCase(MetricsTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.other_handler = make_user(
            "otherdept", "department_handler", department=cls.other_department
        )

    def assert_same_figures(self):
        regions = [self.city, self.district, self.street, self.community, self.grid]
        for start, end in PERIODS:
            for now in NOWS:
                for region in regions:
                    with self.subTest(region=region.name, start=start, end=end, now=now):
                        self.assertEqual(
                            region_figures(region, start, end, now=now),
                            direct_region_figures(region, start, end, now=now),
                        )
                        self.assertEqual(
                            child_region_figures(region, start, end, now=now),
                            direct_child_region_figures(region, start, end, now=now),
                        )
                        self.assertEqual(
                            region_and_child_figures(region, start, end, now=now),
                            (
                                direct_region_figures(region, start, end, now=now),
                                direct_child_region_figures(region, start, end, now=now),
                            ),
                        )
                for region in (None, self.district, self.street):
                    with self.subTest(units=region, start=start, end=end, now=now):
                        direct = direct_unit_figures(start, end, region, now=now)
                        self.assertEqual(unit_figures(start, end, region, now=now), direct)
                        self.assertEqual(
                            unit_figures(start, end, region, now=now, departments_only=True),
                            [row for row in direct if row.kind == "department"],
                        )

    def assert_consistent(self):
        self.assertEqual(rollups.check_days(FIRST, LAST), [])

    def run_the_loop(self):
        """Cases through every kind of transition the figures care about."""
        # Closed on time and rated.
        self.rated_case(True, "satisfied")
        # Rated unsolved, reopened, replied again: open again, rework-free reply count.
        reopened = self.rated_case(False, "unsatisfied", received=MONDAY + HOUR)
        self.act(self.dispatcher, reopened, "reopen", at=MONDAY + 6 * HOUR, reason="未解决")
        self.act(self.handler, reopened, "reply", at=MONDAY + 8 * HOUR, result="再次处理")
        # Sent back for rework, then closed days later: its close moves to another day.
        rework = self.new_case(MONDAY + 2 * HOUR)
        self.reply(rework, MONDAY + 3 * HOUR, MONDAY + 4 * HOUR)
        self.act(self.grid_worker, rework, "rework", at=MONDAY + 5 * HOUR, reason="仍有垃圾")
        self.act(self.handler, rework, "reply", at=MONDAY + 2 * DAY, result="已返工")
        self.close(rework, MONDAY + 3 * DAY)
        # An approved extension moves the deadline, and so the due day, into April.
        extended = self.new_case(at(2026, 3, 25, 10))
        self.accept(extended, at(2026, 3, 25, 11))
        self.act(
            self.handler,
            extended,
            "extend",
            at=at(2026, 3, 25, 12),
            amount=10,
            unit="working_days",
            reason="需协调",
        )
        self.act(self.dispatcher, extended, "approve-extension", at=at(2026, 3, 25, 13))
        # Rejected, and merged into a master that is then closed (closing the duplicate).
        rejected = self.intake(at=MONDAY + HOUR)
        self.act(self.dispatcher, rejected, "reject", at=MONDAY + HOUR, reason="不属于受理范围")
        master = self.new_case(MONDAY + 3 * HOUR)
        duplicate = self.intake(at=MONDAY + 4 * HOUR, reporter_phone="13900001111")
        self.act(self.dispatcher, duplicate, "merge", at=MONDAY + 4 * HOUR, master=master.number)
        self.reply(master, MONDAY + 5 * HOUR, MONDAY + 6 * HOUR)
        self.close(master, MONDAY + 30 * HOUR)
        # Returned, then dispatched to another department which accepts late.
        returned = self.new_case(MONDAY + 5 * HOUR, **NEIGHBOUR_POINT)
        self.act(self.handler, returned, "return", at=MONDAY + 6 * HOUR, reason="不是我们的事")
        self.act(
            self.dispatcher,
            returned,
            "dispatch",
            at=MONDAY + 7 * HOUR,
            departments=[self.water.code],
        )
        self.accept(returned, returned.accept_due_at + HOUR, self.water_handler)
        # Sent to two departments at once; nobody has accepted.
        joint = self.new_case(MONDAY + 6 * HOUR, dispatch=False)
        self.act(
            self.dispatcher,
            joint,
            "dispatch",
            at=MONDAY + 6 * HOUR,
            departments=[self.department.code, self.water.code],
        )
        # Summoned by the street: 城管 leads, 水务 assists.
        summoned = self.new_case(MONDAY + 7 * HOUR, dispatch=False)
        self.act(
            self.street_staff,
            summoned,
            "summon",
            at=MONDAY + 7 * HOUR,
            lead=self.department.code,
            assisting=[self.water.code],
        )
        self.act(self.handler, summoned, "report-in", at=MONDAY + 7 * HOUR + MINUTES_10)
        # Fixed on the spot by a grid worker.
        patrol = self.intake(actor=self.grid_worker, at=MONDAY + 8 * HOUR, channel="grid_patrol")
        self.act(
            self.grid_worker,
            patrol,
            "self-handle",
            at=MONDAY + 9 * HOUR,
            category=self.flyposting.code,
            result="已现场清除",
        )
        # Waiting to be registered; in the other district; late in February; at midnight.
        self.intake(at=MONDAY + 23 * HOUR)
        far = self.new_case(MONDAY, actor=self.admin, **OTHER_DISTRICT_POINT)
        self.accept(far, far.accept_due_at + HOUR, self.other_handler)
        self.closed_case(at(2026, 2, 27, 16))
        self.new_case(MARCH[0])


class RollupsFollowTheLoopTests(RollupTestCase):
    def test_every_figure_equals_a_recomputation_from_the_cases(self):
        self.run_the_loop()
        self.assert_consistent()
        self.assert_same_figures()

    @override_settings(
        GRIDGOV_METRICS={
            "unit_roles": ["lead", "pending", "assist"],
            "suspended_statuses": ["merged"],
            "basically_satisfied_weight": 0.5,
        }
    )
    def test_settings_apply_when_reading_not_when_writing(self):
        self.run_the_loop()
        self.assert_same_figures()

    def test_the_fine_rollups_hold_final_cases_and_the_coarse_ones_every_case(self):
        closed = self.closed_case()
        self.new_case(MONDAY + HOUR)  # open: dispatched
        rows = DailyRollup.objects.filter(day=MONDAY.date())
        self.assertEqual(
            [(row.status, row.received, row.closed_on_day) for row in rows], [("closed", 1, 1)]
        )
        district = DistrictDailyRollup.objects.filter(day=MONDAY.date(), received__gt=0)
        self.assertEqual(
            sorted((row.status, row.received) for row in district),
            [("closed", 1), ("dispatched", 1)],
        )
        units = UnitDailyRollup.objects.filter(day=MONDAY.date(), department=self.department)
        self.assertEqual(sum(row.assigned for row in units), 2)
        # Reopened, it leaves the fine rollups, leaving no row of zeros behind, and moves
        # to its new status in the coarse ones.
        self.rate(closed, MONDAY + 4 * HOUR, False, "unsatisfied")
        self.act(self.dispatcher, closed, "reopen", at=MONDAY + 5 * HOUR, reason="未解决")
        self.assertFalse(DailyRollup.objects.exists())
        self.assertFalse(DistrictDailyRollup.objects.filter(status="rated").exists())
        self.assertEqual(
            sum(
                DistrictDailyRollup.objects.filter(day=MONDAY.date()).values_list(
                    "received", flat=True
                )
            ),
            2,
        )
        self.assert_consistent()

    def test_intake_adds_a_new_case_to_the_coarse_rollups_at_once(self):
        case = self.intake(at=MONDAY, category=self.litter.code)
        [row] = DistrictDailyRollup.objects.filter(day=MONDAY.date(), received__gt=0)
        self.assertEqual(
            (row.status, row.received, row.region_path), ("received", 1, self.district.path)
        )
        [category] = CategoryDailyRollup.objects.all()
        self.assertEqual((category.category_id, category.received), (self.litter.pk, 1))
        self.assertFalse(DailyRollup.objects.exists())
        self.act(self.dispatcher, case, "register", at=MONDAY, category=self.litter.code)
        statuses = DistrictDailyRollup.objects.filter(received__gt=0).values_list(
            "status", flat=True
        )
        self.assertEqual(list(statuses), ["registered"])
        self.assert_consistent()


class DashboardCountTests(RollupTestCase):
    def test_daily_and_grouped_counts_equal_the_cases(self):
        self.run_the_loop()
        first, last = at(2026, 2, 20).date(), at(2026, 3, 31).date()
        # A district reads the area rollups, a grid the finer ones.
        for region in (self.district, self.grid):
            cases = Case.objects.filter(region_path__startswith=region.path)
            received = Counter(local_day(c.received_at) for c in cases)
            closed = Counter(local_day(c.closed_at) for c in cases if c.closed_at)
            expected = {
                day: (received[day], closed[day])
                for day in received.keys() | closed.keys()
                if first <= day <= last
            }
            with self.subTest(region=region.name):
                self.assertEqual(daily_counts(region, first, last), expected)
        cases = Case.objects.filter(region_path__startswith=self.district.path)
        for start, end in PERIODS[:3] + PERIODS[6:]:
            within = [c for c in cases if start <= c.received_at < end]
            by_grid = Counter(c.region_id for c in within if c.region.level == "grid")
            by_category = Counter(c.category.name for c in within if c.category_id)
            with self.subTest(start=start, end=end):
                self.assertEqual(
                    dict(received_counts(self.district, start, end, "grid", 30)), by_grid
                )
                self.assertEqual(
                    dict(received_counts(self.district, start, end, "category", 10)),
                    by_category,
                )
        top = received_counts(self.district, *MARCH, "category", 1)
        self.assertEqual(top, [(self.litter.name, by_category_total(cases, self.litter))])


def by_category_total(cases, category) -> int:
    return sum(
        1 for c in cases if c.category_id == category.pk and MARCH[0] <= c.received_at < MARCH[1]
    )


class RebuildTests(RollupTestCase):
    def setUp(self):
        self.enterContext(translation.override("en"))
        self.run_the_loop()

    def command(self, *args) -> str:
        out = StringIO()
        call_command("rollups", *args, stdout=out, stderr=StringIO())
        return out.getvalue()

    def test_a_rebuild_from_nothing_gives_the_same_figures(self):
        DailyRollup.objects.all().delete()
        UnitDailyRollup.objects.all().delete()
        self.assertIn("differ", self.check_output())
        out = self.command("rebuild")
        self.assertIn("Rebuilt the rollups of 2026-02-27", out)
        self.assertIn("match the cases", self.command("check"))
        self.assert_same_figures()

    def test_upgrading_fills_the_district_and_category_rollups_from_the_finer_ones(self):
        from django.apps import apps

        migration = importlib.import_module(
            "gridgov.metrics.migrations.0002_district_and_category_rollups"
        )
        self.assertTrue(CategoryDailyRollup.objects.exists())
        # As before the upgrade: no coarse tables, and unit rollups of final cases only.
        DistrictDailyRollup.objects.all().delete()
        CategoryDailyRollup.objects.all().delete()
        UnitDailyRollup.objects.filter(status__in=OPEN_STATUSES).delete()
        migration.fill_from_finer_rollups(apps, None)
        self.assert_consistent()
        self.assert_same_figures()

    def test_check_names_a_damaged_counter_and_a_rebuild_of_its_day_repairs_it(self):
        DailyRollup.objects.filter(day=MONDAY.date()).update(received=F("received") + 1)
        out = self.check_output("--from", "2026-03-02", "--to", "2026-03-02")
        self.assertIn("received: stored", out)
        self.command("rebuild", "--from", "2026-03-02", "--to", "2026-03-02", "--chunk-days", "1")
        self.assertIn("match the cases", self.command("check"))

    def test_a_row_of_a_day_with_no_case_is_cleared(self):
        DailyRollup.objects.create(
            day=at(2026, 1, 5).date(), region=self.grid, region_path=self.grid.path, received=3
        )
        self.assertIn("differ", self.check_output())
        self.command("rebuild")
        self.assertFalse(DailyRollup.objects.filter(day=at(2026, 1, 5).date()).exists())

    def test_a_repeated_key_is_summed_and_merged_by_a_rebuild(self):
        # Two transactions may insert one key at once: split a row in two, as they would.
        row = DailyRollup.objects.filter(day=MONDAY.date(), received__gt=1).first()
        DailyRollup.objects.filter(pk=row.pk).update(received=F("received") - 1)
        twin = DailyRollup.objects.create(
            day=row.day,
            region=row.region,
            region_path=row.region_path,
            category=row.category,
            status=row.status,
            received=1,
        )
        self.assert_consistent()
        self.new_case(MONDAY + 10 * HOUR)
        self.assert_consistent()
        self.command("rebuild")
        self.assertFalse(DailyRollup.objects.filter(pk__in=[row.pk, twin.pk]).exists())
        self.assert_consistent()

    def test_bad_dates_are_clear_errors(self):
        with self.assertRaisesMessage(CommandError, "--from takes a date as YYYY-MM-DD"):
            self.command("check", "--from", "2026-13-01")
        with self.assertRaisesMessage(CommandError, "--from must not be after --to"):
            self.command("rebuild", "--from", "2026-04-01", "--to", "2026-03-01")

    def check_output(self, *args) -> str:
        out = StringIO()
        try:
            call_command("rollups", "check", *args, stdout=out, stderr=StringIO())
        except CommandError as error:
            return out.getvalue() + str(error)
        return out.getvalue()


class QueryCountTests(RollupTestCase):
    def test_the_query_counts_stay_fixed_with_partial_days_and_many_cases(self):
        period = (MONDAY + 2 * HOUR, at(2026, 3, 20, 15))
        self.run_the_loop()
        with self.assertNumQueries(1):
            region_figures(self.city, *period, now=LATER)
        with self.assertNumQueries(2):
            child_region_figures(self.city, *period, now=LATER)
        with self.assertNumQueries(1):
            unit_figures(*period, now=LATER)
        with self.assertNumQueries(1):
            received_counts(self.city, *period, "grid", 30)
        with self.assertNumQueries(1):
            daily_counts(self.city, MARCH[0].date(), at(2026, 3, 31).date())
