"""/emergency/figures/: the daily epidemic figures of an area, entered once where they are
known (一数一源) and read everywhere above as sums.

- The figures page: an area's days as a table and as a curve with its phases (phases.py,
  as `gridgov emergency phases` finds them), and the areas under it; in Excel and CSV.
- The entry page: a day's figures of an area and of the areas under it, in one form.
- The import page: the same from a spreadsheet (figure_import.py).

The area is ?region=CODE within the user's scope (404 outside), or the top of their scope.
figures.py decides what may be entered; its refusals come back with status 400, the typed
values kept and nothing changed.
"""

import csv
from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from gridgov.accounts.scoping import get_visible_or_404
from gridgov.emergency import figure_import, figures
from gridgov.emergency.figure_forms import FigureEntryForm, FigureImportForm
from gridgov.emergency.models import DailyFigure
from gridgov.emergency.phases import find_phases, phase_chart_svg
from gridgov.lib import xlsx
from gridgov.regions.models import Region
from gridgov.regions.queries import scope_root
from gridgov.registry.importing import ImportFileError

DEFAULT_DAYS = 30


def region_asked(request) -> Region:
    """?region=CODE within the user's scope (404 outside), or the top of their scope."""
    code = request.GET.get("region")
    if code:
        return get_visible_or_404(Region.objects, request.user, code=code)
    region = scope_root(request.user)
    if region is None:
        raise Http404
    return region


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        return None


def _span(request) -> tuple[date, date]:
    """?from= and ?to=, the last DEFAULT_DAYS days when neither is given; ValidationError
    (figures.check_span's) when they do not make a span."""
    asked_from, asked_to = request.GET.get("from"), request.GET.get("to")
    if not asked_from and not asked_to:
        last = timezone.localdate()
        return last - timedelta(days=DEFAULT_DAYS - 1), last
    first, last = _day(asked_from), _day(asked_to)
    figures.check_span(first, last)
    return first, last


def _trail(user, region: Region) -> list[Region]:
    """The areas above the region that the user may open, top first."""
    return list(Region.objects.visible_to(user).filter(pk__in=region.ancestors().values("pk")))


def _query(region: Region, first: date, last: date, **more) -> str:
    return urlencode(
        {"region": region.code, "from": first.isoformat(), "to": last.isoformat(), **more}
    )


# --- the figures page --------------------------------------------------------------------


@login_required
@require_GET
def figures_page(request):
    region = region_asked(request)
    context = {
        "region": region,
        "trail": _trail(request.user, region),
        "from_text": request.GET.get("from", ""),
        "to_text": request.GET.get("to", ""),
        "may_enter": figures.may_enter(request.user, region),
    }
    try:
        first, last = _span(request)
    except ValidationError as error:
        context["span_errors"] = error.messages
        return render(request, "emergency/figures/figures.html", context, status=400)
    days = figures.series(region, first, last)
    curve = [(day["day"], day["confirmed"] + day["asymptomatic"]) for day in days]
    phases = find_phases(curve)
    children = figures.by_child(region, first, last)
    context.update(
        first=first,
        last=last,
        from_text=first.isoformat(),
        to_text=last.isoformat(),
        days=days,
        totals={name: sum(day[name] for day in days) for name in figures.COUNTS},
        chart=phase_chart_svg(curve, phases),
        phases=phases,
        children=children,
        query=_query(region, first, last),
    )
    return render(request, "emergency/figures/figures.html", context)


def _asked(request):
    """(region, first, last) for a download; a bad span is the figures page's 400."""
    region = region_asked(request)
    first, last = _span(request)
    return region, first, last


def _headers() -> list[str]:
    return [str(DailyFigure._meta.get_field(name).verbose_name) for name in figures.COUNTS]


def _download_name(region: Region, first: date, last: date, ext: str) -> str:
    return f"gridgov-figures-{region.code}-{first:%Y%m%d}-{last:%Y%m%d}.{ext}"


@login_required
@require_GET
def figures_xlsx(request):
    try:
        region, first, last = _asked(request)
    except ValidationError:
        return figures_page(request)
    counts = [xlsx.Column(header, xlsx.INTEGER) for header in _headers()]
    days = xlsx.Sheet(
        title=_("Daily figures"),
        columns=[xlsx.Column(_("Day"), xlsx.DATE), *counts],
        rows=(
            [day["day"], *(day[name] for name in figures.COUNTS)]
            for day in figures.series(region, first, last)
        ),
    )
    areas = xlsx.Sheet(
        title=_("Areas under it"),
        columns=[xlsx.Column(_("Code")), xlsx.Column(_("Name")), *counts],
        rows=(
            [line["region"].code, line["region"].name, *(line[name] for name in figures.COUNTS)]
            for line in figures.by_child(region, first, last)
        ),
    )
    return xlsx.response(xlsx.workbook([days, areas]), _download_name(region, first, last, "xlsx"))


