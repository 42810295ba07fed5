"""/emergency/certifications/: epidemic-free certification (无疫情小区/社区/街道).

- The list of an area (?region=CODE, or the top of the user's scope): the certifications
  under it by state, how many areas of each level are certified and their share, whether
  the area itself qualifies by the policy's rule for a higher level, and a map of the
  areas under it coloured by their certificate.
- Applying, for a compound (grid), community, street or district: how the area stands
  against the run of days the policy asks for, and the measures attested.
- A certification's page with its attestations, and the level above's decision and
  revocation. A new case or close contact suspends it by itself (figures.enter).

services.py decides; its refusals come back with status 400, what was typed kept.
"""

import math
import mimetypes
from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts.scoping import get_visible_or_404
from gridgov.emergency import dashboard, rules, services
from gridgov.emergency.certification_forms import ApplicationForm, DecisionForm, RevocationForm
from gridgov.emergency.choices import CertificationMeasure
from gridgov.emergency.figure_views import region_asked
from gridgov.emergency.models import Certification, CertificationState
from gridgov.regions.choices import Level
from gridgov.regions.models import Region

# Each state's list shows its latest; the counts above say how many there are in all.
LISTED = 50
HIGHER_LEVELS = (Level.STREET, Level.DISTRICT, Level.CITY)
EPIDEMIC_FREE = {
    Level.GRID: gettext_lazy("Epidemic-free compounds"),
    Level.COMMUNITY: gettext_lazy("Epidemic-free communities"),
    Level.STREET: gettext_lazy("Epidemic-free streets"),
    Level.DISTRICT: gettext_lazy("Epidemic-free districts"),
}
MAP_COLOURS = {
    CertificationState.CERTIFIED: "#10b981",
    CertificationState.SUSPENDED: "#f59e0b",
}
MAP_GREY = "#d1d5db"


# --- the list ----------------------------------------------------------------------------


def _shares(region: Region) -> list[dict]:
    """For each certifiable level under the region: its areas, how many are certified, and
    the share (the emergency view's counts)."""
    return [
        {
            "label": EPIDEMIC_FREE[row.level],
            "certified": row.certified,
            "total": row.total,
            "percent": f"{row.share * 100:.1f}",
        }
        for row in dashboard.epidemic_free(region)
    ]


def _higher_level(region: Region) -> dict | None:
    """Whether a street, district or city qualifies by the share of the areas directly under
    it that are certified, under the policy in force."""
    if region.level not in HIGHER_LEVELS:
        return None
    total = Region.objects.filter(parent=region).count()
    certified = (
        Certification.objects.filter(region__parent=region, state=CertificationState.CERTIFIED)
        .values("region")
        .distinct()
        .count()
    )
    try:
        version = services.policy_in_force()
    except ValidationError as error:
        return {"qualifies": False, "explanation": " ".join(error.messages), "version": None}
    qualifies, explanation = rules.higher_level_qualifies(certified, total, version.policy)
    return {"qualifies": qualifies, "explanation": explanation, "version": version}


def _latest_by_region(certifications) -> dict:
    latest = {}
    for certification in certifications:
        latest.setdefault(certification.region_id, certification)
    return latest


@login_required
@require_GET
def certification_list(request):
    user = request.user
    region = region_asked(request)
    certifications = list(
        Certification.objects.visible_to(user)
        .filter(region_path__startswith=region.path)
        .select_related("region", "policy_version")
        .order_by("-applied_at")
    )
    by_state = defaultdict(list)
    for certification in certifications:
        by_state[certification.state].append(certification)
    states = [
        {
            "state": state,
            "label": label,
            "count": len(by_state[state]),
            "listed": by_state[state][:LISTED],
        }
        for state, label in CertificationState.choices
    ]
    children = list(Region.objects.filter(parent=region).order_by("code"))
    latest = _latest_by_region(c for c in certifications if c.region.parent_id == region.pk)
    context = {
        "region": region,
        "trail": list(
            Region.objects.visible_to(user).filter(pk__in=region.ancestors().values("pk"))
        ),
        "states": states,
        "shares": _shares(region),
        "higher": _higher_level(region),
        "map": _map(region, children, latest),
        "children": [(child, latest.get(child.pk)) for child in children],
        "may_apply": region.level in services.CERTIFIABLE_LEVELS
        and services.may_apply(user, region),
    }
    return render(request, "emergency/certifications/list.html", context)


# --- the map -----------------------------------------------------------------------------


def _rings(geometry: dict) -> list:
    if geometry.get("type") == "Polygon":
        return list(geometry["coordinates"])
    if geometry.get("type") == "MultiPolygon":
        return [ring for polygon in geometry["coordinates"] for ring in polygon]
    return []


