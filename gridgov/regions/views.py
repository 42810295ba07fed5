import math

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from gridgov.accounts.choices import Role
from gridgov.accounts.scoping import get_visible_or_404
from gridgov.lib import xlsx
from gridgov.lib.ratelimit import allow, client_ip
from gridgov.regions.choices import Datum, Level
from gridgov.regions.locate import OutsideServiceArea, locate
from gridgov.regions.models import Region
from gridgov.regions.places import MAX_QUERY_LENGTH, find_places
from gridgov.regions.queries import scope_root
from gridgov.registry.figures import figure_rows, figures_seen_by

CHILDREN_PER_PAGE = 50


@login_required
@require_GET
def region_index(request):
    """Send the user to the top of the area they may see."""
    top = scope_root(request.user)
    if top is None:
        raise Http404
    return redirect("regions:detail", code=top.code)


@login_required
@require_GET
def region_detail(request, code):
    region = get_visible_or_404(Region.objects, request.user, code=code)
    children = (
        region.children.visible_to(request.user)
        .annotate(child_count=Count("children"))
        .only("code", "name", "level")
        .order_by("code")
    )
    page = Paginator(children, CHILDREN_PER_PAGE).get_page(request.GET.get("page"))
    visible_paths = Region.objects.visible_to(request.user)
    ancestors = list(region.ancestors().only("code", "name", "path"))
    visible_codes = set(
        visible_paths.filter(pk__in=[a.pk for a in ancestors]).values_list("code", flat=True)
    )
    for ancestor in ancestors:
        ancestor.visible = ancestor.code in visible_codes
    context = {
        "region": region,
        "ancestors": ancestors,
        "page": page,
        "grid_workers": region.grid_workers.all() if region.level == Level.GRID else [],
        "responsible_community": region.responsible_community(),
        "registry_rows": _registry_rows(request.user, region),
    }
    return render(request, "regions/region_detail.html", context)


def _registry_rows(user, region):
    figures = figures_seen_by(user, region.path)
    return None if figures is None else figure_rows(figures)


@login_required
@require_GET
def registry_export(request, code):
    """The region's registry figures as an Excel sheet, for the same viewers as the page."""
    region = get_visible_or_404(Region.objects, request.user, code=code)
    rows = _registry_rows(request.user, region)
    if rows is None:
        raise Http404
    sheet = xlsx.Sheet(
        title=region.name,
        columns=[
            xlsx.Column(_("Group")),
            xlsx.Column(_("Figure")),
            xlsx.Column(_("Count"), xlsx.INTEGER),
        ],
        rows=rows,
    )
    stamp = timezone.localtime().strftime("%Y%m%d")
    return xlsx.response(xlsx.workbook([sheet]), f"gridgov-registry-{region.code}-{stamp}.xlsx")


@login_required
@require_GET
def children_geojson(request, code):
    """The region's own boundary and its visible children's, for the map."""
    region = _mappable_region_or_404(request.user, code)
    rows = [region] + list(
        region.children.visible_to(request.user)
        .filter(boundary__isnull=False)
        .only("code", "name", "level", "boundary", "datum")
        .order_by("code")
    )
    features = [
        {
            "type": "Feature",
            "geometry": row.boundary,
            "properties": {
                "code": row.code,
                "name": row.name,
                "level": row.level,
                "level_label": str(row.get_level_display()),
                "datum": row.datum,
                "role": "self" if row.pk == region.pk else "child",
                "url": reverse("regions:detail", args=[row.code]),
            },
        }
        for row in rows
        if row.boundary
    ]
    return JsonResponse({"type": "FeatureCollection", "features": features})


# The public map goes no deeper than grids: buildings' outlines are not its business.
PUBLIC_OUTLINE_PARENTS = [Level.CITY, Level.DISTRICT, Level.STREET, Level.COMMUNITY]


def _mappable_region_or_404(user, code) -> Region:
    """A region in the user's scope; for a resident, who has none, the region of a case they
    reported, so that their own case's map draws its grid. No other region opens to them,
    and no children come with it (none is visible to a resident)."""
    if user.role == Role.RESIDENT and not user.is_superuser:
        region = Region.objects.filter(code=code, cases__reporter__user=user).first()
        if region is None:
            raise Http404
        return region
    return get_visible_or_404(Region.objects, user, code=code)


