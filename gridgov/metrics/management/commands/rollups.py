import sys
from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Max, Min
from django.utils.translation import gettext as _
from tqdm import tqdm

from gridgov.metrics import rollups
from gridgov.metrics.management.commands.metrics import parse_day
from gridgov.metrics.models import DailyRollup, UnitDailyRollup

# Differences printed by `check` before it only counts the rest.
SHOWN = 50


class Command(BaseCommand):
    @property
    def help(self):
        # Translated when asked for, not at import, so the active language applies.
        return _(
            "Recompute the daily rollups the figures read from the cases (rebuild), or "
            "report where they differ from a recomputation (check)."
        )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["rebuild", "check"])
        parser.add_argument(
            "--from",
            dest="start",
            metavar="YYYY-MM-DD",
            help=_("first day (default: the first day any case or rollup touches)"),
        )
        parser.add_argument(
            "--to",
            dest="end",
            metavar="YYYY-MM-DD",
            help=_("last day, included (default: the last day any case or rollup touches)"),
        )
        parser.add_argument(
            "--chunk-days",
            type=int,
            default=7,
            metavar="N",
            help=_("days recomputed per transaction"),
        )

    def handle(self, *args, action, start, end, chunk_days, verbosity, **options):
        if chunk_days < 1:
            raise CommandError(_("--chunk-days must be 1 or more."))
        span = _span()
        first = parse_day(start, "--from") if start else (span[0] if span else None)
        last = parse_day(end, "--to") if end else (span[1] if span else None)
        if first is None or last is None:
            self.stdout.write(_("There are no cases and no rollups: nothing to do."))
            return
        if first > last:
            raise CommandError(_("--from must not be after --to."))
        days = (last - first).days + 1
        bar = tqdm(
            total=days,
            unit="day",
            desc=action,
            file=sys.stderr,
            # disable=None lets tqdm switch itself off when stderr is not a terminal.
            disable=None if verbosity > 0 else True,
        )
        written = 0
        differences = []
        day = first
        with bar:
            while day <= last:
                upto = min(day + timedelta(days=chunk_days), last + timedelta(days=1))
                if action == "rebuild":
                    written += rollups.rebuild_days(day, upto)
                else:
                    differences += rollups.check_days(day, upto)
                bar.update((upto - day).days)
                day = upto
        if action == "rebuild":
            self.stdout.write(
                _("Rebuilt the rollups of %(first)s to %(last)s: %(rows)d rows.")
                % {"first": first, "last": last, "rows": written}
            )
            return
        if not differences:
            self.stdout.write(
                _("The rollups of %(first)s to %(last)s match the cases.")
                % {"first": first, "last": last}
            )
            return
        for difference in differences[:SHOWN]:
            self.stdout.write(
                _("%(table)s %(key)s %(counter)s: stored %(stored)d, recomputed %(expected)d")
                % {
                    "table": difference.table,
                    "key": ", ".join("" if part is None else str(part) for part in difference.key),
                    "counter": difference.counter,
                    "stored": difference.stored,
                    "expected": difference.expected,
                }
            )
        raise CommandError(
            _(
                "%(count)d rollup counters differ from the cases; run `gridgov rollups "
                "rebuild --from %(first)s --to %(last)s`."
            )
            % {"count": len(differences), "first": first, "last": last}
        )


def _span() -> tuple[date, date] | None:
    """The days the cases touch, widened to any day a rollup row is stored for (a row left
    over from a deleted case is cleared by a rebuild of its day)."""
    firsts, lasts = [], []
    cases = rollups.case_days()
    if cases:
        firsts.append(cases[0])
        lasts.append(cases[1])
    for model in (DailyRollup, UnitDailyRollup):
        stored = model.objects.aggregate(first=Min("day"), last=Max("day"))
        if stored["first"]:
            firsts.append(stored["first"])
            lasts.append(stored["last"])
    return (min(firsts), max(lasts)) if firsts else None