def _map(region: Region, children: list[Region], latest: dict, width=600) -> SafeString | None:
    """The areas under the region drawn from their boundaries, as the grid map draws them
    (GeoJSON polygons, one shape an area), but on the server as an SVG: certified green,
    suspended amber, the others grey; each shape opens that area's list."""
    shapes = [(child, _rings(child.boundary)) for child in children if child.boundary]
    points = [point for _child, rings in shapes for ring in rings for point in ring]
    if not points:
        return None
    west, east = min(p[0] for p in points), max(p[0] for p in points)
    south, north = min(p[1] for p in points), max(p[1] for p in points)
    # Degrees of longitude shrink with the latitude: without this the map is stretched.
    stretch = math.cos(math.radians((south + north) / 2))
    span = max((east - west) * stretch, north - south, 1e-9)
    scale = (width - 8) / span
    height = max(round((north - south) * scale) + 8, 40)

    def path(rings) -> str:
        return " ".join(
            "M"
            + " L".join(
                f"{4 + (lng - west) * stretch * scale:.1f},{4 + (north - lat) * scale:.1f}"
                for lng, lat, *_rest in ring
            )
            + " Z"
            for ring in rings
        )

    def state(child):
        certification = latest.get(child.pk)
        return certification.state if certification else None

    link = reverse("emergency:certification_list")
    drawn = format_html_join(
        "",
        '<a href="{}?region={}"><path d="{}" fill="{}" fill-rule="evenodd" stroke="#fff" '
        'stroke-width="1.5" data-state="{}" data-region="{}"><title>{}</title></path></a>',
        (
            (
                link,
                child.code,
                path(rings),
                MAP_COLOURS.get(state(child), MAP_GREY),
                state(child) or "none",
                child.code,
                f"{child.name}: {latest[child.pk].get_state_display()}"
                if child.pk in latest
                else f"{child.name}: {_('not applied')}",
            )
            for child, rings in shapes
        ),
    )
    return format_html(
        '<svg class="chart region-map" viewBox="0 0 {} {}" role="img" aria-label="{}">{}</svg>',
        width,
        height,
        _("Map of the areas of %(region)s by their certification") % {"region": region.name},
        drawn,
    )


# --- applying ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def certification_apply(request, code):
    user = request.user
    region = get_visible_or_404(Region.objects, user, code=code)
    if region.level not in services.CERTIFIABLE_LEVELS:
        raise Http404
    if not services.may_apply(user, region):
        raise PermissionDenied(_("Applications are made by the staff of the area."))
    context = {"region": region}
    try:
        window, version = services.qualification(region)
        context.update(window=window, version=version)
        measures = version.policy.certification.required_measures
    except ValidationError as error:
        context["policy_errors"] = error.messages
        measures = CertificationMeasure.values
    context["live"] = (
        Certification.objects.filter(
            region=region,
            state__in=(CertificationState.APPLIED, CertificationState.CERTIFIED),
        )
        .order_by("-applied_at")
        .first()
    )
    status = 200
    if request.method == "POST":
        form = ApplicationForm(request.POST, request.FILES, measures=measures)
        if form.is_valid():
            made = form.run(services.apply_for_certification, user, region, form.attestations())
            if made is not None:
                messages.success(
                    request,
                    _("Applied: %(region)s waits for the level above to decide.")
                    % {"region": region.name},
                )
                return redirect("emergency:certification_detail", pk=made.pk)
        status = 400
    else:
        form = ApplicationForm(measures=measures)
    context["form"] = form
    return render(request, "emergency/certifications/apply.html", context, status=status)


# --- a certification ---------------------------------------------------------------------


def _certification(user, pk) -> Certification:
    return get_visible_or_404(
        Certification.objects.select_related(
            "region", "policy_version", "applied_by", "decided_by"
        ),
        user,
        pk=pk,
    )


def _detail(request, certification, *, decision=None, revocation=None, status=200):
    user = request.user
    may_decide = services.may_decide(user, certification)
    context = {
        "certification": certification,
        "region": certification.region,
        "attestations": certification.attestations.select_related("attested_by"),
        "decision_form": (decision or DecisionForm())
        if may_decide and certification.state == CertificationState.APPLIED
        else None,
        "revocation_form": (revocation or RevocationForm())
        if may_decide and certification.state == CertificationState.CERTIFIED
        else None,
    }
    return render(request, "emergency/certifications/detail.html", context, status=status)


@login_required
@require_GET
def certification_detail(request, pk):
    return _detail(request, _certification(request.user, pk))


@login_required
@require_POST
def certification_decide(request, pk):
    certification = _certification(request.user, pk)
    if not services.may_decide(request.user, certification):
        raise PermissionDenied(_("The level above the area decides."))
    form = DecisionForm(request.POST)
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        decided = form.run(
            services.decide_certification,
            request.user,
            certification,
            approve,
            form.cleaned_data["note"],
        )
        if decided is not None:
            done = (
                _("%(region)s is certified epidemic-free.")
                if approve
                else _("The application of %(region)s is refused.")
            )
            messages.success(request, done % {"region": certification.region.name})
            return redirect("emergency:certification_detail", pk=certification.pk)
    return _detail(request, certification, decision=form, status=400)


@login_required
@require_POST
def certification_revoke(request, pk):
    certification = _certification(request.user, pk)
    if not services.may_decide(request.user, certification):
        raise PermissionDenied(_("The level above the area revokes a certificate."))
    form = RevocationForm(request.POST)
    if form.is_valid():
        revoked = form.run(
            services.revoke_certification,
            request.user,
            certification,
            form.cleaned_data["reason"],
        )
        if revoked is not None:
            messages.success(
                request,
                _("The certificate of %(region)s is revoked.")
                % {"region": certification.region.name},
            )
            return redirect("emergency:certification_detail", pk=certification.pk)
    return _detail(request, certification, revocation=form, status=400)


@login_required
@require_GET
def attestation_photo(request, pk, attestation):
    """Photos are the certification's data: served only to those who may see it."""
    certification = _certification(request.user, pk)
    shown = get_object_or_404(certification.attestations.exclude(photo=""), pk=attestation)
    content_type = mimetypes.guess_type(shown.photo.name)[0] or "application/octet-stream"
    return FileResponse(shown.photo.open("rb"), content_type=content_type)
