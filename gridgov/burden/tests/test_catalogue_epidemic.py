"""Data requests asking for the epidemic figures (一数一源): the platform fills them from
the daily figures entered once in emergency mode, each area's cell the sum of what was
entered at or under it over the period, equal to what the emergency figures pages show;
nothing goes down to the communities; the Excel download holds them; and they are read
in the same number of queries for two areas as for five."""

from datetime import timedelta
from io import BytesIO

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from gridgov.accounts.tests.base import CastTestCase, make_region
from gridgov.burden import catalogue, data_requests
from gridgov.burden.choices import RecipientState
from gridgov.burden.models import DataRequest, RequestRow
from gridgov.burden.tests.base import build_burden_cast
from gridgov.emergency import figures
from gridgov.emergency.tests.base import build_emergency_cast
from gridgov.regions.choices import Level

COUNTS = ["confirmed", "suspected", "asymptomatic", "close_contacts"]
EPIDEMIC = [f"epidemic.{name}" for name in COUNTS] + ["epidemic.days_with_new_case"]


class EpidemicCatalogueTests(CastTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        build_burden_cast(cls)
        build_emergency_cast(cls)

        def ago(days):
            return cls.today - timedelta(days=days)

        entered = [
            # 滨江社区's figures, entered by grid.
            (cls.grid, 3, {"confirmed": 2, "close_contacts": 5}),
            (cls.second_grid, 3, {"suspected": 1}),
            (cls.second_grid, 5, {}),  # entered, and nothing new that day
            (cls.grid, 10, {"asymptomatic": 4}),
            (cls.grid, 40, {"confirmed": 7}),  # before the period
            # 临河社区's, entered by the community itself.
            (cls.neighbour_community, 2, {"close_contacts": 3}),
            (cls.neighbour_community, 20, {"confirmed": 1}),
            # A day 望江街道 entered for the whole street: its own, no community's.
            (cls.street, 7, {"suspected": 2}),
            # Another district's, which no area of the request holds.
            (cls.other_community, 3, {"confirmed": 9}),
        ]
        figures.enter(
            cls.admin,
            [figures.Row(region, ago(days), dict(counts)) for region, days, counts in entered],
        )

    def setUp(self):
        super().setUp()
        self.first = self.today - timedelta(days=29)

    def build(self, places, first=None, last=None) -> DataRequest:
        """A data request built on the request builder page by the district department."""
        self.login(self.handler)
        response = self.client.post(
            reverse("data_requests:new"),
            {
                "title": "疫情数据统计",
                "description": "请报送本月疫情数据",
                "working_days": "5",
                "matter": self.matter.code,
                "recipients": [place.code for place in places],
                "period_start": (first or self.first).isoformat(),
                "period_end": (last or self.today).isoformat(),
                "figures": EPIDEMIC,
            },
        )
        made = DataRequest.objects.latest("demand__sent_at")
        self.assertRedirects(response, reverse("data_requests:table", args=[made.pk]))
        return made

    def values(self, made, region) -> dict:
        row = RequestRow.objects.get(request=made, region=region)
        return {column.figure: row.values[str(column.position)] for column in made.columns.all()}

    def test_the_builder_offers_the_epidemic_figures(self):
        self.login(self.handler)
        response = self.client.get(reverse("data_requests:new"))
        for key in EPIDEMIC:
            self.assertContains(response, f'value="{key}"')

    def test_each_cell_is_the_sum_entered_at_or_under_the_area_as_the_figures_pages_sum(self):
        places = [self.street, self.community, self.neighbour_community]
        made = self.build(places)
        self.assertEqual([column.figure for column in made.columns.all()], EPIDEMIC)
        expected = {
            self.community: [2, 1, 4, 5, 2],
            self.neighbour_community: [1, 0, 0, 3, 2],
            # Its communities' figures and the day it entered for itself.
            self.street: [3, 3, 4, 8, 5],
        }
        for place in places:
            values = self.values(made, place)
            with self.subTest(place=place.name):
                self.assertEqual([values[key] for key in EPIDEMIC], expected[place])
                totals = figures.totals(place, self.first, self.today)
                self.assertEqual({name: values[f"epidemic.{name}"] for name in COUNTS}, totals)
                series = figures.series(place, self.first, self.today)
                days = [day for day in series if any(day[name] for name in COUNTS)]
                self.assertEqual(values["epidemic.days_with_new_case"], len(days))
        # The platform filled every cell: no column went down to the communities.
        for recipient in made.demand.recipients.all():
            with self.subTest(recipient=recipient.region.name):
                self.assertEqual(recipient.state, RecipientState.ANSWERED)
                self.assertEqual(data_requests.missing_columns(recipient), [])
        for row in made.rows.all():
            self.assertEqual((row.cells_platform, row.cells_missing), (len(EPIDEMIC), 0))
        response = self.client.get(reverse("data_requests:table", args=[made.pk]))
        self.assertContains(response, 'data-platform-share="100.0"')

    def test_a_single_day_is_that_day_and_an_area_without_figures_is_zero(self):
        day = self.today - timedelta(days=3)
        made = self.build([self.community, self.neighbour_community], first=day, last=day)
        community = self.values(made, self.community)
        self.assertEqual([community[key] for key in EPIDEMIC], [2, 1, 0, 5, 1])
        neighbour = self.values(made, self.neighbour_community)
        self.assertEqual([neighbour[key] for key in EPIDEMIC], [0, 0, 0, 0, 0])
        self.assertEqual(
            {name: neighbour[f"epidemic.{name}"] for name in COUNTS},
            figures.totals(self.neighbour_community, day, day),
        )

    def test_the_excel_download_holds_the_epidemic_figures(self):
        made = self.build([self.street, self.community, self.neighbour_community])
        response = self.client.get(reverse("data_requests:xlsx", args=[made.pk]))
        self.assertEqual(response.status_code, 200)
        sheet = list(load_workbook(BytesIO(response.content)).worksheets[0].values)
        self.assertEqual(sheet[0][2:], tuple(f"{c.label}（{c.unit}）" for c in made.columns.all()))
        by_code = {row[0]: list(row[2:]) for row in sheet[1:]}
        self.assertEqual(by_code[self.street.code], [3, 3, 4, 8, 5])
        self.assertEqual(by_code[self.community.code], [2, 1, 4, 5, 2])
        self.assertEqual(by_code[self.neighbour_community.code], [1, 0, 0, 3, 2])

    def test_the_figures_of_five_areas_take_the_queries_of_two(self):
        more = [
            make_region(f"99010100100{n}", f"新建社区{n}", Level.COMMUNITY, self.street)
            for n in (3, 4, 5)
        ]
        communities = [self.community, self.neighbour_community]
        counted = []
        for two, five in (
            (communities, communities + more),
            ([self.street, self.community], [self.street, *communities, *more]),
        ):
            with CaptureQueriesContext(connection) as queries:
                catalogue.fill(two, self.first, self.today, EPIDEMIC)
            with self.assertNumQueries(len(queries)):
                table = catalogue.fill(five, self.first, self.today, EPIDEMIC)
            counted.append(len(queries))
            self.assertEqual(table[self.community.path]["epidemic.close_contacts"], 5)
            for place in more:
                self.assertEqual(table[place.path], dict.fromkeys(EPIDEMIC, 0))
        # A street among communities costs one query: the areas of another path length.
        self.assertEqual(counted[1], counted[0] + 1)
