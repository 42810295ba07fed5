"""/burden/secondments/ and `gridgov burden secondments-overdue`: recording staff borrowed
from a street or community, its return and its details, the rules of the record (one
borrowing unit, dates in order, the maximum term, no return in the future), the scope of
each role, the overdue returns and the counts per unit."""

from datetime import date, timedelta
from io import StringIO

from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from gridgov.accounts.choices import Role
from gridgov.accounts.tests.base import make_user
from gridgov.burden import secondments
from gridgov.burden.choices import SecondmentKind
from gridgov.burden.models import Secondment, SecondmentAlert
from gridgov.burden.tests.base import BurdenTestCase


def make_secondment(test, region, **fields) -> Secondment:
    today = timezone.localdate()
    data = {
        "kind": SecondmentKind.SECONDED,
        "person_name": "王小红",
        "from_region": region,
        "to_department": test.department,
        "to_unit": "",
        "approved_by": "望江街道党工委",
        "approval": "望江街〔2026〕7号",
        "reason": "创建文明城市迎检",
        "started_on": today - timedelta(days=30),
        "planned_end_on": today + timedelta(days=30),
        **fields,
    }
    return secondments.record(test.admin, data)


class SecondmentTestCase(BurdenTestCase):
    def form(self, **fields):
        today = timezone.localdate()
        return {
            "kind": SecondmentKind.DRAWN,
            "person_name": "李明",
            "from_region": self.community.pk,
            "to_department": self.department.pk,
            "to_unit": "",
            "approved_by": "望江街道办事处",
            "approval": "望江街〔2026〕12号",
            "reason": "抽调参加全国文明城市创建",
            "started_on": today.isoformat(),
            "planned_end_on": (today + timedelta(days=60)).isoformat(),
            **fields,
        }


class RecordingTests(SecondmentTestCase):
    def test_street_staff_record_a_secondment_from_a_community_of_their_street(self):
        self.login(self.street_staff)
        response = self.client.post(reverse("secondments:new"), self.form())
        secondment = Secondment.objects.get()
        self.assertRedirects(response, reverse("secondments:detail", args=[secondment.pk]))
        self.assertEqual(secondment.from_region, self.community)
        self.assertEqual(secondment.region_path, self.community.path)
        self.assertEqual(secondment.to_department, self.department)
        self.assertEqual(secondment.recorded_by, self.street_staff)
        page = self.client.get(response["Location"])
        self.assertContains(page, "李明")
        self.assertContains(page, "望江街〔2026〕12号")

    def test_the_form_offers_the_streets_and_communities_of_the_users_area_only(self):
        self.login(self.community_staff)
        offered = self.client.get(reverse("secondments:new")).context["form"]
        self.assertEqual(list(offered.fields["from_region"].queryset), [self.community])
        self.login(self.street_staff)
        offered = self.client.get(reverse("secondments:new")).context["form"]
        self.assertEqual(
            list(offered.fields["from_region"].queryset),
            [self.street, self.community, self.neighbour_community],
        )

    def assertRefused(self, response, field, text=None):
        self.assertEqual(response.status_code, 400)
        self.assertIn(field, response.context["form"].errors)
        if text:
            self.assertContains(response, text, status_code=400)
        self.assertFalse(Secondment.objects.exists())

    @override_settings(BURDEN_SECONDMENT_MAX_DAYS=30)
    def test_it_refuses_a_planned_term_beyond_the_maximum_and_keeps_what_was_typed(self):
        self.login(self.street_staff)
        response = self.client.post(reverse("secondments:new"), self.form())
        self.assertRefused(response, "planned_end_on", "30")
        self.assertContains(response, "抽调参加全国文明城市创建", status_code=400)

    def test_it_refuses_a_planned_end_before_the_start(self):
        self.login(self.street_staff)
        today = timezone.localdate()
        form = self.form(planned_end_on=(today - timedelta(days=1)).isoformat())
        self.assertRefused(self.client.post(reverse("secondments:new"), form), "planned_end_on")

    def test_it_wants_exactly_one_borrowing_unit(self):
        self.login(self.street_staff)
        neither = self.form(to_department="", to_unit="  ")
        self.assertRefused(self.client.post(reverse("secondments:new"), neither), "to_unit")
        both = self.form(to_unit="区创文办")
        self.assertRefused(self.client.post(reverse("secondments:new"), both), "to_unit")

    def test_another_unit_may_borrow_by_name(self):
        self.login(self.street_staff)
        form = self.form(to_department="", to_unit="区创文办")
        self.assertEqual(self.client.post(reverse("secondments:new"), form).status_code, 302)
        self.assertEqual(Secondment.objects.get().borrower, "区创文办")

    def test_community_staff_cannot_record_for_the_neighbouring_community(self):
        self.login(self.community_staff)
        form = self.form(from_region=self.neighbour_community.pk)
        self.assertRefused(self.client.post(reverse("secondments:new"), form), "from_region")


