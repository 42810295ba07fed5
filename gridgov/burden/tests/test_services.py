"""The burden module's rules: admission against the list, the flags the observatory counts
(holiday-eve dumps by the working-day calendar with its 调休, short deadlines, repeats), who
decides what, and the admission list's versions kept through the admin."""

from datetime import date, datetime
from importlib import import_module
from zoneinfo import ZoneInfo

from django.apps import apps as django_apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.urls import reverse

from gridgov.burden import services
from gridgov.burden.choices import Admission, DemandKind, RecipientState, Ruling
from gridgov.burden.models import AdmittedMatter, Demand, DemandRecipient
from gridgov.burden.tests.base import BurdenTestCase
from gridgov.workdays.models import CalendarDay

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


class AdmissionTests(BurdenTestCase):
    def test_a_demand_under_a_valid_matter_reaches_the_communities(self):
        demand = self.send(recipients=[self.community, self.neighbour_community])
        self.assertEqual(demand.admission, Admission.ADMITTED)
        self.assertTrue(demand.reaches_communities)
        self.assertEqual(demand.matter_version, 1)
        self.assertEqual(demand.sender_region, self.district)
        self.assertEqual(demand.recipients.count(), 2)

    def test_no_matter_or_an_expired_one_is_held(self):
        self.assertEqual(self.send(matter=None).admission, Admission.HELD)
        AdmittedMatter.objects.filter(pk=self.matter.pk).update(valid_to=date(2025, 1, 1))
        self.matter.refresh_from_db()
        self.assertEqual(self.send().admission, Admission.HELD)

    def test_a_campaign_for_votes_likes_or_forwards_is_refused_with_its_reason(self):
        demand = self.send(kind=DemandKind.CAMPAIGN, asks_for_engagement=True)
        self.assertEqual(demand.admission, Admission.REFUSED)
        self.assertTrue(demand.decision_reason)
        self.assertFalse(demand.reaches_communities)

    def test_bad_input_names_the_field_and_saves_nothing(self):
        cases = [
            ({"working_days": 0}, "working_days"),
            ({"title": "  "}, "title"),
            ({"description": ""}, "description"),
            ({"recipients": []}, "recipients"),
            ({"recipients": [self.grid]}, "recipients"),
            ({"recipients": [self.other_community]}, "recipients"),
        ]
        for fields, name in cases:
            with self.subTest(field=name, fields=fields), self.assertRaises(ValidationError) as e:
                self.send(**fields)
            self.assertIn(name, e.exception.message_dict)
        self.assertFalse(Demand.objects.exists())

    def test_only_senders_send(self):
        for user in (self.community_staff, self.grid_worker, self.resident, self.dispatcher):
            with self.subTest(user=user.username), self.assertRaises(PermissionDenied):
                self.send(user)
        # A street office sends to its own communities only.
        self.assertEqual(self.send(self.street_staff).sender_region, self.street)
        with self.assertRaises(ValidationError):
            self.send(self.street_staff, recipients=[self.other_community])


class FlagTests(BurdenTestCase):
    def test_holiday_eve_dumps_by_the_working_day_calendar(self):
        cases = [
            # The last working day before the Mid-autumn Festival (2026-09-25 to 27).
            (date(2026, 9, 24), 5, True),
            # The last working day before National Day.
            (date(2026, 9, 30), 10, True),
            # On the holiday itself.
            (date(2026, 10, 3), 5, True),
            # Spanning National Day and due the second working day after it.
            (date(2026, 9, 29), 3, True),
            # Spanning it, with a week's work left after it.
            (date(2026, 9, 28), 10, False),
            # 2026-02-14 is a Saturday worked for the Spring Festival (调休): the eve.
            (date(2026, 2, 14), 5, True),
            # The Friday before it is not the eve; due on the second working day after the
            # festival (the 14th counts as one), it is still a dump.
            (date(2026, 2, 13), 2, True),
            (date(2026, 3, 2), 5, False),
            # An ordinary weekend is no holiday.
            (date(2026, 11, 6), 5, False),
        ]
        for day, days, flagged in cases:
            with self.subTest(day=day, days=days):
                demand = self.send(now=at(day), working_days=days, title=f"表{day}{days}")
                self.assertEqual(demand.holiday_eve, flagged)

    def test_the_calendar_table_decides_over_the_package(self):
        CalendarDay.objects.create(date=date(2026, 11, 9), is_workday=False, name="试行假日")
        demand = self.send(now=at(date(2026, 11, 6)))
        self.assertTrue(demand.holiday_eve)

    @override_settings(BURDEN_SHORT_DEADLINE_WORKING_DAYS=3)
    def test_short_deadlines(self):
        self.assertTrue(self.send(working_days=2, title="急").short_deadline)
        self.assertFalse(self.send(working_days=3, title="不急").short_deadline)

    @override_settings(BURDEN_REPEAT_DAYS=30)
    def test_asking_the_same_places_again_is_a_repeat(self):
        first = self.send(now=at(date(2026, 11, 2)))
        again = self.send(now=at(date(2026, 11, 20)), recipients=[self.community])
        self.assertEqual(again.repeat_of, first)
        elsewhere = self.send(now=at(date(2026, 11, 21)), recipients=[self.neighbour_community])
        self.assertIsNone(elsewhere.repeat_of)
        much_later = self.send(now=at(date(2027, 1, 30)))
        self.assertIsNone(much_later.repeat_of)


