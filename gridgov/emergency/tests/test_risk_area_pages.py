"""Risk-area pages through the browser's door: the staff list with proposed downgrades and
their one-click confirmation, designating an area of the city or a place elsewhere, an
area's page with its history and level changes, and the public list with its CSV; who
may see and do what."""

import csv
import io

from django.urls import reverse

from gridgov.accounts.tests.base import ScopeMatrixMixin
from gridgov.emergency import services
from gridgov.emergency.models import RiskArea
from gridgov.emergency.tests.base import SHANGHAI_PUDONG, WUHAN_JIANGHAN, EmergencyTestCase

LIST = reverse("emergency:risk_area_list")
NEW = reverse("emergency:risk_area_new")
PUBLIC = reverse("emergency_public:risk_areas")


def detail_url(area):
    return reverse("emergency:risk_area_detail", args=[area.pk])


def change_url(area):
    return reverse("emergency:risk_area_change", args=[area.pk])


class RiskAreaPagesTestCase(EmergencyTestCase):
    def designate(self, level="high", days=3, actor=None, **where):
        return services.set_risk_area(
            actor or self.city_leader,
            services.RiskAreaInput(level, self.days_ago(days), "聚集性疫情", **where),
        )

    def form(self, **fields):
        data = {
            "region": "",
            "division_code": "",
            "level": "high",
            "started_on": self.days_ago(1).isoformat(),
            "reason": "新增本土病例",
            "detail": "1幢、2幢",
        }
        data.update(fields)
        return data


class RiskAreaScopeTests(ScopeMatrixMixin, EmergencyTestCase):
    def make_object(self, grid):
        # Straight to the table: the matrix puts several areas on one grid at once, which
        # the command refuses.
        return RiskArea.objects.create(
            level="high",
            region=grid,
            name=grid.name,
            reason="聚集性疫情",
            started_on=self.days_ago(2),
            level_since=self.days_ago(2),
            created_by=self.admin,
        )

    def url_for(self, obj):
        return detail_url(obj)


class ListTests(RiskAreaPagesTestCase):
    def test_staff_see_their_areas_and_those_outside_the_city_current_or_all(self):
        mine = self.designate(region=self.grid)
        self.designate(region=self.other_grid)
        wuhan = self.designate("medium", division_code=WUHAN_JIANGHAN)
        lifted = self.designate(region=self.second_grid, days=10)
        services.change_risk_level(self.city_leader, lifted, "", "解除", on=self.days_ago(1))
        self.login(self.community_staff)
        page = self.client.get(LIST)
        self.assertEqual(set(page.context["page"].object_list), {mine, wuhan})
        self.assertFalse(page.context["may_designate"])
        self.assertEqual(page.context["proposals"], [])
        self.assertEqual(
            set(self.client.get(LIST, {"all": "1"}).context["page"].object_list),
            {mine, wuhan, lifted},
        )
        self.assertEqual(
            list(self.client.get(LIST, {"level": "medium"}).context["page"].object_list), [wuhan]
        )
        self.login(self.resident)
        self.assertEqual(self.client.get(LIST).status_code, 404)

    def test_a_due_downgrade_is_proposed_and_confirmed_in_one_click(self):
        area = self.designate(region=self.grid, days=15, actor=self.leader)
        self.designate(region=self.second_grid, days=2, actor=self.leader)
        self.login(self.leader)
        proposals = self.client.get(LIST).context["proposals"]
        self.assertEqual([(p.area, p.is_due) for p in proposals][0], (area, True))
        self.assertFalse(proposals[1].is_due)
        response = self.client.post(
            change_url(area),
            {"to_level": proposals[0].to_level, "reason": proposals[0].explanation, "back": "list"},
        )
        self.assertRedirects(response, LIST + "#proposals", fetch_redirect_response=False)
        area.refresh_from_db()
        self.assertEqual((area.level, area.level_since), ("medium", self.today))
        self.assertEqual(area.changes.last().reason, proposals[0].explanation)


