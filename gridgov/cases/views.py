"""Pages for staff: worklists, the case page with its actions, intake, Excel export.

Views stay thin: reads go through queries.worklist / services.access_case, writes through
services.intake_case / services.perform — the same functions the API calls.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts.choices import Role
from gridgov.cases import exports, queries, services
from gridgov.cases.choices import Action
from gridgov.cases.forms import ACTION_FORMS, IntakeForm, leaf_categories
from gridgov.cases.idempotency import form_idempotency_key
from gridgov.lib.datum import convert
from gridgov.regions.models import Region
from gridgov.regions.queries import scope_root

CASES_PER_PAGE = 25


class WorklistFilterForm(forms.Form):
    category = forms.ModelChoiceField(
        label=gettext_lazy("Category"), queryset=None, required=False, to_field_name="code"
    )
    region = forms.CharField(label=gettext_lazy("Area code"), required=False, max_length=32)
    received_from = forms.DateField(
        label=gettext_lazy("Received from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    received_to = forms.DateField(
        label=gettext_lazy("to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = leaf_categories()

    def apply(self, cases):
        data = self.cleaned_data
        if data.get("category"):
            cases = cases.filter(category=data["category"])
        if data.get("region"):
            region = Region.objects.filter(code=data["region"]).first()
            cases = cases.filter(region_path__startswith=region.path) if region else cases.none()
        if data.get("received_from"):
            cases = cases.filter(received_at__date__gte=data["received_from"])
        if data.get("received_to"):
            cases = cases.filter(received_at__date__lte=data["received_to"])
        return cases


def _worklist(request):
    lists = queries.worklists_for(request.user)
    key = request.GET.get("list") or lists[0].key
    if key not in {w.key for w in lists}:
        raise Http404
    filters = WorklistFilterForm(request.GET or None)
    cases = queries.worklist(request.user, key)
    if filters.is_valid():
        cases = filters.apply(cases)
    return lists, key, filters, cases


@login_required
@require_GET
def worklist(request):
    lists, key, filters, cases = _worklist(request)
    page = Paginator(cases, CASES_PER_PAGE).get_page(request.GET.get("page"))
    now = timezone.now()
    for case in page.object_list:
        case.deadline_colour = case.deadline_state(now)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cases/worklist.html",
        {
            "lists": lists,
            "current": key,
            "filters": filters,
            "page": page,
            "query": query.urlencode(),
            "can_intake": request.user.role in services.INTAKE_ROLES,
        },
    )


@login_required
@require_GET
def worklist_export(request):
    lists, key, filters, cases = _worklist(request)
    title = next(w.label for w in lists if w.key == key)
    return _xlsx(exports.cases_workbook(cases, str(title)), f"gridgov-{key}")


def _xlsx(workbook_bytes: bytes, name: str) -> HttpResponse:
    response = HttpResponse(
        workbook_bytes,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.xlsx"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def intake(request):
    if request.user.role not in services.INTAKE_ROLES and not request.user.is_superuser:
        raise PermissionDenied
    initial = {"channel": "grid_patrol" if request.user.role == Role.GRID_WORKER else "hotline"}
    if request.method == "POST":
        try:
            result = services.intake_case(
                request.user,
                request.POST,
                request.FILES,
                idempotency_key=form_idempotency_key(request),
            )
        except services.InvalidInput as exc:
            form = IntakeForm(request.POST, request.FILES)
            form.is_valid()
            _add_service_errors(form, exc)
            return render(request, "cases/intake.html", _intake_context(request, form), status=400)
        messages.success(request, _("Case %(number)s taken in.") % {"number": result.case.number})
        for warning in result.warnings:
            messages.warning(request, warning)
        return redirect("cases:detail", number=result.case.number)
    return render(
        request, "cases/intake.html", _intake_context(request, IntakeForm(initial=initial))
    )


def _intake_context(request, form):
    return {"form": form, "map_region": scope_root(request.user)}


def _add_service_errors(form, exc):
    for field_name, errors in exc.errors.items():
        for error in errors:
            message = error["message"] if isinstance(error, dict) else str(error)
            target = field_name if field_name in form.fields else None
            if target is None or message not in form.errors.get(target, []):
                form.add_error(target, message)
    if not exc.errors:
        form.add_error(None, exc.message)


@login_required
@require_GET
def detail(request, number):
    return _render_detail(request, number)


def _render_detail(request, number, action_forms=None, reporter=None, status=200):
    case = services.access_case(request.user, number)
    actions = services.available_actions(request.user, case)
    forms_by_action = action_forms or {}
    action_blocks = []
    for action in actions:
        form = forms_by_action.get(action) or ACTION_FORMS[action](
            case=case, actor=request.user, auto_id=f"id_{action}_%s"
        )
        action_blocks.append({"action": action, "label": Action(action).label, "form": form})
    context = {
        "case": case,
        "deadline_colour": case.deadline_state(),
        "events": case.events.select_related("actor").prefetch_related("attachments"),
        "assignments": case.assignments.select_related("department", "office"),
        "attachments": case.attachments.all(),
        "action_blocks": action_blocks,
        "reporter": reporter,
        "may_reveal": case.reporter_id is not None
        and services.may_reveal_reporter(request.user, case),
        "suggestion": _suggestion(case, actions),
        "duplicates": case.duplicates.all(),
        "map_point": _map_point(case),
    }
    return render(request, "cases/detail.html", context, status=status)


def _map_point(case):
    if case.lng is None:
        return None
    return convert(case.lng, case.lat, case.datum, settings.MAP_DATUM)


def _suggestion(case, actions):
    if Action.DISPATCH not in actions:
        return None
    from gridgov.cases.routing import suggest_unit

    return suggest_unit(case)


@login_required
@require_POST
def act(request, number, action):
    if action not in ACTION_FORMS:
        raise Http404
    try:
        services.perform(
            request.user,
            number,
            action,
            request.POST,
            request.FILES,
            expected_version=request.POST.get("version") or None,
        )
    except services.InvalidInput as exc:
        case = services.access_case(request.user, number)
        form = ACTION_FORMS[action](
            request.POST,
            request.FILES,
            case=case,
            actor=request.user,
            auto_id=f"id_{action}_%s",
        )
        form.is_valid()
        _add_service_errors(form, exc)
        messages.error(request, exc.message)
        return _render_detail(request, number, action_forms={action: form}, status=400)
    except services.StaleCase as exc:
        messages.error(request, exc.message)
        return redirect("cases:detail", number=number)
    except (services.ActionRefused, services.NotAllowed) as exc:
        messages.error(request, exc.message)
        return _render_detail(request, number, status=exc.status)
    messages.success(request, _("Done: %(action)s.") % {"action": Action(action).label})
    return redirect("cases:detail", number=number)


@login_required
@require_GET
def photo(request, number, pk):
    """Photos are case data: served only to those who may see the case."""
    case = services.access_case(request.user, number)
    attachment = case.attachments.filter(pk=pk).first()
    if attachment is None:
        raise Http404
    return FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)


@login_required
@require_POST
def reveal_reporter(request, number):
    case = services.access_case(request.user, number)
    reporter = services.reveal_reporter(request.user, case, purpose=request.POST.get("purpose", ""))
    return _render_detail(request, number, reporter=reporter)