class DecisionTests(BurdenTestCase):
    def test_the_burden_office_admits_a_held_demand_as_an_exception(self):
        demand = self.send(matter=None)
        with self.assertRaises(ValidationError):
            services.decide_held(self.burden_office, demand, admit=True, reason=" ")
        services.decide_held(self.burden_office, demand, admit=True, reason="防汛急需")
        demand.refresh_from_db()
        self.assertEqual(demand.admission, Admission.EXCEPTION)
        self.assertEqual(demand.decided_by, self.burden_office)
        with self.assertRaises(ValidationError):
            services.decide_held(self.burden_office, demand, admit=False, reason="再议")

    def test_only_an_office_whose_area_holds_every_recipient_decides(self):
        # A city-wide sender reaches both districts: no street or district office decides.
        demand = self.send(
            self.admin, matter=None, recipients=[self.community, self.other_community]
        )
        for user in (self.burden_office, self.street_staff, self.handler):
            with self.subTest(user=user.username), self.assertRaises(PermissionDenied):
                services.decide_held(user, demand, admit=False, reason="不予准入")
        self.assertEqual(Demand.objects.get(pk=demand.pk).admission, Admission.HELD)


class ResponseTests(BurdenTestCase):
    def setUp(self):
        self.demand = self.send(now=at(date(2026, 11, 2)))
        self.recipient = self.demand.recipients.get()

    def respond(self, action, user=None, **fields):
        return services.respond(
            user or self.community_staff, self.recipient, services.Response(action, **fields)
        )

    def test_accept_then_answer(self):
        self.respond(RecipientState.ACCEPTED)
        with self.assertRaises(ValidationError):
            self.respond(RecipientState.ANSWERED, answer="")
        self.respond(RecipientState.ANSWERED, answer="已核实，共37人")
        self.recipient.refresh_from_db()
        self.assertEqual(self.recipient.answer, "已核实，共37人")
        with self.assertRaises(ValidationError):
            self.respond(RecipientState.OBJECTED, objection="晚了")

    def test_more_time_is_asked_then_granted_by_the_sender(self):
        with self.assertRaises(ValidationError):
            self.respond(RecipientState.EXTENSION_ASKED, extension_until=date(2026, 11, 3))
        self.respond(RecipientState.EXTENSION_ASKED, extension_until=date(2026, 12, 31))
        with self.assertRaises(PermissionDenied):
            services.decide_extension(self.community_staff, self.recipient, grant=True)
        services.decide_extension(self.handler, self.recipient, grant=True)
        self.recipient.refresh_from_db()
        self.assertEqual(self.recipient.state, RecipientState.ACCEPTED)
        self.assertEqual(self.recipient.due_at.date(), date(2026, 12, 31))

    def test_an_objection_goes_to_the_burden_office(self):
        with self.assertRaises(ValidationError):
            self.respond(RecipientState.OBJECTED, objection="")
        self.respond(RecipientState.OBJECTED, objection="不在准入清单的社区职责内")
        with self.assertRaises(PermissionDenied):
            services.resolve_objection(self.handler, self.recipient, uphold=True, reason="同意")
        services.resolve_objection(self.burden_office, self.recipient, uphold=True, reason="同意")
        self.recipient.refresh_from_db()
        self.assertEqual(self.recipient.state, RecipientState.WITHDRAWN)
        self.assertEqual(
            (
                self.recipient.objection,
                self.recipient.ruling,
                self.recipient.ruled_by,
                self.recipient.ruling_reason,
            ),
            ("不在准入清单的社区职责内", Ruling.UPHELD, self.burden_office, "同意"),
        )
        self.assertIsNotNone(self.recipient.ruled_at)
        with self.assertRaises(ValidationError) as refused:
            services.resolve_objection(
                self.district_office, self.recipient, uphold=False, reason="改判"
            )
        self.assertIn("ruling", refused.exception.message_dict)
        self.recipient.refresh_from_db()
        self.assertEqual(
            (self.recipient.ruling, self.recipient.ruled_by, self.recipient.ruling_reason),
            (Ruling.UPHELD, self.burden_office, "同意"),
        )

    def test_only_the_place_it_went_to_answers(self):
        for user in (self.outsider, self.handler, self.grid_worker):
            with self.subTest(user=user.username), self.assertRaises(PermissionDenied):
                self.respond(RecipientState.ACCEPTED, user=user)
        self.assertEqual(
            DemandRecipient.objects.get(pk=self.recipient.pk).state, RecipientState.RECEIVED
        )


