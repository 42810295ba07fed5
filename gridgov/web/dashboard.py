"""一屏知全域: the one-screen dashboard of the viewer's region subtree for a period.

Every figure comes from gridgov.metrics (computed from cases and events, never typed in);
the page runs a fixed number of queries whatever the number of cases.
"""

from datetime import datetime, time, timedelta

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET

from gridgov.accounts.scoping import get_visible_or_404
from gridgov.burden import observatory
from gridgov.burden.observatory_views import may_observe
from gridgov.emergency import dashboard as emergency
from gridgov.lib import xlsx
from gridgov.metrics import figures as metrics
from gridgov.regions.models import Region
from gridgov.regions.queries import scope_root
from gridgov.registry.choices import DwellingUse
from gridgov.registry.figures import figures_seen_by
from gridgov.web.charts import Series, bar_chart, line_chart

PERIODS = {"7": 7, "30": 30, "90": 90, "365": 365}
TREND_DAYS = 30
HOT_GRIDS = 30
# The standard tag (registry 0002) the dashboard counts on its own card.
ELDERLY_ALONE = "elderly-alone"


def _context_region(request) -> Region:
    code = request.GET.get("region")
    if code:
        return get_visible_or_404(Region.objects, request.user, code=code)
    root = scope_root(request.user)
    if root is None:
        raise Http404
    return root


def _period(request) -> tuple[str, datetime, datetime]:
    key = request.GET.get("days") if request.GET.get("days") in PERIODS else "30"
    now = timezone.now()
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return key, start - timedelta(days=PERIODS[key] - 1), now


@login_required
@require_GET
def dashboard(request):
    region = _context_region(request)
    period, start, end = _period(request)
    now = timezone.now()
    today_start = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    today = metrics.region_figures(region, today_start, end, now=now)
    figures, children = metrics.region_and_child_figures(region, start, end, now=now)
    children = metrics.rank(children)
    units = metrics.rank(
        metrics.unit_figures(start, end, region=region, now=now, departments_only=True)
    )
    trend_labels, trend = _trend(region, now)
    top_categories = metrics.received_counts(region, start, end, "category", 10)
    rates = figures.rates
    cards = [
        (_("Received today"), today.received, ""),
        (_("Open"), figures.open, ""),
        (_("Overdue"), figures.overdue, "alert" if figures.overdue else ""),
        (_("On-time closure rate"), _percent(rates["on_time"]), ""),
        (_("Response rate"), _percent(rates["response"]), ""),
        (_("Resolution rate"), _percent(rates["resolution"]), ""),
        (_("Satisfaction rate"), _percent(rates["satisfaction"]), ""),
    ]
    context = {
        "region": region,
        "period": period,
        "periods": PERIODS,
        "start": start,
        "cards": cards,
        "figures": figures,
        "children": children,
        "units": units,
        "trend_chart": line_chart(trend_labels, trend),
        "category_chart": bar_chart(top_categories),
        "hot_grids_url": reverse("dashboard_hot_grids") + f"?region={region.code}&days={period}",
        "child_level": children[0].figures.kind if children else "",
        "registry_cards": _registry_cards(request.user, region),
        "burden_cards": _burden_cards(request.user, region),
        # On a wartime footing the dashboard leads with the emergency view.
        "emergency": emergency.dashboard_panel(request.user, region, now),
    }
    return render(request, "web/dashboard.html", context)


def _registry_cards(user, region) -> list | None:
    """The registry's headline figures for what the viewer may see of the area."""
    figures = figures_seen_by(user, region.path)
    if figures is None:
        return None
    alone = next((tag["count"] for tag in figures.by_tag if tag["code"] == ELDERLY_ALONE), 0)
    return [
        (_("Resident population"), figures.population),
        (_("Households"), figures.households),
        (_("Elderly living alone"), alone),
        (_("Rented rooms"), figures.dwellings_by_use[DwellingUse.RENTED]),
        (_("Organisations"), figures.organisations),
    ]


