"""The dashboard's ranking export, downloaded as a leader and read back."""

from io import BytesIO

from django.urls import reverse
from openpyxl import load_workbook

from gridgov.accounts.models import Department
from gridgov.cases import services
from gridgov.cases.tests.base import CaseTestCase
from gridgov.lib import xlsx
from gridgov.regions.models import Region


class RankingExportTests(CaseTestCase):
    def export(self):
        self.login(self.leader)
        response = self.client.get(reverse("dashboard_ranking_export"), {"days": "30"})
        self.assertEqual(response.status_code, 200)
        name = f"gridgov-ranking-{self.district.code}-30d.xlsx"
        self.assertIn(name, response["Content-Disposition"])
        return load_workbook(BytesIO(response.content))

    def rows(self, sheet):
        header = [cell.value for cell in sheet[1]]
        return header, [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(2)]

    def test_names_that_look_like_formulas_are_exported_as_text(self):
        Region.objects.filter(pk=self.street.pk).update(name="=1+1 望江街道")
        Department.objects.filter(pk=self.department.pk).update(name="-城管局")
        self.closed()
        book = self.export()
        for sheet, name in zip(book.worksheets, ("=1+1 望江街道", "-城管局"), strict=True):
            _header, rows = self.rows(sheet)
            cell = rows[0]["名称"]
            self.assertEqual((cell.value, cell.data_type, cell.quotePrefix), (name, "s", True))

    def test_rates_are_percentages_and_the_score_is_in_points_as_on_the_page(self):
        for solved, satisfaction in (("true", "satisfied"), ("false", "unsatisfied")):
            case = self.closed()
            data = {"solved": solved, "satisfaction": satisfaction}
            services.rate_as_reporter(case.number, "1234", data)
        book = self.export()
        self.assertEqual(book.sheetnames, ["区域", "部门"])
        _header, rows = self.rows(book.worksheets[0])
        street = rows[0]
        self.assertEqual(street["名称"].value, "望江街道")
        self.assertEqual((street["名次"].value, street["受理量"].value), (1, 2))
        self.assertEqual((street["在办量"].value, street["超期量"].value), (0, 0))
        for label, value in (("响应率", 1), ("解决率", 0.5), ("满意率", 0.5)):
            self.assertEqual((street[label].value, street[label].number_format), (value, "0.0%"))
        # Nothing fell due in the period: no rate, an empty cell, not 0%.
        self.assertIsNone(street["按期结案率"].value)
        score = street["综合得分"]
        self.assertEqual((score.value, score.number_format), (62.5, xlsx.DECIMAL))

    def test_each_sheet_has_a_frozen_filtered_header(self):
        self.closed()
        for sheet in self.export().worksheets:
            self.assertEqual(sheet.freeze_panes, "A2")
            self.assertEqual(sheet.auto_filter.ref, f"A1:K{sheet.max_row}")
            self.assertTrue(sheet["A1"].font.bold)
