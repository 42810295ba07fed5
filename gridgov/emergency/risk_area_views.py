"""Risk areas (风险区): the staff list with the downgrades due, designating one, an area's
page with its history and level changes; and the public list of the current ones.

Staff see the city's risk areas within their scope and every area outside the city
(public knowledge). Who manages them (services.may_manage_risk) sees the forms; the
commands are services.set_risk_area and services.change_risk_level (PermissionDenied: the
403 page; a refusal: the page again with status 400, nothing changed).
"""

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts.scoping import get_visible_or_404
from gridgov.emergency import services
from gridgov.emergency.arrival_forms import ORIGIN_LIST
from gridgov.emergency.choices import LEVEL_RANK, RiskLevel
from gridgov.emergency.models import RiskArea
from gridgov.emergency.overview_views import require_staff
from gridgov.emergency.risk_area_forms import LEVEL_CHOICES, LIFT, RiskAreaForm, RiskLevelForm
from gridgov.regions.queries import scope_root

PER_PAGE = 50
PUBLIC_MAX_AGE = 300
AREA_LEVELS = [value for value, _label in LEVEL_CHOICES]


def may_designate(user) -> bool:
    """Whether the user manages any risk area: in their own area, or outside the city."""
    return services.may_manage_risk(user, scope_root(user)) or services.may_manage_risk(user, None)


# --- the staff list ---------------------------------------------------------------------


@login_required
@require_GET
def risk_area_list(request):
    require_staff(request)
    user = request.user
    show_all = request.GET.get("all") == "1"
    level = request.GET.get("level") if request.GET.get("level") in AREA_LEVELS else ""
    visible = RiskArea.objects.visible_to(user)
    listed = visible if show_all else visible.current()
    counts = dict(listed.order_by().values_list("level").annotate(Count("pk")))
    if level:
        listed = listed.filter(level=level)
    page = Paginator(
        listed.select_related("region").order_by("-started_on", "name"), PER_PAGE
    ).get_page(request.GET.get("page"))
    proposals = [
        proposal
        for proposal in services.proposed_downgrades(visible.current().select_related("region"))
        if services.may_manage_risk(user, proposal.area.region)
    ]
    context = {
        "page": page,
        "show_all": show_all,
        "level": level,
        "levels": [(RiskLevel(value), counts.get(value, 0)) for value in AREA_LEVELS],
        "total": sum(counts.values()),
        "proposals": proposals,
        "lift": LIFT,
        "may_designate": may_designate(user),
    }
    return render(request, "emergency/risk_areas/list.html", context)


# --- designating ------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def risk_area_new(request):
    require_staff(request)
    if not may_designate(request.user):
        raise PermissionDenied
    form = RiskAreaForm(
        request.POST or None, user=request.user, initial={"started_on": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        area = form.designate(request.user)
        if area is not None:
            messages.success(
                request,
                _("%(name)s is designated a %(level)s area.")
                % {"name": area.name, "level": area.get_level_display()},
            )
            return redirect("emergency:risk_area_detail", pk=area.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "division_list": ORIGIN_LIST}
    return render(request, "emergency/risk_areas/form.html", context, status=status)


# --- one area ---------------------------------------------------------------------------


def _area(request, pk) -> RiskArea:
    require_staff(request)
    return get_visible_or_404(
        RiskArea.objects.select_related("region", "created_by"), request.user, pk=pk
    )


def _detail(request, area: RiskArea, form=None, status=200):
    may_manage = services.may_manage_risk(request.user, area.region)
    current = area.is_current()
    proposal = None
    if current:
        proposal = next(iter(services.proposed_downgrades([area])), None)
    if form is None and may_manage and current:
        form = RiskLevelForm(initial=_proposed_initial(proposal))
    context = {
        "area": area,
        "current": current,
        "changes": area.changes.select_related("by", "policy_version"),
        "proposal": proposal,
        "form": form if may_manage else None,
    }
    return render(request, "emergency/risk_areas/detail.html", context, status=status)


def _proposed_initial(proposal) -> dict:
    if proposal is None or not proposal.is_due:
        return {}
    return {"to_level": proposal.to_level or LIFT, "reason": proposal.explanation}


@login_required
@require_GET
def risk_area_detail(request, pk):
    return _detail(request, _area(request, pk))


@login_required
@require_POST
def risk_area_change(request, pk):
    area = _area(request, pk)
    form = RiskLevelForm(request.POST)
    if form.is_valid():
        changed = form.change(request.user, area)
        if changed is not None:
            if changed.ended_on:
                messages.success(request, _("%(name)s is lifted.") % {"name": changed.name})
            else:
                messages.success(
                    request,
                    _("%(name)s is now a %(level)s area.")
                    % {"name": changed.name, "level": changed.get_level_display()},
                )
            if request.POST.get("back") == "list":
                return redirect(reverse("emergency:risk_area_list") + "#proposals")
            return redirect("emergency:risk_area_detail", pk=area.pk)
    return _detail(request, area, form=form, status=400)


# --- the public list --------------------------------------------------------------------


@require_GET
@cache_control(public=True, max_age=PUBLIC_MAX_AGE)
def public_list(request):
    """The current risk areas for anyone: where, what level, since when; nothing about
    who or why."""
    areas = sorted(
        RiskArea.objects.current().only(
            "level", "region_id", "name", "detail", "code", "started_on", "level_since"
        ),
        key=lambda area: (-LEVEL_RANK[area.level], area.region_id is None, area.name),
    )
    if request.GET.get("format") == "csv":
        return _csv(areas)
    groups = [
        (RiskLevel(level), [area for area in areas if area.level == level]) for level in AREA_LEVELS
    ]
    context = {"groups": groups, "today": timezone.localdate(), "total": len(areas)}
    return render(request, "emergency/risk_areas/public.html", context)


def _csv(areas) -> HttpResponse:
    today = timezone.localdate()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="risk-areas-{today}.csv"'
    # A byte-order mark, so that Excel reads the Chinese names as UTF-8.
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(
        [
            _("Risk level"),
            _("Name"),
            _("Code"),
            _("Detail"),
            _("Where"),
            _("At this level since"),
            _("Designated on"),
        ]
    )
    for area in areas:
        writer.writerow(
            [
                area.get_level_display(),
                _cell(area.name),
                area.code,
                _cell(area.detail),
                _("In the city") if area.region_id else _("Elsewhere"),
                area.level_since.isoformat(),
                area.started_on.isoformat(),
            ]
        )
    return response


def _cell(text: str) -> str:
    # A spreadsheet would run a cell starting like a formula.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text
