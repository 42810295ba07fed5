"""Excel workbooks for download. Every export goes through `workbook()`, so that none can
forget its rules:

- Text is text. openpyxl stores a string beginning with = as a formula, and Excel runs a
  cell beginning with =, +, - or @ (a leading tab or CR included) as one as soon as
  someone edits it; a case title is typed by anyone (/report/, the API, Open311). So every
  string is written as a string, and one beginning with those characters also gets the
  quote-prefix style (Excel's own leading apostrophe), which keeps it text when edited.
  The value itself is not changed: what people typed is what they read.
- Numbers stay numbers, with a number format; fractions shown as percentages.
- Times are local and shown to the minute, as the pages show them: a deadline at
  23:59:59.999 is 23:59, where Excel would round the stored fraction up to 00:00 of the
  next day.
- A bold, frozen header row with an autofilter, and columns as wide as their content (a
  CJK character counts as two), measured on the first rows so that the rest can stream.

Sheets are write-only: rows go to a temporary file as they come, so a long worklist
does not sit in memory as cells.
"""

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO
from itertools import chain, islice

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.filters import AutoFilter

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Number formats for Column.number_format.
DATETIME = "yyyy-mm-dd hh:mm"
DATE = "yyyy-mm-dd"
PERCENT = "0.0%"
DECIMAL = "0.0"
INTEGER = "0"

# What makes Excel read a cell as a formula (OWASP's list for CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Excel refuses a longer cell (the file then needs "repairing").
MAX_CELL_TEXT = 32_767
# Rows read ahead to size the columns; the rest are written as they come.
SAMPLE_ROWS = 200
MIN_WIDTH, MAX_WIDTH = 6, 60
# Excel's sheet names: at most 31 characters, none of these.
_SHEET_NAME_FORBIDDEN = str.maketrans({c: "_" for c in "[]:*?/\\"})


@dataclass(frozen=True)
class Column:
    header: str
    number_format: str | None = None
    max_width: int = MAX_WIDTH


@dataclass
class Sheet:
    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence]


def workbook(sheets: Iterable[Sheet]) -> bytes:
    """The .xlsx file of these sheets; each row's values in the order of its columns."""
    book = Workbook(write_only=True)
    for sheet in sheets:
        _write_sheet(book, sheet)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def response(content: bytes, filename: str) -> HttpResponse:
    """A download of `content` as `filename` (ASCII: it goes into a header unencoded)."""
    reply = HttpResponse(content, content_type=CONTENT_TYPE)
    reply["Content-Disposition"] = f'attachment; filename="{filename}"'
    return reply


def _write_sheet(book: Workbook, sheet: Sheet) -> None:
    ws = book.create_sheet(title=_sheet_title(sheet.title))
    columns = list(sheet.columns)
    rows = iter(sheet.rows)
    sample = list(islice(rows, SAMPLE_ROWS))
    # Widths and panes go into the file before the first row, so they are set now.
    for index, column in enumerate(columns, start=1):
        width = max(
            [_width(column.header) + 3]  # room for the autofilter's button
            + [_width(_shown(row[index - 1], column)) for row in sample]
        )
        ws.column_dimensions[get_column_letter(index)].width = min(
            max(width + 1, MIN_WIDTH), column.max_width
        )
    ws.freeze_panes = "A2"
    zone = timezone.get_current_timezone()
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = _cell(ws, column.header, None, zone)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    count = 0
    for row in chain(sample, rows):
        ws.append(
            [_cell(ws, value, column, zone) for value, column in zip(row, columns, strict=True)]
        )
        count += 1
    # The write-only sheet has no autofilter of its own; the writer puts one at the end.
    ws.auto_filter = AutoFilter(ref=f"A1:{get_column_letter(len(columns))}{count + 1}")


def _sheet_title(title: str) -> str:
    return str(title).translate(_SHEET_NAME_FORBIDDEN)[:31].strip("'") or "Sheet"


def _cell(ws, value, column: Column | None, zone):
    if value is None:
        return None
    if isinstance(value, datetime):
        cell = WriteOnlyCell(ws, value=_as_shown(value, zone))
        cell.number_format = column.number_format if column and column.number_format else DATETIME
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = DATE
        return cell
    if isinstance(value, bool | int | float):
        cell = WriteOnlyCell(ws, value=value)
        if column and column.number_format:
            cell.number_format = column.number_format
        return cell
    text = _clean(str(value))
    cell = WriteOnlyCell(ws, value=text)
    # openpyxl guessed a formula (=…) or an error (#N/A): it is neither.
    cell.data_type = "s"
    if text.startswith(FORMULA_STARTS):
        cell.quotePrefix = True
    return cell


def _as_shown(moment: datetime, zone) -> datetime:
    if moment.tzinfo is not None:
        moment = moment.astimezone(zone).replace(tzinfo=None)
    return moment.replace(second=0, microsecond=0)


def _clean(text: str) -> str:
    # Control characters make the file unreadable, and openpyxl refuses them.
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    if len(text) > MAX_CELL_TEXT:
        text = text[: MAX_CELL_TEXT - 1] + "…"
    return text


def _shown(value, column: Column) -> str:
    """Roughly what Excel shows, to size the column by."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return "yyyy-mm-dd hh:mm"
    if isinstance(value, date):
        return "yyyy-mm-dd"
    if isinstance(value, float):
        if column.number_format == PERCENT:
            return f"{value * 100:.1f}%"
        return f"{value:.1f}"
    # A long text's first line is what the narrow column shows anyway.
    return str(value)[: MAX_WIDTH * 2].split("\n", 1)[0]


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
