"""The burden observatory: what landed on each community in a month, counted from the
demands, the data-request tables and the secondments; its page, scope and export."""

from datetime import date, datetime
from io import BytesIO
from zoneinfo import ZoneInfo

from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from gridgov.accounts.models import ApiToken
from gridgov.burden import data_requests, observatory, services
from gridgov.burden.choices import DemandKind, SecondmentKind
from gridgov.burden.data_requests import ColumnInput
from gridgov.burden.models import Secondment
from gridgov.burden.tests.base import BurdenTestCase

SHANGHAI = ZoneInfo("Asia/Shanghai")
MINUTES = {kind: 60 for kind in DemandKind.values}


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, tzinfo=SHANGHAI)


@override_settings(BURDEN_MINUTES_PER_KIND=MINUTES)
class ObservatoryTests(BurdenTestCase):
    def data_request(self, columns, recipients, day):
        return data_requests.send_data_request(
            self.handler,
            services.DemandInput(
                kind="data_request",
                title=f"报表{day}",
                description="请报送",
                working_days=5,
                recipients=recipients,
                matter=self.matter,
            ),
            date(2026, 10, 1),
            date(2026, 10, 31),
            columns,
            now=at(day),
        )

    def build_month(self):
        both = [self.community, self.neighbour_community]
        typed = self.data_request(
            [ColumnInput(figure="registry.population"), ColumnInput(label="志愿服务次数")],
            both,
            date(2026, 11, 3),
        )
        recipient = typed.demand.recipients.get(region=self.community)
        data_requests.answer_columns(
            self.community_staff, recipient, {"2": "6"}, now=at(date(2026, 11, 4))
        )
        # Answered in full by the platform: no typing, no hours.
        self.data_request([ColumnInput(figure="registry.households")], both, date(2026, 11, 5))
        self.send(kind=DemandKind.MEETING, recipients=[self.community], now=at(date(2026, 11, 6)))
        self.send(
            self.street_staff,
            kind=DemandKind.INSPECTION,
            recipients=[self.community],
            now=at(date(2026, 11, 9)),
            working_days=1,
        )
        self.send(matter=None, now=at(date(2026, 11, 10)), title="未准入")
        self.send(kind=DemandKind.CAMPAIGN, asks_for_engagement=True, now=at(date(2026, 11, 11)))
        # A year before, and the month before: not in November 2026.
        self.send(kind=DemandKind.TASK, now=at(date(2025, 11, 12)))
        self.send(kind=DemandKind.TASK, now=at(date(2026, 10, 12)))
        Secondment.objects.create(
            kind=SecondmentKind.SECONDED,
            person_name="刘洋",
            from_region=self.community,
            to_department=self.department,
            approved_by="江北区委组织部",
            reason="创文迎检",
            started_on=date(2026, 6, 1),
            planned_end_on=date(2026, 11, 1),
            recorded_by=self.admin,
        )

    def test_a_month_of_burden(self):
        self.build_month()
        seen = observatory.observe(self.street, date(2026, 11, 1), date(2026, 11, 30))
        places = {place.code: place for place in seen.places}
        mine, neighbour = places[self.community.code], places[self.neighbour_community.code]
        self.assertEqual(mine.received, 4)
        self.assertEqual(mine.meetings_and_inspections, 2)
        self.assertEqual(
            (mine.cells_asked, mine.cells_platform, mine.cells_typed, mine.cells_missing),
            (3, 2, 1, 0),
        )
        # Four demands of 60 minutes, but one data request cost nothing.
        self.assertEqual(mine.minutes, 180)
        self.assertEqual((mine.seconded, mine.seconded_overdue), (1, 1))
        self.assertEqual(
            (neighbour.received, neighbour.cells_missing, neighbour.minutes), (2, 1, 60)
        )
        self.assertEqual(seen.places[0], mine)
        self.assertEqual(seen.total.received, 6)
        self.assertEqual(seen.year_before.received, 1)
        self.assertAlmostEqual(seen.total.platform_share, 4 / 6)

        senders = {sender.name: sender for sender in seen.senders}
        department = senders[self.department.name]
        self.assertEqual((department.sent, department.held, department.refused), (5, 1, 1))
        self.assertEqual(department.reached_places, 5)
        self.assertEqual(department.minutes, 180)
        office = senders[self.street.name]
        self.assertEqual((office.sent, office.short_deadline), (1, 1))

    def test_a_street_is_a_place_of_its_own_beside_its_communities(self):
        self.send(kind=DemandKind.TASK, recipients=[self.street], now=at(date(2026, 11, 3)))
        self.send(kind=DemandKind.TASK, recipients=[self.community], now=at(date(2026, 11, 4)))
        seen = observatory.observe(self.district, date(2026, 11, 1), date(2026, 11, 30))
        self.assertEqual(
            sorted((place.code, place.name, place.received) for place in seen.places),
            [
                (self.street.code, self.street.name, 1),
                (self.community.code, self.community.name, 1),
            ],
        )

    def test_a_repeat_answered_from_the_earlier_request_is_counted_as_avoided(self):
        columns = [ColumnInput(figure="registry.population")]
        self.data_request(columns, [self.community], date(2026, 11, 3))
        self.data_request(columns, [self.community], date(2026, 11, 4))
        seen = observatory.observe(self.street, date(2026, 11, 1), date(2026, 11, 30))
        self.assertEqual(seen.avoided, 1)

    def test_the_query_count_does_not_grow_with_the_demands(self):
        self.send(now=at(date(2026, 11, 3)))
        with CaptureQueriesContext(connection) as few:
            observatory.observe(self.city, date(2026, 11, 1), date(2026, 11, 30))
        self.build_month()
        with CaptureQueriesContext(connection) as many:
            observatory.observe(self.city, date(2026, 11, 1), date(2026, 11, 30))
        self.assertEqual(len(few.captured_queries), len(many.captured_queries))

    def test_the_page_its_scope_and_its_export(self):
        self.build_month()
        url = reverse("observatory:page")
        query = {"region": self.street.code, "month": "2026-11"}
        for user, status in (
            (self.leader, 200),
            (self.burden_office, 200),
            (self.admin, 200),
            (self.community_staff, 404),
            (self.handler, 404),
            (self.grid_worker, 404),
        ):
            with self.subTest(user=user.username):
                self.login(user)
                self.assertEqual(self.client.get(url, query).status_code, status)
        self.login(self.burden_office)
        page = self.client.get(url, query)
        self.assertContains(page, self.community.name)
        self.assertContains(page, self.department.name)
        outside = self.client.get(url, {"region": self.other_street.code})
        self.assertEqual(outside.status_code, 404)
        # A month that is not one falls back to this month rather than failing.
        self.assertEqual(self.client.get(url, {"month": "2026-13"}).status_code, 200)

        export = self.client.get(reverse("observatory:export"), query)
        book = load_workbook(BytesIO(export.content))
        rows = list(book.worksheets[0].iter_rows(values_only=True))
        self.assertEqual(rows[1][:3], (self.community.code, self.community.name, 4))
        senders = [row[0] for row in book.worksheets[1].iter_rows(values_only=True)]
        self.assertIn(self.department.name, senders)

    def test_the_api_gives_the_same_figures(self):
        self.build_month()
        token = ApiToken.issue(self.burden_office, "tests")[1]
        url = reverse("burden-api:observatory")
        query = {"region": self.street.code, "month": "2026-11"}
        body = self.client.get(url, query, HTTP_AUTHORIZATION=f"Bearer {token}").json()
        self.assertEqual(body["total"]["received"], 6)
        self.assertEqual(body["places"][0]["code"], self.community.code)
        self.assertEqual(body["places"][0]["by_kind"]["meeting"], 1)
        other = ApiToken.issue(self.community_staff, "tests")[1]
        response = self.client.get(url, query, HTTP_AUTHORIZATION=f"Bearer {other}")
        self.assertEqual(response.status_code, 404)
