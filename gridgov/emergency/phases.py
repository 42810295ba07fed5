"""The phases of an epidemic read from its daily new cases by their order of magnitude, as
Wuhan's epidemic command read them in 2020: a run of four-digit days is the high phase,
three-digit the medium phase, two-digit the low phase and one-digit the tail.

Pure Python over a list of (day, new cases): it reads no table and writes none, so an area's own
series, a CSV file and a test all go through the same code."""

import csv
import io
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from os import PathLike
from pathlib import Path
from typing import TextIO

from django.db import models
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from gridgov.web.charts import PALETTE

Day = tuple[date, int]

# Beyond this many, a message says "and N more": a file with hundreds of bad lines needs the
# first few to see the pattern, not a screenful.
LISTED = 10


class Band(models.IntegerChoices):
    """A day's order of magnitude: the number of digits of its new cases, four and more counted
    as four. 0 is a one-digit number, so a day without new cases is in the tail: the last sporadic
    cases and the zero days between them are one phase, not a flicker of phases."""

    # With a context: "high" alone is also a risk zone's level (高风险区), translated apart.
    TAIL = 1, pgettext_lazy("epidemic phase", "tail")
    LOW = 2, pgettext_lazy("epidemic phase", "low")
    MEDIUM = 3, pgettext_lazy("epidemic phase", "medium")
    HIGH = 4, pgettext_lazy("epidemic phase", "high")

    @classmethod
    def of(cls, value: int) -> "Band":
        return cls(min(len(str(value)), 4))

    @property
    def limits(self) -> str:
        """The band's range of daily new cases, for a legend: "100–999"."""
        if self == Band.HIGH:
            return "≥1,000"
        low = 0 if self == Band.TAIL else 10 ** (self.value - 1)
        return f"{low}–{10**self.value - 1}"


class SeriesError(ValueError):
    """A daily series that cannot be read into phases; the message says what to fix."""


@dataclass(frozen=True)
class Phase:
    """A run of days in one band. `peak` is the largest count among the phase's own days;
    `odd_days` are the days of another band counted in this phase so as not to split it (see
    find_phases), kept so that a report can show them rather than hide them."""

    band: Band
    start: date
    end: date
    peak: int
    peak_on: date
    total: int
    odd_days: tuple[Day, ...] = ()

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def label(self) -> str:
        return str(self.band.label)


def find_phases(series: Iterable[Day], *, min_run: int = 2) -> list[Phase]:
    """The phases of a daily series, in time order; a band may recur (the low phase on the way
    up and the low phase on the way down are two phases).

    The series must have one whole non-negative number for every day from its first to its
    last, in any order; otherwise SeriesError says which days are wrong.

    A run of fewer than `min_run` days in one band does not make a phase: it is counted in the
    phase around it, and listed in that phase's odd_days. When the runs on either side are of
    one band they become one phase with it (a one-day dip or a reporting jump such as Wuhan's
    13,436 clinically diagnosed cases on 2020-02-12 does not split a phase); otherwise it joins
    the neighbour nearer in magnitude, then the longer one, then the earlier one. The shortest
    run is settled first (of equally short ones, one between two runs of a band, then the
    earliest) and the rest looked at again, so runs grow until every phase has `min_run` days
    or there is one phase left; a run cut short by the start or end of the series counts as
    short too. The default 2 absorbs single odd days only; 1 keeps every run.

    This was chosen over a rolling median of 3 because it keeps the counts as reported (peaks
    and totals are of real days), reports which days were overruled, and `min_run` can be
    raised for a noisier series where a median's window is fixed.
    """
    if min_run < 1:
        raise ValueError(_("min_run must be 1 or more."))
    days = validate_series(series)
    first = days[0][0]
    runs = _absorb_short_runs(_runs([Band.of(value) for _day, value in days]), min_run)
    phases = []
    for band, start, end in runs:
        span = days[start : end + 1]
        peak, peak_on = max(
            ((value, day) for day, value in span if Band.of(value) == band),
            # The earliest of equal peaks.
            key=lambda item: (item[0], -item[1].toordinal()),
        )
        phases.append(
            Phase(
                band=band,
                start=first + timedelta(days=start),
                end=first + timedelta(days=end),
                peak=peak,
                peak_on=peak_on,
                total=sum(value for _day, value in span),
                odd_days=tuple((day, value) for day, value in span if Band.of(value) != band),
            )
        )
    return phases