class ReturnAndEditTests(SecondmentTestCase):
    def setUp(self):
        self.secondment = make_secondment(self, self.community)
        self.login(self.community_staff)

    def test_the_return_is_recorded(self):
        today = timezone.localdate()
        url = reverse("secondments:return", args=[self.secondment.pk])
        response = self.client.post(url, {"returned_on": today.isoformat()})
        self.assertRedirects(response, reverse("secondments:detail", args=[self.secondment.pk]))
        self.secondment.refresh_from_db()
        self.assertEqual(self.secondment.returned_on, today)

    def test_a_return_in_the_future_or_before_the_start_is_refused(self):
        today = timezone.localdate()
        url = reverse("secondments:return", args=[self.secondment.pk])
        for day in (today + timedelta(days=1), today - timedelta(days=31)):
            with self.subTest(day=day):
                response = self.client.post(url, {"returned_on": day.isoformat()})
                self.assertEqual(response.status_code, 400)
                self.assertIn("returned_on", response.context["return_form"].errors)
                self.assertContains(response, day.isoformat(), status_code=400)
        self.secondment.refresh_from_db()
        self.assertIsNone(self.secondment.returned_on)

    def test_the_planned_end_is_extended_within_the_maximum_only(self):
        url = reverse("secondments:edit", args=[self.secondment.pk])
        data = {field: getattr(self.secondment, field) for field in secondments.EDITABLE_FIELDS} | {
            "to_department": self.department.pk
        }
        started = self.secondment.started_on
        longer = data | {"planned_end_on": (started + timedelta(days=150)).isoformat()}
        self.assertEqual(self.client.post(url, longer).status_code, 302)
        self.secondment.refresh_from_db()
        self.assertEqual(self.secondment.planned_end_on, started + timedelta(days=150))
        with override_settings(BURDEN_SECONDMENT_MAX_DAYS=100):
            too_long = data | {"planned_end_on": (started + timedelta(days=160)).isoformat()}
            response = self.client.post(url, too_long | {"reason": "延期"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("planned_end_on", response.context["edit_form"].errors)
        self.assertContains(response, "延期", status_code=400)
        self.secondment.refresh_from_db()
        self.assertEqual(self.secondment.planned_end_on, started + timedelta(days=150))
        self.assertEqual(self.secondment.reason, "创建文明城市迎检")


class ScopeTests(SecondmentTestCase):
    def test_each_role_sees_its_area_and_gets_404_outside(self):
        mine = make_secondment(self, self.community)
        neighbours = make_secondment(self, self.neighbour_community)
        far = make_secondment(self, self.other_community)
        cases = [
            (self.community_staff, [mine], [neighbours, far]),
            (self.street_staff, [mine, neighbours], [far]),
            (self.leader, [mine, neighbours], [far]),
            (self.outsider, [far], [mine, neighbours]),
            (self.admin, [mine, neighbours, far], []),
        ]
        for user, inside, outside in cases:
            self.login(user)
            listed = set(self.client.get(reverse("secondments:list")).context["page"].object_list)
            with self.subTest(user=user.username):
                self.assertEqual(listed, set(inside))
                for s in inside:
                    url = reverse("secondments:detail", args=[s.pk])
                    self.assertEqual(self.client.get(url).status_code, 200)
                for s in outside:
                    for name in ("detail", "return", "edit"):
                        url = reverse(f"secondments:{name}", args=[s.pk])
                        method = self.client.get if name == "detail" else self.client.post
                        self.assertEqual(method(url).status_code, 404)

    def test_grid_workers_department_handlers_and_residents_get_404(self):
        mine = make_secondment(self, self.community)
        for user in (self.grid_worker, self.handler, self.resident, self.dispatcher):
            self.login(user)
            for url in (
                reverse("secondments:list"),
                reverse("secondments:counts"),
                reverse("secondments:new"),
                reverse("secondments:detail", args=[mine.pk]),
            ):
                with self.subTest(user=user.username, url=url):
                    self.assertEqual(self.client.get(url).status_code, 404)
            response = self.client.post(reverse("secondments:new"), self.form())
            self.assertEqual(response.status_code, 404)
        self.assertEqual(Secondment.objects.count(), 1)

    def test_anonymous_visitors_are_sent_to_log_in(self):
        response = self.client.get(reverse("secondments:list"))
        self.assertEqual(response.status_code, 302)
        self.assertIn("/login/", response["Location"])


class OverdueAndCountsTests(SecondmentTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        today = timezone.localdate()
        long_ago = today - timedelta(days=100)
        cls.late = make_secondment(
            cls, cls.community, person_name="张迟归", started_on=long_ago,
            planned_end_on=today - timedelta(days=10),
        )  # fmt: skip
        cls.away = make_secondment(cls, cls.community, person_name="赵在岗", to_department=None,
                                   to_unit="区创文办")  # fmt: skip
        cls.back = secondments.mark_returned(
            cls.admin,
            make_secondment(
                cls, cls.neighbour_community, person_name="钱已归", started_on=long_ago,
                planned_end_on=today - timedelta(days=20),
            ),
            today - timedelta(days=20),
        )  # fmt: skip
        make_secondment(cls, cls.other_community, person_name="孙外区",
                        planned_end_on=today - timedelta(days=1))  # fmt: skip

    def test_the_list_puts_the_overdue_first_and_counts_them_at_the_top(self):
        self.login(self.street_staff)
        response = self.client.get(reverse("secondments:list"))
        self.assertEqual(
            list(response.context["page"].object_list), [self.late, self.away, self.back]
        )
        self.assertEqual(response.context["tallies"]["overdue"], 1)
        self.assertContains(response, 'class="errors overdue-alert" role="alert" data-overdue="1"')
        self.assertContains(response, '<tr class="deadline-overdue">', count=1)

    def test_the_list_filters_current_returned_overdue(self):
        self.login(self.street_staff)
        for status, expected in (
            ("current", [self.late, self.away]),
            ("overdue", [self.late]),
            ("returned", [self.back]),
        ):
            with self.subTest(status=status):
                response = self.client.get(reverse("secondments:list"), {"status": status})
                self.assertEqual(list(response.context["page"].object_list), expected)

    def test_no_alert_when_nothing_is_overdue(self):
        self.login(self.street_staff)
        Secondment.objects.filter(pk=self.late.pk).update(returned_on=timezone.localdate())
        response = self.client.get(reverse("secondments:list"))
        self.assertNotContains(response, "overdue-alert")

    def test_counts_per_borrowing_unit_and_per_community_in_a_fixed_number_of_queries(self):
        self.login(self.street_staff)
        # Session, user, their region (the scope), the two counts, the header's unread notices.
        with self.assertNumQueries(6):
            response = self.client.get(reverse("secondments:counts"))
        by_unit = {row["unit"]: row for row in response.context["by_unit"]}
        self.assertEqual(
            by_unit[self.department.name],
            {"unit": self.department.name, "department": self.department.code,
             "total": 2, "current": 1, "overdue": 1},
        )  # fmt: skip
        self.assertEqual(by_unit["区创文办"]["current"], 1)
        by_region = {row["code"]: row for row in response.context["by_region"]}
        self.assertEqual(set(by_region), {self.community.code, self.neighbour_community.code})
        self.assertEqual(
            (by_region[self.community.code]["current"], by_region[self.community.code]["overdue"]),
            (2, 1),
        )
        self.assertEqual(by_region[self.neighbour_community.code]["total"], 1)
        self.assertContains(response, "区创文办")

    def test_the_command_prints_every_overdue_secondment_for_cron(self):
        out = StringIO()
        call_command("burden", "secondments-overdue", stdout=out)
        lines = out.getvalue().splitlines()
        self.assertEqual(len(lines), 2)
        self.assertIn("张迟归", lines[0])
        self.assertIn("10 days overdue", lines[0])
        self.assertIn("孙外区", lines[1])
        out = StringIO()
        call_command(
            "burden", "secondments-overdue", "--region", self.other_district.code, stdout=out
        )
        self.assertEqual([line.split("\t")[2] for line in out.getvalue().splitlines()], ["孙外区"])

    def test_the_command_prints_nothing_when_none_is_overdue(self):
        Secondment.objects.update(returned_on=date(2026, 1, 1))
        out = StringIO()
        call_command("burden", "secondments-overdue", stdout=out)
        self.assertEqual(out.getvalue(), "")


class OverdueAlertTests(SecondmentTestCase):
    """`gridgov burden secondments-overdue --notify` alerts those responsible once an
    overdue episode; they see the alert atop the burden overview."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        today = timezone.localdate()
        cls.other_handler = make_user(
            "other-dept", Role.DEPARTMENT_HANDLER, department=cls.other_department
        )
        cls.late = make_secondment(
            cls, cls.community, person_name="张迟归", started_on=today - timedelta(days=100),
            planned_end_on=today - timedelta(days=10),
        )  # fmt: skip
        cls.far = make_secondment(
            cls, cls.other_community, person_name="孙外区", to_department=cls.other_department,
            planned_end_on=today - timedelta(days=1),
        )  # fmt: skip
        make_secondment(cls, cls.community, person_name="赵在岗")

    def notify(self, *args):
        out = StringIO()
        call_command("burden", "secondments-overdue", "--notify", *args, stdout=out)
        return out.getvalue().splitlines()

    def banner(self, user):
        """The names the overview's alert lists for the user, and whether they link."""
        self.login(user)
        response = self.client.get(reverse("burden:overview"))
        self.assertEqual(response.status_code, 200)
        if not response.context["alert_count"]:
            self.assertNotContains(response, "secondment-alerts")
            return {}
        self.assertContains(response, f'data-alerts="{response.context["alert_count"]}"')
        return {
            alert.secondment.person_name: reverse("secondments:detail", args=[alert.secondment_id])
            in response.content.decode()
            for alert in response.context["alerts"]
        }

    def test_each_overdue_secondment_is_alerted_once_and_the_command_says_which(self):
        self.assertEqual(self.banner(self.community_staff), {})
        lines = self.notify()
        self.assertEqual([line.split("\t")[2] for line in lines], ["张迟归", "孙外区"])
        self.assertTrue(all(line.endswith("\tnotified") for line in lines))
        self.assertEqual(SecondmentAlert.objects.count(), 2)
        again = self.notify()
        self.assertEqual(len(again), 2)
        self.assertFalse(any(line.endswith("notified") for line in again))
        self.assertEqual(SecondmentAlert.objects.count(), 2)

    def test_the_alert_reaches_the_lending_place_its_burden_office_and_the_borrower(self):
        self.notify()
        for user, seen in (
            (self.community_staff, {"张迟归": True}),
            (self.street_staff, {"张迟归": True}),
            (self.burden_office, {"张迟归": True}),
            (self.district_office, {"张迟归": True}),
            (self.leader, {"张迟归": True}),
            (self.outsider, {"孙外区": True}),
            (self.admin, {"张迟归": True, "孙外区": True}),
            # The borrowing department's handlers keep no secondments: named, not linked.
            (self.handler, {"张迟归": False}),
            (self.other_handler, {"孙外区": False}),
        ):
            with self.subTest(user=user.username):
                self.assertEqual(self.banner(user), seen)
        self.login(self.community_staff)
        page = self.client.get(reverse("secondments:detail", args=[self.late.pk]))
        self.assertContains(page, "data-alerted=")

    def test_a_return_or_a_later_planned_end_closes_the_episode_and_a_new_one_alerts_again(self):
        self.notify()
        today = timezone.localdate()
        secondments.update(self.admin, self.late, {"planned_end_on": today + timedelta(days=5)})
        self.assertEqual(self.banner(self.community_staff), {})
        self.assertEqual(self.notify("--region", self.community.code), [])
        secondments.update(self.admin, self.late, {"planned_end_on": today - timedelta(days=2)})
        self.assertEqual(self.banner(self.community_staff), {})
        (line,) = self.notify("--region", self.community.code)
        self.assertTrue(line.endswith("\tnotified"))
        self.assertEqual(self.banner(self.community_staff), {"张迟归": True})
        self.assertEqual(self.late.alerts.count(), 2)
        secondments.mark_returned(self.admin, self.late, today)
        self.assertEqual(self.banner(self.community_staff), {})
        self.assertEqual(self.banner(self.outsider), {"孙外区": True})

    def test_notifying_under_a_region_alerts_only_those_and_an_unknown_region_none(self):
        with self.assertRaises(CommandError):
            self.notify("--region", "990199999999")
        self.assertFalse(SecondmentAlert.objects.exists())
        self.notify("--region", self.other_district.code)
        self.assertEqual(
            list(SecondmentAlert.objects.values_list("secondment__person_name", flat=True)),
            ["孙外区"],
        )
        self.assertEqual(self.banner(self.community_staff), {})

    def test_without_notify_the_command_only_prints(self):
        out = StringIO()
        call_command("burden", "secondments-overdue", stdout=out)
        self.assertEqual(len(out.getvalue().splitlines()), 2)
        self.assertFalse(SecondmentAlert.objects.exists())
