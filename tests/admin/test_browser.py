"""A therapist's morning, in headless Chromium against a live server: log in, filter the caseload to "needs
attention", open the patient with a red flag, see the chart, acknowledge the alert and assign a program.
Screenshots go to test-results/admin/ (gitignored) for a person to look at."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from patients.models import Alert, Assignment
from tests.admin.conftest import own_program
from tests.conftest import CHROMIUM, require_chromium
from tests.factories import ClinicFactory, checkin, make_therapist, patient_on_program

SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "admin"


@pytest.fixture
def browser_page():  # type: ignore[no-untyped-def]
    require_chromium()
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes around it are
    # ordinary synchronous ones, made before the browser starts or after it closes.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(15_000)
            yield page
        finally:
            browser.close()
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.mark.browser
@pytest.mark.integration
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_therapist_triages_a_red_flag_and_assigns_a_program(live_server, browser_page, settings):
    clinic = ClinicFactory(name="Fjord Physio", slug="fjord")
    tess = make_therapist(clinic, user__username="tess", user__first_name="Tess", user__last_name="Therapist")
    program = own_program(clinic, "Fjord return to activity")
    alice = patient_on_program(clinic=clinic, therapist=tess, first_name="Alice", last_name="Anders", weeks_ago=5)
    for week, (odi_answer, nrs) in enumerate([(3, 7), (3, 6), (2, 5), (2, 4), (2, 5)], start=1):
        flags = {"rf_saddle": True} if week == 5 else None
        checkin(alice, week, odi_answer, nrs, red_flags=flags)
    calm = patient_on_program(clinic=clinic, therapist=tess, first_name="Carl", last_name="Calm", weeks_ago=2)
    checkin(calm, 1, 1, 2)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser_page
    refused: list[str] = []
    page.on(
        "console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None
    )

    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "tess")
    page.fill("#id_password", "correct-horse-battery")
    page.click("input[type=submit]")
    page.get_by_role("link", name="Open the caseload").click()
    page.wait_for_url("**/admin/patients/patient/")
    assert page.locator("#result_list").is_visible()
    assert page.get_by_role("link", name="Carl Calm").is_visible()
    page.screenshot(path=SHOTS / "1-caseload.png", full_page=True)

    page.get_by_role("link", name="Needs attention (open alert)").click()
    page.wait_for_url("**attention=any**")
    assert page.get_by_role("link", name="Alice Anders").is_visible()
    assert page.get_by_role("link", name="Carl Calm").count() == 0
    assert "red flag" in page.locator("td.field-open_alerts").first.inner_text()
    page.screenshot(path=SHOTS / "2-needs-attention.png", full_page=True)

    page.get_by_role("link", name="Alice Anders").click()
    page.wait_for_selector("svg.trend-chart")
    assert page.locator("svg.trend-chart").is_visible()
    assert page.locator("#trend-table tbody tr").count() == 5
    assert page.locator("#open-alerts").get_by_text("Any new numbness around your back passage").is_visible()
    page.screenshot(path=SHOTS / "3-patient-page.png", full_page=True)

    page.locator("#open-alerts").get_by_label("Red flag, week 5").check()
    page.get_by_label("What was done").fill("Phoned Alice: no new symptoms; GP review booked.")
    page.get_by_role("button", name="Acknowledge selected").click()
    page.wait_for_selector("text=acknowledged.")
    assert page.get_by_text("No open alerts.").is_visible()
    page.screenshot(path=SHOTS / "4-acknowledged.png", full_page=True)

    page.select_option("#id_assign-program", label="Fjord return to activity")
    page.fill("#id_assign-start_date", alice.local_today().isoformat())  # her calendar, not the server's
    page.get_by_role("button", name="Assign program").click()
    page.wait_for_selector("text=Assigned Fjord return to activity")
    assert page.locator("#care").get_by_text("Fjord return to activity from").is_visible()
    page.screenshot(path=SHOTS / "5-assigned.png", full_page=True)

    assert refused == []  # every style and script obeys the strict CSP

    alert = Alert.objects.get(patient=alice, kind=Alert.Kind.RED_FLAG)
    assert alert.acknowledged_by == tess
    assert alert.acknowledged_at is not None
    assert Assignment.objects.filter(episode__patient=alice, program=program, assigned_by=tess).exists()