@login_required
@require_GET
def figures_csv(request):
    """The daily series (?table=areas: the areas under it) as CSV in UTF-8 with a byte-order
    mark, which Excel needs to read it as UTF-8; `gridgov emergency phases` reads it too."""
    try:
        region, first, last = _asked(request)
    except ValidationError:
        return figures_page(request)
    if request.GET.get("table") == "areas":
        header = [_("Code"), _("Name"), *_headers()]
        rows = [
            [line["region"].code, line["region"].name, *(line[name] for name in figures.COUNTS)]
            for line in figures.by_child(region, first, last)
        ]
        name = _download_name(region, first, last, "csv").replace("figures", "figures-areas")
    else:
        header = [_("Day"), *_headers()]
        rows = [
            [day["day"].isoformat(), *(day[name] for name in figures.COUNTS)]
            for day in figures.series(region, first, last)
        ]
        name = _download_name(region, first, last, "csv")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows([_cell(value) for value in row] for row in rows)
    return response


def _cell(value):
    # A region's name is typed by people: one that Excel would run as a formula stays text.
    if isinstance(value, str) and value.startswith(xlsx.FORMULA_STARTS):
        return "'" + value
    return value


# --- entry -------------------------------------------------------------------------------


def _entry_region(request) -> Region:
    region = region_asked(request)
    if not figures.may_enter(request.user, region):
        raise PermissionDenied(_("Figures are entered by community and street staff."))
    return region


@login_required
@require_http_methods(["GET", "POST"])
def entry(request):
    region = _entry_region(request)
    regions = [region, *Region.objects.filter(parent=region).order_by("code")]
    today = timezone.localdate()
    status, context_errors = 200, []
    if request.method == "POST":
        form = FigureEntryForm(request.POST, regions=regions)
        if form.is_valid():
            rows = form.rows()
            if not rows:
                form.add_error(None, _("Type the figures of at least one area."))
            else:
                try:
                    figures.enter(request.user, rows)
                except ValidationError as error:
                    form.add_error(None, error.messages)
                else:
                    day = form.cleaned_data["day"]
                    messages.success(
                        request,
                        ngettext(
                            "Entered the figures of %(count)d area for %(day)s.",
                            "Entered the figures of %(count)d areas for %(day)s.",
                            len(rows),
                        )
                        % {"count": len(rows), "day": day.isoformat()},
                    )
                    query = urlencode({"region": region.code, "day": day.isoformat()})
                    return redirect(f"{reverse('emergency:figure_entry')}?{query}")
        status = 400
        day = form.cleaned_data.get("day")
    else:
        asked = request.GET.get("day")
        day = _day(asked) if asked else today
        entered = DailyFigure.objects.filter(region__in=regions, day=day).select_related("region")
        form = FigureEntryForm(
            regions=regions, entered=entered if day else (), initial={"day": day}
        )
        if day is None:
            context_errors.append(_("%(value)s is not a date.") % {"value": asked})
            status = 400
    counted = {}
    if day is not None and day <= today:
        # What is counted now for each area below, entered there or further down: a
        # community whose grids entered the day is already counted, and entering it
        # again is refused.
        counted = {
            line["region"].pk: [line[name] for name in figures.COUNTS]
            for line in figures.by_child(region, day, day)
            if line["region"] != region
        }
    context = {
        "region": region,
        "trail": _trail(request.user, region),
        "form": form,
        "lines": [(r, fields, counted.get(r.pk)) for r, fields in form.lines()],
        "day": day,
        "day_errors": context_errors,
    }
    return render(request, "emergency/figures/entry.html", context, status=status)


# --- import ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def import_page(request):
    user = request.user
    region = scope_root(user)
    if region is None:
        raise Http404
    if not figures.may_enter(user, region):
        raise PermissionDenied(_("Figures are entered by community and street staff."))
    context = {"region": region, "columns": figure_import.columns()}
    if request.method == "GET":
        context["form"] = FigureImportForm()
        return render(request, "emergency/figures/import.html", context)
    form = context["form"] = FigureImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "emergency/figures/import.html", context, status=400)
    upload = form.cleaned_data["file"]
    dry_run = request.POST.get("action") != "import"
    try:
        report = figure_import.import_figures(user, upload, dry_run=dry_run)
    except ImportFileError as error:
        context["file_error"] = str(error)
        return render(request, "emergency/figures/import.html", context, status=400)
    context.update(report=report, dry_run=dry_run, file_name=upload.name)
    if report.ok and report.first:
        context["figures_query"] = _query(region, report.first, report.last)
    return render(
        request, "emergency/figures/import.html", context, status=200 if report.ok else 400
    )