def _burden_cards(user, region) -> list | None:
    """This month's burden on the area's communities, for those who watch it."""
    if not may_observe(user):
        return None
    first, last = observatory.month_span(timezone.localdate())
    burden = observatory.headline(region, first, last)
    return [
        (_("Demands on communities this month"), burden.received, ""),
        (_("Cells filled without typing"), _percent(burden.platform_share), ""),
        (_("Estimated hours"), burden.hours, ""),
        (
            _("Secondment returns overdue"),
            burden.seconded_overdue,
            "alert" if burden.seconded_overdue else "",
        ),
    ]


def _percent(value):
    return "—" if value is None else f"{value * 100:.1f}%"


def _trend(region, now) -> tuple[list[str], list[Series]]:
    """Cases received and closed per day over the last TREND_DAYS days: whole days, so
    one query over the daily rollups (and the open cases)."""
    first_day = timezone.localdate(now) - timedelta(days=TREND_DAYS - 1)
    days = [first_day + timedelta(days=i) for i in range(TREND_DAYS)]
    counts = metrics.daily_counts(region, first_day, days[-1])
    return [f"{d:%m-%d}" for d in days], [
        Series(_("Received"), [counts.get(d, (0, 0))[0] for d in days]),
        Series(_("Closed"), [counts.get(d, (0, 0))[1] for d in days]),
    ]


@login_required
@require_GET
def hot_grids(request):
    """The grids with the most cases received in the period, for the dashboard's map."""
    region = _context_region(request)
    _period_key, start, end = _period(request)
    by_id = dict(metrics.received_counts(region, start, end, "grid", HOT_GRIDS))
    grids = Region.objects.filter(pk__in=by_id).only("pk", "code", "name", "boundary")
    features = [
        {
            "type": "Feature",
            "geometry": grid.boundary,
            "properties": {
                "code": grid.code,
                "name": grid.name,
                "count": by_id[grid.pk],
                "url": reverse("regions:detail", args=[grid.code]),
            },
        }
        for grid in grids
        if grid.boundary
    ]
    return JsonResponse({"type": "FeatureCollection", "features": features})


@login_required
@require_GET
def ranking_export(request):
    region = _context_region(request)
    period, start, end = _period(request)
    now = timezone.now()
    areas = metrics.rank(metrics.child_region_figures(region, start, end, now=now))
    departments = metrics.rank(
        metrics.unit_figures(start, end, region=region, now=now, departments_only=True)
    )
    columns = [
        xlsx.Column(_("Position"), xlsx.INTEGER),
        xlsx.Column(_("Name"), max_width=40),
        xlsx.Column(_("Code")),
        xlsx.Column(_("Composite score"), xlsx.DECIMAL),
        xlsx.Column(pgettext("metric", "Received"), xlsx.INTEGER),
        xlsx.Column(pgettext("metric", "Open"), xlsx.INTEGER),
        xlsx.Column(pgettext("metric", "Overdue"), xlsx.INTEGER),
        xlsx.Column(_("Response rate"), xlsx.PERCENT),
        xlsx.Column(_("Resolution rate"), xlsx.PERCENT),
        xlsx.Column(_("Satisfaction rate"), xlsx.PERCENT),
        xlsx.Column(_("On-time closure rate"), xlsx.PERCENT),
    ]
    content = xlsx.workbook(
        xlsx.Sheet(title, columns, [_ranking_row(row) for row in ranked])
        for title, ranked in ((_("Areas"), areas), (_("Departments"), departments))
    )
    return xlsx.response(content, f"gridgov-ranking-{region.code}-{period}d.xlsx")


def _ranking_row(row) -> list:
    """A ranked row as the page shows it: the score in points out of 100, rates as
    fractions (the sheet shows them as percentages)."""
    f = row.figures
    rates = f.rates
    return [
        row.position,
        f.name,
        f.code,
        None if row.score is None else round(row.score * 100, 1),
        f.received,
        f.open,
        f.overdue,
        *(rates[key] for key in ("response", "resolution", "satisfaction", "on_time")),
    ]
