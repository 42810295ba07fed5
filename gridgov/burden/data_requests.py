"""Data requests (报表) answered from the platform: the requester picks columns from the
catalogue and adds any the platform does not hold; the platform fills every cell it can at
once; only the columns it does not hold go down, and a community's answer to a column for
a period is reused by every later request asking the same (一次采集、多方复用).
"""

from dataclasses import dataclass, replace
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.burden import catalogue, services
from gridgov.burden.choices import Admission, DemandKind, RecipientState
from gridgov.burden.models import (
    ColumnAnswer,
    DataRequest,
    DemandRecipient,
    RequestColumn,
    RequestRow,
    Source,
)

MAX_COLUMNS = 60
# The states in which a street or community still owes an answer.
OPEN_STATES = [
    RecipientState.RECEIVED,
    RecipientState.ACCEPTED,
    RecipientState.EXTENSION_ASKED,
]
MAX_PERIOD_DAYS = 366


@dataclass
class ColumnInput:
    """A catalogue figure (`figure`), or a column the platform does not hold (`label`,
    `unit`)."""

    figure: str = ""
    label: str = ""
    unit: str = ""


def send_data_request(
    user, data: services.DemandInput, period_start, period_end, columns, *, now=None
) -> DataRequest:
    """Send a data request down and fill its table at once."""
    now = now or timezone.now()
    known = catalogue.by_key()
    errors = {}
    if period_start is None or period_end is None or period_end < period_start:
        errors["period_end"] = [_("The period ends before it starts.")]
    elif period_end > timezone.localdate(now):
        errors["period_end"] = [_("A period cannot end in the future.")]
    elif (period_end - period_start).days >= MAX_PERIOD_DAYS:
        errors["period_end"] = [_("A period is at most a year.")]
    made, keys = [], set()
    if not columns:
        errors["columns"] = [_("Choose at least one column.")]
    elif len(columns) > MAX_COLUMNS:
        errors["columns"] = [_("At most %(n)d columns.") % {"n": MAX_COLUMNS}]
    for position, column in enumerate(columns or [], start=1):
        if column.figure:
            figure = known.get(column.figure)
            if figure is None:
                errors["columns"] = [
                    _("The platform holds no figure %(key)s.") % {"key": column.figure}
                ]
                continue
            made.append(
                RequestColumn(
                    position=position, figure=figure.key, label=figure.label, unit=figure.unit
                )
            )
        else:
            label, unit = column.label.strip(), column.unit.strip()
            if not label or len(label) > 100 or len(unit) > 20:
                errors["columns"] = [
                    _(
                        "Each column of your own needs a label (at most 100 characters); "
                        "its unit is at most 20."
                    )
                ]
                continue
            made.append(RequestColumn(position=position, label=label, unit=unit))
        if made and made[-1].key in keys:
            errors["columns"] = [_("“%(label)s” is asked twice.") % {"label": made[-1].label}]
        keys.add(made[-1].key if made else "")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        demand = services.send_demand(user, replace(data, kind=DemandKind.DATA_REQUEST), now=now)
        request = DataRequest.objects.create(
            demand=demand, period_start=period_start, period_end=period_end, filled_at=now
        )
        for column in made:
            column.request = request
        RequestColumn.objects.bulk_create(made)
        fill(request, now=now)
    return request


