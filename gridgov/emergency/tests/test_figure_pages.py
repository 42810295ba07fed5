"""The figures pages through the browser's door: an area's days and the areas under it with
the phases of its curve, in Excel and CSV; a day's figures entered for a community and its
grids in one form (refused as a whole, the typed values kept); a spreadsheet imported only
when every row is good; a certificate suspended by figures entered on the page."""

import csv
import io
from datetime import timedelta

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from gridgov.accounts.tests.base import ScopeMatrixMixin, make_region
from gridgov.emergency import figures
from gridgov.emergency.models import Certification, CertificationState, DailyFigure
from gridgov.emergency.phases import Band
from gridgov.emergency.tests.base import EmergencyTestCase
from gridgov.regions.choices import Level

FIGURES = reverse("emergency:figures")
ENTRY = reverse("emergency:figure_entry")
IMPORT = reverse("emergency:figure_import")


def csv_file(text, name="figures.csv"):
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


class FigurePageTestCase(EmergencyTestCase):
    def setUp(self):
        super().setUp()
        # The pages in English, whatever the .po holds, as the assertions read them.
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    def enter(self, region, days_ago, **counts):
        figures.enter(self.admin, [figures.Row(region, self.days_ago(days_ago), counts)])

    def entry_data(self, day, **lines):
        """The entry form's fields: lines maps a region attribute to its four counts."""
        data = {"day": day.isoformat()}
        for attribute, counts in lines.items():
            region = getattr(self, attribute)
            for name, value in zip(figures.COUNTS, counts, strict=True):
                data[f"{name}_{region.pk}"] = value
        return data


class FiguresPageTests(FigurePageTestCase):
    def test_it_shows_the_days_the_areas_under_it_and_the_phases_of_the_curve(self):
        for days_ago in range(3, 8):
            self.enter(self.grid, days_ago, confirmed=12, close_contacts=30)
        self.enter(self.second_grid, 2, confirmed=1, asymptomatic=2)
        self.login(self.community_staff)
        response = self.client.get(FIGURES, {"region": self.community.code})
        self.assertEqual(response.status_code, 200)
        context = response.context
        self.assertEqual(context["first"], self.days_ago(29))
        self.assertEqual(len(context["days"]), 30)
        self.assertEqual(context["totals"]["confirmed"], 61)
        self.assertEqual(context["totals"]["close_contacts"], 150)
        lines = {line["region"]: line for line in context["children"]}
        self.assertEqual(lines[self.grid]["confirmed"], 60)
        self.assertEqual(lines[self.second_grid]["asymptomatic"], 2)
        self.assertContains(
            response,
            f'href="{FIGURES}?region={self.grid.code}&amp;from={self.days_ago(29)}'
            f'&amp;to={self.today}"',
        )
        self.assertEqual(
            [(p.band, p.start, p.end, p.days) for p in context["phases"]],
            [
                (Band.TAIL, self.days_ago(29), self.days_ago(8), 22),
                (Band.LOW, self.days_ago(7), self.days_ago(3), 5),
                (Band.TAIL, self.days_ago(2), self.today, 3),
            ],
        )
        self.assertContains(response, "<svg", count=1)
        self.assertContains(response, "<td>22</td>")

    def test_a_span_that_is_no_span_is_refused_with_why(self):
        self.login(self.community_staff)
        for asked, message in [
            ({"from": "2024-03-10", "to": "2024-03-01"}, "The last day comes before the first."),
            ({"from": "2020-01-01", "to": "2024-01-01"}, "Ask for at most three years"),
            ({"from": "yesterday", "to": "2024-03-01"}, "Give the first and the last day."),
        ]:
            with self.subTest(asked=asked):
                response = self.client.get(FIGURES, asked)
                self.assertContains(response, message, status_code=400)
                self.assertNotIn("days", response.context)
        response = self.client.get(
            reverse("emergency:figures_xlsx"), {"from": "2024-03-10", "to": "2024-03-01"}
        )
        self.assertEqual(response.status_code, 400)

    def test_an_area_outside_the_scope_is_not_there(self):
        self.login(self.community_staff)
        response = self.client.get(FIGURES, {"region": self.neighbour_community.code})
        self.assertEqual(response.status_code, 404)
        self.assertEqual(self.client.post(FIGURES).status_code, 405)

    def test_excel_and_csv_hold_the_days_and_the_areas(self):
        self.enter(self.grid, 1, confirmed=3, suspected=1)
        self.login(self.street_staff)
        asked = {"region": self.community.code, "from": self.days_ago(2), "to": self.today}
        response = self.client.get(reverse("emergency:figures_xlsx"), asked)
        self.assertEqual(response.status_code, 200)
        book = load_workbook(io.BytesIO(response.content))
        days, areas = book.worksheets
        rows = list(days.iter_rows(values_only=True))
        self.assertEqual(len(rows), 4)
        self.assertEqual(rows[2][1:], (3, 1, 0, 0))
        self.assertEqual(rows[2][0].date(), self.days_ago(1))
        by_code = {row[0]: row for row in areas.iter_rows(min_row=2, values_only=True)}
        self.assertEqual(by_code[self.grid.code][2:], (3, 1, 0, 0))
        self.assertEqual(by_code[self.second_grid.code][2:], (0, 0, 0, 0))

        response = self.client.get(reverse("emergency:figures_csv"), asked)
        text = response.content.decode("utf-8")
        self.assertTrue(text.startswith("\ufeff"))
        rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
        self.assertEqual(rows[2], [self.days_ago(1).isoformat(), "3", "1", "0", "0"])
        response = self.client.get(reverse("emergency:figures_csv"), {**asked, "table": "areas"})
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        self.assertIn([self.grid.code, self.grid.name, "3", "1", "0", "0"], rows)


