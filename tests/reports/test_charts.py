"""The trajectory chart: a line for every program in its legend (the others named under it with the reason),
and every label inside the drawing. The SVG is parsed; text width is estimated generously (0.62 em a
character, wider than the average of the sans-serif fonts browsers use), and the browser test of the report
page measures the real boxes."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from reports import statistics as st
from reports.charts import LEGEND_CHARS, legend_lines, trajectory_chart
from reports.disclosure import MIN_GROUP
from reports.selectors import TrajectoryPoint

SVG = "{http://www.w3.org/2000/svg}"


def _points(weeks: dict[int, int], odi: float = 40.0) -> list[TrajectoryPoint]:
    """A program's points: `weeks` maps a week to its number of patients."""
    return [
        TrajectoryPoint(
            week,
            st.summarize([odi - week + i % 3 for i in range(n)]),
            st.summarize([5 + i % 3 for i in range(n)]),
        )
        for week, n in weeks.items()
    ]


def _tree(chart) -> ET.Element:  # type: ignore[no-untyped-def]
    return ET.fromstring(str(chart.svg))  # noqa: S314 - our own output, in a test


def _legend(root: ET.Element) -> list[str]:
    return [entry.find(f"{SVG}title").text for entry in root.iter(f"{SVG}g") if entry.get("class") == "legend-entry"]


def _lines(root: ET.Element) -> int:
    return sum(1 for line in root.iter(f"{SVG}polyline") if line.get("class") == "series")


def _text_boxes(root: ET.Element):  # type: ignore[no-untyped-def]
    for text in root.iter(f"{SVG}text"):
        size = float(text.get("font-size", 16))
        width = len(text.text or "") * size * 0.62
        x, y = float(text.get("x", 0)), float(text.get("y", 0))
        anchor = text.get("text-anchor", "start")
        left = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
        yield text.text, left, y - size, left + width, y + size * 0.3


SERIES = {
    "1": ("Persistent pain", _points({0: 8, 4: 7, 8: 6, 12: 5})),
    "2": ("Return to work", _points({0: 3, 4: 2})),  # never MIN_GROUP: no point to draw
    "3": ("Acute flare", _points({0: 6, 4: 2, 8: 1})),  # one week with enough: a point, not a line
    "4": ("Graded walking", _points({0: 5, 12: 5})),
}


@pytest.mark.parametrize("measure", ["odi", "nrs"])
def test_every_program_in_the_legend_has_a_line_and_the_rest_are_named_with_the_reason(measure):
    chart = trajectory_chart(SERIES, measure)
    root = _tree(chart)
    assert _legend(root) == ["Persistent pain", "Graded walking"]
    assert _lines(root) == len(_legend(root))
    assert chart.left_out == [
        f"Return to work: no week with {MIN_GROUP} or more patients",
        f"Acute flare: only one week with {MIN_GROUP} or more patients, so no line",
    ]


def test_a_chart_with_no_line_says_why_and_has_no_legend():
    chart = trajectory_chart({"2": SERIES["2"]}, "odi")
    root = _tree(chart)
    assert _legend(root) == [] and _lines(root) == 0
    assert any("Too few patients per week to chart" in (t.text or "") for t in root.iter(f"{SVG}text"))


LONG = "Return to work after a long absence, with a graded exposure plan for lifting"


@pytest.mark.parametrize("count", [1, 6, 14])
@pytest.mark.parametrize("measure", ["odi", "nrs"])
def test_every_label_is_inside_the_viewbox(measure, count):
    series = {str(i): (f"{LONG} {i}" if i % 2 else f"P{i}", _points({0: 9, 6: 8, 26: 7})) for i in range(count)}
    root = _tree(trajectory_chart(series, measure))
    _, _, width, height = (float(v) for v in root.get("viewBox").split())
    assert _lines(root) == len(_legend(root)) == count
    for text, left, top, right, bottom in _text_boxes(root):
        assert left >= 0 and right <= width, (text, left, right, width)
        assert top >= 0 and bottom <= height, (text, top, bottom, height)


def test_legend_labels_wrap_to_two_lines_and_end_in_an_ellipsis_when_cut():
    assert legend_lines("Persistent pain") == ["Persistent pain"]
    lines = legend_lines(LONG)
    assert len(lines) == 2 and lines[1].endswith("…")
    assert all(len(line) <= LEGEND_CHARS for line in lines)
    root = _tree(trajectory_chart({"1": (LONG, _points({0: 5, 4: 5}))}, "odi"))
    assert _legend(root) == [LONG]  # the whole title stays, as the legend entry's tooltip
