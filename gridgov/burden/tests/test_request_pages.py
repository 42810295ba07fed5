"""The data request pages through the browser's door: the builder sends a request the
platform fills at once; the table marks where each value came from and shows each place
only what is its own; a community answers just the missing columns; a later request
shows the answer as reused, with when and who; the Excel download holds the same values."""

from datetime import date, timedelta
from html.parser import HTMLParser
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from gridgov.burden import data_requests, services
from gridgov.burden.choices import DemandKind, RecipientState
from gridgov.burden.models import ColumnAnswer, DataRequest, Demand, RequestColumn
from gridgov.burden.tests.base import build_burden_cast
from gridgov.cases.tests.base import CaseTestCase
from gridgov.registry import services as registry
from gridgov.registry.choices import Relation
from gridgov.registry.forms import VisitForm
from gridgov.registry.tests.base import RegistryTestCase, build_registry_cast
from gridgov.web.tests.browser import CHROMIUM, BrowserTestCase

FIGURES = ["registry.population", "registry.households", "cases.received", "patrol.visits"]
OWN = "本月开展志愿服务次数"


class TableReader(HTMLParser):
    """The request table as {place: [(source class, value, given)]}: what the page shows."""

    def __init__(self, html):
        super().__init__()
        self.rows, self.place, self.cell, self.where = {}, None, None, None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr":
            self.place = None
        elif tag == "th" and attrs.get("scope") == "row":
            self.where = "place"
            self.place = ""
        elif tag == "td" and self.place is not None:
            self.cell = [attrs.get("class", "").removeprefix("cell-"), "", ""]
            self.where = "value"
        elif tag == "small" and self.cell is not None:
            self.where = "given"
        elif tag == "a" and self.where == "place":
            self.where = None

    def handle_endtag(self, tag):
        if tag == "th" and self.place is not None:
            self.rows.setdefault(self.place, [])
            self.where = None
        elif tag == "td" and self.cell is not None:
            self.rows[self.place].append(tuple(part.strip() for part in self.cell))
            self.cell, self.where = None, None

    def handle_data(self, data):
        if self.where == "place":
            self.place += data.strip()
        elif self.where == "value":
            self.cell[1] += data
        elif self.where == "given":
            self.cell[2] += data


