"""gridgov emergency …: the emergency module from the command line."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from gridgov.emergency.arrivals import end_due_measures
from gridgov.emergency.phases import (
    Phase,
    SeriesError,
    display_width,
    find_phases,
    parse_day,
    phase_chart_svg,
    read_series,
)


class Command(BaseCommand):
    @property
    def help(self):
        # Translated when asked for, not at import, so the active language applies.
        return _("Emergency mode (平战转换) from the command line.")

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="subcommand", required=True)
        phases = commands.add_parser(
            "phases",
            help=_(
                "find the phases of a daily series of new cases in a CSV file by their order of "
                "magnitude (high ≥1,000, medium 100–999, low 10–99, tail 0–9 a day), print "
                "them as a table and optionally draw the curve"
            ),
        )
        phases.add_argument("--input", dest="input_path", required=True, metavar="FILE.csv")
        phases.add_argument("--date-column", required=True, help=_("the column of the days"))
        phases.add_argument(
            "--value-column", required=True, help=_("the column of the day's new cases")
        )
        phases.add_argument("--svg", metavar="OUT.svg", help=_("also draw the curve here"))
        phases.add_argument(
            "--min-run",
            type=int,
            default=2,
            metavar="N",
            help=_("a run of fewer days in one band is counted in the phase around it (default 2)"),
        )
        # A published series often starts with days that cannot be used (Wuhan's has a negative
        # correction on 2020-01-03 and no values for 01-20 … 01-23): a window reads the usable
        # part without editing the file.
        phases.add_argument(
            "--from", dest="since", metavar="YYYY-MM-DD", help=_("only the days from this one")
        )
        phases.add_argument(
            "--to", dest="until", metavar="YYYY-MM-DD", help=_("only the days up to this one")
        )

        commands.add_parser(
            "end-measures",
            help=_(
                "end the measures past their last day that nobody closed, each with a record "
                "of how many of its tasks were done (run daily, e.g. from cron)"
            ),
        )

    def handle(self, *args, subcommand, **options):
        handler = getattr(self, "handle_" + subcommand.replace("-", "_"))
        return handler(**options)

    def handle_phases(
        self, input_path, date_column, value_column, svg, min_run, since, until, **options
    ):
        if min_run < 1:
            raise CommandError(_("--min-run must be 1 or more."))
        start, end = _day_option("--from", since), _day_option("--to", until)
        try:
            series = read_series(input_path, date_column, value_column, start=start, end=end)
            phases = find_phases(series, min_run=min_run)
        except OSError as error:
            raise CommandError(
                _("Cannot read %(file)s: %(error)s")
                % {"file": input_path, "error": error.strerror or error}
            ) from error
        except SeriesError as error:
            raise CommandError(
                _("%(file)s cannot be read into phases; nothing was written.\n%(problems)s")
                % {"file": input_path, "problems": error}
            ) from error
        if svg:
            # Drawn in full before the file is opened, so that a failure in drawing leaves none.
            drawing = phase_chart_svg(series, phases)
            try:
                Path(svg).write_text(drawing, encoding="utf-8")
            except OSError as error:
                raise CommandError(
                    _("Cannot write %(file)s: %(error)s")
                    % {"file": svg, "error": error.strerror or error}
                ) from error
        for line in _table(phases):
            self.stdout.write(line)
        self.stdout.write(
            ngettext(
                "%(count)d phase over %(days)d days.",
                "%(count)d phases over %(days)d days.",
                len(phases),
            )
            % {"count": len(phases), "days": len(series)}
        )
        if min_run > 1:
            self.stdout.write(
                _(
                    "A run of fewer than %(min_run)d days in one band is counted in the phase "
                    "around it."
                )
                % {"min_run": min_run}
            )
        if svg:
            self.stdout.write(_("Curve written to %(file)s.") % {"file": svg})

    def handle_end_measures(self, **options):
        ended = end_due_measures()
        self.stdout.write(
            ngettext(
                "%(count)d measure ended.",
                "%(count)d measures ended.",
                ended,
            )
            % {"count": ended}
        )


def _day_option(name, text):
    if text is None:
        return None
    day = parse_day(text)
    if day is None:
        raise CommandError(
            _("%(option)s %(text)s is not a date; write it as YYYY-MM-DD.")
            % {"option": name, "text": text}
        )
    return day


def _table(phases: list[Phase]) -> list[str]:
    """Aligned columns, the counts to the right; widths counted as a terminal shows them, as the
    labels will be Chinese."""
    heading = [_("phase"), _("start"), _("end"), _("days"), _("peak"), _("peak on"), _("odd days")]
    rows = [
        [
            p.label,
            p.start.isoformat(),
            p.end.isoformat(),
            str(p.days),
            f"{p.peak:,}",
            p.peak_on.isoformat(),
            ", ".join(f"{day.isoformat()} ({value:,})" for day, value in p.odd_days),
        ]
        for p in phases
    ]
    widths = [max(display_width(row[n]) for row in [heading, *rows]) for n in range(len(heading))]
    right = {3, 4}
    lines = []
    for row in [heading, *rows]:
        cells = [_pad(cell, widths[n], right=n in right) for n, cell in enumerate(row) if n < 6] + [
            row[6]
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


def _pad(text: str, width: int, *, right: bool) -> str:
    space = " " * (width - display_width(text))
    return space + text if right else text + space
