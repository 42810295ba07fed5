from datetime import date
from io import BytesIO

from django.urls import reverse
from openpyxl import load_workbook

from gridgov.cases.tests.base import CaseTestCase
from gridgov.registry import services
from gridgov.registry.models import Dwelling, Organisation, Tag
from gridgov.registry.tests.base import build_registry_cast, resident_id


class DashboardTests(CaseTestCase):
    def test_dispatchers_and_leaders_land_on_the_dashboard(self):
        self.login(self.leader)
        self.assertRedirects(self.client.get(reverse("home")), reverse("dashboard"))

    def test_the_dashboard_shows_the_figures_of_the_viewers_area(self):
        self.closed()
        self.dispatched()
        self.login(self.street_staff)
        response = self.client.get(reverse("dashboard"))
        self.assertEqual(response.context["region"], self.street)
        self.assertEqual(response.context["figures"].received, 2)
        self.assertEqual(response.context["figures"].open, 1)
        names = [row.figures.name for row in response.context["children"]]
        self.assertEqual(names[0], "滨江社区")
        units = [r.figures.name for r in response.context["units"]]
        self.assertIn("江北区城市管理和综合执法局", units)
        self.assertContains(response, "<svg")

    def test_its_query_count_does_not_grow_with_the_cases(self):
        self.login(self.leader)
        self.closed()
        # The trend is one query over the daily rollups (it was two over the cases), and the
        # area's figures come with its children's; the header counts unread notices in one;
        # the registry's cards are two (the kept counts, the age bands' boundary days); the
        # burden cards three (demands received, data-request cells, secondments); whether an
        # emergency area holds the area or lies under it, one.
        with self.assertNumQueries(17) as first:
            self.client.get(reverse("dashboard"))
        for _ in range(4):
            self.closed()
            self.dispatched()
        with self.assertNumQueries(len(first.captured_queries)):
            self.client.get(reverse("dashboard"), {"days": "90"})

    def test_the_registry_cards_count_what_the_viewer_may_see(self):
        build_registry_cast(type(self))
        household = services.household_at(self.room)
        services.save_person(
            self.admin,
            services.PersonInput(
                name="王秀英",
                residence_type="registered",
                document_type="resident_id",
                document_number=resident_id(date(1940, 3, 8)),
                tags=[Tag.objects.get(code="elderly-alone")],
            ),
            household,
            via="test",
        )
        Dwelling.objects.create(room=self.room, use="rented", tenant_household=household)
        Organisation.objects.create(name="惠民便利店", kind="shop", building=self.building)
        self.login(self.leader)
        response = self.client.get(reverse("dashboard"))
        self.assertEqual(
            [value for _label, value in response.context["registry_cards"]], [1, 1, 1, 1, 1]
        )
        self.assertContains(response, "独居老人")
        self.assertContains(response, reverse("regions:detail", args=[self.district.code]))
        # The neighbouring community's staff see their own community: nobody registered.
        self.login(self.community_staff)
        response = self.client.get(reverse("dashboard"), {"region": self.community.code})
        self.assertEqual(response.context["registry_cards"][0][1], 1)
        self.login(self.street_staff)
        response = self.client.get(reverse("dashboard"), {"region": self.other_district.code})
        self.assertEqual(response.status_code, 404)

    def test_the_burden_cards_are_for_those_who_watch_the_burden(self):
        self.login(self.leader)
        cards = self.client.get(reverse("dashboard")).context["burden_cards"]
        self.assertEqual(cards[0][1], 0)
        self.assertContains(self.client.get(reverse("dashboard")), reverse("observatory:page"))
        self.login(self.dispatcher)
        self.assertIsNone(self.client.get(reverse("dashboard")).context["burden_cards"])

    def test_a_region_outside_the_scope_is_not_found(self):
        self.login(self.street_staff)
        response = self.client.get(reverse("dashboard"), {"region": self.other_district.code})
        self.assertEqual(response.status_code, 404)

    def test_residents_have_no_dashboard(self):
        self.login(self.resident)
        self.assertEqual(self.client.get(reverse("dashboard")).status_code, 404)

    def test_hot_grids_name_the_busiest_grids(self):
        self.closed()
        self.login(self.leader)
        body = self.client.get(reverse("dashboard_hot_grids")).json()
        self.assertEqual(body["features"][0]["properties"]["code"], self.grid.code)
        self.assertEqual(body["features"][0]["properties"]["count"], 1)

    def test_the_ranking_exports_to_excel(self):
        self.closed()
        self.login(self.leader)
        response = self.client.get(reverse("dashboard_ranking_export"))
        workbook = load_workbook(BytesIO(response.content))
        self.assertEqual(len(workbook.sheetnames), 2)
        rows = list(workbook.worksheets[0].iter_rows(values_only=True))
        self.assertEqual(rows[1][1], "望江街道")