@require_GET
def service_area(request):
    """The streets' outlines, or with ?parent=CODE that area's children down to the grids:
    enough for a resident to find their place on the report map, zooming in. Public
    geography, so no login; the same for everyone, so cached by browsers."""
    parent_code = request.GET.get("parent")
    if parent_code is None:
        rows = Region.objects.filter(level=Level.STREET)
    else:
        if not request.user.is_authenticated and not allow(
            "outline", client_ip(request), settings.GRIDGOV_PUBLIC_LOOKUPS_PER_HOUR * 10, 3600
        ):
            return JsonResponse({"error": _("Too many requests; try again later.")}, status=429)
        parent = Region.objects.filter(code=parent_code, level__in=PUBLIC_OUTLINE_PARENTS).first()
        if parent is None:
            raise Http404
        rows = parent.children.all()
    rows = rows.filter(boundary__isnull=False).only("code", "name", "level", "boundary")
    features = [
        {
            "type": "Feature",
            "geometry": row.boundary,
            "properties": {
                "code": row.code,
                "name": row.name,
                "level": row.level,
                "role": "child",
            },
        }
        for row in rows.order_by("code")
    ]
    response = JsonResponse({"type": "FeatureCollection", "features": features})
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_GET
def locate_point(request):
    """Which grid (or, failing that, which higher level) a point falls in. Public: the
    resident's report page uses it; anonymous callers are rate-limited."""
    if not request.user.is_authenticated and not allow(
        "locate", client_ip(request), settings.GRIDGOV_PUBLIC_LOOKUPS_PER_HOUR * 10, 3600
    ):
        return JsonResponse({"error": _("Too many requests; try again later.")}, status=429)
    try:
        lng = float(request.GET.get("lng", ""))
        lat = float(request.GET.get("lat", ""))
    except ValueError:
        return JsonResponse({"error": _("Give lng and lat as decimal degrees.")}, status=400)
    datum = request.GET.get("datum") or Datum.WGS84
    if datum not in Datum.values:
        return JsonResponse(
            {"error": _("datum must be one of: %s") % ", ".join(Datum.values)}, status=400
        )
    if not (math.isfinite(lng) and math.isfinite(lat)):
        return JsonResponse({"error": _("Give lng and lat as decimal degrees.")}, status=400)
    try:
        result = locate(lng, lat, datum=datum)
    except OutsideServiceArea as exc:
        return JsonResponse({"inside": False, "message": str(exc)})
    except ValueError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    region = result.region
    return JsonResponse(
        {
            "inside": True,
            "fallback": result.fallback,
            "region": {
                "code": region.code,
                "name": region.name,
                "level": region.level,
                "level_label": str(region.get_level_display()),
            },
        }
    )


@require_GET
def search_places(request):
    """Areas and buildings matching a typed address or name, with their centres in the
    map's datum, for the report and intake maps' search box. Public: names and centres of
    public geography only; anonymous callers are rate-limited."""
    if not request.user.is_authenticated and not allow(
        "place-search", client_ip(request), settings.GRIDGOV_PUBLIC_LOOKUPS_PER_HOUR * 10, 3600
    ):
        return JsonResponse({"error": _("Too many requests; try again later.")}, status=429)
    text = request.GET.get("q", "").strip()
    if len(text) < 2 or len(text) > MAX_QUERY_LENGTH:
        return JsonResponse(
            {"error": _("Type at least 2 and at most %d characters.") % MAX_QUERY_LENGTH},
            status=400,
        )
    places = find_places(text, settings.MAP_DATUM)
    return JsonResponse(
        {
            "results": [
                {
                    "code": place.region.code,
                    "name": place.label,
                    "level": place.region.level,
                    "level_label": str(place.region.get_level_display()),
                    "lng": place.lng,
                    "lat": place.lat,
                }
                for place in places
            ]
        }
    )
