"""Small charts drawn on the server as SVG: no chart library to ship, nothing to load,
and they print and export like the rest of the page."""

from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

PALETTE = ["#b91c1c", "#2563eb", "#059669", "#d97706"]


@dataclass(frozen=True)
class Series:
    label: str
    values: list[float]


def line_chart(labels: list[str], series: list[Series], *, width=640, height=220) -> SafeString:
    """A line per series over the labels (e.g. days), with a y-axis from zero."""
    left, right, top, bottom = 36, 8, 10, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([max(s.values, default=0) for s in series] + [1])
    step = plot_w / max(len(labels) - 1, 1)

    def xy(index, value):
        return left + index * step, top + plot_h - (value / peak) * plot_h

    lines = format_html_join(
        "",
        '<polyline fill="none" stroke="{}" stroke-width="2" points="{}"><title>{}</title>'
        "</polyline>",
        (
            (
                PALETTE[n % len(PALETTE)],
                " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, v) for i, v in enumerate(s.values))),
                s.label,
            )
            for n, s in enumerate(series)
        ),
    )
    ticks = format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="middle">{}</text>',
        (
            (f"{left + i * step:.1f}", height - 8, label)
            for i, label in enumerate(labels)
            if i % max(len(labels) // 6, 1) == 0
        ),
    )
    legend = format_html_join(
        "",
        '<tspan fill="{}">■ {}</tspan> ',
        ((PALETTE[n % len(PALETTE)], s.label) for n, s in enumerate(series)),
    )
    return format_html(
        '<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{aria}">'
        '<line x1="{l}" y1="{b}" x2="{r}" y2="{b}" stroke="#9ca3af"/>'
        '<text x="{l2}" y="{t2}" text-anchor="end">{peak}</text>'
        '<text x="{l2}" y="{b}" text-anchor="end">0</text>'
        "{lines}{ticks}"
        '<text x="{r}" y="12" text-anchor="end">{legend}</text></svg>',
        w=width,
        h=height,
        aria=" / ".join(s.label for s in series),
        l=left,
        b=top + plot_h,
        r=width - right,
        l2=left - 4,
        t2=top + 8,
        peak=f"{peak:g}",
        lines=lines,
        ticks=ticks,
        legend=legend,
    )


def bar_chart(items: list[tuple[str, float]], *, width=420, bar_height=22) -> SafeString:
    """Horizontal bars, largest first as given."""
    label_w, pad = 120, 4
    peak = max([value for _label, value in items] + [1])
    height = max(len(items), 1) * (bar_height + pad)
    bars = format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="end">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="{}" fill="#b91c1c" opacity="0.8"/>'
        '<text x="{}" y="{}">{}</text>',
        (
            (
                label_w - 6,
                i * (bar_height + pad) + bar_height * 0.7,
                label,
                label_w,
                i * (bar_height + pad),
                f"{(width - label_w - 50) * value / peak:.1f}",
                bar_height,
                f"{label_w + (width - label_w - 50) * value / peak + 4:.1f}",
                i * (bar_height + pad) + bar_height * 0.7,
                f"{value:g}",
            )
            for i, (label, value) in enumerate(items)
        ),
    )
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img">{}</svg>', width, height, bars
    )
