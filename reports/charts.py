"""Server-side SVG charts of mean trajectories per program: the mean by program week with its 95 % CI as a
shaded band. No JavaScript, no CDN. Weeks with fewer than MIN_GROUP patients are left out, so a point never
stands for one or two people; each chart comes with a text table on the page for screen readers."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from reports.selectors import MIN_GROUP, TrajectoryPoint

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 48, 170, 20, 40
# Colour-blind-safe (Okabe-Ito), each >= 3:1 on white for lines.
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
SCALES = {"odi": (100, 20, "ODI (0-100)"), "nrs": (10, 2, "Pain NRS (0-10)")}


def _x(week: float, last: int) -> float:
    return LEFT + (WIDTH - LEFT - RIGHT) * week / max(last, 1)


def _y(value: float, top: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - max(0.0, min(value, top)) / top)


def trajectory_chart_svg(series: dict[str, tuple[str, list[TrajectoryPoint]]], measure: str) -> SafeString:
    top, step, title = SCALES[measure]
    shown = {
        key: (label, [p for p in points if getattr(p, measure).n >= MIN_GROUP])
        for key, (label, points) in series.items()
    }
    last = max([p.week for _, points in shown.values() for p in points] + [12])
    parts = [format_html('<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#555"/>',
                         LEFT, WIDTH - RIGHT, HEIGHT - BOTTOM, HEIGHT - BOTTOM)]  # fmt: skip
    for value in range(0, top + 1, step):
        y = f"{_y(value, top):.1f}"
        parts.append(format_html(
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#e5e5e5"/>'
            '<text x="{}" y="{}" font-size="11" text-anchor="end" fill="#333">{}</text>',
            LEFT, WIDTH - RIGHT, y, y, LEFT - 6, f"{float(y) + 4:.1f}", value))  # fmt: skip
    for week in range(0, last + 1, max(1, last // 12)):
        parts.append(format_html('<text x="{}" y="{}" font-size="11" text-anchor="middle" fill="#333">{}</text>',
                                 f"{_x(week, last):.1f}", HEIGHT - BOTTOM + 16, week))  # fmt: skip
    parts.append(format_html('<text x="{}" y="{}" font-size="12" text-anchor="middle" fill="#333">Program week</text>',
                             (WIDTH - RIGHT + LEFT) / 2, HEIGHT - 6))  # fmt: skip
    for index, (label, points) in enumerate(shown.values()):
        colour = COLOURS[index % len(COLOURS)]
        stats = [(p.week, getattr(p, measure)) for p in points]
        band = [(w, s) for w, s in stats if s.ci_low is not None]
        if len(band) >= 2:
            upper = [f"{_x(w, last):.1f},{_y(s.ci_high, top):.1f}" for w, s in band]
            lower = [f"{_x(w, last):.1f},{_y(s.ci_low, top):.1f}" for w, s in reversed(band)]
            parts.append(format_html('<polygon points="{}" fill="{}" fill-opacity="0.18" stroke="none"/>',
                                     " ".join(upper + lower), colour))  # fmt: skip
        if stats:
            coords = " ".join(f"{_x(w, last):.1f},{_y(s.mean, top):.1f}" for w, s in stats)
            parts.append(format_html('<polyline fill="none" stroke="{}" stroke-width="2.5" points="{}"/>',
                                     colour, coords))  # fmt: skip
            parts.append(format_html_join("", '<circle cx="{}" cy="{}" r="3" fill="{}"><title>{}</title></circle>', (
                (f"{_x(w, last):.1f}", f"{_y(s.mean, top):.1f}", colour,
                 f"{label}, week {w}: mean {s.mean:.1f} (n={s.n})") for w, s in stats)))  # fmt: skip
        legend_y = TOP + 14 + index * 18
        parts.append(format_html(
            '<rect x="{}" y="{}" width="14" height="4" fill="{}"/><text x="{}" y="{}" font-size="12" fill="#333">{}'
            "</text>", WIDTH - RIGHT + 12, legend_y - 4, colour, WIDTH - RIGHT + 32, legend_y, label[:22]))  # fmt: skip
    if not any(points for _, points in shown.values()):
        parts.append(format_html('<text x="{}" y="{}" font-size="13" text-anchor="middle" fill="#333">{}</text>',
                                 (WIDTH - RIGHT + LEFT) / 2, HEIGHT / 2,
                                 f"Too few patients per week to chart (under {MIN_GROUP})."))  # fmt: skip
    body = mark_safe("".join(parts))  # noqa: S308 - every part is built with format_html
    label = f"Mean {title} by program week and program, with 95% confidence bands"
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" role="img" aria-label="{}" class="trajectory">'
        "<title>{}</title>{}</svg>",
        WIDTH, HEIGHT, label, label, body,
    )  # fmt: skip
