import re
from decimal import Decimal
from xml.etree import ElementTree

from patients.charts import trend_chart_svg

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)  # noqa: S314 - our own output, in a test


def test_chart_is_valid_svg_with_a_line_and_points_for_each_measure():
    root = parse(trend_chart_svg([(1, Decimal("60.0"), 7), (2, Decimal("52.0"), 6), (3, None, 5)]))
    assert root.get("role") == "img" and root.get("aria-label")
    lines = root.findall(f"{SVG}polyline")
    assert len(lines) == 2  # ODI and NRS
    odi_points, nrs_points = (len(line.get("points").split()) for line in lines)
    assert (odi_points, nrs_points) == (2, 3)  # a week without an ODI score has no ODI point


def test_chart_draws_baseline_and_mcid_lines_with_labels_that_do_not_overlap():
    root = parse(trend_chart_svg([(1, Decimal("50.0"), 5), (2, Decimal("40.0"), 4)]))
    labels = {t.text: t for t in root.findall(f"{SVG}text") if t.text and ("baseline" in t.text or "MCID" in t.text)}
    assert set(labels) == {"ODI baseline 50", "ODI MCID (-10)", "NRS baseline 5", "NRS MCID (-2)"}
    # ODI 50 and NRS 5 sit at the same height: their labels are anchored at opposite ends.
    assert labels["ODI baseline 50"].get("y") == labels["NRS baseline 5"].get("y")
    assert labels["ODI baseline 50"].get("text-anchor") != labels["NRS baseline 5"].get("text-anchor")


def test_chart_escapes_its_title_and_has_no_script_or_style():
    svg = str(trend_chart_svg([(1, Decimal("10.0"), 2)], title='<script>alert("x")</script>'))
    assert "<script" not in svg and "style=" not in svg
    assert re.search(r"&lt;script&gt;", svg)


def test_chart_of_no_check_ins_is_still_a_chart():
    root = parse(trend_chart_svg([]))
    assert root.findall(f"{SVG}polyline") == []
