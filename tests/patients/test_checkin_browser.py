"""The check-in as a patient does it: headless Chromium at a phone's size, keyboard only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections

from patients import links
from patients.models import RED_FLAGS, CheckIn
from tests.conftest import CHROMIUM, require_chromium
from tests.factories import checkin, odi, patient_on_program

PHONE = {"width": 390, "height": 844}
SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "checkin"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    require_chromium()
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
            yield context.new_page()
        finally:
            # ORM calls made while Playwright runs get their own connection (another context); close it, or
            # PostgreSQL refuses to drop the test database at the end of the session.
            connections.close_all()
            browser.close()


def tab_to(page, name: str, limit: int = 300) -> None:
    """Press Tab until the control named `name` has the focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.getAttribute('name')") == name:
            return
    raise AssertionError(f"Tab never reached {name}")


def choose(page, name: str, position: int) -> None:
    """Tab into a radio group and pick the option at `position` with Space and the arrow keys."""
    tab_to(page, name)
    page.keyboard.press("Space")
    for _ in range(position):
        page.keyboard.press("ArrowDown")


def submit(page) -> None:
    for _ in range(50):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.type") == "submit":
            with page.expect_navigation():
                page.keyboard.press("Enter")
            return
    raise AssertionError("Tab never reached the submit button")


def test_a_patient_checks_in_on_a_phone_with_the_keyboard_alone(live_server, page):
    patient = patient_on_program(weeks_ago=2)
    checkin(patient, 1, odi(3), 8)
    url = f"{live_server.url}/checkin/{links.issue_token(patient)}/"

    page.goto(url)
    page.screenshot(path=SHOTS / "0-open-link.png", full_page=True)
    page.get_by_role("button", name="Start my check-in").click()
    assert page.url.endswith("/checkin/")
    page.screenshot(path=SHOTS / "1-form.png", full_page=True)
    page.screenshot(path=SHOTS / "1a-form-top.png")
    for index in range(10):
        choose(page, f"odi[{index}]", 2 if index != 7 else 6)  # 6 = "prefer not to answer"
    for key in RED_FLAGS:
        choose(page, f"red_flags.{key}", 0)  # No
    tab_to(page, "activities[0].done")
    page.keyboard.type("12")
    tab_to(page, "note")
    page.keyboard.type("Walked to the shop twice.")
    page.locator("section", has=page.locator('input[name="red_flags.rf_fever"]')).screenshot(
        path=SHOTS / "1b-red-flags.png"
    )
    page.locator("section", has=page.locator('input[name="activities[0].done"]')).screenshot(
        path=SHOTS / "1c-activities.png"
    )
    page.locator("section", has=page.locator('select[name="coping[0].helpful"]')).screenshot(
        path=SHOTS / "1d-coping.png"
    )
    submit(page)  # the pain question is still unanswered

    assert page.locator("#error-summary").is_visible()
    assert "Choose a number from 0 (no pain) to 10" in page.locator("#error-summary").inner_text()
    assert page.locator('input[name="odi[3]"]:checked').get_attribute("value") == "2"
    assert page.locator('input[name="odi[7]"]:checked').get_attribute("value") == "skip"
    assert page.locator('input[name="red_flags.rf_saddle"]:checked').get_attribute("value") == "no"
    assert page.locator('input[name="activities[0].done"]').input_value() == "12"
    assert page.locator('textarea[name="note"]').input_value() == "Walked to the shop twice."
    assert not CheckIn.objects.filter(week=3).exists()
    page.screenshot(path=SHOTS / "2-missing-answer.png", full_page=True)
    page.screenshot(path=SHOTS / "2a-error-summary.png")

    choose(page, "pain_nrs", 5)
    page.locator("fieldset", has=page.locator('input[name="pain_nrs"]')).screenshot(path=SHOTS / "2b-pain.png")
    page.locator("fieldset", has=page.locator('input[name="odi[3]"]')).screenshot(path=SHOTS / "2c-odi-kept.png")
    submit(page)

    assert page.url.endswith("/checkin/done/")
    assert page.locator("svg.trend-chart").is_visible()
    assert page.get_by_role("table").is_visible()
    assert "Next week (week 4)" in page.content()
    page.screenshot(path=SHOTS / "3-progress.png", full_page=True)
    stored = CheckIn.objects.get(patient=patient, week=3)
    assert (stored.pain_nrs, stored.odi_answers[7], stored.note) == (5, None, "Walked to the shop twice.")


def test_a_red_flag_shows_the_emergency_message(live_server, page):
    patient = patient_on_program(weeks_ago=0)
    page.goto(f"{live_server.url}/checkin/{links.issue_token(patient)}/")
    page.get_by_role("button", name="Start my check-in").click()
    for index in range(10):
        choose(page, f"odi[{index}]", 1)
    choose(page, "pain_nrs", 4)
    for key in RED_FLAGS:
        choose(page, f"red_flags.{key}", 1 if key == "rf_bladder_bowel" else 0)
    submit(page)
    message = page.locator("#red-flag-message")
    assert message.is_visible()
    assert "Call emergency services or go to an emergency department now." in message.inner_text()
    page.screenshot(path=SHOTS / "4-red-flag.png", full_page=True)


def test_an_expired_link_shows_its_page(live_server, page, settings):
    patient = patient_on_program()
    token = links.issue_token(patient)
    settings.MAGIC_LINK_MAX_AGE_DAYS = -1
    response = page.goto(f"{live_server.url}/checkin/{token}/")
    assert response.status == 410
    assert page.get_by_role("heading", level=1).inner_text() == "This link has expired"
    assert page.get_by_text("ask them to send you a new check-in link").is_visible()
    page.screenshot(path=SHOTS / "5-expired.png", full_page=True)


def test_a_tampered_link_shows_its_page(live_server, page):
    patient = patient_on_program()
    token = links.issue_token(patient)
    response = page.goto(f"{live_server.url}/checkin/{token[:-4]}AAAA/")
    assert response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "This link does not work"
    assert patient.first_name not in page.content()
    page.screenshot(path=SHOTS / "6-tampered.png", full_page=True)
