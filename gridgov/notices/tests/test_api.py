from django.urls import reverse

from gridgov.accounts.models import ApiToken
from gridgov.notices.tests.base import NoticeTestCase


class NoticeApiTests(NoticeTestCase):
    def call(self, user, method, url, **params):
        raw = ApiToken.issue(user, "tests")[1]
        return getattr(self.client, method)(
            url, params, HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT="application/json"
        )

    def test_the_list_is_the_users_notices_newest_first_with_contacts_masked(self):
        first = self.dispatched()
        second = self.dispatched(category=self.burst_main)  # 水务's, not ours
        self.act(self.leader, first, "supervise", reason="请联系13812345678")

        response = self.call(self.handler, "get", reverse("notices-api:list"))

        self.assertEqual(response.status_code, 200)
        rows = response.json()["results"]
        self.assertEqual([row["kind"] for row in rows], ["supervision", "new"])
        self.assertEqual({row["case"] for row in rows}, {first.number})
        self.assertNotIn(second.number, response.content.decode())
        self.assertIn("138****5678", rows[0]["message"])
        self.assertTrue(all(row["unread"] for row in rows))
        self.assertTrue(rows[0]["case_url"].endswith(f"/api/v1/cases/{first.number}"))

    def test_a_bad_filter_is_refused_not_an_empty_list(self):
        response = self.call(self.handler, "get", reverse("notices-api:list"), kind="spam")
        self.assertEqual(response.status_code, 400)
        self.assertIn("kind", response.content.decode())

    def test_marking_read_counts_down_for_the_reader_only(self):
        case = self.dispatched()
        self.dispatched()
        [notice] = self.notices_of(case, "dispatch")
        self.assertEqual(
            self.call(self.handler, "get", reverse("notices-api:unread")).json()["total"], 2
        )

        response = self.call(self.handler, "post", reverse("notices-api:read", args=[notice.pk]))

        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["total"], 1)
        self.assertEqual(response.json()["by_kind"]["new"], 1)
        unread = self.call(self.handler, "get", reverse("notices-api:list"), unread="true")
        self.assertNotIn(notice.pk, [row["id"] for row in unread.json()["results"]])

        response = self.call(self.handler, "post", reverse("notices-api:read-all"))
        self.assertEqual(response.json()["total"], 0)

    def test_another_units_notice_is_not_found(self):
        [notice] = self.notices_of(self.dispatched(), "dispatch")
        response = self.call(
            self.water_handler, "post", reverse("notices-api:read", args=[notice.pk])
        )
        self.assertEqual(response.status_code, 404)

    def test_without_credentials_it_is_401(self):
        response = self.client.get(reverse("notices-api:list"))
        self.assertEqual(response.status_code, 401)

    def test_the_endpoints_are_in_the_schema(self):
        paths = self.client.get(reverse("api:schema")).json()["paths"]
        for path in ("", "/unread", "/read-all", "/{id}/read"):
            with self.subTest(path=path):
                self.assertIn(f"/api/v1/notices{path}", set(paths))