def validate_series(series: Iterable[Day]) -> list[Day]:
    """The series sorted by day, or SeriesError naming every problem: empty, not (date, int)
    pairs, negative counts, a day given twice, days missing."""
    days = list(series)
    if not days:
        raise SeriesError(_("The series is empty: there is no day to analyse."))
    problems = []
    for item in days:
        if not (isinstance(item, tuple | list) and len(item) == 2):
            problems.append(_("%(item)r is not a (day, new cases) pair.") % {"item": item})
            continue
        day, value = item
        # A datetime is a date too, but one with a time of day would make the gap check lie.
        if not isinstance(day, date) or isinstance(day, datetime):
            problems.append(_("%(day)r is not a day.") % {"day": day})
        elif isinstance(value, bool) or not isinstance(value, int):
            problems.append(
                _("%(day)s: %(value)r is not a whole number of cases.")
                % {"day": day, "value": value}
            )
        elif value < 0:
            problems.append(_negative(day, value))
    if problems:
        raise SeriesError(_listed(problems))
    days.sort(key=lambda item: item[0])
    counts = Counter(day for day, _value in days)
    problems = [
        _("%(day)s is given %(count)d times.") % {"day": day, "count": count}
        for day, count in counts.items()
        if count > 1
    ]
    missing = _missing(set(counts))
    if missing:
        problems.append(_missing_message(missing))
    if problems:
        raise SeriesError(_listed(problems))
    return days


def read_series(
    file: str | PathLike | TextIO,
    date_column: str,
    value_column: str,
    *,
    start: date | None = None,
    end: date | None = None,
) -> list[Day]:
    """A daily series from a CSV file (a path or an open text file), sorted by day, optionally
    only the days from `start` to `end`. SeriesError names the problems with their line numbers:
    an unknown column (listing those there are), a date or count that cannot be read, blank
    counts and absent days (both named as missing days), a day given twice.

    Dates are read as 2020-01-24, 2020/1/24 or 2020年1月24日, a time of 00:00 allowed; counts as
    whole numbers, also written 77.0 as pandas writes an integer column with blanks in it. A path
    is read as UTF-8 (with or without a byte-order mark), else as GB18030, which is what Excel
    on a Chinese Windows saves."""
    if isinstance(file, str | PathLike):
        data = Path(file).read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("gb18030")
            except UnicodeDecodeError:
                raise SeriesError(
                    _("The file is neither UTF-8 nor GB18030 text; save it as UTF-8 CSV.")
                ) from None
        file = io.StringIO(text, newline="")
    return _read_rows(file, date_column, value_column, start, end)


def parse_day(text: str) -> date | None:
    """A day written as 2020-01-24, 2020/1/24 or 2020年1月24日; None if it is not one."""
    match = _DAY.fullmatch(text.strip())
    if match is None:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


_DAY = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]00:00(?::00)?)?")