class RequestPageTests(CaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        build_burden_cast(cls)
        build_registry_cast(cls)
        cls.community_staff.display_name = "王主任"
        cls.community_staff.save()
        # Two residents in one household, through the registry tests' own helper.
        RegistryTestCase.add_person(cls, born=date(1938, 5, 2), serial=1)
        RegistryTestCase.add_person(
            cls, name="李明", born=date(1990, 7, 1), serial=2, relation=Relation.CHILD
        )
        # A grid worker's visit, noted as the room's page notes it.
        yesterday = timezone.localtime() - timedelta(days=1)
        visit = VisitForm(
            {"visited_at": f"{yesterday:%Y-%m-%d %H:%M}", "found": "独居老人身体良好"},
            user=cls.grid_worker,
        )
        assert visit.is_valid(), visit.errors
        visit.save(grid=cls.grid, room=cls.room, household=registry.household_at(cls.room))

    def setUp(self):
        super().setUp()
        self.closed()
        self.today = timezone.localdate()
        self.first = self.today - timedelta(days=29)

    def form(self, **fields):
        data = {
            "title": "月度基础数据",
            "description": "请报送本月基础数据",
            "working_days": "5",
            "matter": self.matter.code,
            "recipients": [self.community.code, self.neighbour_community.code],
            "period_start": self.first.isoformat(),
            "period_end": self.today.isoformat(),
            "figures": FIGURES,
            "label_1": OWN,
            "unit_1": "次",
        }
        data.update(fields)
        return data

    def build(self, user=None, **fields) -> DataRequest:
        self.login(user or self.handler)
        response = self.client.post(reverse("data_requests:new"), self.form(**fields))
        made = DataRequest.objects.latest("demand__sent_at")
        self.assertRedirects(response, reverse("data_requests:table", args=[made.pk]))
        return made

    def table(self, made, user=None):
        self.login(user or self.handler)
        response = self.client.get(reverse("data_requests:table", args=[made.pk]))
        self.assertEqual(response.status_code, 200)
        return response, TableReader(response.content.decode()).rows

    def answer_url(self, made, region):
        return reverse("data_requests:answer", args=[made.demand.recipients.get(region=region).pk])

    def test_the_builder_offers_the_catalogue_and_last_full_month(self):
        self.login(self.handler)
        response = self.client.get(reverse("data_requests:new"))
        self.assertEqual(response.status_code, 200)
        last = self.today.replace(day=1) - timedelta(days=1)
        self.assertContains(response, f'value="{last.replace(day=1).isoformat()}"')
        self.assertContains(response, f'value="{last.isoformat()}"')
        for key in FIGURES + ["registry.tag.elderly-alone", "cases.on_time_rate"]:
            self.assertContains(response, f'value="{key}"')
        self.assertContains(response, f'value="{self.neighbour_community.code}"')
        self.assertNotContains(response, f'value="{self.other_community.code}"')
        self.assertContains(response, 'name="label_10"')

    def test_a_request_built_on_the_page_is_filled_by_the_platform_at_once(self):
        made = self.build()
        columns = list(made.columns.values_list("figure", "label", "unit"))
        self.assertEqual([figure for figure, _l, _u in columns], FIGURES + [""])
        self.assertEqual(columns[-1], ("", OWN, "次"))
        self.assertEqual(made.demand.kind, DemandKind.DATA_REQUEST)
        self.assertEqual(made.demand.matter, self.matter)
        response, rows = self.table(made)
        self.assertEqual(
            rows["滨江社区"],
            [
                ("platform", "2", ""),
                ("platform", "1", ""),
                ("platform", "1", ""),
                ("platform", "1", ""),
                ("missing", "—", ""),
            ],
        )
        self.assertEqual(
            [source for source, _v, _g in rows["临河社区"]], ["platform"] * 4 + ["missing"]
        )
        self.assertEqual(rows["临河社区"][0][1], "0")
        # 8 of the 10 cells came from the platform.
        self.assertContains(response, 'data-platform-share="80.0"')
        self.assertContains(response, reverse("data_requests:xlsx", args=[made.pk]))
        self.assertContains(response, OWN)

    def test_a_community_sees_only_its_row_and_another_gets_404(self):
        made = self.build()
        response, rows = self.table(made, self.community_staff)
        self.assertEqual(list(rows), ["滨江社区"])
        self.assertContains(response, self.answer_url(made, self.community))
        self.assertNotContains(response, self.answer_url(made, self.neighbour_community))
        self.login(self.outsider)
        for name in ("data_requests:table", "data_requests:xlsx"):
            self.assertEqual(self.client.get(reverse(name, args=[made.pk])).status_code, 404)
        self.assertEqual(self.client.get(self.answer_url(made, self.community)).status_code, 404)

    def test_a_held_request_is_shown_to_its_sender_not_to_the_places_it_names(self):
        made = self.build(matter="")
        self.table(made)
        self.login(self.community_staff)
        self.assertEqual(
            self.client.get(reverse("data_requests:table", args=[made.pk])).status_code, 404
        )
        self.assertEqual(self.client.get(self.answer_url(made, self.community)).status_code, 404)

    def test_a_demand_without_a_data_request_has_no_table(self):
        demand = services.send_demand(
            self.handler,
            services.DemandInput(
                kind=DemandKind.TASK,
                title="入户走访",
                description="走访辖区独居老人",
                working_days=5,
                recipients=[self.community],
                matter=self.matter,
            ),
        )
        self.login(self.handler)
        for name in ("data_requests:table", "data_requests:xlsx"):
            self.assertEqual(self.client.get(reverse(name, args=[demand.pk])).status_code, 404)

    def test_the_community_answers_the_missing_column_and_a_later_request_reuses_it(self):
        made = self.build()
        url = self.answer_url(made, self.community)
        position = made.columns.get(figure="").position
        self.login(self.community_staff)
        response = self.client.get(url)
        self.assertContains(response, f'name="column_{position}"')
        self.assertNotContains(response, 'name="column_1"')
        refused = self.client.post(url, {f"column_{position}": "  "})
        self.assertEqual(refused.status_code, 400)
        self.assertEqual(refused.context["form"].errors.keys(), {f"column_{position}"})
        self.assertFalse(ColumnAnswer.objects.exists())

        response = self.client.post(url, {f"column_{position}": "3"})
        self.assertRedirects(response, reverse("data_requests:table", args=[made.pk]))
        self.assertEqual(
            made.demand.recipients.get(region=self.community).state, RecipientState.ANSWERED
        )
        today = self.today.isoformat()
        _response, rows = self.table(made, self.community_staff)
        self.assertEqual(rows["滨江社区"][-1], ("typed", "3", f"{today} · 王主任"))
        done = self.client.get(url)
        self.assertContains(done, "data-nothing-missing")
        self.assertNotContains(done, f'name="column_{position}"')
        self.assertContains(done, f"{today} · 王主任")

        # The street asks the same column for the same period: reused, nothing typed again.
        later = self.build(
            self.street_staff,
            title="街道月报",
            figures=["registry.population"],
            recipients=[self.community.code],
        )
        _response, rows = self.table(later, self.street_staff)
        self.assertEqual(
            rows["滨江社区"], [("platform", "2", ""), ("reused", "3", f"{today} · 王主任")]
        )
        self.assertEqual(later.demand.recipients.get().state, RecipientState.ANSWERED)
        self.assertEqual(ColumnAnswer.objects.count(), 1)

    def test_a_repeat_says_it_was_answered_from_the_earlier_request(self):
        first = self.build(recipients=[self.community.code])
        position = first.columns.get(figure="").position
        self.login(self.community_staff)
        self.client.post(self.answer_url(first, self.community), {f"column_{position}": "4"})
        again = self.build(recipients=[self.community.code], title="再报一次")
        response, rows = self.table(again)
        self.assertContains(response, f'data-answered-from="{first.pk}"')
        self.assertContains(response, reverse("data_requests:table", args=[first.pk]))
        self.assertContains(response, 'data-platform-share="80.0"')
        self.assertEqual(rows["滨江社区"][-1][:2], ("reused", "4"))

    def test_the_excel_download_holds_the_table(self):
        made = self.build()
        _response, rows = self.table(made)
        response = self.client.get(reverse("data_requests:xlsx", args=[made.pk]))
        self.assertEqual(response.status_code, 200)
        stamp = timezone.localdate().strftime("%Y%m%d")
        self.assertIn(f"gridgov-request-{made.pk}-{stamp}.xlsx", response["Content-Disposition"])
        book = load_workbook(BytesIO(response.content))
        figures = list(book.worksheets[0].iter_rows(values_only=True))
        self.assertEqual(
            figures[0][2:], tuple(f"{c.label}（{c.unit}）" for c in made.columns.all())
        )
        shown = {
            row[1]: [str(value) if value is not None else "—" for value in row[2:]]
            for row in figures[1:]
        }
        self.assertEqual(
            shown, {place: [v for _s, v, _g in cells] for place, cells in rows.items()}
        )

    def test_bad_input_keeps_what_was_typed_and_saves_nothing(self):
        self.login(self.handler)
        for fields, field in (
            ({"title": ""}, "title"),
            ({"period_end": (self.today + timedelta(days=1)).isoformat()}, "period_end"),
            ({"label_2": "", "unit_2": "户"}, "label_2"),
        ):
            with self.subTest(field=field):
                response = self.client.post(
                    reverse("data_requests:new"),
                    self.form(label_4="困难家庭户数", unit_4="户", **fields),
                )
                self.assertEqual(response.status_code, 400)
                self.assertIn(field, response.context["form"].errors)
                page = response.content.decode()
                for value in FIGURES + [self.community.code, self.neighbour_community.code]:
                    self.assertRegex(page, rf'value="{value}"[^>]* checked')
                self.assertNotRegex(page, r'value="cases.closed"[^>]* checked')
                self.assertContains(response, f'value="{OWN}"', status_code=400)
                self.assertContains(response, 'value="困难家庭户数"', status_code=400)
        response = self.client.post(
            reverse("data_requests:new"), self.form(figures=[], label_1="", unit_1="")
        )
        self.assertEqual(response.status_code, 400)
        self.assertTrue(response.context["form"].non_field_errors())
        self.assertFalse(Demand.objects.exists())
        self.assertFalse(RequestColumn.objects.exists())

    def test_only_senders_reach_the_builder(self):
        for user in (self.grid_worker, self.resident, self.community_staff):
            self.login(user)
            with self.subTest(user=user.username):
                self.assertEqual(self.client.get(reverse("data_requests:new")).status_code, 404)
        self.client.logout()
        response = self.client.get(reverse("data_requests:new"))
        self.assertEqual(response.status_code, 302)

    def test_a_user_in_scope_who_does_not_answer_is_refused(self):
        made = self.build()
        self.login(self.leader)
        response = self.client.post(self.answer_url(made, self.community), {"column_5": "3"})
        self.assertEqual(response.status_code, 403)
        self.assertFalse(ColumnAnswer.objects.exists())

    def test_the_table_reads_the_answers_in_one_query_whatever_the_rows(self):
        made = self.build()
        position = str(made.columns.get(figure="").position)
        url = reverse("data_requests:table", args=[made.pk])
        counted = []
        for region, user in (
            (self.community, self.community_staff),
            (self.neighbour_community, self.street_staff),
        ):
            data_requests.answer_columns(
                user, made.demand.recipients.get(region=region), {position: "5"}
            )
            self.login(self.handler)
            with CaptureQueriesContext(connection) as queries:
                self.assertEqual(self.client.get(url).status_code, 200)
            counted.append(len(queries))
        self.assertEqual(counted[0], counted[1])


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian chromium")
class RequestPagesBrowserTests(BrowserTestCase):
    """On a phone: the builder, the table (wide, it scrolls inside its card) and the
    answer form fit the screen and run no script inline (the CSP)."""

    def setUp(self):
        super().setUp()
        build_burden_cast(self)

    def fits_the_phone(self, page, name):
        page.wait_for_load_state("networkidle")
        self.shot(page, name)
        width = page.evaluate("document.documentElement.scrollWidth")
        self.assertLessEqual(width, self.PHONE["width"], f"{name} is {width} px wide")

    def test_a_request_built_and_answered_on_a_phone(self):
        sender = self.page_as("dept", self.PHONE)
        sender.goto(f"{self.live_server_url}{reverse('data_requests:new')}")
        sender.fill("[name=title]", "月度基础数据")
        sender.fill("[name=description]", "请报送本月基础数据")
        sender.check(f"[name=matter][value='{self.matter.code}']")
        sender.check(f"[name=recipients][value='{self.community.code}']")
        sender.check(f"[name=recipients][value='{self.neighbour_community.code}']")
        for key in FIGURES + ["cases.on_time_rate", "patrol.coverage"]:
            sender.check(f"[name=figures][value='{key}']")
        sender.fill("[name=label_1]", OWN)
        sender.fill("[name=unit_1]", "次")
        self.fits_the_phone(sender, "phone-request-form")
        sender.click("main form button[type=submit]")
        sender.wait_for_load_state()
        made = DataRequest.objects.get()
        self.assertEqual(made.columns.count(), len(FIGURES) + 3)
        self.fits_the_phone(sender, "phone-request-table")

        community = self.page_as("community", self.PHONE)
        recipient = made.demand.recipients.get(region=self.community)
        community.goto(
            f"{self.live_server_url}{reverse('data_requests:answer', args=[recipient.pk])}"
        )
        self.fits_the_phone(community, "phone-request-answer")
        community.fill(f"[name=column_{len(FIGURES) + 3}]", "3")
        community.click("main form button[type=submit]")
        community.wait_for_load_state()
        self.fits_the_phone(community, "phone-request-table-community")
        self.assertIn("3", community.inner_text("table.request-table td.cell-typed"))
        # The sender, back at a desk: both rows, the typed cell with when and who.
        sender.set_viewport_size(self.DESKTOP)
        sender.reload()
        self.assertIn("community", sender.inner_text("table.request-table td.cell-typed"))
        self.shot(sender, "request-table")
        self.assertEqual(self.console_errors, [])
