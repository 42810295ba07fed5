from datetime import UTC, date

from django.test import TestCase

from gridgov.workdays.calendar import (
    add_working_days,
    is_workday,
    weekends_only_warning,
    working_days_between,
    year_coverage,
)
from gridgov.workdays.choices import Coverage
from gridgov.workdays.models import CalendarDay
from gridgov.workdays.tests.base import at, end_of, holiday, in_shanghai, makeup_workday


@in_shanghai
class SpringFestivalTests(TestCase):
    def test_seven_working_days_from_the_friday_before_run_to_march_2(self):
        # 2/14 (Sat, made up) is day 1, 2/24–2/27 days 2–5, 2/28 (Sat, made up) 6, 3/2 7.
        deadline = add_working_days(at(2026, 2, 13, 10), 7)
        self.assertEqual(deadline.due_at, end_of(2026, 3, 2))
        self.assertEqual(deadline.warnings, ())

    def test_one_working_day_from_the_friday_before_is_the_made_up_saturday(self):
        self.assertEqual(add_working_days(at(2026, 2, 13, 10), 1).due_at, end_of(2026, 2, 14))

    def test_the_day_of_receipt_never_counts_even_at_one_minute_past_midnight(self):
        self.assertEqual(add_working_days(at(2026, 2, 13, 0, 1), 1).due_at, end_of(2026, 2, 14))

    def test_a_moment_given_in_utc_counts_from_its_shanghai_date(self):
        # 17:00 UTC on the 13th is 01:00 on the 14th in Shanghai: day 1 is then 2/24.
        received = at(2026, 2, 14, 1).astimezone(UTC)
        self.assertEqual(add_working_days(received, 1).due_at, end_of(2026, 2, 24))

    def test_zero_working_days_is_the_end_of_the_day_of_receipt(self):
        self.assertEqual(add_working_days(at(2026, 2, 15, 9), 0).due_at, end_of(2026, 2, 15))

    def test_a_table_holiday_overrides_the_package(self):
        holiday(2026, 3, 2, "地方假日")
        self.assertEqual(add_working_days(at(2026, 2, 13, 10), 7).due_at, end_of(2026, 3, 3))
        self.assertEqual(year_coverage(2026), Coverage.TABLE)

    def test_a_table_workday_overrides_a_package_holiday(self):
        makeup_workday(2026, 2, 23)
        self.assertTrue(is_workday(date(2026, 2, 23)))
        self.assertEqual(add_working_days(at(2026, 2, 13, 10), 2).due_at, end_of(2026, 2, 23))

    def test_working_days_between_undoes_add_working_days(self):
        start = at(2026, 2, 13, 10)
        due = add_working_days(start, 7).due_at
        self.assertEqual(working_days_between(start, due), 7)
        self.assertEqual(working_days_between(due, start), -7)
        self.assertEqual(working_days_between(start, at(2026, 2, 13, 23)), 0)
        self.assertEqual(working_days_between(date(2026, 2, 14), date(2026, 2, 23)), 0)


@in_shanghai
class NationalDayTests(TestCase):
    def test_three_working_days_from_sept_30_end_on_the_made_up_saturday_oct_10(self):
        self.assertEqual(add_working_days(at(2026, 9, 30, 16), 3).due_at, end_of(2026, 10, 10))

    def test_five_working_days_from_before_mid_autumn_skip_both_holidays(self):
        # 9/25–27 and 10/1–7 off: 9/28, 9/29, 9/30, 10/8, 10/9.
        self.assertEqual(add_working_days(at(2026, 9, 24, 9), 5).due_at, end_of(2026, 10, 9))

    def test_the_made_up_sunday_sept_20_is_a_working_day(self):
        self.assertTrue(is_workday(date(2026, 9, 20)))
        self.assertFalse(is_workday(date(2026, 10, 7)))
        self.assertEqual(add_working_days(at(2026, 9, 19, 9), 1).due_at, end_of(2026, 9, 20))


@in_shanghai
class YearBoundaryTests(TestCase):
    def test_a_year_without_holidays_counts_weekends_only_and_warns(self):
        # Dec 21–25 and 28–31 are 9 days; 2027-01-01 (Fri) counts as 10 and Jan 4–8 as 11–15.
        deadline = add_working_days(at(2026, 12, 20, 15), 15)
        self.assertEqual(deadline.due_at, end_of(2027, 1, 8))
        self.assertEqual(deadline.warnings, (weekends_only_warning(2027),))
        self.assertIn("2027", deadline.warnings[0])
        self.assertEqual(year_coverage(2027), Coverage.WEEKENDS_ONLY)

    def test_loading_the_year_moves_the_deadline_and_drops_the_warning(self):
        holiday(2027, 1, 1, "元旦")
        deadline = add_working_days(at(2026, 12, 20, 15), 15)
        self.assertEqual(deadline.due_at, end_of(2027, 1, 11))
        self.assertEqual(deadline.warnings, ())
        self.assertEqual(year_coverage(2027), Coverage.TABLE)

    def test_a_deadline_inside_a_covered_year_does_not_warn_about_the_next(self):
        self.assertEqual(add_working_days(at(2026, 12, 20, 15), 5).warnings, ())

    def test_it_reads_the_table_once_for_a_deadline_across_years(self):
        holiday(2027, 1, 1)
        with self.assertNumQueries(1):
            add_working_days(at(2026, 12, 20, 15), 15)

    def test_a_walk_past_its_estimate_reads_the_next_year_and_still_ends(self):
        CalendarDay.objects.bulk_create(
            CalendarDay(date=date.fromordinal(n), is_workday=False)
            for n in range(date(2027, 1, 1).toordinal(), date(2027, 12, 31).toordinal() + 1)
        )
        with self.assertNumQueries(2):
            deadline = add_working_days(at(2026, 12, 31, 9), 1)
        # 2028-01-01 is a Saturday, and 2028 has no holidays loaded.
        self.assertEqual(deadline.due_at, end_of(2028, 1, 3))
        self.assertEqual(deadline.warnings, (weekends_only_warning(2028),))

    def test_coverage_names_where_each_year_comes_from(self):
        self.assertEqual(year_coverage(2026), Coverage.PACKAGE)
        self.assertEqual(year_coverage(2003), Coverage.WEEKENDS_ONLY)
        self.assertEqual(year_coverage(2030), Coverage.WEEKENDS_ONLY)
        makeup_workday(2030, 2, 9)
        self.assertEqual(year_coverage(2030), Coverage.TABLE)
