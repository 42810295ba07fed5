"""Login throttle and lockout, through the login pages as a person (or a script) uses them."""

import ipaddress
import unittest
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection
from django.test import Client, TransactionTestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from gridgov.accounts.choices import Role
from gridgov.accounts.models import LoginAttempt, LoginCounter
from gridgov.accounts.tests.base import PASSWORD, CastTestCase, make_user
from gridgov.cases.tests.test_concurrency import run_together

LIMITS = {
    "MAX_FAILURES": 3,
    "MAX_FAILURES_PER_ADDRESS": 5,
    "WINDOW_MINUTES": 15,
    "LOCKOUT_MINUTES": 30,
}
ACCOUNT_LOCKED = "登录失败次数过多，该账号已被锁定"
ADDRESS_LOCKED = "该地址登录失败次数过多"


@override_settings(GRIDGOV_LOGIN_THROTTLE=LIMITS)
class LoginThrottleTests(CastTestCase):
    def log_in(self, username, password, address="198.51.100.7", url=None, **extra):
        client = Client(REMOTE_ADDR=address, **extra)
        response = client.post(
            url or reverse("login"), {"username": username, "password": password}
        )
        response.logged_in = "_auth_user_id" in client.session
        return response

    def fail(self, username="dispatcher", times=1, **kwargs):
        for _ in range(times):
            response = self.log_in(username, "wrong-password", **kwargs)
            self.assertFalse(response.logged_in)
        return response

    def pass_time(self, minutes):
        """What the clock does to the locks and the counting window."""
        for counter in LoginCounter.objects.all():
            for field in ("locked_until", "first_failure_at"):
                if getattr(counter, field):
                    setattr(counter, field, getattr(counter, field) - timedelta(minutes=minutes))
            counter.save()

    def test_a_wrong_password_says_how_many_tries_are_left(self):
        response = self.fail()
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "再失败 2 次，账号将被锁定 30 分钟")

    def test_the_account_is_locked_after_the_limit_even_for_the_right_password(self):
        self.fail(times=2)
        response = self.fail()
        self.assertContains(response, ACCOUNT_LOCKED)
        self.assertContains(response, "请在 30 分钟后重试")
        response = self.log_in("dispatcher", PASSWORD)
        self.assertFalse(response.logged_in)
        self.assertContains(response, ACCOUNT_LOCKED)
        # From another address too: it is the account that is locked.
        self.assertFalse(self.log_in("dispatcher", PASSWORD, address="203.0.113.9").logged_in)
        # Other accounts are not.
        self.assertTrue(self.log_in("leader", PASSWORD).logged_in)

    def test_after_the_lockout_the_right_password_works_again(self):
        self.fail(times=3)
        self.pass_time(minutes=29)
        self.assertContains(self.log_in("dispatcher", PASSWORD), "请在 1 分钟后重试")
        self.pass_time(minutes=1)
        self.assertTrue(self.log_in("dispatcher", PASSWORD).logged_in)

    def test_a_success_clears_the_accounts_count(self):
        self.fail(times=2)
        self.assertTrue(self.log_in("dispatcher", PASSWORD).logged_in)
        response = self.fail(times=2)
        self.assertNotContains(response, ACCOUNT_LOCKED)
        self.assertTrue(self.log_in("dispatcher", PASSWORD).logged_in)

    def test_failures_older_than_the_window_are_forgotten(self):
        self.fail(times=2)
        self.pass_time(minutes=16)
        response = self.fail()
        self.assertContains(response, "再失败 2 次")

    def test_an_unknown_username_is_counted_like_a_known_one(self):
        self.fail("nobody", times=2)
        response = self.fail("NoBody")
        self.assertContains(response, ACCOUNT_LOCKED)

    def test_many_usernames_from_one_address_lock_the_address(self):
        for name in ("a1", "a2", "a3", "a4"):
            self.fail(name)
        response = self.fail("a5")
        self.assertContains(response, ADDRESS_LOCKED)
        response = self.log_in("leader", PASSWORD)
        self.assertFalse(response.logged_in)
        self.assertContains(response, ADDRESS_LOCKED)
        self.assertTrue(self.log_in("leader", PASSWORD, address="203.0.113.9").logged_in)

    @override_settings(GRIDGOV_TRUSTED_PROXIES=[ipaddress.ip_network("10.0.0.5")])
    def test_behind_a_trusted_proxy_each_client_address_counts_on_its_own(self):
        via_proxy = {"address": "10.0.0.5"}
        for name in ("a1", "a2", "a3", "a4", "a5"):
            self.fail(name, HTTP_X_FORWARDED_FOR="198.51.100.7", **via_proxy)
        response = self.log_in("leader", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.8", **via_proxy)
        self.assertTrue(response.logged_in)
        response = self.log_in("leader", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7", **via_proxy)
        self.assertFalse(response.logged_in)
        self.assertContains(response, ADDRESS_LOCKED)

    def test_a_forged_forwarded_header_does_not_escape_the_address_lock(self):
        for index, name in enumerate(("a1", "a2", "a3", "a4", "a5")):
            self.fail(name, HTTP_X_FORWARDED_FOR=f"192.0.2.{index}")
        response = self.log_in("leader", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99")
        self.assertFalse(response.logged_in)

    def test_the_admin_login_shares_the_lock(self):
        admin_login = reverse("admin:login")
        for _ in range(3):
            response = self.log_in("admin", "wrong-password", url=admin_login)
        self.assertContains(response, ACCOUNT_LOCKED)
        self.assertFalse(self.log_in("admin", PASSWORD, url=admin_login).logged_in)
        self.assertFalse(self.log_in("admin", PASSWORD).logged_in)

    def test_the_right_password_of_a_non_staff_user_at_the_admin_is_no_failure(self):
        for _ in range(3):
            self.log_in("dispatcher", PASSWORD, url=reverse("admin:login"))
        self.assertTrue(self.log_in("dispatcher", PASSWORD).logged_in)

    def test_attempts_are_logged_and_kept_for_the_administrator(self):
        with self.assertLogs("gridgov.accounts.login", "INFO") as logs:
            self.fail(times=3)
            self.log_in("dispatcher", PASSWORD)
        messages = "\n".join(logs.output)
        self.assertIn(
            "WARNING:gridgov.accounts.login:Failed login for 'dispatcher' from 198.51.100.7",
            messages,
        )
        self.assertIn("Login locked for 30 min: account 'dispatcher'", messages)
        self.assertIn("Login refused for 'dispatcher'", messages)
        self.assertEqual(
            list(LoginAttempt.objects.order_by("at", "pk").values_list("outcome", flat=True)),
            ["failure", "failure", "lockout", "refused"],
        )
        admin = Client()
        admin.force_login(self.admin)
        page = admin.get(reverse("admin:accounts_loginattempt_changelist"))
        self.assertContains(page, "198.51.100.7")
        page = admin.get(reverse("admin:accounts_logincounter_changelist") + "?locked=yes")
        self.assertContains(page, "dispatcher")

    def test_an_administrator_can_lift_a_lock(self):
        self.fail(times=3)
        admin = Client()
        admin.force_login(self.admin)
        locked = LoginCounter.objects.filter(locked_until__gt=timezone.now())
        response = admin.post(
            reverse("admin:accounts_logincounter_changelist"),
            {"action": "unlock", "_selected_action": [c.pk for c in locked]},
            follow=True,
        )
        self.assertContains(response, "解除")
        self.assertTrue(self.log_in("dispatcher", PASSWORD).logged_in)


@pytest.mark.postgres
@unittest.skipUnless(
    connection.vendor == "postgresql",
    "Needs PostgreSQL: SQLite lets one writer in at a time, so requests cannot race.",
)
@override_settings(GRIDGOV_LOGIN_THROTTLE={**LIMITS, "MAX_FAILURES": 8})
class SimultaneousFailuresTests(TransactionTestCase):
    """Web processes counting at once, as threads with connections of their own."""

    # Brings back what the migrations loaded, for the tests after this one.
    serialized_rollback = True

    def tearDown(self):
        close_old_connections()

    def test_every_simultaneous_failure_is_counted(self):
        make_user("dispatcher", Role.RESIDENT)

        def wrong_password(index):
            client = Client(REMOTE_ADDR=f"198.51.100.{index}")
            client.post(reverse("login"), {"username": "dispatcher", "password": "wrong"})

        results = run_together(8, wrong_password)
        self.assertEqual([outcome for outcome, _value in results], ["ok"] * 8)
        outcomes = list(LoginAttempt.objects.values_list("outcome", flat=True))
        self.assertEqual(sorted(outcomes), ["failure"] * 7 + ["lockout"])
        counter = LoginCounter.objects.get(kind="account", key="dispatcher")
        self.assertGreater(counter.locked_until, timezone.now())
