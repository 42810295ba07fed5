"""/burden/observatory/: the burden observatory (减负观测点) of an area for a month or a
week, for the burden office and leaders, with its Excel export."""

from datetime import date, timedelta

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from gridgov.accounts.scoping import get_visible_or_404
from gridgov.burden import observatory
from gridgov.burden.choices import DemandKind
from gridgov.lib import xlsx
from gridgov.regions.models import Region
from gridgov.regions.queries import scope_root

TOP_PLACES = 50


def may_observe(user) -> bool:
    return user.is_authenticated and (
        user.is_superuser
        or user.role in {"leader", "administrator"}
        or user.has_perm("burden.decide_demand")
    )


def period_asked(request) -> tuple[str, str, date, date]:
    """(kind, value, first, last) from ?month=YYYY-MM or ?week=YYYY-MM-DD (any day of the
    week); this month when neither is given or either is not a date."""
    today = timezone.localdate()
    week = request.GET.get("week", "")
    month = request.GET.get("month", "")
    try:
        if week:
            first, last = observatory.week_span(date.fromisoformat(week))
            return "week", first.isoformat(), first, last
        if month:
            first, last = observatory.month_span(date.fromisoformat(f"{month}-01"))
            return "month", first.strftime("%Y-%m"), first, last
    except ValueError:
        pass
    first, last = observatory.month_span(today)
    return "month", first.strftime("%Y-%m"), first, last


def observed(request):
    if not may_observe(request.user):
        raise Http404
    code = request.GET.get("region")
    region = (
        get_visible_or_404(Region.objects, request.user, code=code)
        if code
        else scope_root(request.user)
    )
    if region is None:
        raise Http404
    kind, value, first, last = period_asked(request)
    return observatory.observe(region, first, last), kind, value


@login_required
@require_GET
def observatory_page(request):
    seen, kind, value = observed(request)
    today = timezone.localdate()
    this_month = observatory.month_span(today)[0]
    last_month = observatory.month_span(this_month.replace(day=1) - timedelta(days=1))[0]
    this_week = observatory.week_span(today)[0]
    context = {
        "seen": seen,
        "kind": kind,
        "value": value,
        "by_kind": [(label, seen.total.by_kind[key]) for key, label in DemandKind.choices],
        "places": seen.places[:TOP_PLACES],
        "more_places": max(0, len(seen.places) - TOP_PLACES),
        "periods": [
            ("month", this_month.strftime("%Y-%m"), _("This month")),
            ("month", last_month.strftime("%Y-%m"), _("Last month")),
            ("week", this_week.isoformat(), _("This week")),
            ("week", (this_week - timedelta(days=7)).isoformat(), _("Last week")),
        ],
    }
    return render(request, "burden/observatory.html", context)


@login_required
@require_GET
def observatory_export(request):
    seen, _kind, value = observed(request)
    kinds = DemandKind.choices
    places = xlsx.Sheet(
        title=_("Streets and communities"),
        columns=[
            xlsx.Column(_("Code")),
            xlsx.Column(_("Name")),
            xlsx.Column(_("Demands received"), xlsx.INTEGER),
            *(xlsx.Column(str(label), xlsx.INTEGER) for _k, label in kinds),
            xlsx.Column(_("Cells asked"), xlsx.INTEGER),
            xlsx.Column(_("Filled by the platform"), xlsx.INTEGER),
            xlsx.Column(_("Reused"), xlsx.INTEGER),
            xlsx.Column(_("Typed in"), xlsx.INTEGER),
            xlsx.Column(_("Not answered yet"), xlsx.INTEGER),
            xlsx.Column(_("Estimated hours"), xlsx.DECIMAL),
            xlsx.Column(_("Staff on secondment"), xlsx.INTEGER),
            xlsx.Column(_("Returns overdue"), xlsx.INTEGER),
        ],
        rows=(
            [
                p.code,
                p.name,
                p.received,
                *(p.by_kind[k] for k, _label in kinds),
                p.cells_asked,
                p.cells_platform,
                p.cells_reused,
                p.cells_typed,
                p.cells_missing,
                p.hours,
                p.seconded,
                p.seconded_overdue,
            ]
            for p in seen.places
        ),
    )
    senders = xlsx.Sheet(
        title=_("Senders"),
        columns=[
            xlsx.Column(_("Sender")),
            xlsx.Column(_("Demands sent"), xlsx.INTEGER),
            xlsx.Column(_("Places reached"), xlsx.INTEGER),
            xlsx.Column(_("On the list"), xlsx.INTEGER),
            xlsx.Column(_("Held"), xlsx.INTEGER),
            xlsx.Column(_("Exceptions"), xlsx.INTEGER),
            xlsx.Column(_("Refused"), xlsx.INTEGER),
            xlsx.Column(_("Holiday-eve dumps"), xlsx.INTEGER),
            xlsx.Column(_("Short deadlines"), xlsx.INTEGER),
            xlsx.Column(_("Repeats"), xlsx.INTEGER),
            xlsx.Column(_("Hours imposed"), xlsx.DECIMAL),
        ],
        rows=(
            [
                s.name,
                s.sent,
                s.reached_places,
                s.admitted,
                s.held,
                s.exception,
                s.refused,
                s.holiday_eve,
                s.short_deadline,
                s.repeat,
                s.hours,
            ]
            for s in seen.senders
        ),
    )
    name = f"gridgov-burden-{seen.region.code}-{value}.xlsx"
    return xlsx.response(xlsx.workbook([places, senders]), name)
