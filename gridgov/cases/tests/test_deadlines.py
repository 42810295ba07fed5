"""Deadlines set at intake and registration, counted on the Chinese working-day calendar.

Every time is explicit (the `at=` of intake_case and perform, and `now` for the traffic
light), so these tests read the same on any day they run.
"""

from datetime import datetime, time, timedelta

from django.test import override_settings

from gridgov.cases import services
from gridgov.cases.models import Case, Category, DeadlinePolicy
from gridgov.cases.tests.base import SHANGHAI, CaseTestCase, at
from gridgov.workdays.models import CalendarDay

FAST_HASHER = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])


def end_of(year, month, day) -> datetime:
    return datetime.combine(datetime(year, month, day).date(), time.max, tzinfo=SHANGHAI)


@FAST_HASHER
class DeadlineTestCase(CaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.road_collapse = Category.objects.get(code="E0501")  # 路面塌陷: emergency
        cls.old_estate = Category.objects.get(code="H0102")  # 老旧小区改造: complex
        cls.dirty_road = Category.objects.get(code="E0104")  # 道路不洁, E0103's sibling

    def registered_at(self, received, category=None, **register) -> Case:
        """Taken in at `received` and registered ten minutes later."""
        case = self.intake(at=received)
        registered = received + timedelta(minutes=10)
        return self.act(
            self.dispatcher,
            case,
            "register",
            at=registered,
            category=(category or self.litter).code,
            **register,
        )


class WorkingDayDeadlineTests(DeadlineTestCase):
    def test_a_general_case_received_the_friday_before_spring_festival_is_due_2_march(self):
        # Days counted after Fri 13 Feb: Sat 14 (worked) 1; 15–23 off; 24, 25, 26, 27 → 5;
        # Sat 28 (worked) 6; Sun 1 March off; Mon 2 March 7.
        case = self.registered_at(at(2026, 2, 13, 10))
        self.assertEqual(case.urgency, "normal")
        self.assertEqual(case.reply_due_at, end_of(2026, 3, 2))
        self.assertEqual(case.accept_due_at, at(2026, 2, 14, 10))
        self.assertEqual(case.due_at, end_of(2026, 3, 4))  # + 48 hours to verify
        self.assertEqual(case.deadline_warning, "")

    def test_the_festivals_make_up_saturdays_count_and_its_days_off_do_not(self):
        DeadlinePolicy.objects.create(
            category=self.litter,
            urgency="normal",
            accept_hours=24,
            handle_amount=1,
            handle_unit="working_days",
            verify_hours=24,
        )
        for received, due in [
            (at(2026, 2, 13, 10), end_of(2026, 2, 14)),  # Sat 14 Feb is worked
            (at(2026, 2, 14, 10), end_of(2026, 2, 24)),  # 15–23 Feb are off
            (at(2026, 2, 27, 10), end_of(2026, 2, 28)),  # Sat 28 Feb is worked
        ]:
            with self.subTest(received=received):
                self.assertEqual(self.registered_at(received).reply_due_at, due)

    def test_a_complex_case_skips_the_national_day_week(self):
        # After Mon 28 Sep: 29, 30 → 2; 1–7 Oct off; 8, 9 → 4; Sat 10 Oct (worked) 5;
        # 12–16 → 10; 19–23 → 15.
        case = self.registered_at(at(2026, 9, 28, 10), category=self.old_estate)
        self.assertEqual(case.urgency, "complex")
        self.assertEqual(case.reply_due_at, end_of(2026, 10, 23))
        self.assertEqual(case.due_at, end_of(2026, 10, 26))  # + 72 hours to verify

    def test_the_urgency_chosen_at_registration_sets_the_deadline(self):
        case = self.registered_at(at(2026, 9, 28, 10), urgency="complex")
        self.assertEqual((case.category, case.urgency), (self.litter, "complex"))
        self.assertEqual(case.reply_due_at, end_of(2026, 10, 23))


class HourDeadlineTests(DeadlineTestCase):
    def test_an_emergency_is_due_two_hours_after_receipt_even_on_a_holiday_night(self):
        case = self.registered_at(at(2026, 2, 16, 3, 0), category=self.road_collapse)
        self.assertEqual(case.urgency, "emergency")
        self.assertEqual(case.accept_due_at, at(2026, 2, 16, 4, 0))
        self.assertEqual(case.reply_due_at, at(2026, 2, 16, 5, 0))
        self.assertEqual(case.due_at, at(2026, 2, 16, 7, 0))

    def test_a_burst_water_main_is_due_24_hours_after_receipt(self):
        case = self.registered_at(at(2026, 2, 14, 20, 0), category=self.burst_main)
        self.assertEqual(case.urgency, "utility")
        self.assertEqual(case.reply_due_at, at(2026, 2, 15, 20, 0))
        self.assertEqual(case.due_at, at(2026, 2, 16, 0, 0))

    def test_the_accept_deadline_restarts_at_dispatch(self):
        case = self.registered_at(at(2026, 2, 16, 3, 0), category=self.road_collapse)
        case = self.act(self.dispatcher, case, "dispatch", at=at(2026, 2, 16, 3, 30))
        self.assertEqual(case.accept_due_at, at(2026, 2, 16, 4, 30))
        self.assertEqual(case.reply_due_at, at(2026, 2, 16, 5, 0))


class UnloadedYearTests(DeadlineTestCase):
    def test_a_deadline_in_an_unloaded_year_counts_weekends_only_and_says_so(self):
        # After Sun 20 Dec 2026: 21–25 → 5; 28–31 → 9; Fri 1 Jan 2027 counted (no holiday
        # data) 10; 4–8 Jan → 15.
        case = self.registered_at(at(2026, 12, 20, 10), urgency="complex")
        self.assertEqual(case.reply_due_at, end_of(2027, 1, 8))
        self.assertIn("2027", case.deadline_warning)
        self.assertNotIn("2026", case.deadline_warning)

    def test_intake_reports_the_warning_to_whoever_took_the_case_in(self):
        data = {
            "channel": "hotline",
            "case_type": "help",
            "title": "路灯不亮",
            "description": "小区门口路灯连续三晚不亮。",
            "lng": 120.105,
            "lat": 30.205,
            "datum": "gcj02",
        }
        result = services.intake_case(self.dispatcher, data, at=at(2026, 12, 28, 10))
        self.assertEqual(result.case.reply_due_at, end_of(2027, 1, 6))
        self.assertEqual(len(result.warnings), 1)
        self.assertIn("2027", result.warnings[0])
        self.assertEqual(result.case.deadline_warning, result.warnings[0])

    def test_once_2027_is_loaded_the_next_case_gets_its_holidays_and_no_warning(self):
        self.registered_at(at(2026, 12, 20, 10), urgency="complex")
        CalendarDay.objects.create(date=datetime(2027, 1, 1).date(), name="元旦")
        case = self.registered_at(at(2026, 12, 20, 11), urgency="complex")
        self.assertEqual(case.reply_due_at, end_of(2027, 1, 11))  # 1 Jan is now off
        self.assertEqual(case.deadline_warning, "")


class DeadlinePolicyTests(DeadlineTestCase):
    def policy(self, category, amount, unit="working_days", urgency="normal", **hours):
        return DeadlinePolicy.objects.create(
            category=category,
            urgency=urgency,
            accept_hours=hours.get("accept_hours", 24),
            handle_amount=amount,
            handle_unit=unit,
            verify_hours=hours.get("verify_hours", 24),
        )

    def test_a_categorys_policy_overrides_the_urgency_tier(self):
        self.policy(self.litter, 3, accept_hours=4)
        case = self.registered_at(at(2026, 3, 2, 10))
        self.assertEqual(case.reply_due_at, end_of(2026, 3, 5))
        self.assertEqual(case.accept_due_at, at(2026, 3, 2, 14))
        self.assertEqual(case.due_at, end_of(2026, 3, 6))
        other = self.registered_at(at(2026, 3, 2, 10), category=self.dirty_road)
        self.assertEqual(other.reply_due_at, end_of(2026, 3, 11))  # the 7-day tier

    def test_a_policy_on_a_parent_category_applies_to_its_leaves(self):
        self.policy(self.litter.parent, 2, unit="calendar_days")
        case = self.registered_at(at(2026, 3, 2, 10), category=self.dirty_road)
        self.assertEqual(case.reply_due_at, end_of(2026, 3, 4))

    def test_a_leafs_own_policy_beats_its_parents(self):
        self.policy(self.litter.parent, 2, unit="calendar_days")
        self.policy(self.litter, 3)
        case = self.registered_at(at(2026, 3, 2, 10))
        self.assertEqual(case.reply_due_at, end_of(2026, 3, 5))

    def test_a_policy_for_all_categories_beats_the_settings_tier(self):
        self.policy(None, 5)
        case = self.registered_at(at(2026, 3, 2, 10), category=self.dirty_road)
        self.assertEqual(case.reply_due_at, end_of(2026, 3, 9))

    def test_a_policy_applies_only_to_its_urgency(self):
        self.policy(self.litter, 3)
        case = self.registered_at(at(2026, 3, 2, 10), urgency="complex")
        # 15 working days after 2 March, as for any complex matter.
        self.assertEqual(case.reply_due_at, end_of(2026, 3, 23))


class DeadlineStateTests(DeadlineTestCase):
    def test_the_reply_deadline_goes_yellow_in_its_last_quarter_then_red(self):
        case = self.registered_at(at(2026, 3, 2, 10))
        for actor, action in [
            (self.dispatcher, "dispatch"),
            (self.handler, "accept"),
            (self.handler, "handle"),
        ]:
            case = self.act(actor, case, action, at=at(2026, 3, 2, 11))
        self.assertEqual(case.current_due_at(), end_of(2026, 3, 11))
        # From 2 March 10:00 to the end of 11 March: a quarter is about 2.4 days.
        self.assertEqual(case.deadline_state(now=at(2026, 3, 5, 12)), "ok")
        self.assertEqual(case.deadline_state(now=at(2026, 3, 10, 12)), "approaching")
        self.assertEqual(case.deadline_state(now=at(2026, 3, 12, 0)), "overdue")

    def test_a_dispatched_case_is_measured_against_its_accept_deadline(self):
        case = self.registered_at(at(2026, 3, 2, 10))
        case = self.act(self.dispatcher, case, "dispatch", at=at(2026, 3, 2, 10))
        self.assertEqual(case.current_due_at(), at(2026, 3, 3, 10))
        self.assertEqual(case.deadline_state(now=at(2026, 3, 2, 20)), "ok")
        self.assertEqual(case.deadline_state(now=at(2026, 3, 3, 5)), "approaching")
        self.assertEqual(case.deadline_state(now=at(2026, 3, 3, 10)), "overdue")

    def test_a_closed_case_has_no_deadline_light(self):
        case = self.closed(at=at(2026, 3, 2, 10))
        self.assertEqual(case.deadline_state(now=at(2027, 1, 1)), "none")