class DesignateTests(RiskAreaPagesTestCase):
    def test_a_city_leader_designates_a_place_outside_the_city_and_a_district_leader_cannot(self):
        self.login(self.city_leader)
        response = self.client.post(NEW, self.form(division_code=WUHAN_JIANGHAN))
        area = RiskArea.objects.get()
        self.assertRedirects(response, detail_url(area))
        self.assertEqual((area.name, area.level, area.region), ("湖北省武汉市江汉区", "high", None))
        self.assertEqual(area.detail, "1幢、2幢")
        self.login(self.leader)
        response = self.client.post(NEW, self.form(division_code=SHANGHAI_PUDONG))
        self.assertEqual(response.status_code, 403)
        self.assertEqual(RiskArea.objects.count(), 1)

    def test_the_form_suggests_divisions_by_name_for_a_place_outside_the_city(self):
        self.login(self.city_leader)
        page = self.client.get(NEW)
        suggestions = reverse("emergency_public:division_suggestions")
        self.assertContains(page, f'data-division-url="{suggestions}"')
        self.assertContains(page, 'list="division-suggestions"')
        self.assertContains(page, '<datalist id="division-suggestions">')
        found = self.client.get(suggestions, {"q": "武汉江汉"}).json()["results"]
        self.assertIn(WUHAN_JIANGHAN, [division["code"] for division in found])

    def test_a_district_leader_designates_a_grid_of_their_district_by_its_code(self):
        self.login(self.leader)
        self.assertEqual(self.client.get(NEW).status_code, 200)
        response = self.client.post(NEW, self.form(region=self.grid.code, level="medium"))
        area = RiskArea.objects.get()
        self.assertRedirects(response, detail_url(area))
        self.assertEqual((area.region, area.level), (self.grid, "medium"))
        self.assertEqual(list(area.changes.values_list("to_level", flat=True)), ["medium"])

    def test_bad_input_is_refused_with_400_keeps_what_was_typed_and_changes_nothing(self):
        self.login(self.leader)
        cases = [
            ({"region": self.other_grid.code}, "region"),
            ({"region": "999"}, "region"),
            ({"region": self.grid.code, "reason": " "}, "reason"),
            ({"region": self.grid.code, "started_on": "2999-01-01"}, "started_on"),
            ({"region": self.grid.code, "started_on": "昨天"}, "started_on"),
            ({"region": self.grid.code, "level": "extreme"}, "level"),
            ({}, None),
        ]
        for fields, field in cases:
            with self.subTest(fields=fields):
                response = self.client.post(NEW, self.form(**fields))
                self.assertEqual(response.status_code, 400)
                form = response.context["form"]
                self.assertTrue(form.errors[field] if field else form.errors)
                self.assertContains(response, "1幢、2幢", status_code=400)
        self.login(self.city_leader)
        for fields in (
            {"division_code": "999999"},
            {"region": self.grid.code, "division_code": WUHAN_JIANGHAN},
        ):
            with self.subTest(fields=fields):
                response = self.client.post(NEW, self.form(**fields))
                self.assertEqual(response.status_code, 400)
                self.assertTrue(response.context["form"].errors["division_code"])
        self.designate(region=self.grid)
        response = self.client.post(NEW, self.form(region=self.grid.code))
        self.assertEqual(response.status_code, 400)
        self.assertTrue(response.context["form"].non_field_errors())
        self.assertEqual(RiskArea.objects.count(), 1)

    def test_who_manages_no_risk_area_gets_403(self):
        self.login(self.community_staff)
        self.assertEqual(self.client.get(NEW).status_code, 403)
        self.assertEqual(self.client.post(NEW, self.form(region=self.grid.code)).status_code, 403)
        self.assertFalse(RiskArea.objects.exists())