class AdmissionListAdminTests(BurdenTestCase):
    def test_each_change_in_the_admin_is_a_version_with_its_approval(self):
        self.login(self.admin)
        url = reverse("admin:burden_admittedmatter_change", args=[self.matter.pk])
        data = {
            "code": self.matter.code,
            "title": "高龄老人基本情况核实",
            "department": self.department.pk,
            "basis": self.matter.basis,
            "community_part": self.matter.community_part,
            "valid_from": "2024-01-01",
            "valid_to": "",
            "approval": "",
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "1",
            "versions-MIN_NUM_FORMS": "0",
            "versions-MAX_NUM_FORMS": "1000",
        }
        refused = self.client.post(url, data)
        self.assertEqual(refused.status_code, 200)
        self.assertEqual(AdmittedMatter.objects.get(pk=self.matter.pk).version, 1)
        response = self.client.post(url, data | {"approval": "江州市减负办〔2026〕7号"})
        self.assertEqual(response.status_code, 302)
        matter = AdmittedMatter.objects.get(pk=self.matter.pk)
        self.assertEqual((matter.version, matter.title), (2, "高龄老人基本情况核实"))
        latest = matter.versions.first()
        self.assertEqual((latest.version, latest.approved_by), (2, self.admin))
        self.assertEqual(latest.approval, "江州市减负办〔2026〕7号")
        self.assertEqual(latest.fields["title"], "高龄老人基本情况核实")
        self.assertEqual(matter.versions.last().fields["title"], "高龄老人基本情况统计")
        # A demand records the version it was sent under.
        self.assertEqual(self.send().matter_version, 2)


class RulingMigrationTests(BurdenTestCase):
    """0003 splits the rulings once appended to the objection back into their own fields,
    and appends them again backwards."""

    migration = import_module("gridgov.burden.migrations.0003_ruling_and_overdue_alerts")

    def objected(self, region, state, text):
        recipient = self.send(recipients=[region], title=f"核查{region.code}").recipients.get()
        DemandRecipient.objects.filter(pk=recipient.pk).update(
            state=state, objection=text, acted_by=self.burden_office, acted_at=at(date(2026, 3, 2))
        )
        return recipient

    def test_old_appended_rulings_are_split_and_joined_again(self):
        upheld = self.objected(self.community, RecipientState.WITHDRAWN, "非社区职责\n— 同意")
        answered = self.objected(
            self.neighbour_community, RecipientState.ANSWERED, "第一行\n第二行\n— 属于准入事项"
        )
        pending = self.objected(self.street, RecipientState.OBJECTED, "尚未裁定")
        self.migration.split_rulings(django_apps, None)
        rows = DemandRecipient.objects.in_bulk([upheld.pk, answered.pk, pending.pk])
        self.assertEqual(
            (rows[upheld.pk].objection, rows[upheld.pk].ruling, rows[upheld.pk].ruling_reason),
            ("非社区职责", Ruling.UPHELD, "同意"),
        )
        self.assertEqual(
            (rows[upheld.pk].ruled_by, rows[upheld.pk].ruled_at),
            (self.burden_office, at(date(2026, 3, 2))),
        )
        # Answered after the ruling: who ruled and when are not known any more.
        self.assertEqual(
            (
                rows[answered.pk].objection,
                rows[answered.pk].ruling,
                rows[answered.pk].ruling_reason,
                rows[answered.pk].ruled_by,
            ),
            ("第一行\n第二行", Ruling.OVERRULED, "属于准入事项", None),
        )
        self.assertEqual((rows[pending.pk].objection, rows[pending.pk].ruling), ("尚未裁定", ""))
        self.migration.append_rulings(django_apps, None)
        texts = dict(DemandRecipient.objects.values_list("pk", "objection"))
        self.assertEqual(
            [texts[upheld.pk], texts[answered.pk], texts[pending.pk]],
            ["非社区职责\n— 同意", "第一行\n第二行\n— 属于准入事项", "尚未裁定"],
        )
