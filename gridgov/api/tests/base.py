"""The cast (gridgov/accounts/tests/base.py, gridgov/cases/tests/base.py) with API tokens,
and a client that speaks JSON with a Bearer token."""

import io
import json

from django.core.cache import cache
from django.urls import reverse
from PIL import Image

from gridgov.accounts.models import ApiToken
from gridgov.cases.models import Case, CaseEvent
from gridgov.cases.tests.base import CaseTestCase


def api_url(name, *args, **query) -> str:
    from urllib.parse import urlencode

    url = reverse(f"api:{name}", args=args)
    return f"{url}?{urlencode(query, doseq=True)}" if query else url


def action_url(number, action) -> str:
    return reverse(f"api:case-action-{action}", args=[number])


def png(name="photo.png", size=(8, 8)) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = name
    return buffer


class ApiTestCase(CaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.raw_tokens = {}
        for user in (
            cls.admin,
            cls.leader,
            cls.dispatcher,
            cls.street_staff,
            cls.community_staff,
            cls.grid_worker,
            cls.handler,
            cls.water_handler,
            cls.resident,
            cls.outsider,
        ):
            cls.raw_tokens[user.pk] = ApiToken.issue(user, "tests")[1]

    def setUp(self):
        super().setUp()
        cache.clear()  # throttle counters live in the cache

    def auth(self, user) -> dict:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.raw_tokens[user.pk]}"} if user else {}

    def get(self, url, user=None, **extra):
        return self.client.get(url, **self.auth(user), **extra)

    def post(self, url, body=None, user=None, **extra):
        return self.client.post(
            url, json.dumps(body or {}), content_type="application/json", **self.auth(user), **extra
        )

    def post_multipart(self, url, data, user=None, **extra):
        return self.client.post(url, data, **self.auth(user), **extra)

    def assertJsonError(self, response, status, code=None):
        self.assertEqual(response.status_code, status, response.content[:500])
        self.assertIn("json", response["Content-Type"])
        body = response.json()
        self.assertIn("detail", body)
        if code:
            self.assertEqual(body["code"], code)
        return body

    def snapshot(self, case) -> tuple:
        """What must not change when an action is refused."""
        case = Case.objects.get(pk=case.pk)
        return (case.status, case.version, CaseEvent.objects.filter(case=case).count())