class AreaPageTests(RiskAreaPagesTestCase):
    def test_the_page_shows_the_history_and_a_manager_changes_the_level_then_lifts_it(self):
        area = self.designate(region=self.grid, days=5, actor=self.leader)
        self.login(self.leader)
        page = self.client.get(detail_url(area))
        self.assertContains(page, "聚集性疫情")
        self.assertIsNotNone(page.context["form"])
        response = self.client.post(
            change_url(area),
            {"to_level": "low", "on": self.days_ago(1).isoformat(), "reason": "连续无新增"},
        )
        self.assertRedirects(response, detail_url(area))
        response = self.client.post(change_url(area), {"to_level": "lift", "reason": "解除"})
        area.refresh_from_db()
        self.assertEqual((area.level, area.ended_on), ("low", self.today))
        changes = self.client.get(detail_url(area)).context["changes"]
        self.assertEqual(
            [(c.from_level, c.to_level) for c in changes],
            [("", "high"), ("high", "low"), ("low", "")],
        )
        self.assertIsNone(self.client.get(detail_url(area)).context["form"])

    def test_a_bad_change_is_refused_with_400_and_changes_nothing(self):
        area = self.designate(region=self.grid, days=5, actor=self.leader)
        self.login(self.leader)
        for data in (
            {"to_level": "medium", "reason": ""},
            {"to_level": "high", "reason": "x"},
            {"to_level": "medium", "reason": "x", "on": self.days_ago(9).isoformat()},
            {"reason": "没有选择"},
        ):
            with self.subTest(data=data):
                response = self.client.post(change_url(area), data)
                self.assertEqual(response.status_code, 400)
                self.assertTrue(response.context["form"].errors)
        area.refresh_from_db()
        self.assertEqual((area.level, area.changes.count()), ("high", 1))
        self.assertEqual(self.client.get(change_url(area)).status_code, 405)

    def test_staff_who_do_not_manage_it_see_no_form_and_get_403(self):
        area = self.designate(region=self.grid)
        wuhan = self.designate(division_code=WUHAN_JIANGHAN)
        self.login(self.community_staff)
        self.assertIsNone(self.client.get(detail_url(area)).context["form"])
        response = self.client.post(change_url(area), {"to_level": "low", "reason": "x"})
        self.assertEqual(response.status_code, 403)
        self.login(self.leader)
        self.assertIsNone(self.client.get(detail_url(wuhan)).context["form"])
        self.assertEqual(
            self.client.post(change_url(wuhan), {"to_level": "low", "reason": "x"}).status_code,
            403,
        )
        self.assertEqual(RiskArea.objects.filter(level="high").count(), 2)


class PublicListTests(RiskAreaPagesTestCase):
    def test_anyone_sees_the_current_areas_by_level_with_nothing_personal(self):
        self.designate(region=self.grid, detail="3幢")
        self.designate("low", division_code=WUHAN_JIANGHAN)
        lifted = self.designate(region=self.other_grid, days=10)
        services.change_risk_level(self.city_leader, lifted, "", "解除", on=self.days_ago(1))
        response = self.client.get(PUBLIC)
        self.assertEqual(response.status_code, 200)
        self.assertIn("public", response["Cache-Control"])
        groups = {
            level.value: [a.name for a in areas] for level, areas in response.context["groups"]
        }
        self.assertEqual(
            groups, {"high": [self.grid.name], "medium": [], "low": ["湖北省武汉市江汉区"]}
        )
        self.assertContains(response, "3幢")
        self.assertNotContains(response, "聚集性疫情")
        self.assertNotContains(response, self.city_leader.username)
        self.assertNotContains(response, self.other_grid.name)

    def test_the_list_downloads_as_csv(self):
        self.designate(region=self.grid, detail="=HYPERLINK(1)")
        self.designate("medium", division_code=WUHAN_JIANGHAN)
        response = self.client.get(PUBLIC, {"format": "csv"})
        self.assertEqual(response["Content-Type"], "text/csv; charset=utf-8")
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        self.assertEqual(len(rows), 3)
        self.assertEqual([row[2] for row in rows[1:]], [self.grid.code, WUHAN_JIANGHAN])
        self.assertEqual(rows[1][3], "'=HYPERLINK(1)")
        self.assertNotIn("聚集性疫情", response.content.decode("utf-8-sig"))
