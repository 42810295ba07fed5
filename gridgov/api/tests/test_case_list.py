"""GET /api/v1/cases: scoping, filters, cursor pagination."""

from base64 import b64encode
from urllib.parse import urlencode

from django.db import connection
from django.test.utils import CaptureQueriesContext

from gridgov.api.tests.base import ApiTestCase, api_url
from gridgov.cases.models import Case
from gridgov.cases.tests.base import at


class CaseListTests(ApiTestCase):
    def numbers(self, user, **query):
        response = self.get(api_url("case-list", **query), user)
        self.assertEqual(response.status_code, 200, response.content[:500])
        return [row["number"] for row in response.json()["results"]]

    def test_each_user_lists_only_the_cases_in_their_scope(self):
        inside = self.intake()
        outside = self.intake(lng=120.205, lat=30.205)  # the other district
        self.assertEqual(self.numbers(self.dispatcher), [inside.number])
        self.assertEqual(self.numbers(self.outsider), [outside.number])
        self.assertEqual(self.numbers(self.handler), [])  # nothing dispatched to it yet
        self.assertEqual(self.numbers(self.resident), [])
        own = self.intake(actor=self.resident)
        self.assertEqual(self.numbers(self.resident), [own.number])
        self.assertEqual(len(self.numbers(self.admin)), 3)

    def test_without_credentials_it_is_401(self):
        self.assertJsonError(self.get(api_url("case-list")), 401, "not_authenticated")

    def test_it_filters_by_status_category_region_and_channel(self):
        received = self.intake(channel="walk_in")
        registered = self.registered()
        flyposting = self.registered(category=self.flyposting)
        neighbour = self.intake(lng=120.125, lat=30.205)
        self.assertEqual(
            set(self.numbers(self.dispatcher, status=["received", "registered"])),
            {received.number, registered.number, flyposting.number, neighbour.number},
        )
        self.assertEqual(
            set(self.numbers(self.dispatcher, status="registered")),
            {registered.number, flyposting.number},
        )
        self.assertEqual(
            set(self.numbers(self.dispatcher, status="received,registered")),
            {received.number, registered.number, flyposting.number, neighbour.number},
        )
        # A category includes its sub-categories: E01 holds E0103, not E0201.
        self.assertEqual(self.numbers(self.dispatcher, category="E01"), [registered.number])
        self.assertEqual(
            self.numbers(self.dispatcher, region=self.neighbour_community.code), [neighbour.number]
        )
        self.assertEqual(self.numbers(self.dispatcher, channel="walk_in"), [received.number])

    def test_it_filters_by_when_received_and_updated(self):
        old = self.intake(at=at(2026, 1, 5, 9))
        new = self.intake(at=at(2026, 3, 5, 9))
        Case.objects.filter(pk=old.pk).update(updated_at=at(2026, 1, 6, 9))
        Case.objects.filter(pk=new.pk).update(updated_at=at(2026, 3, 6, 9))
        self.assertEqual(self.numbers(self.dispatcher, created_after="2026-02-01"), [new.number])
        self.assertEqual(
            self.numbers(self.dispatcher, created_before="2026-02-01T00:00:00+08:00"),
            [old.number],
        )
        self.assertEqual(self.numbers(self.dispatcher, updated_after="2026-03-06"), [new.number])
        self.assertEqual(self.numbers(self.dispatcher, updated_before="2026-01-07"), [old.number])

    def test_it_filters_overdue_cases_and_worklists(self):
        late = self.intake(at=at(2020, 1, 6, 9))
        fresh = self.intake()
        self.assertEqual(self.numbers(self.dispatcher, overdue="true"), [late.number])
        self.assertEqual(self.numbers(self.dispatcher, overdue="false"), [fresh.number])
        registered = self.registered()
        self.assertEqual(self.numbers(self.dispatcher, worklist="to_dispatch"), [registered.number])

    def test_bad_filters_are_400_naming_each_field(self):
        response = self.get(
            api_url(
                "case-list",
                status="lost",
                created_after="yesterday",
                overdue="maybe",
                category="NOPE",
                channel="pigeon",
            ),
            self.dispatcher,
        )
        errors = self.assertJsonError(response, 400, "invalid")["errors"]
        self.assertEqual(set(errors), {"status", "created_after", "overdue", "category", "channel"})
        for query in ({"worklist": "to_accept"}, {"cursor": "garbage"}, {"region": "x\x00"}):
            with self.subTest(query=query):
                response = self.get(api_url("case-list", **query), self.dispatcher)
                self.assertEqual(set(self.assertJsonError(response, 400)["errors"]), set(query))
        response = self.get(api_url("case-list", created_after="0001-01-01"), self.dispatcher)
        self.assertIn("created_after", self.assertJsonError(response, 400)["errors"])

    def test_a_forged_cursor_is_400_not_a_crash(self):
        for position in ("0001-01-01 00:00:00+08:00", "not a date", "2026\x00"):
            with self.subTest(position=position):
                cursor = b64encode(urlencode({"p": position}).encode()).decode()
                response = self.get(api_url("case-list", cursor=cursor), self.dispatcher)
                self.assertEqual(set(self.assertJsonError(response, 400)["errors"]), {"cursor"})

    def test_the_cursor_walks_every_case_once_newest_first(self):
        cases = [self.intake(at=at(2026, 3, 1 + i // 2, 9)) for i in range(7)]  # with ties
        url, seen = api_url("case-list", page_size=3), []
        pages = 0
        while url:
            body = self.get(url, self.dispatcher).json()
            seen += [row["number"] for row in body["results"]]
            url, pages = body["next"], pages + 1
        self.assertEqual(pages, 3)
        self.assertEqual(len(seen), len(set(seen)))
        expected = sorted(cases, key=lambda c: (c.received_at, c.pk), reverse=True)
        self.assertEqual(seen, [c.number for c in expected])

    def test_the_number_of_queries_does_not_grow_with_the_page(self):
        self.intake()
        self.get(api_url("case-list"), self.dispatcher)  # warm the token's last_used_at
        with CaptureQueriesContext(connection) as one:
            self.get(api_url("case-list"), self.dispatcher)
        for _ in range(5):
            self.registered()
        with CaptureQueriesContext(connection) as six:
            self.get(api_url("case-list"), self.dispatcher)
        self.assertEqual(len(one), len(six))
        self.assertLessEqual(len(six), 3)

    def test_writing_to_the_list_other_than_intake_is_405(self):
        self.assertJsonError(self.client.delete(api_url("case-list"), **self.auth(self.admin)), 405)
