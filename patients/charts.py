"""Server-side SVG trend chart of ODI (0-100, left axis) and pain NRS (0-10, right axis) over program weeks,
with each measure's baseline and MCID line (baseline - 10 ODI, baseline - 2 NRS). No JavaScript, no CDN: the
admin draws it with the therapist's words; the patient's progress page draws it in plain words, at a size whose
text stays legible on a phone (`PATIENT_LAYOUT`). Pair it with a text table for screen readers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from patients.scoring import NRS_MCID_POINTS, ODI_MCID_POINTS

ODI_COLOUR, NRS_COLOUR = "#1f4e99", "#a3361b"  # both >= 4.5:1 on white


@dataclass(frozen=True)
class Layout:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    font: int  # user units; on screen font x shown width / width
    dot: float
    stroke: float


# The admin's chart is read on a desktop screen, 640 units shown about 640 px wide.
ADMIN_LAYOUT = Layout(width=640, height=300, left=48, right=48, top=20, bottom=40, font=11, dot=3.5, stroke=2.5)
# The patient's is shown about 330 px wide on a 390 px phone: 16 units of text stay about 15 px there.
PATIENT_LAYOUT = Layout(width=360, height=340, left=40, right=32, top=24, bottom=50, font=16, dot=5, stroke=3)


@dataclass(frozen=True)
class Labels:
    odi: str = "ODI"
    nrs: str = "NRS"
    week: str = "week"
    axis: str = "Program week"
    odi_baseline: str = "ODI baseline {value}"
    odi_mcid: str = "ODI MCID (-10)"
    nrs_baseline: str = "NRS baseline {value}"
    nrs_mcid: str = "NRS MCID (-2)"
    number: Callable[[float], str] = "{:g}".format  # a baseline in its label
    value: Callable[[float], str] = str  # a point in its tooltip


THERAPIST_LABELS = Labels()


class _Chart:
    def __init__(self, layout: Layout, labels: Labels, last_week: int) -> None:
        self.layout, self.labels, self.last_week = layout, labels, last_week

    def x(self, week: int) -> float:
        lay = self.layout
        return lay.left + (lay.width - lay.left - lay.right) * (week / max(self.last_week, 1))

    def y(self, value: float, maximum: float) -> float:
        lay = self.layout
        return lay.top + (lay.height - lay.top - lay.bottom) * (1 - value / maximum)

    def line(self, points: Sequence[tuple[int, float]], maximum: float, colour: str, label: str) -> SafeString:
        if not points:
            return mark_safe("")  # noqa: S308 - constant
        coords = " ".join(f"{self.x(w):.1f},{self.y(v, maximum):.1f}" for w, v in points)
        week = self.labels.week
        number = self.labels.value
        dots = format_html_join(
            "",
            '<circle cx="{}" cy="{}" r="{}" fill="{}"><title>{}</title></circle>',
            (
                (
                    f"{self.x(w):.1f}",
                    f"{self.y(v, maximum):.1f}",
                    self.layout.dot,
                    colour,
                    f"{label} {week} {w}: {number(v)}",
                )
                for w, v in points
            ),
        )
        return format_html(
            '<polyline fill="none" stroke="{}" stroke-width="{}" points="{}"/>{}',
            colour,
            self.layout.stroke,
            coords,
            dots,
        )

    def hline(
        self, value: float, maximum: float, colour: str, dash: str, text: str, *, right: bool = False
    ) -> SafeString:
        """A dashed reference line; ODI labels sit at the left end and NRS labels at the right, so that the two
        measures' labels never overlap when their lines fall at the same height. On the patient's narrow chart
        the NRS labels also sit below their line (the ODI's above), as long labels there reach across."""
        lay = self.layout
        y = self.y(value, maximum)
        x, anchor = (lay.width - lay.right - 4, "end") if right else (lay.left + 4, "start")
        below = right and lay is PATIENT_LAYOUT
        text_y = y + lay.font + 1 if below else y - 3
        return format_html(
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-dasharray="{}" stroke-width="1.5"/>'
            '<text x="{}" y="{}" font-size="{}" text-anchor="{}" fill="{}">{}</text>',
            lay.left, lay.width - lay.right, f"{y:.1f}", f"{y:.1f}", colour, dash, x, f"{text_y:.1f}", lay.font, anchor,
            colour, text,
        )  # fmt: skip


def trend_chart_svg(
    series: Sequence[tuple[int, Decimal | float | None, int | None]],
    *,
    title: str = "ODI and pain NRS by program week",
    layout: Layout = ADMIN_LAYOUT,
    labels: Labels = THERAPIST_LABELS,
) -> SafeString:
    """`series` is (week, ODI or None, NRS or None) in week order; the first point is the baseline."""
    last_week = max([w for w, _, _ in series] + [4])
    chart = _Chart(layout, labels, last_week)
    lay = layout
    odi_points = [(w, float(o)) for w, o, _ in series if o is not None]
    nrs_points = [(w, float(n)) for w, _, n in series if n is not None]
    parts = [
        format_html(
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#555"/>',
            lay.left,
            lay.width - lay.right,
            lay.height - lay.bottom,
            lay.height - lay.bottom,
        )
    ]
    for value in range(0, 101, 20):
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="{}" text-anchor="end" fill="{}">{}</text>',
                lay.left - 6,
                f"{chart.y(value, 100) + lay.font * 4 / 11:.1f}",
                lay.font,
                ODI_COLOUR,
                value,
            )  # fmt: skip
        )
    for value in range(0, 11, 2):
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="{}" fill="{}">{}</text>',
                lay.width - lay.right + 6,
                f"{chart.y(value, 10) + lay.font * 4 / 11:.1f}",
                lay.font,
                NRS_COLOUR,
                value,
            )  # fmt: skip
        )
    # Week numbers spaced so that they never touch: about 3 characters of room each.
    room = (lay.width - lay.left - lay.right) / (lay.font * 2)
    step = max(1, -(-last_week // int(room)) if lay is PATIENT_LAYOUT else last_week // 12)
    for week in range(0, last_week + 1, step):
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="{}" text-anchor="middle" fill="#333">{}</text>',
                f"{chart.x(week):.1f}",
                lay.height - lay.bottom + lay.font + 5,
                lay.font,
                week,
            )  # fmt: skip
        )
    parts.append(
        format_html(
            '<text x="{}" y="{}" font-size="{}" text-anchor="middle" fill="#333">{}</text>',
            lay.width / 2,
            lay.height - 6,
            lay.font + 1,
            labels.axis,
        )  # fmt: skip
    )
    if odi_points:
        base = odi_points[0][1]
        parts.append(chart.hline(base, 100, ODI_COLOUR, "6 3", labels.odi_baseline.format(value=labels.number(base))))
        if base - ODI_MCID_POINTS >= 0:
            parts.append(chart.hline(base - ODI_MCID_POINTS, 100, ODI_COLOUR, "2 3", labels.odi_mcid))
    if nrs_points:
        base = nrs_points[0][1]
        text = labels.nrs_baseline.format(value=labels.number(base))
        parts.append(chart.hline(base, 10, NRS_COLOUR, "6 3", text, right=True))
        if base - NRS_MCID_POINTS >= 0:
            parts.append(chart.hline(base - NRS_MCID_POINTS, 10, NRS_COLOUR, "2 3", labels.nrs_mcid, right=True))
    parts.append(chart.line(odi_points, 100, ODI_COLOUR, labels.odi))
    parts.append(chart.line(nrs_points, 10, NRS_COLOUR, labels.nrs))
    body = mark_safe("".join(parts))  # noqa: S308 - every part is built with format_html
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" role="img" aria-label="{}" class="trend-chart">'
        "<title>{}</title>{}</svg>",
        lay.width, lay.height, title, title, body,
    )  # fmt: skip


