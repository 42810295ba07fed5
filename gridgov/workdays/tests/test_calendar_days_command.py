from io import StringIO

from django.core.management import CommandError, call_command
from django.test import TestCase
from django.utils import translation

from gridgov.workdays.tests.base import holiday, makeup_workday


def calendar_days(year) -> str:
    out = StringIO()
    with translation.override("en"):
        call_command("calendar_days", str(year), stdout=out)
    return out.getvalue()


class CalendarDaysCommandTests(TestCase):
    def test_it_lists_a_package_years_holidays_and_make_up_days(self):
        output = calendar_days(2026)
        self.assertIn("2026: chinese_calendar package", output)
        self.assertIn("2026-02-14 Sat  working day  春节  (chinese_calendar package)", output)
        self.assertIn("2026-02-15 Sun  holiday  春节", output)
        self.assertIn("2026-10-10 Sat  working day  国庆节", output)
        self.assertNotIn("2026-03-02", output)
        # 261 weekdays, 19 of them holidays, and 6 weekend days made up.
        self.assertIn("248 working days.", output)

    def test_it_warns_when_a_year_is_not_loaded(self):
        output = calendar_days(2027)
        self.assertIn("2027: weekends only", output)
        self.assertIn("The 2027 statutory holidays are not loaded", output)
        self.assertIn("261 working days.", output)

    def test_it_shows_table_rows_and_their_source(self):
        holiday(2027, 1, 1, "元旦")
        makeup_workday(2027, 2, 20, "春节")
        output = calendar_days(2027)
        self.assertIn("2027: working-day calendar table", output)
        self.assertNotIn("not loaded", output)
        self.assertIn("2027-01-01 Fri  holiday  元旦  (working-day calendar table)", output)
        self.assertIn("2027-02-20 Sat  working day  春节  (working-day calendar table)", output)
        self.assertIn("261 working days.", output)

    def test_it_refuses_an_impossible_year(self):
        with self.assertRaises(CommandError):
            calendar_days(0)
