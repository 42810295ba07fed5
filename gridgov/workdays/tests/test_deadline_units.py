from datetime import UTC, datetime, timedelta

from django.test import TestCase

from gridgov.workdays.calendar import (
    Deadline,
    add_calendar_days,
    add_hours,
    add_working_days,
    deadline_from,
)
from gridgov.workdays.choices import DeadlineUnit
from gridgov.workdays.tests.base import at, end_of, in_shanghai


@in_shanghai
class ClockHoursTests(TestCase):
    def test_two_hours_from_late_evening_run_past_midnight(self):
        deadline = add_hours(at(2026, 3, 5, 23), 2)
        self.assertEqual(deadline.due_at, at(2026, 3, 6, 1))
        self.assertEqual(deadline.due_at, datetime(2026, 3, 5, 17, tzinfo=UTC))

    def test_twenty_four_hours_run_through_a_holiday(self):
        self.assertEqual(add_hours(at(2026, 2, 14, 10), 24).due_at, at(2026, 2, 15, 10))

    def test_deadlines_are_aware_and_in_the_deployments_time_zone(self):
        start = datetime(2026, 3, 5, 15, tzinfo=UTC)
        for deadline in (
            add_hours(start, 2),
            add_working_days(start, 1),
            add_calendar_days(start, 1),
        ):
            self.assertEqual(deadline.due_at.utcoffset(), timedelta(hours=8))

    def test_hours_need_no_query(self):
        with self.assertNumQueries(0):
            add_hours(at(2026, 2, 14, 10), 24)


@in_shanghai
class CalendarDaysTests(TestCase):
    def test_natural_days_end_at_the_end_of_the_day_holidays_included(self):
        deadline = add_calendar_days(at(2026, 2, 13, 10), 7)
        self.assertEqual(deadline, Deadline(end_of(2026, 2, 20)))

    def test_natural_days_cross_into_an_unloaded_year_without_warning(self):
        self.assertEqual(add_calendar_days(at(2026, 12, 30, 10), 5).warnings, ())


@in_shanghai
class DeadlineFromTests(TestCase):
    def test_it_dispatches_on_the_unit(self):
        start = at(2026, 2, 13, 10)
        self.assertEqual(deadline_from(start, 2, DeadlineUnit.HOURS).due_at, at(2026, 2, 13, 12))
        self.assertEqual(
            deadline_from(start, 7, DeadlineUnit.WORKING_DAYS).due_at, end_of(2026, 3, 2)
        )
        self.assertEqual(deadline_from(start, 7, "calendar_days").due_at, end_of(2026, 2, 20))

    def test_it_refuses_an_unknown_unit(self):
        with self.assertRaisesMessage(ValueError, "weeks"):
            deadline_from(at(2026, 2, 13, 10), 1, "weeks")

    def test_it_refuses_a_naive_start(self):
        for unit in DeadlineUnit.values:
            with self.subTest(unit=unit), self.assertRaises(ValueError):
                deadline_from(datetime(2026, 2, 13, 10), 1, unit)

    def test_it_refuses_a_negative_amount(self):
        for unit in DeadlineUnit.values:
            with self.subTest(unit=unit), self.assertRaises(ValueError):
                deadline_from(at(2026, 2, 13, 10), -1, unit)

    def test_a_deadline_cannot_be_changed_once_made(self):
        deadline = add_hours(at(2026, 2, 13, 10), 2)
        with self.assertRaises(AttributeError):
            deadline.due_at = at(2026, 2, 14)