# --- adherence: one activity's weekly target against what was done (patients.adherence) -----------------------
MET_COLOUR, NOT_MET_COLOUR, TARGET_COLOUR = "#1f4e99", "#a3361b", "#222"


type AdherenceBar = tuple[int, Decimal, Decimal | None, bool]


def adherence_chart_svg(title: str, unit: str, weeks: Sequence[AdherenceBar]) -> SafeString:
    """Bars of what was done each due week, a tick at the week's target, and "met" or "not met" written over each
    bar (so colour is never the only mark). `weeks` is (week, target, done or None, met). Pair it with the table."""
    lay = Layout(width=640, height=240, left=48, right=16, top=30, bottom=46, font=14, dot=0, stroke=2)
    top = max([float(t) for _, t, _, _ in weeks] + [float(d) for _, _, d, _ in weeks if d is not None] + [1.0])
    top *= 1.15
    plot_w, plot_h = lay.width - lay.left - lay.right, lay.height - lay.top - lay.bottom
    slot = plot_w / max(len(weeks), 1)
    bar = min(slot * 0.6, 48)

    def y(value: float) -> float:
        return lay.top + plot_h * (1 - value / top)

    base = lay.height - lay.bottom
    parts = [
        format_html(
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#555"/>', lay.left, lay.width - lay.right, base, base
        ),
        format_html(
            '<text x="{}" y="{}" font-size="{}" fill="#333">{}</text>', lay.left, lay.top - 8, lay.font, unit
        ),
        format_html(
            '<text x="{}" y="{}" font-size="{}" text-anchor="middle" fill="#333">Program week</text>',
            lay.left + plot_w / 2, lay.height - 6, lay.font + 1,
        ),
    ]  # fmt: skip
    for tick in (0, top / 1.15 / 2, top / 1.15):
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="{}" text-anchor="end" fill="#333">{}</text>',
                lay.left - 6,
                f"{y(tick) + 4:.1f}",
                lay.font,
                f"{tick:.0f}",
            )  # fmt: skip
        )
    for index, (week, target, done, met) in enumerate(weeks):
        centre = lay.left + slot * (index + 0.5)
        value = float(done or 0)
        colour = MET_COLOUR if met else NOT_MET_COLOUR
        words = "met" if met else ("not met" if done is not None else "none reported")
        label = f"Week {week}: {done if done is not None else 'nothing'} of {target} {unit}, {words}"
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>'
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="3"/>'
                '<text x="{}" y="{}" font-size="{}" text-anchor="middle" fill="{}">{}</text>'
                '<text x="{}" y="{}" font-size="{}" text-anchor="middle" fill="#333">{}</text>',
                f"{centre - bar / 2:.1f}",
                f"{y(value):.1f}",
                f"{bar:.1f}",
                f"{base - y(value):.1f}",
                colour,
                label,
                f"{centre - bar / 2 - 4:.1f}",
                f"{centre + bar / 2 + 4:.1f}",
                f"{y(float(target)):.1f}",
                f"{y(float(target)):.1f}",
                TARGET_COLOUR,
                f"{centre:.1f}",
                f"{min(y(value), y(float(target))) - 6:.1f}",
                lay.font,
                colour,
                "met" if met else "not met",
                f"{centre:.1f}",
                base + lay.font + 5,
                lay.font,
                week,
            )  # fmt: skip
        )
    body = mark_safe("".join(parts))  # noqa: S308 - every part is built with format_html
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" role="img" aria-label="{}" '
        'class="adherence-chart"><title>{}</title>{}</svg>',
        lay.width, lay.height, title, title, body,
    )  # fmt: skip