def _read_rows(file, date_column, value_column, start, end) -> list[Day]:
    reader = csv.reader(file)
    header = next(reader, None)
    if not header:
        raise SeriesError(_("The file is empty: it has no header line."))
    columns = [name.strip() for name in header]
    for wanted in (date_column, value_column):
        if wanted not in columns:
            raise SeriesError(
                _("There is no column %(column)s; the columns are: %(columns)s.")
                % {"column": _quoted(wanted), "columns": ", ".join(map(_quoted, columns))}
            )
    at_date, at_value = columns.index(date_column), columns.index(value_column)
    problems, blank, seen = [], [], defaultdict(list)
    unreadable = False
    rows: list[Day] = []
    for fields in reader:
        line = reader.line_num
        if not any(field.strip() for field in fields):
            continue
        text = fields[at_date].strip() if at_date < len(fields) else ""
        day = parse_day(text)
        if day is None:
            unreadable = True
            problems.append(
                _("Line %(line)d: %(text)s is not a date; write it as YYYY-MM-DD.")
                % {"line": line, "text": _quoted(text)}
            )
            continue
        if (start and day < start) or (end and day > end):
            continue
        seen[day].append(line)
        text = fields[at_value].strip() if at_value < len(fields) else ""
        if not text:
            blank.append((day, line))
            continue
        value = _parse_count(text)
        if value is None:
            problems.append(
                _("Line %(line)d: %(text)s is not a whole number of cases.")
                % {"line": line, "text": _quoted(text)}
            )
        elif value < 0:
            problems.append(
                _("Line %(line)d: %(problem)s") % {"line": line, "problem": _negative(day, value)}
            )
        else:
            rows.append((day, value))
    if not seen and not problems:
        if start or end:
            raise SeriesError(
                _("No day from %(start)s to %(end)s in the file.")
                % {"start": start or "…", "end": end or "…"}
            )
        raise SeriesError(_("The series is empty: there is no day to analyse."))
    # Every kind of problem at once, so that one round of fixing the file is enough; the lines
    # are capped on their own so that many bad lines do not hide the missing days.
    messages = [_listed(problems)] if problems else []
    messages += [
        _("%(day)s is given more than once (lines %(lines)s).")
        % {"day": day, "lines": ", ".join(map(str, lines))}
        for day, lines in sorted(seen.items())
        if len(lines) > 1
    ]
    if blank:
        messages.append(
            _("%(days)s missing: no value in column %(column)s (lines %(lines)s).")
            % {
                "days": _date_ranges([day for day, _line in blank]),
                "column": _quoted(value_column),
                "lines": _number_ranges([line for _day, line in blank]),
            }
        )
    # A line whose date cannot be read would be named a missing day as well: said once is enough.
    missing = _missing(set(seen)) if seen and not unreadable else []
    if missing:
        messages.append(_missing_message(missing))
    if messages:
        raise SeriesError("\n".join(messages))
    return sorted(rows)


