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
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts.choices import Role
from gridgov.accounts.scoping import ALL, scope_path
from gridgov.cases import exports, queries, services
from gridgov.cases.choices import Action, Status
from gridgov.cases.forms import ACTION_FORMS, IntakeForm, leaf_categories
from gridgov.cases.idempotency import form_idempotency_key
from gridgov.cases.models import Case
from gridgov.lib.datum import convert
from gridgov.lib.validators import version_problem
from gridgov.regions.choices import Level
from gridgov.regions.models import Region
from gridgov.regions.queries import scope_root
from gridgov.registry.lookup import place_of_case, registry_lookup

CASES_PER_PAGE = 25
# At most this many grids are offered by name at once; above it the area is picked first.
GRID_OPTIONS_LIMIT = 600
AREA_LEVELS = [Level.DISTRICT, Level.STREET, Level.COMMUNITY]


class WorklistFilterForm(forms.Form):
    """The staff worklist's search and filters. Every area it names is looked up inside the
    user's scope; one outside it is refused like one that does not exist."""

    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100)
    category = forms.ModelChoiceField(
        label=gettext_lazy("Category"), queryset=None, required=False, to_field_name="code"
    )
    # A code, so that links can name any area (a grid too); the page offers the names.
    region = forms.CharField(
        label=gettext_lazy("Area"), required=False, max_length=32, widget=forms.Select
    )
    grid = forms.CharField(
        label=gettext_lazy("Grid"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"list": "worklist-grids", "autocomplete": "off"}),
    )
    received_from = forms.DateField(
        label=gettext_lazy("Received from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    received_to = forms.DateField(
        label=gettext_lazy("to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["category"].queryset = leaf_categories()
        self.regions = Region.objects.visible_to(user)
        self.fields["q"].widget.attrs["placeholder"] = (
            _("Case number, reporter's phone or keyword")
            if queries.may_search_by_phone(user)
            else _("Case number or keyword")
        )
        self.search = queries.Search("", "")
        self.grid_options: list[Region] = []
        self.too_many_grids = False

    @property
    def narrowed(self) -> bool:
        """Whether any filter besides the search is set or refused: then they show open."""
        names = [name for name in self.fields if name != "q"]
        return any(self.data.get(name) for name in names) or any(
            name in self.errors for name in names
        )

    def clean_q(self):
        self.search = queries.parse_search(self.user, self.cleaned_data["q"])
        if self.search.kind == "refused":
            raise forms.ValidationError(_("Your role may not search by a reporter's phone."))
        return self.cleaned_data["q"]

    def clean_region(self):
        code = self.cleaned_data["region"].strip()
        if not code:
            return None
        region = self.regions.filter(code=code).only("code", "name", "level", "path").first()
        if region is None:
            raise forms.ValidationError(_("No region in your area has this code."))
        return region

    def _area_choices(self, area):
        """The districts and streets of the scope by name, and the communities: all of them
        below a district's scope, and in a city-wide scope those of the street picked."""
        path = scope_path(self.user)
        communities = Q(level=Level.COMMUNITY)
        if path is ALL or path.count("/") == 1:
            street = "/".join(area.path.split("/")[:3]) + "/" if area else None
            communities &= Q(path__startswith=street) if street else Q(pk__in=[])
        areas = self.regions.filter(
            Q(level__in=[Level.DISTRICT, Level.STREET]) | communities
        ).order_by("path")
        indent = {Level.DISTRICT: "", Level.STREET: "\u3000", Level.COMMUNITY: "\u3000\u3000"}
        choices = [("", _("Everywhere"))] + [
            (region.code, indent[region.level] + region.name)
            for region in areas.only("code", "name", "level")
        ]
        if area is not None and area.level not in AREA_LEVELS:
            # A link may name a grid or a building: show it as the picked area.
            choices.append((area.code, area.name))
        return choices

    def clean(self):
        data = super().clean()
        area = data.get("region")
        self.fields["region"].widget.choices = self._area_choices(area)
        grids = self.regions.filter(level=Level.GRID)
        if area is not None:
            grids = grids.filter(path__startswith=area.path)
        name = (data.get("grid") or "").strip()
        if name:
            matches = list(grids.filter(Q(name=name) | Q(code=name)).only("path"))
            if not matches:
                self.add_error("grid", _("No grid of that name in the chosen area."))
            data["grid"] = matches
        offered = list(
            grids.select_related("parent").only("code", "name", "path", "parent__name")[
                : GRID_OPTIONS_LIMIT + 1
            ]
        )
        self.too_many_grids = len(offered) > GRID_OPTIONS_LIMIT
        self.grid_options = [] if self.too_many_grids else offered
        return data

    def apply(self, cases):
        data = self.cleaned_data
        cases = self.search.apply(self.user, cases)
        if data.get("category"):
            cases = cases.filter(category=data["category"])
        if data.get("region"):
            cases = cases.filter(region_path__startswith=data["region"].path)
        if data.get("grid"):
            paths = Q()
            for grid in data["grid"]:
                paths |= Q(region_path__startswith=grid.path)
            cases = cases.filter(paths)
        if data.get("received_from"):
            cases = cases.filter(received_at__date__gte=data["received_from"])
        if data.get("received_to"):
            cases = cases.filter(received_at__date__lte=data["received_to"])
        return cases


def _worklist(request):
    """(lists, key, filters, cases): the user's worklist `key` with the page's search and
    filters applied; no case when the filters are refused (filters.errors say why)."""
    if request.user.role == Role.RESIDENT:
        raise PermissionDenied
    lists = queries.worklists_for(request.user)
    key = request.GET.get("list") or lists[0].key
    if key not in {w.key for w in lists}:
        raise Http404
    filters = WorklistFilterForm(request.GET, user=request.user)
    cases = queries.worklist(request.user, key)
    cases = filters.apply(cases) if filters.is_valid() else cases.none()
    return lists, key, filters, cases


def remaining_text(due, now) -> str:
    """The time left to a deadline, or past it, in its largest whole unit: 剩 3 小时, 超期 2 天."""
    seconds = int((due - now).total_seconds())
    late, seconds = seconds <= 0, abs(seconds)
    if seconds >= 86400:
        count = seconds // 86400
        if late:
            text = ngettext("Overdue by %(count)d day", "Overdue by %(count)d days", count)
        else:
            text = ngettext("%(count)d day left", "%(count)d days left", count)
    elif seconds >= 3600:
        count = seconds // 3600
        if late:
            text = ngettext("Overdue by %(count)d hour", "Overdue by %(count)d hours", count)
        else:
            text = ngettext("%(count)d hour left", "%(count)d hours left", count)
    else:
        count = max(seconds // 60, 1)
        if late:
            text = ngettext("Overdue by %(count)d minute", "Overdue by %(count)d minutes", count)
        else:
            text = ngettext("%(count)d minute left", "%(count)d minutes left", count)
    return text % {"count": count}


# Sortable columns, and the way each sorts on its first click.
SORT_COLUMNS = {
    "deadline": "deadline",
    "number": "number",
    "received": "-received",
    "status": "status",
}


def _sort_links(query, sort: str) -> dict[str, dict]:
    links = {}
    for column, first in SORT_COLUMNS.items():
        if sort.removeprefix("-") == column:
            target = column if sort.startswith("-") else f"-{column}"
            state = "descending" if sort.startswith("-") else "ascending"
        else:
            target, state = first, ""
        query["sort"] = target
        links[column] = {"url": query.urlencode(), "state": state}
    return links


@login_required
@require_GET
def worklist(request):
    if request.user.role == Role.RESIDENT:
        return _resident_cases(request)
    lists, key, filters, cases = _worklist(request)
    cases, sort = queries.sort_cases(cases, request.GET.get("sort"))
    now = timezone.now()
    counts = {}
    if filters.is_valid():
        counts = queries.worklist_counts(
            request.user,
            [w.key for w in lists],
            filters.apply(Case.objects.visible_to(request.user)),
            now,
        )
    paginator = Paginator(cases, CASES_PER_PAGE)
    if key in counts:
        paginator.count = counts[key]  # the tabs' counts hold it already: no second COUNT
    page = paginator.get_page(request.GET.get("page"))
    counts.setdefault(key, paginator.count)
    for case in page.object_list:
        case.deadline_colour = case.deadline_state(now)
        due = case.current_due_at() if case.deadline_colour != "none" else None
        case.deadline_text = remaining_text(due, now) if due else ""
    if filters.is_valid() and filters.search.kind == "phone":
        queries.record_phone_search(request.user, page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    query["sort"] = sort
    tabs_query = query.copy()
    tabs_query.pop("list", None)
    sort_query = query.copy()
    return render(
        request,
        "cases/worklist.html",
        {
            "tabs": [(w, counts.get(w.key)) for w in lists],
            "current": key,
            "filters": filters,
            "page": page,
            "query": query.urlencode(),
            "tabs_query": tabs_query.urlencode(),
            "sort": sort,
            "sort_links": _sort_links(sort_query, sort),
            "can_intake": request.user.role in services.INTAKE_ROLES,
        },
        status=200 if filters.is_valid() else 400,
    )


def _resident_cases(request):
    """A resident's own reports, plainly: no work piles, filters or export."""
    cases = Case.objects.visible_to(request.user).order_by("-received_at", "-pk")
    page = Paginator(cases, CASES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "cases/worklist.html", {"resident": True, "page": page, "query": ""})


@login_required
@require_GET
def worklist_export(request):
    lists, key, filters, cases = _worklist(request)
    if not filters.is_valid():
        return HttpResponse(
            "\n".join(str(e) for errors in filters.errors.values() for e in errors),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    if filters.search.kind == "phone":
        queries.record_phone_search(
            request.user, cases.select_related(None).only("reporter_id")[: exports.MAX_ROWS]
        )
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
        take_in = (
            services.intake_and_dispatch
            if request.POST.get("dispatch_now")
            else services.intake_case
        )
        try:
            result = take_in(
                request.user,
                services.fill_from_registry(request.user, request.POST),
                request.FILES,
                idempotency_key=form_idempotency_key(request),
            )
        except services.CaseError as exc:
            form = IntakeForm(request.POST, request.FILES)
            form.is_valid()
            _add_service_errors(form, exc)
            return render(
                request, "cases/intake.html", _intake_context(request, form), status=exc.status
            )
        messages.success(request, _("Case %(number)s taken in.") % {"number": result.case.number})
        if result.created and result.case.status == Status.DISPATCHED:
            messages.success(
                request,
                _("Registered and dispatched to %(units)s.")
                % {"units": "、".join(a.unit_name for a in result.case.assignments.all())},
            )
        for warning in result.warnings:
            messages.warning(request, warning)
        return redirect("cases:detail", number=result.case.number)
    return render(
        request, "cases/intake.html", _intake_context(request, IntakeForm(initial=initial))
    )


@login_required
@require_GET
def intake_suggestion(request):
    """The unit the dispatch rules would choose for the intake form's category and place."""
    if not services.may_dispatch_on_intake(request.user):
        raise PermissionDenied
    suggestion = services.intake_suggestion(request.GET)
    if suggestion is None:
        return JsonResponse({"unit": None, "explanation": ""})
    return JsonResponse({"unit": suggestion.unit_name, "explanation": suggestion.explanation})


@login_required
@require_GET
def intake_person_lookup(request):
    """Registered persons the operator may see, found by name, phone or ID number, to take
    a case in for one without retyping them. Numbers come back masked."""
    if request.user.role not in services.INTAKE_ROLES and not request.user.is_superuser:
        raise PermissionDenied
    persons = registry_lookup(request.user, request.GET.get("q", ""))
    return JsonResponse(
        {
            "results": [
                {
                    "id": person.pk,
                    "name": person.name,
                    "phone": person.masked_phone,
                    "document": person.masked_document,
                    "address": str(person.household.room) if person.household_id else "",
                }
                for person in persons
            ]
        }
    )


def _intake_context(request, form):
    return {
        "form": form,
        "map_region": scope_root(request.user),
        "may_dispatch_now": services.may_dispatch_on_intake(request.user),
    }


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
        "place": place_of_case(request.user, case),
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
        version = (request.POST.get("version") or "").strip() or None
        if problem := version_problem(version):
            # A tampered version is bad input (400), as in the API, not a stale case.
            raise services.InvalidInput(problem, {"version": [{"message": problem}]})
        services.perform(
            request.user, number, action, request.POST, request.FILES, expected_version=version
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