def fill(request: DataRequest, *, now=None) -> None:
    """Write the table's rows: the platform's figures, and the answers already given to
    the other columns for this period; recipients left with nothing to type are answered."""
    now = now or timezone.now()
    columns = list(request.columns.all())
    recipients = list(request.demand.recipients.select_related("region"))
    regions = [recipient.region for recipient in recipients]
    figures = catalogue.fill(
        regions,
        request.period_start,
        request.period_end,
        [column.figure for column in columns if column.figure],
    )
    typed = {column.key for column in columns if not column.figure}
    given = {
        (answer.region_id, answer.key): answer
        for answer in ColumnAnswer.objects.filter(
            region__in=regions,
            key__in=typed,
            period_start=request.period_start,
            period_end=request.period_end,
        )
    }
    rows = []
    for region in regions:
        row = RequestRow(request=request, region=region, region_path=region.path)
        for column in columns:
            cell = str(column.position)
            if column.figure:
                row.values[cell] = figures[region.path][column.figure]
                row.sources[cell] = Source.PLATFORM
            elif (answer := given.get((region.pk, column.key))) is not None:
                row.values[cell], row.sources[cell] = answer.value, Source.REUSED
                row.answers[cell] = answer.pk
            else:
                row.values[cell], row.sources[cell] = None, Source.MISSING
        row.recount()
        rows.append(row)
    RequestRow.objects.bulk_create(rows, batch_size=1000)
    complete = [row.region_id for row in rows if not row.cells_missing]
    if request.demand.reaches_communities and complete:
        DemandRecipient.objects.filter(demand=request.demand, region_id__in=complete).update(
            state=RecipientState.ANSWERED,
            answer=_("Answered from the platform's data."),
            acted_at=now,
        )
    if len(complete) == len(rows):
        request.answered_from = _answered_before(request)
        if request.answered_from is not None:
            request.save(update_fields=["answered_from"])


def _answered_before(request: DataRequest) -> DataRequest | None:
    """The earlier request this one repeats — the same sender asking the same columns of
    the same places for the same period within BURDEN_REPEAT_DAYS — now answered from it."""
    demand = request.demand
    since = demand.sent_at - timedelta(days=settings.BURDEN_REPEAT_DAYS)
    keys = sorted(column.key for column in request.columns.all())
    places = sorted(demand.recipients.values_list("region_id", flat=True))
    earlier = DataRequest.objects.filter(
        demand__sender_region=demand.sender_region,
        demand__sender_department=demand.sender_department,
        demand__sent_at__gte=since,
        demand__sent_at__lt=demand.sent_at,
        period_start=request.period_start,
        period_end=request.period_end,
    ).order_by("-demand__sent_at")
    for candidate in earlier.prefetch_related("columns", "demand__recipients"):
        if (
            sorted(column.key for column in candidate.columns.all()) == keys
            and sorted(r.region_id for r in candidate.demand.recipients.all()) == places
        ):
            return candidate
    return None


def missing_columns(recipient: DemandRecipient) -> list[RequestColumn]:
    """The columns this street or community still has to answer."""
    row = RequestRow.objects.filter(
        request_id=recipient.demand_id, region_id=recipient.region_id
    ).first()
    if row is None:
        return []
    return [
        column
        for column in recipient.demand.data_request.columns.all()
        if row.sources.get(str(column.position)) == Source.MISSING
    ]


def answer_columns(user, recipient: DemandRecipient, values: dict, *, now=None) -> RequestRow:
    """A street or community answers the columns the platform does not hold, all at once;
    each answer is kept for the period and fills the same column of its other requests."""
    now = now or timezone.now()
    demand = recipient.demand
    if not services.may_answer(user) or not services.covers(user, recipient.region_path):
        raise PermissionDenied(_("Only the street or community it went to answers it."))
    if demand.admission not in {Admission.ADMITTED, Admission.EXCEPTION}:
        raise PermissionDenied(_("This request did not reach the communities."))
    request = demand.data_request
    with transaction.atomic():
        recipient = DemandRecipient.objects.select_for_update().get(pk=recipient.pk)
        if recipient.state in {RecipientState.OBJECTED, RecipientState.WITHDRAWN}:
            raise ValidationError({"state": [_("This request is not yours to answer now.")]})
        missing = missing_columns(recipient)
        errors = {}
        given = {}
        for column in missing:
            value = str(values.get(str(column.position), "") or "").strip()
            if not value:
                errors[f"column_{column.position}"] = [
                    _("Fill in “%(label)s”.") % {"label": column.label}
                ]
            elif len(value) > 200:
                errors[f"column_{column.position}"] = [_("At most 200 characters.")]
            given[column] = value
        if not missing:
            errors["state"] = [_("Nothing is left to answer here.")]
        if errors:
            raise ValidationError(errors)
        for column, value in given.items():
            answer = _keep_answer(user, recipient, request, column, value, now)
            _reuse_everywhere(answer, column.key)
        recipient.state = RecipientState.ANSWERED
        recipient.answer = _("Answered in the table.")
        recipient.acted_by, recipient.acted_at = user, now
        recipient.save()
    return RequestRow.objects.get(request=request, region_id=recipient.region_id)


