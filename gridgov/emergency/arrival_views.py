"""The arrival pages: the list of arrivals of one's area and its export, an arrival with
the decision and the measures' tasks, a report by staff, a spreadsheet import, the tasks
worklist; and the public page where people report their own arrival.

Every command is arrivals.report / report_many / finish_task / close_measure /
reveal_arrival (PermissionDenied: the 403 page; ValidationError: the form again with the
messages, status 400, nothing changed). Arrivals are personal data, seen as the registry's
are: a grid worker their grids, a department handler and a resident none (404), as
anything outside one's area; their numbers masked, unmasked only through the audited
reveal, as a registered person's.
"""

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts.scoping import get_visible_or_404
from gridgov.cases.idempotency import form_idempotency_key
from gridgov.cases.services import InvalidInput
from gridgov.emergency import arrivals, divisions
from gridgov.emergency.arrival_forms import (
    ORIGIN_LIST,
    ArrivalFilterForm,
    ArrivalForm,
    ArrivalImportForm,
    MeasureCloseForm,
    SelfReportForm,
    TaskDoneForm,
    buildings_of,
    staff_buildings,
)
from gridgov.emergency.arrival_import import HEADERS, import_arrivals
from gridgov.emergency.models import Arrival, Measure, MeasureState, MeasureTask
from gridgov.lib import xlsx
from gridgov.lib.ratelimit import allow, client_ip
from gridgov.registry.forms import RevealForm, add_service_errors
from gridgov.registry.importing import ImportFileError, limits
from gridgov.registry.models import registry_scope

PER_PAGE = 50
EXPORT_MAX_ROWS = 50_000
# How long a self-report's idempotency key remembers the arrival it made.
KEY_SECONDS = 24 * 3600


def _staff(request):
    """Roles that see no one's personal data (residents, department handlers) have no
    arrival pages at all."""
    if registry_scope(request.user) == []:
        raise Http404


def _reporter(request):
    _staff(request)
    if not arrivals.may_report(request.user):
        raise PermissionDenied


# --- the list ---------------------------------------------------------------------------


def _filtered(request):
    """The filter form and the arrivals of the user's area it selects, newest first; an
    invalid filter selects them all, the form saying why."""
    filters = ArrivalFilterForm(request.GET or None)
    active = Measure.objects.filter(arrival=OuterRef("pk"), state=MeasureState.ACTIVE)
    shown = (
        Arrival.objects.visible_to(request.user)
        .select_related("region__parent")
        .annotate(has_active=Exists(active))
        .order_by("-reported_at", "-pk")
    )
    if request.GET and filters.is_valid():
        data = filters.cleaned_data
        if data["risk_level"]:
            shown = shown.filter(risk_level=data["risk_level"])
        if data["late"]:
            shown = shown.filter(late=True)
        if data["active"]:
            shown = shown.filter(has_active=True)
        if data["since"]:
            shown = shown.filter(arrived_at__date__gte=data["since"])
        if data["until"]:
            shown = shown.filter(arrived_at__date__lte=data["until"])
    return filters, shown


@login_required
@require_GET
def arrival_list(request):
    _staff(request)
    filters, shown = _filtered(request)
    page = Paginator(
        shown.prefetch_related(Prefetch("measures", Measure.objects.order_by("starts_on"))),
        PER_PAGE,
    ).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filters": filters,
        "page": page,
        "query": query.urlencode(),
        "may_report": arrivals.may_report(request.user),
    }
    status = 400 if request.GET and not filters.is_valid() else 200
    return render(request, "emergency/arrivals/list.html", context, status=status)


