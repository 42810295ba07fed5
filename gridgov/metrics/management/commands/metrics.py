import json
import unicodedata
from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.metrics.figures import (
    RATE_KEYS,
    rank,
    ranking_weights,
    region_and_child_figures,
    region_figures,
    unit_figures,
)
from gridgov.metrics.rollups import midnight
from gridgov.regions.models import Region


class Command(BaseCommand):
    @property
    def help(self):
        # Translated when asked for, not at import, so the active language applies.
        return _(
            "Print a region's figures (response, resolution and satisfaction rates, on-time "
            "closure, rework, extensions, handling time) for the cases received in a period, "
            "or rank its units or child regions by them."
        )

    def add_arguments(self, parser):
        parser.add_argument("--region", required=True, metavar="CODE", help=_("region code"))
        parser.add_argument(
            "--from",
            dest="start",
            metavar="YYYY-MM-DD",
            help=_("first day of the period (default: the first of this month)"),
        )
        parser.add_argument(
            "--to",
            dest="end",
            metavar="YYYY-MM-DD",
            help=_("last day of the period, included (default: today)"),
        )
        parser.add_argument(
            "--by",
            choices=["units", "children"],
            help=_("rank the departments and offices, or the child regions"),
        )
        parser.add_argument(
            "--format", dest="output_format", choices=["table", "json"], default="table"
        )

    def handle(self, *args, region, start, end, by, output_format, **options):
        place = Region.objects.filter(code=region).first()
        if place is None:
            raise CommandError(_("No region has the code %(code)s.") % {"code": region})
        today = timezone.localdate()
        first = parse_day(start, "--from") if start else today.replace(day=1)
        last = parse_day(end, "--to") if end else today
        if first > last:
            raise CommandError(_("--from must not be after --to."))
        period = (midnight(first), midnight(last + timedelta(days=1)))
        now = timezone.now()
        ranked = []
        if by == "children":
            total, children = region_and_child_figures(place, *period, now=now)
            ranked = rank(children)
        else:
            total = region_figures(place, *period, now=now)
        if by == "units":
            ranked = rank(unit_figures(*period, region=place, now=now))
        if output_format == "json":
            self.stdout.write(_as_json(place, first, last, by, total, ranked))
            return
        self.stdout.write(
            _("%(name)s (%(code)s), cases received %(first)s to %(last)s")
            % {"name": place.name, "code": place.code, "first": first, "last": last}
        )
        rows = [[_("Total"), "", *_cells(total)]]
        rows += [
            [item.figures.name, _position(item), *_cells(item.figures, item.score)]
            for item in ranked
        ]
        self.stdout.write(_table(_headers(), rows))


def parse_day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            _("%(option)s takes a date as YYYY-MM-DD, not %(text)r.")
            % {"option": option, "text": text}
        ) from None


def _headers() -> list[str]:
    return [
        _("Name"),
        "#",
        _("Received"),
        _("Open"),
        _("Overdue"),
        _("Closed"),
        _("Response"),
        _("Resolution"),
        _("Satisfaction"),
        _("On time"),
        _("Rework"),
        _("Extension"),
        _("Avg hours"),
        _("Score"),
    ]


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def _cells(figures, score=None) -> list[str]:
    hours = figures.avg_handling_hours
    return [
        str(figures.received),
        str(figures.open),
        str(figures.overdue),
        str(figures.closed),
        *(_percent(figures.rate(key)) for key in RATE_KEYS),
        "–" if hours is None else f"{hours:.1f}",
        "" if score is None else f"{score * 100:.1f}",
    ]


def _position(item) -> str:
    return "–" if item.position is None else str(item.position)


def _width(text: str) -> int:
    # Chinese characters take two columns in a terminal.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(_width(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]

    def line(cells):
        padded = []
        for i, cell in enumerate(cells):
            gap = " " * (widths[i] - _width(cell))
            # Names read left to right; numbers line up on the right.
            padded.append(cell + gap if i == 0 else gap + cell)
        return "  ".join(padded).rstrip()

    return "\n".join([line(headers), *(line(row) for row in rows)])


def _rounded(figures) -> dict:
    data = figures.as_dict()
    data["rates"] = {k: None if v is None else round(v, 4) for k, v in data["rates"].items()}
    if data["avg_handling_hours"] is not None:
        data["avg_handling_hours"] = round(data["avg_handling_hours"], 2)
    return data


def _as_json(place, first, last, by, total, ranked) -> str:
    payload = {
        "region": {"code": place.code, "name": place.name},
        "from": first.isoformat(),
        "to": last.isoformat(),
        "figures": _rounded(total),
    }
    if by:
        payload["by"] = by
        payload["weights"] = ranking_weights()
        payload["rows"] = [
            {
                "position": item.position,
                "score": None if item.score is None else round(item.score, 4),
                **_rounded(item.figures),
            }
            for item in ranked
        ]
    return json.dumps(payload, ensure_ascii=False, indent=2)
