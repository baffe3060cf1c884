"""The alert workflow in headless Chromium at desktop (1366x768) and phone (390x844) sizes: a patient worsening
over several weeks has ONE worsening alert listing its weeks; the therapist acknowledges two alerts at once with a
note and finds them in the alert history with that note; axe-core finds no violation of any impact on the page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from patients.models import Alert
from tests.factories import ClinicFactory, checkin, make_therapist, patient_on_program
from tests.screenshots import save_screenshot

SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "admin" / "alerts"
NOTE = "Phoned Will: flare after moving house. Eased the walking quota for two weeks."

AXE_RUN = """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
    .map(v => `${v.impact} ${v.id}: ${v.nodes.map(n => n.target.join(" ")).slice(0, 3).join(", ")}`)"""


def axe_violations(page: Any) -> list[str]:
    return list(page.evaluate(AXE_RUN))


@pytest.mark.browser
@pytest.mark.integration
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_one_worsening_alert_lists_its_weeks_and_two_are_acknowledged_with_a_note(live_server, sized_page):
    clinic = ClinicFactory(name="Fjord Physio", slug="fjord")
    tess = make_therapist(clinic, user__username="tess", user__first_name="Tess", user__last_name="Therapist")
    will = patient_on_program(clinic=clinic, therapist=tess, first_name="Will", last_name="Worse", weeks_ago=6)
    checkin(will, 1, 2, 3)
    for week in (2, 3, 4, 5, 6):  # NRS 6, baseline + 3, week after week
        checkin(will, week, 2, 6)
    assert Alert.objects.filter(patient=will).count() == 2  # one worsening, one flare: not ten
    page = sized_page
    SHOTS.mkdir(parents=True, exist_ok=True)

    page.goto(f"{live_server.url}/admin/login/?next=/admin/patients/patient/{will.pk}/change/")
    page.fill("#id_username", "tess")
    page.fill("#id_password", "correct-horse-battery")
    page.click("input[type=submit]")
    panel = page.locator("#open-alerts")
    panel.wait_for()
    assert panel.locator("input[name=alerts]").count() == 2
    worsening = panel.get_by_label("Worsening, weeks 3, 4, 5, 6")
    flare = panel.get_by_label("Flare, weeks 2, 3, 4, 5, 6")
    assert worsening.is_visible() and flare.is_visible()
    assert axe_violations(page) == []
    page.screenshot(path=SHOTS / f"1-open-alerts-{page.size_name}.png", full_page=True)
    save_screenshot(page, f"admin/alerts-1-open-{page.size_name}", part=page.locator("#open-alerts"))

    # Nothing chosen: told which field, nothing acknowledged, the note typed is kept.
    page.get_by_label("What was done").fill(NOTE)
    page.get_by_role("button", name="Acknowledge selected").click()
    page.get_by_text("Nothing acknowledged. Alerts: Choose at least one alert").wait_for()
    assert page.get_by_label("What was done").input_value() == NOTE
    assert Alert.objects.open().filter(patient=will).count() == 2

    worsening.check()
    flare.check()
    page.get_by_role("button", name="Acknowledge selected").click()
    page.get_by_text("2 alerts acknowledged").wait_for()
    assert panel.get_by_text("No open alerts.").is_visible()
    history = page.locator("#alert-history")
    assert history.get_by_text(NOTE).count() == 2
    rows = history.locator("tbody tr")
    assert rows.count() == 2
    texts = [rows.nth(i).inner_text() for i in range(2)]
    assert any("Worsening" in text and "3, 4, 5, 6" in text and "Tess Therapist" in text for text in texts)
    assert any("Flare" in text and "2, 3, 4, 5, 6" in text for text in texts)
    assert axe_violations(page) == []
    # The page fits the screen: nothing wider than the viewport but the history table, which scrolls inside.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    page.screenshot(path=SHOTS / f"2-history-{page.size_name}.png", full_page=True)
    save_screenshot(page, f"admin/alerts-2-history-{page.size_name}", part=page.locator("#alert-history"))
    assert overflow <= 0 or page.size_name == "phone", overflow

    for alert in Alert.objects.filter(patient=will):
        assert (alert.acknowledged_by, alert.note) == (tess, NOTE)
