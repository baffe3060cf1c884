"""Adherence and the workspace's widths in headless Chromium, at desktop (1366x768) and phone (390x844) sizes:
the patient page's adherence table and chart for a patient who met the quota some weeks and not others, the
caseload's adherence column and filter, no sideways scroll of the page (a wide table scrolls in its own box),
every caseload column in view on a desktop, and axe-core finding no violation of any impact on either page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from patients.models import Alert
from tests.factories import ClinicFactory, checkin, make_therapist, patient_meeting_some_quotas, patient_on_program
from tests.screenshots import save_screenshot

SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "admin"


def _log_in(page: Any, url: str) -> None:
    page.goto(f"{url}/admin/login/")
    page.fill("#id_username", "tess")
    page.fill("#id_password", "correct-horse-battery")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/patients/patient/")


def _axe(page: Any) -> list[str]:
    return page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
            .map(v => `${v.impact} ${v.id}: ${v.nodes.map(n => n.target.join(" ")).slice(0, 3).join(", ")}`)"""
    )


def _assert_no_sideways_scroll(page: Any) -> None:
    """document.scrollingElement.scrollWidth within the window; on failure, name what sticks out."""
    width = page.evaluate("document.scrollingElement.scrollWidth")
    wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
            .filter(e => !(e.parentElement && e.parentElement.closest('.results, .cft-scroll, .cft-panel table')))
            .slice(-8).map(e => `${e.tagName}#${e.id}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)"""
    )
    assert width <= page.viewport_size["width"], wide


def _seed() -> Any:
    clinic = ClinicFactory(name="Fjord Physio", slug="fjord")
    tess = make_therapist(clinic, user__username="tess")
    mia = patient_meeting_some_quotas(
        clinic=clinic, therapist=tess, first_name="Mia", last_name="Montgomery-Halvorsen", record_number="FJ-2024-0042"
    )
    zoe = patient_on_program(clinic=clinic, therapist=tess, first_name="Zoe", last_name="Zimmer", weeks_ago=3)
    checkin(zoe, 1, 2, 3)
    checkin(zoe, 2, 4, 6)
    checkin(zoe, 3, 4, 6, red_flags={"rf_saddle": True})  # red flag and worsening: the widest alert cell
    Alert.objects.create(
        patient=zoe, episode=zoe.current_episode(), kind=Alert.Kind.MISSED, week=1, latest_week=1, weeks=[1]
    )
    ivy = patient_on_program(clinic=clinic, therapist=tess, first_name="Ivy", last_name="Improving", weeks_ago=2)
    checkin(ivy, 1, 3, 6)
    checkin(ivy, 2, 1, 3)  # "ODI 40.0 points better (MCID met)", the widest change cell
    patient_on_program(clinic=clinic, therapist=tess, first_name="Nora", last_name="New", weeks_ago=0)
    return mia


@pytest.mark.browser
@pytest.mark.integration
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_caseload_adherence_column_filter_and_widths(live_server, sized_page):
    _seed()
    page = sized_page
    _log_in(page, live_server.url)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"adherence-caseload-{page.size_name}.png", full_page=True)
    save_screenshot(page, f"admin/caseload-{page.size_name}", full_page=False)

    _assert_no_sideways_scroll(page)
    if page.size_name == "desktop":
        # Every column header and cell ends inside the window and inside the list's own box: nothing cut off,
        # no sideways scroll of the page or of the list.
        overflow = page.evaluate(
            """() => {
                const box = document.querySelector('#changelist-form .results').getBoundingClientRect();
                const right = Math.min(box.right, window.innerWidth) + 0.5;
                return [...document.querySelectorAll('#result_list th, #result_list td')]
                    .filter(cell => cell.getBoundingClientRect().right > right)
                    .map(cell => cell.className || cell.textContent.trim());
            }"""
        )
        assert overflow == []
        assert page.locator("#result_list thead").get_by_text("Open alerts").is_visible()
    row = page.locator("#result_list tbody tr", has_text="Mia Montgomery-Halvorsen")
    assert "43 % (3 of 7 met)" in row.locator("td.field-adherence").inner_text()
    assert _axe(page) == []

    page.goto(f"{live_server.url}/admin/patients/patient/?adherence=no_data")
    names = page.locator("#result_list tbody th.field-patient").all_inner_texts()
    assert names == ["Nora New"]
    _assert_no_sideways_scroll(page)


@pytest.mark.browser
@pytest.mark.integration
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_patient_page_adherence_table_chart_and_width(live_server, sized_page):
    mia = _seed()
    page = sized_page
    _log_in(page, live_server.url)
    page.goto(f"{live_server.url}/admin/patients/patient/{mia.pk}/change/")
    page.wait_for_selector("#adherence-table")
    page.locator("#adherence").screenshot(path=SHOTS / f"adherence-panel-{page.size_name}.png")
    save_screenshot(page, f"admin/adherence-{page.size_name}", part=page.locator("#adherence"))
    page.screenshot(path=SHOTS / f"adherence-patient-{page.size_name}.png", full_page=True)

    assert page.get_by_text("3 of 7 activity-weeks met: 43 % (under 50 %).").is_visible()
    rows = page.locator("#adherence-table tbody tr")
    assert rows.count() == 7
    assert rows.nth(1).inner_text().split("\t")[-1].strip() == "Not met"
    assert rows.nth(0).inner_text().split("\t")[-1].strip() == "Met"
    assert page.locator("svg.adherence-chart").count() == 2
    assert page.locator("svg.adherence-chart").first.is_visible()
    assert page.locator("#coping-table tbody tr").count() == 2
    _assert_no_sideways_scroll(page)
    assert _axe(page) == []