def _keep_answer(user, recipient, request, column, value, now) -> ColumnAnswer:
    lookup = {
        "region_id": recipient.region_id,
        "key": column.key,
        "period_start": request.period_start,
        "period_end": request.period_end,
    }
    try:
        with transaction.atomic():
            return ColumnAnswer.objects.create(
                **lookup,
                region=recipient.region,
                label=column.label,
                unit=column.unit,
                value=value,
                answered_by=user,
                answered_at=now,
                request=request,
            )
    except IntegrityError:
        # Answered a moment ago for another request of the same period: that answer
        # stands, and this one is filled from it.
        return ColumnAnswer.objects.get(**lookup)


def _reuse_everywhere(answer: ColumnAnswer, key: str) -> None:
    """Fill this answer into every row of the same place and period still missing it."""
    rows = RequestRow.objects.select_for_update().filter(
        region_id=answer.region_id,
        request__period_start=answer.period_start,
        request__period_end=answer.period_end,
        cells_missing__gt=0,
    )
    for row in rows.prefetch_related("request__columns"):
        changed = False
        for column in row.request.columns.all():
            cell = str(column.position)
            if column.key == key and row.sources.get(cell) == Source.MISSING:
                typed_here = answer.request_id == row.request_id
                row.values[cell] = answer.value
                row.sources[cell] = Source.TYPED if typed_here else Source.REUSED
                row.answers[cell] = answer.pk
                changed = True
        if changed:
            row.recount()
            row.save()
            if not row.cells_missing:
                DemandRecipient.objects.filter(
                    demand_id=row.request_id,
                    region_id=row.region_id,
                    state__in=OPEN_STATES,
                ).update(
                    state=RecipientState.ANSWERED,
                    answer=_("Answered from an answer already given."),
                    acted_at=answer.answered_at,
                )


# --- the table, as the pages, the API and Excel show it ----------------------------------


@dataclass
class Table:
    request: DataRequest
    columns: list
    rows: list  # RequestRow, region selected, in path order

    def cells(self, row: RequestRow) -> list[tuple]:
        """(value, source) per column of a row."""
        return [
            (row.values.get(str(c.position)), row.sources.get(str(c.position)))
            for c in self.columns
        ]


def rows_seen_by(user, request: DataRequest):
    """The sender's side sees every row; a street or community only the rows in its area."""
    rows = RequestRow.objects.filter(request=request).select_related("region")
    if services.may_reply_for_sender(user, request.demand) or services.covers(
        user, request.demand.sender_path
    ):
        return rows
    return rows.visible_to(user)


def table(user, request: DataRequest) -> Table:
    return Table(
        request=request,
        columns=list(request.columns.all()),
        rows=list(rows_seen_by(user, request).order_by("region_path")),
    )


def workbook(shown: Table) -> bytes:
    """The table as .xlsx: the figures, and a second sheet saying where each came from."""
    from gridgov.lib import xlsx

    def heading(column) -> str:
        return f"{column.label}（{column.unit}）" if column.unit else column.label

    head = [xlsx.Column(_("Code")), xlsx.Column(_("Street or community"))]
    figures = xlsx.Sheet(
        title=_("Figures"),
        columns=head + [xlsx.Column(heading(c)) for c in shown.columns],
        rows=(
            [row.region.code, row.region.name, *(value for value, _s in shown.cells(row))]
            for row in shown.rows
        ),
    )
    labels = dict(Source.choices)
    sources = xlsx.Sheet(
        title=_("Where each figure came from"),
        columns=head + [xlsx.Column(heading(c)) for c in shown.columns],
        rows=(
            [
                row.region.code,
                row.region.name,
                *(str(labels.get(source, "")) for _v, source in shown.cells(row)),
            ]
            for row in shown.rows
        ),
    )
    return xlsx.workbook([figures, sources])
