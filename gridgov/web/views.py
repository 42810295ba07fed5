from collections import defaultdict

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from gridgov.accounts.choices import Role
from gridgov.accounts.models import User
from gridgov.accounts.scoping import ALL, scope_path
from gridgov.cases.models import Case, overdue_q
from gridgov.regions.choices import LEVEL_ORDER, Level
from gridgov.regions.models import Region
from gridgov.regions.queries import scope_root

MY_REPORTS_ON_HOME = 10


@login_required
@require_GET
def home(request):
    user = request.user
    if user.role in {"dispatcher", "leader"}:
        # Their work starts from the whole area: the dashboard is their home.
        return redirect("dashboard")
    if user.role == Role.RESIDENT and not user.is_superuser:
        return _resident_home(request)
    whole_tree = scope_path(user) is ALL
    if whole_tree:
        # A superuser or an administrator acts over every region, not one of them.
        acting_region = scope_root(user)
    else:
        acting_region = user.region or (user.department.region if user.department else None)
    area_counts = []
    if acting_region is not None:
        below = LEVEL_ORDER[LEVEL_ORDER.index(acting_region.level) + 1 :]
        counts = Region.objects.subtree(acting_region).aggregate(
            **{level: Count("pk", filter=Q(level=level)) for level in below}
        )
        area_counts = [(str(Level(level).label), counts[level]) for level in below if counts[level]]
    context = {
        "acting_region": acting_region,
        "whole_tree": whole_tree,
        "area_counts": area_counts,
        "my_grids": user.grids.order_by("code") if user.role == "grid_worker" else [],
    }
    return render(request, "web/home.html", context)


def _resident_home(request):
    """A resident's way in: report a problem, and the cases they reported with where each
    stands."""
    reports = (
        Case.objects.visible_to(request.user)
        .only("number", "title", "status", "received_at")
        .order_by("-received_at", "-pk")
    )
    context = {"my_reports": reports[:MY_REPORTS_ON_HOME], "report_count": reports.count()}
    return render(request, "web/home_resident.html", context)


@login_required
@require_GET
def grid_map(request):
    root = scope_root(request.user)
    if root is None:
        raise Http404
    return render(request, "web/grid_map.html", {"root": root})


@login_required
@require_GET
def grid_map_data(request):
    """Every grid of the viewer's area with its open and overdue case counts: two queries,
    however many grids and cases."""
    visible_grids = Region.objects.visible_to(request.user).filter(level=Level.GRID)
    grids = list(
        visible_grids.filter(boundary__isnull=False)
        .only("pk", "code", "name", "boundary")
        .order_by("code")
    )
    now = timezone.now()
    counts = {
        row["region"]: row
        for row in Case.objects.visible_to(request.user)
        .open()
        .filter(region__level=Level.GRID)
        .values("region")
        .annotate(open=Count("pk"), overdue=Count("pk", filter=overdue_q(now)))
    }
    workers = defaultdict(list)
    for grid_id, name, username in User.grids.through.objects.filter(
        region__in=visible_grids
    ).values_list("region_id", "user__display_name", "user__username"):
        workers[grid_id].append(name or username)
    features = [
        {
            "type": "Feature",
            "geometry": grid.boundary,
            "properties": {
                "code": grid.code,
                "name": grid.name,
                "open": counts.get(grid.pk, {}).get("open", 0),
                "overdue": counts.get(grid.pk, {}).get("overdue", 0),
                "workers": workers.get(grid.pk, []),
                "cases_url": reverse("cases:worklist") + f"?list=all&region={grid.code}",
                "region_url": reverse("regions:detail", args=[grid.code]),
            },
        }
        for grid in grids
    ]
    return JsonResponse({"type": "FeatureCollection", "features": features})
