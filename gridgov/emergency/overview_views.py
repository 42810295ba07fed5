"""/emergency/: an area's emergency view and its switch (平战转换), and the policy versions.

Staff pages: a resident gets 404, as for every region-bound page, and so does an area
outside the viewer's scope. The switch goes through services.switch_on/switch_off
(PermissionDenied: the 403 page; a refusal: the page again with status 400, nothing
changed). Policy versions are edited in the admin; here they are read.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from gridgov.accounts.scoping import get_visible_or_404, scope_path
from gridgov.emergency import dashboard, services
from gridgov.emergency.choices import (
    CertificationMeasure,
    CountedFrom,
    MeasureKind,
    RiskLevel,
    TaskKind,
)
from gridgov.emergency.models import EmergencyArea, PolicyVersion
from gridgov.emergency.overview_forms import SwitchForm
from gridgov.emergency.policy import PolicyError
from gridgov.regions.models import Region
from gridgov.regions.queries import scope_root

HISTORY_ROWS = 30


def require_staff(request) -> None:
    """Emergency pages are for those who act for an area: 404 for anyone else."""
    if scope_path(request.user) is None:
        raise Http404


def asked_region(request) -> Region:
    """?region=CODE within the viewer's scope (404 outside), or the top of their scope."""
    code = request.GET.get("region")
    if code:
        return get_visible_or_404(Region.objects, request.user, code=code)
    root = scope_root(request.user)
    if root is None:
        raise Http404
    return root


# --- the overview and the switch --------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def overview(request):
    require_staff(request)
    region = asked_region(request)
    form = None
    if request.method == "POST":
        form = SwitchForm(request.POST)
        if form.is_valid():
            done = form.switch(request.user, region)
            if done is not None:
                _tell(request, done)
                return redirect(f"{reverse('emergency:overview')}?region={region.code}")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "emergency/overview/overview.html", _context(request, region, form), status=status
    )


def _tell(request, area: EmergencyArea) -> None:
    if area.is_open:
        messages.success(
            request, _("%(region)s is in emergency mode.") % {"region": area.region.name}
        )
    else:
        messages.success(
            request, _("%(region)s is back in normal mode.") % {"region": area.region.name}
        )


def _context(request, region: Region, form: SwitchForm | None) -> dict:
    user = request.user
    area = services.open_area_over(region.path)
    if area is not None:
        may_switch = services.may_switch(user, area.region)
        action = SwitchForm.OFF
    else:
        may_switch = services.may_switch(user, region)
        action = SwitchForm.ON
    if form is None and may_switch:
        form = SwitchForm()
    history = (
        EmergencyArea.objects.filter(region_path__startswith=region.path)
        .select_related("region", "opened_by", "closed_by")
        .order_by("-opened_at")[:HISTORY_ROWS]
    )
    return {
        "region": region,
        "area": area,
        "switch_form": form,
        "switch_action": action,
        "history": history,
        "view": dashboard.emergency_view(user, region),
    }


# --- policy versions --------------------------------------------------------------------


@login_required
@require_GET
def policy_list(request):
    require_staff(request)
    today = timezone.localdate()
    in_force = PolicyVersion.in_force(today)
    versions = list(PolicyVersion.objects.select_related("activated_by"))
    for version in versions:
        version.in_force_today = in_force is not None and version.pk == in_force.pk
        version.is_draft = version.active_from is None
        version.is_coming = version.active_from is not None and version.active_from > today
    return render(
        request,
        "emergency/overview/policy_list.html",
        {"versions": versions, "in_force": in_force},
    )


@login_required
@require_GET
def policy_detail(request, number):
    require_staff(request)
    version = get_object_or_404(
        PolicyVersion.objects.select_related("activated_by", "created_by"), number=number
    )
    in_force = PolicyVersion.in_force()
    context = {
        "version": version,
        "in_force_today": in_force is not None and in_force.pk == version.pk,
    }
    try:
        context["rules"] = readable(version.policy)
    except PolicyError as error:
        # A draft saved before the rules were checked: say what is wrong instead of failing.
        context["problems"] = error.messages
    return render(request, "emergency/overview/policy_detail.html", context)


def readable(policy) -> dict:
    """The policy's rules with their labels, as a person reads them."""
    return {
        "report_within_hours": policy.report_within_hours,
        "measures": [
            {
                "origin": RiskLevel(rule.origin_risk).label,
                "from_days": rule.from_days,
                "within_days": rule.within_days,
                "measure": MeasureKind(rule.measure).label,
                "days": rule.days,
                "counted_from": CountedFrom(rule.counted_from).label,
                "tests_on_days": rule.tests_on_days,
            }
            for rule in policy.measures
        ],
        "tasks": [
            (
                MeasureKind(measure).label,
                [
                    {
                        "task": TaskKind(task.task).label,
                        "within_hours": task.within_hours,
                        "every_day": task.every_day,
                    }
                    for task in tasks
                ],
            )
            for measure, tasks in policy.tasks.items()
        ],
        "downgrade": [
            (RiskLevel.HIGH.label, RiskLevel.MEDIUM.label, policy.downgrade.high_to_medium_days),
            (RiskLevel.MEDIUM.label, RiskLevel.LOW.label, policy.downgrade.medium_to_low_days),
            (RiskLevel.LOW.label, "", policy.downgrade.low_lifted_days),
        ],
        "certification": {
            "days_without_case": policy.certification.days_without_case,
            "measures": [
                CertificationMeasure(measure).label
                for measure in policy.certification.required_measures
            ],
            "higher_level_share": policy.certification.higher_level_share,
        },
    }
