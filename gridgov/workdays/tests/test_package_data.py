"""What the tests assume chinese_calendar 1.11.0 says about 2026, checked against the package
itself so an upgrade that changes the data fails here first, not in a deadline test."""

from datetime import date, timedelta

import chinese_calendar
from django.test import SimpleTestCase


def package_holidays(first: date, last: date) -> bool:
    """Whether the package lists every day from `first` to `last` as a holiday."""
    days = {first + timedelta(days=n) for n in range((last - first).days + 1)}
    return days <= set(chinese_calendar.holidays)


class PackageDataTests(SimpleTestCase):
    def test_spring_festival_2026_is_feb_15_to_23_with_two_saturdays_worked(self):
        self.assertTrue(package_holidays(date(2026, 2, 15), date(2026, 2, 23)))
        self.assertIn(date(2026, 2, 14), chinese_calendar.workdays)
        self.assertIn(date(2026, 2, 28), chinese_calendar.workdays)

    def test_national_day_2026_is_oct_1_to_7_made_up_on_sept_20_and_oct_10(self):
        self.assertTrue(package_holidays(date(2026, 10, 1), date(2026, 10, 7)))
        self.assertNotIn(date(2026, 10, 8), chinese_calendar.holidays)
        self.assertTrue(package_holidays(date(2026, 9, 25), date(2026, 9, 27)))
        made_up = {day for day in chinese_calendar.workdays if day.year == 2026}
        self.assertEqual(
            made_up,
            {
                date(2026, 1, 4),
                date(2026, 2, 14),
                date(2026, 2, 28),
                date(2026, 5, 9),
                date(2026, 9, 20),
                date(2026, 10, 10),
            },
        )

    def test_the_package_stops_at_2026(self):
        with self.assertRaises(NotImplementedError):
            chinese_calendar.is_workday(date(2027, 1, 4))
