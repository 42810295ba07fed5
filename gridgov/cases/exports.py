"""Excel exports of worklists, through gridgov.lib.xlsx. Rows stream from the database;
personal data stays masked, in the free text too (a file travels further than a page)."""

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.cases.choices import HOLDING_STATES, AssignmentRole
from gridgov.cases.models import Assignment
from gridgov.lib import xlsx
from gridgov.open311.serialise import scrub

# A sheet past this is not a worklist any more but a data dump: use the API for that.
MAX_ROWS = 50_000
CHUNK_SIZE = 2000


def cases_workbook(cases, title: str) -> bytes:
    columns = [
        xlsx.Column(_("Number")),
        xlsx.Column(_("Title"), max_width=40),
        xlsx.Column(_("Description"), max_width=60),
        xlsx.Column(_("Status")),
        xlsx.Column(_("Category"), max_width=30),
        xlsx.Column(_("Area"), max_width=30),
        xlsx.Column(_("Responsible units"), max_width=40),
        xlsx.Column(_("Channel")),
        xlsx.Column(_("Urgency")),
        xlsx.Column(_("Received at"), xlsx.DATETIME),
        xlsx.Column(_("Accept by"), xlsx.DATETIME),
        xlsx.Column(_("Reply by"), xlsx.DATETIME),
        xlsx.Column(_("Close by"), xlsx.DATETIME),
        xlsx.Column(_("Deadline")),
    ]
    sheet = xlsx.Sheet(title or _("Cases"), columns, _rows(cases))
    return xlsx.workbook([sheet])


def _rows(cases):
    now = timezone.now()
    colour_labels = {
        "ok": _("On time"),
        "approaching": _("Due soon"),
        "overdue": _("Overdue"),
        "none": "",
    }
    # The units the case counts for, as the case page lists them: at work on it, or done.
    holding = Assignment.objects.filter(state__in=HOLDING_STATES).select_related(
        "department", "office"
    )
    cases = cases.select_related("category", "region", "reporter").prefetch_related(
        Prefetch("assignments", queryset=holding, to_attr="holding_assignments")
    )
    for case in cases[:MAX_ROWS].iterator(chunk_size=CHUNK_SIZE):
        yield [
            case.number,
            scrub(case.title, case.reporter),
            scrub(case.description, case.reporter),
            case.get_status_display(),
            case.category.name if case.category else "",
            case.region.name,
            _units(case.holding_assignments),
            case.get_channel_display(),
            case.get_urgency_display(),
            case.received_at,
            case.accept_due_at,
            case.reply_due_at,
            case.due_at,
            colour_labels[case.deadline_state(now)],
        ]


def _units(assignments) -> str:
    # The lead first: it answers for the case; the others assist or were summoned.
    ordered = sorted(assignments, key=lambda a: a.role != AssignmentRole.LEAD)
    return "、".join(a.unit_name for a in ordered)