# --- beliefs: the four belief items (0-10) over program weeks (patients.beliefs) ------------------------------
BELIEF_COLOURS = ("#1f4e99", "#a3361b", "#155724", "#6b2d82")  # each >= 4.5:1 on white


def belief_chart_svg(
    series: Sequence[tuple[int, Sequence[int | None]]], names: Sequence[str], *, layout: Layout = ADMIN_LAYOUT
) -> SafeString:
    """One line per belief item (`names`, in `patients.beliefs.ITEMS` order), 0-10, over the weeks of `series`
    ((week, answers in the same order)); a legend names each line's colour. Pair it with the table of answers."""
    last_week = max([w for w, _ in series] + [4])
    chart = _Chart(layout, THERAPIST_LABELS, last_week)
    lay = layout
    parts = [
        format_html(
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#555"/>',
            lay.left,
            lay.width - lay.right,
            lay.height - lay.bottom,
            lay.height - lay.bottom,
        )  # fmt: skip
    ]
    for value in range(0, 11, 2):
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="{}" text-anchor="end" fill="#333">{}</text>',
                lay.left - 6,
                f"{chart.y(value, 10) + lay.font * 4 / 11:.1f}",
                lay.font,
                value,
            )  # fmt: skip
        )
    for week in sorted({w for w, _ in series}):
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="{}" text-anchor="middle" fill="#333">{}</text>',
                f"{chart.x(week):.1f}",
                lay.height - lay.bottom + lay.font + 5,
                lay.font,
                week,
            )  # fmt: skip
        )
    for index, (name, colour) in enumerate(zip(names, BELIEF_COLOURS, strict=False)):
        points = [(w, float(answer)) for w, answers in series if (answer := answers[index]) is not None]
        parts.append(chart.line(points, 10, colour, name))
        x = lay.left + index * (lay.width - lay.left - lay.right) / len(names)
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="{}"/>'
                '<text x="{}" y="{}" font-size="{}" fill="{}">{}</text>',
                f"{x:.1f}",
                f"{x + 14:.1f}",
                lay.height - 10,
                lay.height - 10,
                colour,
                lay.stroke,
                f"{x + 18:.1f}",
                lay.height - 6,
                lay.font,
                colour,
                name,
            )  # fmt: skip
        )
    title = "Belief answers (0-10) by program week"
    body = mark_safe("".join(parts))  # noqa: S308 - every part is built with format_html
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" role="img" aria-label="{}" class="trend-chart">'
        "<title>{}</title>{}</svg>",
        lay.width, lay.height, title, title, body,
    )  # fmt: skip