class EntryPageTests(FigurePageTestCase):
    def test_it_offers_the_community_and_its_grids_filled_with_what_is_entered(self):
        self.enter(self.grid, 1, confirmed=4)
        self.login(self.community_staff)
        response = self.client.get(
            ENTRY, {"region": self.community.code, "day": self.days_ago(1).isoformat()}
        )
        self.assertEqual(response.status_code, 200)
        regions = [line[0] for line in response.context["lines"]]
        self.assertEqual(regions, [self.community, self.grid, self.second_grid])
        self.assertContains(response, f'name="confirmed_{self.grid.pk}" value="4"')
        self.assertEqual(response.context["lines"][1][2], [4, 0, 0, 0])

    def test_a_community_enters_its_grids_and_the_street_reads_the_sum(self):
        self.login(self.community_staff)
        day = self.days_ago(1)
        data = self.entry_data(day, grid=["2", "", "1", "7"], second_grid=["0", "0", "0", "0"])
        response = self.client.post(f"{ENTRY}?region={self.community.code}", data)
        self.assertRedirects(response, f"{ENTRY}?region={self.community.code}&day={day}")
        self.assertEqual(DailyFigure.objects.count(), 2)
        self.assertEqual(figures.totals(self.street, day, day)["close_contacts"], 7)
        self.assertFalse(DailyFigure.objects.filter(region=self.community).exists())

    def test_a_negative_or_non_numeric_count_is_refused_and_shown_as_typed(self):
        self.enter(self.grid, 1, confirmed=4)
        self.login(self.community_staff)
        data = self.entry_data(
            self.days_ago(1), grid=["5", "-1", "", ""], second_grid=["三", "", "", ""]
        )
        response = self.client.post(f"{ENTRY}?region={self.community.code}", data)
        self.assertContains(response, "cannot be negative", status_code=400)
        self.assertContains(response, "must be a whole number", status_code=400)
        self.assertContains(
            response, f'name="suspected_{self.grid.pk}" value="-1"', status_code=400
        )
        self.assertContains(
            response, f'name="confirmed_{self.second_grid.pk}" value="三"', status_code=400
        )
        self.assertEqual(DailyFigure.objects.count(), 1)
        self.assertEqual(DailyFigure.objects.get().confirmed, 4)

    def test_entering_a_day_at_two_levels_of_one_branch_is_refused_whole(self):
        self.login(self.community_staff)
        data = self.entry_data(
            self.days_ago(1), community=["3", "", "", ""], grid=["1", "", "", ""]
        )
        response = self.client.post(f"{ENTRY}?region={self.community.code}", data)
        self.assertContains(response, "at one level only", status_code=400)
        self.assertFalse(DailyFigure.objects.exists())

    def test_nothing_typed_a_bad_day_or_a_future_day_is_refused(self):
        self.login(self.community_staff)
        url = f"{ENTRY}?region={self.community.code}"
        response = self.client.post(url, self.entry_data(self.today))
        self.assertContains(response, "at least one area", status_code=400)
        response = self.client.post(url, {**self.entry_data(self.today), "day": "2024-13-01"})
        self.assertEqual(response.status_code, 400)
        future = self.today + timedelta(days=1)
        response = self.client.post(url, self.entry_data(future, grid=["1", "", "", ""]))
        self.assertContains(response, "is in the future", status_code=400)
        self.assertEqual(self.client.get(ENTRY, {"day": "soon"}).status_code, 400)
        self.assertFalse(DailyFigure.objects.exists())

    def test_who_may_enter(self):
        self.login(self.grid_worker)
        self.assertEqual(self.client.get(ENTRY).status_code, 403)
        self.login(self.community_staff)
        self.assertEqual(self.client.get(ENTRY, {"region": self.other_grid.code}).status_code, 404)
        self.assertEqual(self.client.put(ENTRY).status_code, 405)
        self.client.logout()
        self.assertIn("/login/", self.client.get(ENTRY)["Location"])

    def test_a_new_case_entered_on_the_page_suspends_the_certificate(self):
        certification = Certification.objects.create(
            region=self.community,
            state=CertificationState.CERTIFIED,
            policy_version=self.policy_version,
            applied_by=self.community_staff,
        )
        self.login(self.community_staff)
        data = self.entry_data(self.today, grid=["", "", "", "2"])
        response = self.client.post(f"{ENTRY}?region={self.community.code}", data)
        self.assertEqual(response.status_code, 302)
        certification.refresh_from_db()
        self.assertEqual(certification.state, CertificationState.SUSPENDED)
        self.assertIn(self.grid.name, certification.ended_reason)


