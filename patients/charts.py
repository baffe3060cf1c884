"""Server-side SVG trend chart of ODI (0-100, left axis) and pain NRS (0-10, right axis) over program weeks,
with each measure's baseline and MCID line (baseline - 10 ODI, baseline - 2 NRS). No JavaScript, no CDN: the
same chart serves the admin and the patient's progress page. Pair it with a text table for screen readers."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from patients.scoring import NRS_MCID_POINTS, ODI_MCID_POINTS

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 48, 48, 20, 40
ODI_COLOUR, NRS_COLOUR = "#1f4e99", "#a3361b"  # both >= 4.5:1 on white


def _x(week: int, last_week: int) -> float:
    span = max(last_week, 1)
    return LEFT + (WIDTH - LEFT - RIGHT) * (week / span)


def _y(value: float, maximum: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - value / maximum)


def _line(points: Sequence[tuple[int, float]], maximum: float, last_week: int, colour: str, label: str) -> SafeString:
    if not points:
        return mark_safe("")  # noqa: S308 - constant
    coords = " ".join(f"{_x(w, last_week):.1f},{_y(v, maximum):.1f}" for w, v in points)
    dots = format_html_join(
        "",
        '<circle cx="{}" cy="{}" r="3.5" fill="{}"><title>{}</title></circle>',
        ((f"{_x(w, last_week):.1f}", f"{_y(v, maximum):.1f}", colour, f"{label} week {w}: {v}") for w, v in points),
    )
    return format_html('<polyline fill="none" stroke="{}" stroke-width="2.5" points="{}"/>{}', colour, coords, dots)


def _hline(value: float, maximum: float, colour: str, dash: str, text: str, *, right: bool = False) -> SafeString:
    """A dashed reference line; ODI labels sit at the left end and NRS labels at the right, so that the two
    measures' labels never overlap when their lines fall at the same height."""
    y = f"{_y(value, maximum):.1f}"
    x, anchor = (WIDTH - RIGHT - 4, "end") if right else (LEFT + 4, "start")
    return format_html(
        '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-dasharray="{}" stroke-width="1.5"/>'
        '<text x="{}" y="{}" font-size="11" text-anchor="{}" fill="{}">{}</text>',
        LEFT, WIDTH - RIGHT, y, y, colour, dash, x, float(y) - 3, anchor, colour, text,
    )  # fmt: skip


def trend_chart_svg(
    series: Sequence[tuple[int, Decimal | float | None, int | None]],
    *,
    title: str = "ODI and pain NRS by program week",
) -> SafeString:
    """`series` is (week, ODI or None, NRS or None) in week order; the first point is the baseline."""
    last_week = max([w for w, _, _ in series] + [4])
    odi_points = [(w, float(o)) for w, o, _ in series if o is not None]
    nrs_points = [(w, float(n)) for w, _, n in series if n is not None]
    parts = [
        format_html(
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#555"/>',
            LEFT,
            WIDTH - RIGHT,
            HEIGHT - BOTTOM,
            HEIGHT - BOTTOM,
        )
    ]
    for value in range(0, 101, 20):
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="11" text-anchor="end" fill="{}">{}</text>',
                LEFT - 6,
                f"{_y(value, 100) + 4:.1f}",
                ODI_COLOUR,
                value,
            )  # fmt: skip
        )
    for value in range(0, 11, 2):
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="11" fill="{}">{}</text>',
                WIDTH - RIGHT + 6,
                f"{_y(value, 10) + 4:.1f}",
                NRS_COLOUR,
                value,
            )  # fmt: skip
        )
    step = max(1, last_week // 12)
    for week in range(0, last_week + 1, step):
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="11" text-anchor="middle" fill="#333">{}</text>',
                f"{_x(week, last_week):.1f}",
                HEIGHT - BOTTOM + 16,
                week,
            )  # fmt: skip
        )
    parts.append(
        format_html(
            '<text x="{}" y="{}" font-size="12" text-anchor="middle" fill="#333">Program week</text>',
            WIDTH / 2,
            HEIGHT - 6,
        )  # fmt: skip
    )
    if odi_points:
        base = odi_points[0][1]
        parts.append(_hline(base, 100, ODI_COLOUR, "6 3", f"ODI baseline {base:g}"))
        if base - ODI_MCID_POINTS >= 0:
            parts.append(_hline(base - ODI_MCID_POINTS, 100, ODI_COLOUR, "2 3", "ODI MCID (-10)"))
    if nrs_points:
        base = nrs_points[0][1]
        parts.append(_hline(base, 10, NRS_COLOUR, "6 3", f"NRS baseline {base:g}", right=True))
        if base - NRS_MCID_POINTS >= 0:
            parts.append(_hline(base - NRS_MCID_POINTS, 10, NRS_COLOUR, "2 3", "NRS MCID (-2)", right=True))
    parts.append(_line(odi_points, 100, last_week, ODI_COLOUR, "ODI"))
    parts.append(_line(nrs_points, 10, last_week, NRS_COLOUR, "NRS"))
    body = mark_safe("".join(parts))  # noqa: S308 - every part is built with format_html
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" role="img" aria-label="{}" class="trend-chart">'
        "<title>{}</title>{}</svg>",
        WIDTH, HEIGHT, title, title, body,
    )  # fmt: skip
