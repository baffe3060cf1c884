"""Server-side SVG charts of mean trajectories per program: the mean by program week with its 95 % CI as a
shaded band. No JavaScript, no CDN. Weeks with fewer than MIN_GROUP patients are left out, so a point never
stands for one or two people; each chart comes with a text table on the page for screen readers.

A program is in the legend only when it has a line: at least two weeks with MIN_GROUP patients or more. The
others are named under the chart with the reason (`Chart.left_out`), never listed beside nothing. Text is laid
out to stay inside the viewBox: legend labels wrap to two lines of LEGEND_CHARS (the full title is the entry's
tooltip), and the drawing grows taller when the legend needs it."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from reports.disclosure import MIN_GROUP, too_few
from reports.selectors import TrajectoryPoint

WIDTH, PLOT_HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 48, 190, 28, 40
LEGEND_CHARS, LEGEND_LINE, LEGEND_GAP = 22, 13, 8  # 11 px text: 22 characters fit in the right margin
# Colour-blind-safe (Okabe-Ito), each >= 3:1 on white for lines; past six programs the dash tells them apart.
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#B07800", "#3A8FC0")
DASHES = ("none", "7 4", "2 3")
SCALES = {"odi": (100, 20, "ODI (0-100)"), "nrs": (10, 2, "Pain NRS (0-10)")}
MIN_WEEKS = 2  # a line needs two points


@dataclass(frozen=True)
class Chart:
    svg: SafeString
    left_out: list[str] = field(default_factory=list)  # "<program>: <why>", for the note under the chart

    def __str__(self) -> str:
        return self.svg

    def __html__(self) -> str:
        return self.svg


def _x(week: float, last: int) -> float:
    return LEFT + (WIDTH - LEFT - RIGHT) * week / max(last, 1)


def _y(value: float, top: float) -> float:
    return TOP + (PLOT_HEIGHT - TOP - BOTTOM) * (1 - max(0.0, min(value, top)) / top)


def legend_lines(label: str) -> list[str]:
    """The label in at most two lines of LEGEND_CHARS, the second ending in "…" when the rest does not fit."""
    lines = textwrap.wrap(label, LEGEND_CHARS, break_long_words=True) or [""]
    if len(lines) > 2:
        lines = [lines[0], lines[1][: LEGEND_CHARS - 1] + "…"]
    return lines


def _why_left_out(weeks: int) -> str:
    if weeks == 0:
        return f"no week with {MIN_GROUP} or more patients"
    return f"only one week with {MIN_GROUP} or more patients, so no line"


def trajectory_chart(series: dict[str, tuple[str, list[TrajectoryPoint]]], measure: str) -> Chart:
    top, step, title = SCALES[measure]
    shown: list[tuple[str, list[TrajectoryPoint]]] = []
    left_out: list[str] = []
    for label, points in series.values():
        enough = [p for p in points if getattr(p, measure).n and not too_few(getattr(p, measure).n)]
        if len(enough) >= MIN_WEEKS:
            shown.append((label, enough))
        else:
            left_out.append(f"{label}: {_why_left_out(len(enough))}")
    last = max([p.week for _, points in shown for p in points] + [12])
    right_edge = WIDTH - RIGHT
    parts = [
        format_html('<text x="4" y="14" font-size="11" fill="#333">{}</text>', title),
        format_html('<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#555"/>',
                    LEFT, right_edge, PLOT_HEIGHT - BOTTOM, PLOT_HEIGHT - BOTTOM),
    ]  # fmt: skip
    for value in range(0, top + 1, step):
        y = f"{_y(value, top):.1f}"
        parts.append(format_html(
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#e5e5e5"/>'
            '<text x="{}" y="{}" font-size="11" text-anchor="end" fill="#333">{}</text>',
            LEFT, right_edge, y, y, LEFT - 6, f"{float(y) + 4:.1f}", value))  # fmt: skip
    for week in range(0, last + 1, max(1, last // 12)):
        parts.append(format_html('<text x="{}" y="{}" font-size="11" text-anchor="middle" fill="#333">{}</text>',
                                 f"{_x(week, last):.1f}", PLOT_HEIGHT - BOTTOM + 16, week))  # fmt: skip
    parts.append(format_html('<text x="{}" y="{}" font-size="12" text-anchor="middle" fill="#333">Program week</text>',
                             (right_edge + LEFT) / 2, PLOT_HEIGHT - 6))  # fmt: skip
    legend_y = TOP + 4
    for index, (label, points) in enumerate(shown):
        colour, dash = COLOURS[index % len(COLOURS)], DASHES[index // len(COLOURS) % len(DASHES)]
        stats = [(p.week, getattr(p, measure)) for p in points]
        band = [(w, s) for w, s in stats if s.ci_low is not None]
        if len(band) >= MIN_WEEKS:
            upper = [f"{_x(w, last):.1f},{_y(s.ci_high, top):.1f}" for w, s in band]
            lower = [f"{_x(w, last):.1f},{_y(s.ci_low, top):.1f}" for w, s in reversed(band)]
            parts.append(format_html('<polygon points="{}" fill="{}" fill-opacity="0.18" stroke="none"/>',
                                     " ".join(upper + lower), colour))  # fmt: skip
        coords = " ".join(f"{_x(w, last):.1f},{_y(s.mean, top):.1f}" for w, s in stats)
        parts.append(format_html('<polyline class="series" fill="none" stroke="{}" stroke-width="2.5" '
                                 'stroke-dasharray="{}" points="{}"/>', colour, dash, coords))  # fmt: skip
        parts.append(format_html_join("", '<circle cx="{}" cy="{}" r="3" fill="{}"><title>{}</title></circle>', (
            (f"{_x(w, last):.1f}", f"{_y(s.mean, top):.1f}", colour,
             f"{label}, week {w}: mean {s.mean:.1f} (n={s.n})") for w, s in stats)))  # fmt: skip
        lines = legend_lines(label)
        texts = format_html_join("", '<text x="{}" y="{}" font-size="11" fill="#333">{}</text>', (
            (right_edge + 30, legend_y + 4 + i * LEGEND_LINE, line) for i, line in enumerate(lines)))  # fmt: skip
        parts.append(format_html(
            '<g class="legend-entry"><title>{}</title><line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" '
            'stroke-width="3" stroke-dasharray="{}"/>{}</g>',
            label, right_edge + 8, right_edge + 24, legend_y, legend_y, colour, dash, texts))  # fmt: skip
        legend_y += len(lines) * LEGEND_LINE + LEGEND_GAP
    if not shown:
        parts.append(format_html('<text x="{}" y="{}" font-size="13" text-anchor="middle" fill="#333">{}</text>',
                                 (right_edge + LEFT) / 2, PLOT_HEIGHT / 2,
                                 f"Too few patients per week to chart (under {MIN_GROUP})."))  # fmt: skip
    height = max(PLOT_HEIGHT, legend_y)
    body = mark_safe("".join(parts))  # noqa: S308 - every part is built with format_html
    label = f"Mean {title} by program week and program, with 95% confidence bands"
    svg = format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" role="img" aria-label="{}" class="trajectory">'
        "<title>{}</title>{}</svg>",
        WIDTH, height, label, label, body,
    )  # fmt: skip
    return Chart(svg=svg, left_out=left_out)
