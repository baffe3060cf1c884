"""The patient page's adherence panel: each due week's target against what was done, met written in words, a
chart per activity and the coping strategies used with how helpful they were."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.factories import patient_meeting_some_quotas


@pytest.fixture
def mia(world):  # type: ignore[no-untyped-def]
    return patient_meeting_some_quotas(clinic=world.alpha, therapist=world.tess, first_name="Mia", last_name="Met")


def panel(client, patient) -> str:  # type: ignore[no-untyped-def]
    page = client.get(reverse("admin:patients_patient_change", args=[patient.pk])).content.decode()
    return page[page.index('<section class="cft-panel" id="adherence"') :].split("</section>")[0]


def cells(html: str, table: str) -> list[list[str]]:
    body = html[html.index(f'id="{table}"') :].split("</table>")[0].split("<tbody>")[1]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def test_the_table_shows_target_done_and_met_in_words_for_each_due_week(client, world, mia):
    client.force_login(world.tess)
    html = panel(client, mia)
    assert "3 of 7 activity-weeks met: 43 % (under 50 %)." in html
    assert "<caption" in html and '<th scope="col">Target</th>' in html
    assert cells(html, "adherence-table") == [
        ["1", "Walking", "10 minutes", "10 minutes", "Met"],
        ["2", "Walking", "12 minutes", "11 minutes", "Not met"],
        ["2", "Sit to stand", "10 repetitions", "10 repetitions", "Met"],
        ["3", "Walking", "14 minutes", "no check-in", "Not met (missed week)"],
        ["3", "Sit to stand", "12 repetitions", "no check-in", "Not met (missed week)"],
        ["4", "Walking", "17 minutes", "17 minutes", "Met"],
        ["4", "Sit to stand", "14 repetitions", "not reported", "Not met"],
    ]


def test_a_chart_per_activity_with_met_written_over_each_bar(client, world, mia):
    client.force_login(world.tess)
    html = panel(client, mia)
    charts = re.findall(r'<svg [^>]*class="adherence-chart".*?</svg>', html, re.S)
    assert len(charts) == 2
    assert 'aria-label="Walking: minutes done against the weekly target"' in charts[0]
    assert "<title>Week 2: 11 of 12 minutes, not met</title>" in charts[0]
    assert charts[0].count(">met</text>") == 2 and charts[0].count(">not met</text>") == 2
    assert "style=" not in html  # the strict CSP allows no inline styles


def test_the_coping_strategies_used_and_how_helpful(client, world, mia):
    client.force_login(world.tess)
    assert cells(panel(client, mia), "coping-table") == [
        ["1", "Relaxed breathing", "yes", "7"],
        ["2", "Relaxed breathing", "no", "-"],
    ]


def test_a_patient_with_nothing_due_yet(client, world):
    client.force_login(world.tess)
    from tests.factories import patient_on_program

    new = patient_on_program(clinic=world.alpha, therapist=world.tess, weeks_ago=0)
    html = panel(client, new)
    assert "No activity-weeks due yet." in html
    assert "No coping strategies reported yet." in html
    assert 'id="adherence-table"' not in html
