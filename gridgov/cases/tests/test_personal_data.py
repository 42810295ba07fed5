"""A reporter's phone lives on the Reporter row alone: shown masked, revealed only to roles
that may call back, and every reveal is written to the audit log."""

import json

from django.http import Http404
from django.test import override_settings

from gridgov.cases import services
from gridgov.cases.models import CaseEvent, Notification, PersonalDataAccess, Reporter
from gridgov.cases.tests.base import CaseTestCase

FAST_HASHER = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])

PHONE = "13812341234"


@FAST_HASHER
class MaskingTests(CaseTestCase):
    def test_a_mobile_number_shows_its_first_three_and_last_four_digits(self):
        reporter = Reporter(name="张三", phone=PHONE)
        self.assertEqual(reporter.masked_phone, "138****1234")
        self.assertEqual(reporter.masked_name, "张*")
        self.assertNotIn(PHONE, str(reporter))

    def test_other_numbers_and_names_are_masked_too(self):
        for phone, masked in [("057187654321", "********4321"), ("1234", "****")]:
            with self.subTest(phone=phone):
                self.assertEqual(Reporter(phone=phone).masked_phone, masked)
        for name, masked in [("欧阳娜娜", "欧***"), ("Li", "L*"), ("", "")]:
            with self.subTest(name=name):
                self.assertEqual(Reporter(name=name, phone=PHONE).masked_name, masked)


@FAST_HASHER
class RevealTests(CaseTestCase):
    def test_a_dispatcher_sees_the_number_and_the_view_is_logged(self):
        case = self.intake()
        reporter = services.reveal_reporter(self.dispatcher, case, purpose="回访核实")
        self.assertEqual(reporter.phone, PHONE)
        access = PersonalDataAccess.objects.get()
        self.assertEqual(
            (access.user, access.case, access.reporter, access.purpose),
            (self.dispatcher, case, case.reporter, "回访核实"),
        )

    def test_each_view_is_logged_again(self):
        case = self.intake()
        services.reveal_reporter(self.leader, case)
        services.reveal_reporter(self.leader, case)
        self.assertEqual(PersonalDataAccess.objects.filter(user=self.leader).count(), 2)

    def test_a_grid_worker_is_refused_and_nothing_is_logged(self):
        case = self.intake()
        with self.assertRaises(services.NotAllowed):
            services.reveal_reporter(self.grid_worker, case)
        self.assertFalse(PersonalDataAccess.objects.exists())

    def test_a_unit_sees_the_number_only_while_the_case_is_assigned_to_it(self):
        case = self.registered()
        with self.assertRaises(services.NotAllowed):
            services.reveal_reporter(self.community_staff, case)
        case = self.act(self.dispatcher, case, "dispatch")
        self.assertEqual(services.reveal_reporter(self.handler, case).phone, PHONE)
        with self.assertRaises(services.NotAllowed):
            services.reveal_reporter(self.water_handler, case)
        self.assertEqual(
            list(PersonalDataAccess.objects.values_list("user", flat=True)), [self.handler.pk]
        )

    def test_an_anonymous_report_has_nobody_to_reveal(self):
        case = self.intake(reporter_phone="", reporter_name="")
        with self.assertRaises(Http404):
            services.reveal_reporter(self.dispatcher, case)
        self.assertFalse(PersonalDataAccess.objects.exists())


@FAST_HASHER
class NoCopiesTests(CaseTestCase):
    def test_no_event_or_notification_of_a_whole_loop_carries_the_phone_number(self):
        case = self.registered()
        case = self.act(
            self.street_staff,
            case,
            "summon",
            lead=self.department.code,
            assisting=[self.water.code],
        )
        services.reveal_reporter(self.dispatcher, case)
        for actor, action, data in [
            (self.handler, "report-in", {}),
            (self.water_handler, "report-in", {}),
            (self.leader, "supervise", {"reason": "请尽快联系居民"}),
            (self.handler, "handle", {}),
            (self.handler, "extend", {"amount": 2, "unit": "working_days", "reason": "待协调"}),
            (self.dispatcher, "approve-extension", {}),
            (self.handler, "reply", {"result": "已联系居民并清运"}),
            (self.street_staff, "rate-response", {"department": self.water.code, "rating": "good"}),
            (self.grid_worker, "verify", {}),
            (self.dispatcher, "close", {}),
            (self.dispatcher, "rate", {"solved": "true", "satisfaction": "satisfied"}),
        ]:
            case = self.act(actor, case, action, **data)
        events = CaseEvent.objects.filter(case=case)
        notifications = Notification.objects.filter(case=case)
        self.assertEqual(events.count(), 14)
        self.assertTrue(notifications.exists())
        texts = [
            json.dumps([e.note, e.unit, e.actor_role, e.data], ensure_ascii=False) for e in events
        ] + [n.message for n in notifications]
        for text in texts:
            # Neither the number nor any long run of its digits.
            self.assertNotIn(PHONE, text)
            self.assertNotIn(PHONE[-8:], text)
            self.assertNotIn(PHONE[:7], text)
        # The case row itself holds no copy either: only the reporter's key.
        row = json.dumps(list(type(case).objects.filter(pk=case.pk).values())[0], default=str)
        self.assertNotIn(PHONE, row)