def _parse_count(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


def _runs(bands: Sequence[Band]) -> list[tuple[Band, int, int]]:
    """Runs of equal bands as (band, first index, last index)."""
    runs: list[tuple[Band, int, int]] = []
    for index, band in enumerate(bands):
        if runs and runs[-1][0] == band:
            runs[-1] = (band, runs[-1][1], index)
        else:
            runs.append((band, index, index))
    return runs


def _absorb_short_runs(runs, min_run):
    def length(run):
        return run[2] - run[1] + 1

    def sandwiched(k):
        return 0 < k < len(runs) - 1 and runs[k - 1][0] == runs[k + 1][0]

    while len(runs) > 1:
        short = [k for k, run in enumerate(runs) if length(run) < min_run]
        if not short:
            break
        # Of equally short runs, a blip between two runs of one band goes first: settling the
        # run beside it first could swallow one side of the blip and leave the blip standing.
        k = min(short, key=lambda k: (length(runs[k]), not sandwiched(k), k))
        band, first, last = runs[k]
        left = runs[k - 1] if k > 0 else None
        right = runs[k + 1] if k + 1 < len(runs) else None
        if left and right and left[0] == right[0]:
            runs[k - 1 : k + 2] = [(left[0], left[1], right[2])]
            continue
        neighbours = [(n, run) for n, run in ((k - 1, left), (k + 1, right)) if run]
        n, (into, _first, _last) = min(
            neighbours, key=lambda item: (abs(item[1][0] - band), -length(item[1]), item[0])
        )
        lo, hi = min(n, k), max(n, k)
        runs[lo : hi + 1] = [(into, runs[lo][1], runs[hi][2])]
    return runs


def _missing(days: set[date]) -> list[tuple[int, int]]:
    """The stretches of days absent between the first and the last, as ordinal spans: a year
    typed wrong makes a gap of centuries, to be named in one line, not listed day by day."""
    ordinals = sorted(day.toordinal() for day in days)
    return [(a + 1, b - 1) for a, b in zip(ordinals, ordinals[1:], strict=False) if b - a > 1]


def _missing_message(missing: list[tuple[int, int]]) -> str:
    return _(
        "%(days)s missing: every day from the first to the last needs a value "
        "(0 on a day without new cases)."
    ) % {"days": _spans(missing, _iso)}


def _negative(day: date, value: int) -> str:
    return _("%(day)s has %(value)d new cases; a day's new cases cannot be below 0.") % {
        "day": day,
        "value": value,
    }


def _number_ranges(numbers: Iterable[int], show=str) -> str:
    """1, 2, 3, 5 → "1 … 3, 5"."""
    spans: list[list[int]] = []
    for number in sorted(numbers):
        if spans and number == spans[-1][1] + 1:
            spans[-1][1] = number
        else:
            spans.append([number, number])
    return _spans(spans, show)


def _date_ranges(days: Iterable[date]) -> str:
    # Days as their ordinals, so that consecutive days make a range.
    return _number_ranges((day.toordinal() for day in days), _iso)


def _spans(spans, show) -> str:
    return _listed(
        [show(a) if a == b else f"{show(a)} … {show(b)}" for a, b in spans], separator=", "
    )


def _iso(ordinal: int) -> str:
    return date.fromordinal(ordinal).isoformat()


def _listed(items: list[str], separator="\n") -> str:
    shown = separator.join(items[:LISTED])
    if len(items) > LISTED:
        shown += separator + _("and %(count)d more") % {"count": len(items) - LISTED}
    return shown


def _quoted(text: str) -> str:
    return f"“{text}”"


# Chart ----------------------------------------------------------------------------------------

BAND_COLOURS = {
    Band.HIGH: PALETTE[0],
    Band.MEDIUM: PALETTE[3],
    Band.LOW: PALETTE[1],
    Band.TAIL: PALETTE[2],
}

# Where 0 sits on the log axis, in decades: half a decade below 1, so a zero day is visibly
# below a one-case day instead of being dropped as log(0) would.
ZERO_DECADE = -0.5


def phase_chart_svg(
    series: Iterable[Day], phases: Sequence[Phase], *, width=720, height=260
) -> SafeString:
    """The daily curve on a log axis with the band limits 10, 100 and 1,000 drawn, each phase's
    days shaded in its band's colour and labelled, and its odd days ringed. A standalone SVG
    document (it carries its namespace and font), and also fit to put inline in a page."""
    days = validate_series(series)
    left, right, top, bottom = 44, 8, 30, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    first = days[0][0]
    step = plot_w / len(days)
    peak = max(value for _day, value in days)
    ceiling = max(math.log10(max(peak, 1)), 3) + 0.15

    def x(index: float) -> str:
        return f"{left + index * step:.1f}"

    def y(value: int) -> str:
        decade = math.log10(value) if value > 0 else ZERO_DECADE
        return f"{top + plot_h * (ceiling - decade) / (ceiling - ZERO_DECADE):.1f}"

    def where(day: date) -> int:
        return (day - first).days

    shading = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" opacity="0.13"><title>{}</title>'
        "</rect>",
        (
            (
                x(where(p.start)),
                top,
                f"{p.days * step:.1f}",
                plot_h,
                BAND_COLOURS[p.band],
                _describe(p),
            )
            for p in phases
        ),
    )
    # A label only where it fits: a phase of a few days on a long series is too narrow, and its
    # name is in the legend and in the shading's tooltip.
    names = format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="middle" fill="{}">{}</text>',
        (
            (x(where(p.start) + p.days / 2), top + 12, BAND_COLOURS[p.band], p.label)
            for p in phases
            if p.days * step >= display_width(p.label) * 6.5 + 4
        ),
    )
    decades = range(0, math.floor(ceiling) + 1)
    grid = format_html_join(
        "",
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>'
        '<text x="{}" y="{}" text-anchor="end">{}</text>',
        (
            (
                left,
                y(10**d),
                width - right,
                y(10**d),
                # 10, 100 and 1,000 are the band limits; 1 and 10,000 only scale.
                "#6b7280" if 1 <= d <= 3 else "#e5e7eb",
                left - 4,
                f"{float(y(10**d)) + 4:.1f}",
                f"{10**d:,}",
            )
            for d in decades
        ),
    )
    curve = format_html(
        '<polyline fill="none" stroke="#111827" stroke-width="1.5" points="{}">'
        "<title>{}</title></polyline>",
        " ".join(f"{x(i + 0.5)},{y(value)}" for i, (_day, value) in enumerate(days)),
        _("Daily new cases"),
    )
    odd = format_html_join(
        "",
        '<circle cx="{}" cy="{}" r="3.5" fill="white" stroke="{}"><title>{}</title></circle>',
        (
            (
                x(where(day) + 0.5),
                y(value),
                BAND_COLOURS[Band.of(value)],
                _("%(day)s: %(value)s, an odd day counted in the %(phase)s phase")
                % {"day": day, "value": f"{value:,}", "phase": p.label},
            )
            for p in phases
            for day, value in p.odd_days
        ),
    )
    every = max(math.ceil(len(days) / 8), 1)
    ticks = format_html_join(
        "",
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#9ca3af"/>'
        '<text x="{}" y="{}" text-anchor="middle">{}</text>',
        (
            (x(i + 0.5), y(0), x(i + 0.5), f"{float(y(0)) + 4:.1f}", x(i + 0.5), height - 10, text)
            for i, text in _ticks(days, every)
        ),
    )
    legend = format_html_join(
        "",
        '<tspan fill="{}">■ {} ({})</tspan> ',
        ((BAND_COLOURS[band], band.label, band.limits) for band in reversed(Band)),
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {w} {h}" '
        'font-family="sans-serif" font-size="11" fill="#374151" role="img" aria-label="{aria}">'
        "{shading}{grid}"
        '<line x1="{l}" y1="{zero}" x2="{r}" y2="{zero}" stroke="#9ca3af"/>'
        '<text x="{l4}" y="{zero4}" text-anchor="end">0</text>'
        "{names}{curve}{odd}{ticks}"
        '<text x="{l}" y="14">{axis}</text>'
        '<text x="{r}" y="14" text-anchor="end">{legend}</text></svg>',
        w=width,
        h=height,
        aria=_("Daily new cases from %(start)s to %(end)s on a log scale, with their phases shaded")
        % {"start": first, "end": days[-1][0]},
        shading=shading,
        grid=grid,
        l=left,
        r=width - right,
        l4=left - 4,
        zero=y(0),
        zero4=f"{float(y(0)) + 4:.1f}",
        names=names,
        curve=curve,
        odd=odd,
        ticks=ticks,
        axis=_("New cases a day (log scale)"),
        legend=legend,
    )


def _describe(phase: Phase) -> str:
    return _("%(phase)s: %(start)s … %(end)s, %(days)d days, peak %(peak)s on %(peak_on)s") % {
        "phase": phase.label,
        "start": phase.start,
        "end": phase.end,
        "days": phase.days,
        "peak": f"{phase.peak:,}",
        "peak_on": phase.peak_on,
    }


def _ticks(days: list[Day], every: int) -> list[tuple[int, str]]:
    """Every `every`-th day as MM-DD, with the year where it starts or changes."""
    ticks, year = [], None
    for i in range(0, len(days), every):
        day = days[i][0]
        ticks.append((i, day.isoformat() if day.year != year else day.strftime("%m-%d")))
        year = day.year
    return ticks


def display_width(text: str) -> int:
    """Width in Latin characters: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
