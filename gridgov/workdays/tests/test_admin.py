from datetime import date

from django.conf import settings
from django.test import TestCase
from django.urls import reverse

from gridgov.accounts.choices import Role
from gridgov.accounts.tests.base import make_user
from gridgov.workdays.models import CalendarDay
from gridgov.workdays.tests.base import holiday


class CalendarDayAdminTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.admin = make_user("admin", Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
        cls.new_year = holiday(2027, 1, 1, "元旦")

    def setUp(self):
        self.client.force_login(self.admin)

    def test_the_changelist_lists_rows_by_year_and_finds_them_by_name(self):
        url = reverse("admin:workdays_calendarday_changelist")
        self.assertContains(self.client.get(url), "元旦")
        self.assertContains(self.client.get(url, {"date__year": 2027}), "元旦")
        self.assertNotContains(self.client.get(url, {"date__year": 2028}), "元旦")
        self.assertNotContains(self.client.get(url, {"q": "春节"}), "2027-01-01")

    def test_adding_a_make_up_workday_through_the_admin_saves_it(self):
        response = self.client.post(
            reverse("admin:workdays_calendarday_add"),
            {"date": "2027-02-20", "is_workday": "on", "name": "春节", "note": "国办发明电"},
        )
        self.assertRedirects(response, reverse("admin:workdays_calendarday_changelist"))
        day = CalendarDay.objects.get(date=date(2027, 2, 20))
        self.assertTrue(day.is_workday)
        self.assertEqual(day.name, "春节")

    def test_it_refuses_a_second_row_for_the_same_date_and_changes_nothing(self):
        # The site is Chinese unless the user picks English; the source strings are English.
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        response = self.client.post(
            reverse("admin:workdays_calendarday_add"),
            {"date": "2027-01-01", "is_workday": "on", "name": "补班", "note": ""},
        )
        self.assertContains(response, "This date is already in the working-day calendar.")
        errors = response.context["adminform"].form.errors.as_data()
        self.assertEqual([error.code for error in errors["date"]], ["unique"])
        self.assertQuerySetEqual(
            CalendarDay.objects.values_list("date", "is_workday", "name"),
            [(date(2027, 1, 1), False, "元旦")],
        )