@login_required
@require_GET
def arrival_export(request):
    _staff(request)
    filters, shown = _filtered(request)
    if request.GET and not filters.is_valid():
        return HttpResponse(
            "\n".join(str(e) for errors in filters.errors.values() for e in errors),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    rows = (
        [
            arrival.masked_name,
            arrival.masked_phone,
            arrival.origin_name,
            arrival.origin_code,
            arrival.left_on,
            arrival.arrived_at,
            arrival.reported_at,
            arrival.get_risk_level_display(),
            "；".join(
                f"{m.get_kind_display()} {m.starts_on:%Y-%m-%d}–{m.ends_on:%Y-%m-%d} "
                f"({m.get_state_display()})"
                for m in arrival.measures.all()
            ),
            _("yes") if arrival.late else "",
            f"{arrival.region.parent.name} {arrival.region.name}",
            arrival.get_channel_display(),
        ]
        for arrival in shown.prefetch_related("measures")[:EXPORT_MAX_ROWS].iterator(
            chunk_size=2000
        )
    )
    columns = [
        xlsx.Column(_("Name")),
        xlsx.Column(_("Phone")),
        xlsx.Column(_("Coming from")),
        xlsx.Column(_("Division code")),
        xlsx.Column(_("Left on")),
        xlsx.Column(_("Arrived at")),
        xlsx.Column(_("Reported at")),
        xlsx.Column(_("Origin's risk level")),
        xlsx.Column(_("Measures")),
        xlsx.Column(_("Reported late")),
        xlsx.Column(_("Staying at")),
        xlsx.Column(_("Reported by")),
    ]
    content = xlsx.workbook([xlsx.Sheet(_("Arrivals"), columns, rows)])
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return xlsx.response(content, f"gridgov-arrivals-{stamp}.xlsx")


# --- one arrival ------------------------------------------------------------------------


def _arrival_context(
    request,
    arrival,
    *,
    task_form=None,
    task_pk=None,
    close_form=None,
    measure_pk=None,
    reveal_form=None,
    revealed=None,
):
    user = request.user
    may_act = arrivals.may_report(user)
    now, today = timezone.now(), timezone.localdate()
    measures = list(
        arrival.measures.prefetch_related(
            Prefetch("tasks", MeasureTask.objects.select_related("done_by").order_by("due_at"))
        ).order_by("starts_on", "pk")
    )
    for measure in measures:
        measure.task_rows = []
        for task in measure.tasks.all():
            task.overdue = task.is_overdue(now)
            task.form = None
            if may_act and task.done_at is None and not task.cancelled:
                task.form = task_form if task.pk == task_pk else TaskDoneForm()
            measure.task_rows.append(task)
        measure.close_form = None
        if may_act and measure.state == MeasureState.ACTIVE:
            measure.close_form = close_form if measure.pk == measure_pk else MeasureCloseForm()
            measure.may_end_now = today >= measure.ends_on
    return {
        "arrival": arrival,
        "measures": measures,
        "may_reveal": arrivals.may_reveal(user),
        "reveal_form": reveal_form or RevealForm(),
        "revealed": revealed,
    }


def _arrival(request, pk) -> Arrival:
    _staff(request)
    return get_visible_or_404(
        Arrival.objects.select_related(
            "region__parent", "room", "policy_version", "reported_by", "person"
        ),
        request.user,
        pk=pk,
    )


@login_required
@require_GET
def arrival_detail(request, pk):
    arrival = _arrival(request, pk)
    return render(request, "emergency/arrivals/detail.html", _arrival_context(request, arrival))


@login_required
@require_POST
def task_done(request, pk):
    _staff(request)
    task = get_visible_or_404(
        MeasureTask.objects.select_related("measure__arrival"), request.user, pk=pk
    )
    form = TaskDoneForm(request.POST)
    if form.is_valid():
        try:
            arrivals.finish_task(request.user, task, form.cleaned_data["note"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("%(task)s: done.") % {"task": task.get_kind_display()})
            if request.POST.get("back") == "tasks":
                return redirect("emergency:task_list")
            return redirect("emergency:arrival_detail", pk=task.measure.arrival_id)
    if request.POST.get("back") == "tasks":
        return _task_page(request, task_form=form, task_pk=task.pk, status=400)
    arrival = _arrival(request, task.measure.arrival_id)
    context = _arrival_context(request, arrival, task_form=form, task_pk=task.pk)
    context["stray"] = form
    return render(request, "emergency/arrivals/detail.html", context, status=400)


@login_required
@require_POST
def measure_close(request, pk):
    _staff(request)
    measure = get_visible_or_404(Measure.objects.all(), request.user, pk=pk)
    form = MeasureCloseForm(request.POST)
    if form.is_valid():
        try:
            arrivals.close_measure(
                request.user,
                measure,
                form.cleaned_data["outcome"],
                early=form.cleaned_data["early"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The measure has ended."))
            return redirect("emergency:arrival_detail", pk=measure.arrival_id)
    arrival = _arrival(request, measure.arrival_id)
    context = _arrival_context(request, arrival, close_form=form, measure_pk=measure.pk)
    context["stray"] = form
    return render(request, "emergency/arrivals/detail.html", context, status=400)


@login_required
@require_POST
def arrival_reveal(request, pk):
    arrival = _arrival(request, pk)
    if not arrivals.may_reveal(request.user):
        raise PermissionDenied(_("Your role may not see personal numbers unmasked."))
    form = RevealForm(request.POST)
    revealed = None
    if form.is_valid():
        try:
            revealed = arrivals.reveal_arrival(request.user, arrival, form.cleaned_data["purpose"])
        except ValidationError as error:
            add_service_errors(form, error)
    context = _arrival_context(request, arrival, reveal_form=form, revealed=revealed)
    response = render(
        request,
        "emergency/arrivals/detail.html",
        context,
        status=200 if revealed is not None else 400,
    )
    # The numbers are shown once: not kept by the browser or any cache on the way.
    response["Cache-Control"] = "no-store"
    return response


# --- reporting --------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def arrival_new(request):
    _reporter(request)
    buildings = list(staff_buildings(request.user))
    form = ArrivalForm(request.POST or None, buildings=buildings)
    if request.method == "POST" and form.is_valid():
        try:
            arrival = arrivals.report(request.user, form.to_input())
        except ValidationError as error:
            add_service_errors(form, _on_form_fields(error))
        else:
            messages.success(request, _("Reported. The decision is below."))
            return redirect("emergency:arrival_detail", pk=arrival.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "origin_list": ORIGIN_LIST}
    return render(request, "emergency/arrivals/form.html", context, status=status)


def _on_form_fields(error: ValidationError) -> ValidationError:
    """report() names where they stay `region`; the forms call it `building`."""
    if not hasattr(error, "error_dict"):
        return error
    named = {("building" if k == "region" else k): v for k, v in error.message_dict.items()}
    return ValidationError(named)


# --- the worklist -----------------------------------------------------------------------


def _task_page(request, *, task_form=None, task_pk=None, status=200):
    may_act = arrivals.may_report(request.user)
    page = Paginator(
        arrivals.tasks_for(request.user).select_related("measure__arrival__region__parent"),
        PER_PAGE,
    ).get_page(request.GET.get("page"))
    now = timezone.now()
    for task in page.object_list:
        task.overdue = task.is_overdue(now)
        task.form = (task_form if task.pk == task_pk else TaskDoneForm()) if may_act else None
    context = {
        "page": page,
        "stray": task_form if task_pk else None,
        "may_report": may_act,
    }
    return render(request, "emergency/arrivals/tasks.html", context, status=status)


@login_required
@require_GET
def task_list(request):
    _staff(request)
    return _task_page(request)


# --- spreadsheet import -----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def arrival_import(request):
    _reporter(request)
    context = {
        "columns": [words[0] for words in HEADERS.values()],
        "limit_mb": f"{limits()['MAX_BYTES'] / 2**20:g}",
    }
    form = context["form"] = ArrivalImportForm(request.POST or None, request.FILES or None)
    if request.method != "POST":
        return render(request, "emergency/arrivals/import.html", context)
    if not form.is_valid():
        return render(request, "emergency/arrivals/import.html", context, status=400)
    upload = form.cleaned_data["file"]
    dry_run = request.POST.get("action") != "import"
    try:
        result = import_arrivals(request.user, upload, size=upload.size, dry_run=dry_run)
    except ImportFileError as error:
        context["file_error"] = str(error)
        status = 413 if upload.size > limits()["MAX_BYTES"] else 400
        return render(request, "emergency/arrivals/import.html", context, status=status)
    context.update(result=result, dry_run=dry_run, file_name=upload.name)
    status = 200 if result.ok else 400
    return render(request, "emergency/arrivals/import.html", context, status=status)


@login_required
@require_GET
def arrival_import_template(request):
    _reporter(request)
    explained = [
        ("姓名", _("Full name (required)")),
        ("证件类型", _("居民身份证, 护照, 港澳通行证 … (居民身份证 when empty)")),
        ("证件号码", _("Format the column as text, or Excel drops digits")),
        ("联系电话", _("A mobile or landline number")),
        ("来源地代码", _("The national division code, e.g. 420103")),
        ("来源地", _("Or the place's name when it names one division, e.g. 武汉市江汉区")),
        ("离开日期", _("The day they left, e.g. 2026-03-08 (required)")),
        ("抵达时间", _("The day and time they arrived, e.g. 2026-03-09 14:30 (required)")),
        ("居住楼栋", _("The code or name of a building of your area (required)")),
        ("房号", _("e.g. 302 or 2-302")),
        ("报告渠道", _("网格员, 用人单位 or 酒店; a spreadsheet when empty")),
        ("报告单位", _("The employer or hotel that reported them")),
    ]
    content = xlsx.workbook(
        [
            xlsx.Sheet(
                _("Arrivals"),
                [xlsx.Column(words[0]) for words in HEADERS.values()],
                [],
            ),
            xlsx.Sheet(
                _("Columns"), [xlsx.Column(_("Column")), xlsx.Column(_("What to enter"))], explained
            ),
        ]
    )
    return xlsx.response(content, "gridgov-arrivals-template.xlsx")


# --- the public self-report -------------------------------------------------------------


def _self_report_page(request, form, status=200):
    context = {"form": form, "origin_list": ORIGIN_LIST}
    return render(request, "emergency/arrivals/public_form.html", context, status=status)


def _confirmation(request, arrival):
    measures = list(arrival.measures.order_by("starts_on"))
    return render(
        request,
        "emergency/arrivals/public_done.html",
        {"arrival": arrival, "measures": measures},
    )


@require_http_methods(["GET", "POST"])
def arrive(request):
    """No account: the person reports themselves. A fresh key in each form served makes a
    double click or a resent form one arrival, and the page is rate-limited per address
    as the public case report is."""
    if request.method == "GET":
        return _self_report_page(request, SelfReportForm(initial={"idempotency_key": _new_key()}))
    if request.POST.get("action") == "buildings":
        # The plain two-step way: the community chosen, its buildings to choose from.
        return _self_report_page(request, SelfReportForm(initial=request.POST.dict()))
    form = SelfReportForm(request.POST)
    if not allow("arrive", client_ip(request), settings.GRIDGOV_PUBLIC_REPORTS_PER_HOUR, 3600):
        form.is_valid()
        form.add_error(None, _("Too many reports from this connection; try again later."))
        return _self_report_page(request, form, status=429)
    if not form.is_valid():
        return _self_report_page(request, form, status=400)
    try:
        key = form_idempotency_key(request)
    except InvalidInput as error:
        form.add_error(None, str(error))
        return _self_report_page(request, form, status=400)
    slot = f"emergency:arrive:{key}" if key else None
    if slot and not cache.add(slot, 0, KEY_SECONDS):
        arrival = Arrival.objects.filter(pk=cache.get(slot) or 0).first()
        if arrival is not None:
            return _confirmation(request, arrival)
        form.add_error(None, _("This report is being sent; wait a moment and reload the page."))
        return _self_report_page(request, form, status=409)
    try:
        arrival = arrivals.report(None, form.to_input())
    except ValidationError as error:
        if slot:
            cache.delete(slot)
        add_service_errors(form, _on_form_fields(error))
        return _self_report_page(request, form, status=400)
    if slot:
        cache.set(slot, arrival.pk, KEY_SECONDS)
    return _confirmation(request, arrival)


def _new_key() -> str:
    return uuid.uuid4().hex


@require_GET
def division_suggestions(request):
    """Divisions matching a code or a name fragment, for the origin field's suggestions:
    public reference data, as the published lists of risk areas are."""
    found = divisions.search(request.GET.get("q", "")[:40], limit=20)
    return JsonResponse(
        {"results": [{"code": d.code, "name": d.full_name} for d in found]},
        json_dumps_params={"ensure_ascii": False},
    )


@require_GET
def community_buildings(request):
    """The buildings of a community of the city, for the self-report's second select."""
    found = buildings_of(request.GET.get("community", "")[:32])
    return JsonResponse(
        {"results": [{"code": b.code, "name": b.name} for b in found]},
        json_dumps_params={"ensure_ascii": False},
    )
