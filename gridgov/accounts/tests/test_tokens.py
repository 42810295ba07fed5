from io import StringIO

from django.core.management import CommandError, call_command
from django.urls import reverse

from gridgov.accounts.models import ApiToken
from gridgov.accounts.tests.base import CastTestCase


class TokenTests(CastTestCase):
    def test_the_command_prints_a_working_token_on_its_last_line(self):
        out = StringIO()
        call_command(
            "token",
            "create",
            "dispatcher",
            "--name",
            "hotline bridge",
            stdout=out,
            stderr=StringIO(),
        )
        raw = out.getvalue().strip().splitlines()[-1]
        self.assertTrue(raw.startswith(ApiToken.PREFIX))
        self.assertEqual(ApiToken.objects.authenticate(raw), self.dispatcher)
        token = ApiToken.objects.get()
        self.assertNotIn(raw, (token.key_hash, token.hint, token.name))

    def test_the_command_refuses_an_unknown_user(self):
        with self.assertRaises(CommandError):
            call_command("token", "create", "nobody", stdout=StringIO(), stderr=StringIO())
        self.assertFalse(ApiToken.objects.exists())

    def test_revoked_tokens_and_inactive_users_do_not_authenticate(self):
        _token, raw = ApiToken.issue(self.street_staff, "x")
        call_command("token", "revoke", "street", raw[-4:], stdout=StringIO())
        self.assertIsNone(ApiToken.objects.authenticate(raw))
        _token, raw = ApiToken.issue(self.street_staff, "y")
        self.street_staff.is_active = False
        self.street_staff.save()
        self.assertIsNone(ApiToken.objects.authenticate(raw))
        self.assertIsNone(ApiToken.objects.authenticate("ggv_guess"))

    def test_a_user_creates_and_revokes_a_token_on_the_profile_page(self):
        self.login(self.community_staff)
        response = self.client.post(reverse("profile"), {"name": "survey app"})
        raw = response.context["new_token"]
        self.assertContains(response, raw)
        self.assertEqual(ApiToken.objects.authenticate(raw), self.community_staff)
        token = ApiToken.objects.get()
        self.client.post(reverse("revoke_token", args=[token.pk]))
        self.assertIsNone(ApiToken.objects.authenticate(raw))

    def test_a_token_without_a_name_is_refused(self):
        self.login(self.community_staff)
        response = self.client.post(reverse("profile"), {"name": ""})
        self.assertEqual(response.status_code, 400)
        self.assertFalse(ApiToken.objects.exists())

    def test_nobody_revokes_someone_elses_token(self):
        token, raw = ApiToken.issue(self.street_staff, "x")
        self.login(self.community_staff)
        self.client.post(reverse("revoke_token", args=[token.pk]))
        self.assertEqual(ApiToken.objects.authenticate(raw), self.street_staff)

    def test_an_administrator_creates_a_token_in_the_admin(self):
        self.login(self.admin)
        response = self.client.post(
            reverse("admin:accounts_apitoken_add"),
            {"user": self.leader.pk, "name": "dashboard wall"},
            follow=True,
        )
        token = ApiToken.objects.get()
        raw = [m.message for m in response.context["messages"] if ApiToken.PREFIX in m.message]
        self.assertEqual(len(raw), 1)
        self.assertEqual(ApiToken.objects.authenticate(raw[0].split()[-1]), self.leader)
        self.assertEqual(token.user, self.leader)
