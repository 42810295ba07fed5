"""Excel exports of worklists. Streams rows from the database; personal data stays masked."""

from io import BytesIO

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

# A sheet past this is not a worklist any more but a data dump: use the API for that.
MAX_ROWS = 50_000


def _local(moment):
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


def cases_workbook(cases, title: str) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "cases")
    bold = Font(bold=True)
    headers = [
        _("Number"),
        _("Title"),
        _("Status"),
        _("Category"),
        _("Area"),
        _("Channel"),
        _("Urgency"),
        _("Received"),
        _("Reply by"),
        _("Close by"),
        _("Deadline"),
    ]
    header_cells = []
    for text in headers:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    now = timezone.now()
    colour_labels = {
        "ok": _("On time"),
        "approaching": _("Due soon"),
        "overdue": _("Overdue"),
        "none": "",
    }
    for case in cases.select_related("category", "region")[:MAX_ROWS].iterator(chunk_size=2000):
        sheet.append(
            [
                case.number,
                case.title,
                case.get_status_display(),
                case.category.name if case.category else "",
                case.region.name,
                case.get_channel_display(),
                case.get_urgency_display(),
                _local(case.received_at),
                _local(case.reply_due_at),
                _local(case.due_at),
                colour_labels[case.deadline_state(now)],
            ]
        )
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