class ImportPageTests(FigurePageTestCase):
    HEADER = "日期,区域代码,区域名称,新增确诊,新增疑似,新增无症状,新增密接\n"

    def test_a_good_file_is_checked_then_imported(self):
        day = self.days_ago(1).isoformat()
        text = self.HEADER + f"{day},{self.grid.code},,3,0,1,4\n{day},,滨江社区第02网格,1,,,\n"
        self.login(self.community_staff)
        response = self.client.post(IMPORT, {"file": csv_file(text), "action": "check"})
        self.assertContains(response, "Checked: ready to import")
        self.assertFalse(DailyFigure.objects.exists())
        response = self.client.post(IMPORT, {"file": csv_file(text), "action": "import"})
        self.assertContains(response, "Imported")
        self.assertEqual(
            figures.totals(self.community, self.days_ago(1), self.today)["confirmed"], 4
        )

    def test_an_xlsx_file_is_read_as_well(self):
        book = Workbook()
        sheet = book.active
        sheet.append(["日期", "区域代码", "新增确诊", "新增疑似", "新增无症状", "新增密接"])
        sheet.append([self.days_ago(2), self.second_grid.code, 2, 0, 0, 5])
        content = io.BytesIO()
        book.save(content)
        upload = SimpleUploadedFile("figures.xlsx", content.getvalue())
        self.login(self.community_staff)
        response = self.client.post(IMPORT, {"file": upload, "action": "import"})
        self.assertEqual(response.status_code, 200)
        figure = DailyFigure.objects.get()
        self.assertEqual(
            (figure.region, figure.confirmed, figure.close_contacts), (self.second_grid, 2, 5)
        )

    def test_every_bad_row_is_named_and_nothing_is_written(self):
        make_region("990101001002002", "滨江社区第01网格", Level.GRID, self.neighbour_community)
        day = self.days_ago(1).isoformat()
        text = self.HEADER + (
            f"{day},{self.grid.code},,1,0,0,0\n"
            f"{day},{self.other_grid.code},,1,0,0,0\n"
            f"2024-02-30,{self.second_grid.code},,1,0,0,0\n"
            f"{day},,滨江社区第01网格,1,0,0,0\n"
            f"{day},{self.second_grid.code},,-2,x,0,0\n"
        )
        self.login(self.street_staff)
        response = self.client.post(IMPORT, {"file": csv_file(text), "action": "import"})
        self.assertContains(response, "Nothing was imported", status_code=400)
        problems = response.context["report"].problems
        self.assertEqual(len(problems), 5, problems)
        self.assertIn("Row 3, 区域代码", problems[0])
        self.assertIn(self.other_grid.code, problems[0])
        self.assertIn("Row 4, 日期", problems[1])
        self.assertIn("Row 5, 区域名称", problems[2])
        self.assertIn("give its code", problems[2])
        self.assertTrue(all(p.startswith("Row 6") for p in problems[3:]), problems)
        self.assertFalse(DailyFigure.objects.exists())

    def test_a_file_without_the_columns_is_refused(self):
        self.login(self.community_staff)
        response = self.client.post(
            IMPORT, {"file": csv_file("日期,新增确诊\n2024-01-01,1\n"), "action": "import"}
        )
        self.assertContains(response, "has no column", status_code=400)
        response = self.client.post(IMPORT, {"action": "import"})
        self.assertEqual(response.status_code, 400)
        self.login(self.dispatcher)
        self.assertEqual(self.client.get(IMPORT).status_code, 403)


class FiguresScopeTests(ScopeMatrixMixin, EmergencyTestCase):
    def make_object(self, grid):
        return grid

    def url_for(self, grid):
        return f"{FIGURES}?region={grid.code}"
