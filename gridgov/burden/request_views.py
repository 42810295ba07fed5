"""The data request pages (报表): the request builder, a request's table (each value with
where it came from) and its Excel download, and a street's or community's form for the
columns the platform does not hold.

Commands go through gridgov.burden.data_requests (PermissionDenied: the 403 page; a
refusal: the form again with status 400, nothing saved). A table is read through
Demand.objects.visible_to and data_requests.table (the sender's side sees every row, a
community its own); out of scope is 404, and so is every page for users who have no part
in the burden module.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from gridgov.accounts.scoping import get_visible_or_404
from gridgov.burden import data_requests, queries, services
from gridgov.burden.models import (
    ColumnAnswer,
    DataRequest,
    Demand,
    DemandRecipient,
    RequestColumn,
    RequestRow,
    Source,
)
from gridgov.burden.request_forms import AnswerForm, DataRequestForm
from gridgov.lib import xlsx


def _with_part(user):
    if not queries.has_part(user):
        raise Http404


def _request(user, pk) -> DataRequest:
    """The data request of a demand the user sees (a held or refused one: not the places it
    names, which it never reached)."""
    _with_part(user)
    demand = get_visible_or_404(
        Demand.objects.select_related("matter", "sender_department", "sender_region", "sent_by"),
        user,
        pk=pk,
    )
    request = (
        DataRequest.objects.select_related("answered_from__demand").filter(demand=demand).first()
    )
    if request is None:
        raise Http404
    request.demand = demand
    return request


@dataclass
class Cell:
    column: RequestColumn
    value: object
    source: str
    answer: ColumnAnswer | None  # who gave a reused or typed value, and when

    @property
    def label(self) -> str:
        return Source(self.source).label if self.source in Source.values else ""


def _answers(rows) -> dict[int, ColumnAnswer]:
    """The answers behind the reused and typed cells of these rows, in one query."""
    ids = {pk for row in rows for pk in row.answers.values()}
    if not ids:
        return {}
    return {
        answer.pk: answer
        for answer in ColumnAnswer.objects.filter(pk__in=ids).select_related("answered_by")
    }


def _cells(shown: data_requests.Table, row: RequestRow, given: dict) -> list[Cell]:
    return [
        Cell(column, value, source, given.get(row.answers.get(str(column.position))))
        for column, (value, source) in zip(shown.columns, shown.cells(row), strict=True)
    ]


def _legend(rows) -> list[tuple]:
    """(source, its label, how many cells of these rows it filled) for each source."""
    counts = {
        Source.PLATFORM: sum(row.cells_platform for row in rows),
        Source.REUSED: sum(row.cells_reused for row in rows),
        Source.TYPED: sum(row.cells_typed for row in rows),
        Source.MISSING: sum(row.cells_missing for row in rows),
    }
    return [(source, source.label, counts[source]) for source in Source]


# --- the request builder -----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def request_new(request):
    user = request.user
    if not services.may_send(user):
        raise Http404
    office = services.sender_region(user)
    form = DataRequestForm(request.POST or None, office=office)
    if request.method == "POST" and form.is_valid():
        made = form.send(user)
        if made is not None:
            _tell_sender(request, made)
            return redirect("data_requests:table", pk=made.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "burden/request_form.html", {"form": form, "office": office}, status=status
    )


def _tell_sender(request, made: DataRequest) -> None:
    if made.answered_from_id:
        messages.success(
            request, _("Answered from your earlier request: nothing went down to the communities.")
        )
    elif not made.demand.reaches_communities:
        messages.warning(
            request,
            _(
                "The platform filled what it holds. The request names no matter on the "
                "admission list: nothing goes down until the burden office decides."
            ),
        )
    elif made.rows.filter(cells_missing__gt=0).exists():
        messages.success(
            request,
            _(
                "The platform filled what it holds; only the columns it does not hold went "
                "down to the communities."
            ),
        )
    else:
        messages.success(
            request, _("The platform filled the whole table: nothing went down to the communities.")
        )


# --- the table ---------------------------------------------------------------------------


@login_required
@require_GET
def table(request, pk):
    user = request.user
    made = _request(user, pk)
    shown = data_requests.table(user, made)
    given = _answers(shown.rows)
    answerable = {}
    if services.may_answer(user) and made.demand.reaches_communities:
        # The rows this user may still type into: a link to their form.
        answerable = {
            region_id: recipient_pk
            for region_id, recipient_pk, path in made.demand.recipients.values_list(
                "region_id", "pk", "region_path"
            )
            if services.covers(user, path)
        }
    rows = [
        {
            "row": row,
            "cells": _cells(shown, row, given),
            "answer_at": answerable.get(row.region_id) if row.cells_missing else None,
        }
        for row in shown.rows
    ]
    counts = _legend(shown.rows)
    total = sum(count for _source, _label, count in counts)
    platform = sum(row.cells_platform for row in shown.rows)
    context = {
        "made": made,
        "demand": made.demand,
        "columns": shown.columns,
        "rows": rows,
        "counts": counts,
        "platform_share": round(platform * 100 / total, 1) if total else None,
    }
    return render(request, "burden/request_table.html", context)


@login_required
@require_GET
def table_xlsx(request, pk):
    made = _request(request.user, pk)
    content = data_requests.workbook(data_requests.table(request.user, made))
    stamp = timezone.localtime().strftime("%Y%m%d")
    return xlsx.response(content, f"gridgov-request-{made.pk}-{stamp}.xlsx")


# --- a street's or community's answer ----------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def answer(request, pk):
    user = request.user
    _with_part(user)
    recipient = get_object_or_404(
        DemandRecipient.objects.visible_to(user).select_related(
            "demand__data_request", "demand__sender_department", "demand__sender_region", "region"
        ),
        pk=pk,
    )
    demand = recipient.demand
    # Only what reached the communities is theirs to see (as in their inbox).
    if not demand.reaches_communities or not hasattr(demand, "data_request"):
        raise Http404
    if not services.may_answer(user) or not services.covers(user, recipient.region_path):
        raise PermissionDenied(_("Only the street or community it went to answers it."))
    missing = data_requests.missing_columns(recipient)
    form = AnswerForm(request.POST or None, columns=missing)
    if request.method == "POST" and form.is_valid():
        answered = form.run(data_requests.answer_columns, user, recipient, form.values())
        if answered is not None:
            messages.success(
                request,
                _("Answered: %(place)s's row is complete.") % {"place": recipient.region.name},
            )
            return redirect("data_requests:table", pk=demand.pk)
    context = {"recipient": recipient, "demand": demand, "form": form, "missing": missing}
    if not missing:
        row = (
            RequestRow.objects.filter(request_id=demand.pk, region_id=recipient.region_id)
            .select_related("region")
            .first()
        )
        if row is not None:
            shown = data_requests.Table(
                request=demand.data_request,
                columns=list(demand.data_request.columns.all()),
                rows=[row],
            )
            context["cells"] = _cells(shown, row, _answers([row]))
            context["counts"] = _legend([row])
    status = 400 if request.method == "POST" else 200
    return render(request, "burden/request_answer.html", context, status=status)
