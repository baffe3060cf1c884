"""The workspace as clinicians use it, in headless Chromium at desktop (1366 px) and phone (390 px) widths: the
caseload puts the red flag first, the patient page sends a check-in link, and reports are a link away for a
clinic admin and a clear refusal for a therapist."""

from __future__ import annotations

import os
from typing import Any

import pytest

from outbox.models import OutboxMessage
from patients.models import Alert
from patients.services import CHECKIN_LINK_TASK
from tests.conftest import CHROMIUM, require_chromium
from tests.factories import (
    ClinicFactory,
    checkin,
    licensed_odi_wording,
    make_clinic_admin,
    make_therapist,
    patient_on_program,
)

WIDTHS = {"desktop": 1366, "phone": 390}


@pytest.fixture(params=list(WIDTHS), ids=list(WIDTHS))
def sized_page(request: pytest.FixtureRequest) -> Any:
    require_chromium()
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # as in test_browser.py: ORM calls around the browser
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            page = browser.new_page(viewport={"width": WIDTHS[request.param], "height": 900})
            page.set_default_timeout(15_000)
            yield page
        finally:
            browser.close()
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def _log_in(page: Any, url: str, username: str) -> None:
    page.goto(f"{url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "correct-horse-battery")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/patients/patient/")


@pytest.mark.browser
@pytest.mark.integration
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_therapist_sees_the_red_flag_first_sends_a_link_and_is_told_who_sees_reports(live_server, sized_page):
    clinic = ClinicFactory(name="Fjord Physio", slug="fjord")
    tess = make_therapist(clinic, user__username="tess")
    patient_on_program(clinic=clinic, therapist=tess, first_name="Anna", last_name="Able")
    zoe = patient_on_program(clinic=clinic, therapist=tess, first_name="Zoe", last_name="Zimmer")
    licensed_odi_wording(clinic)
    checkin(zoe, 1, 2, 4, red_flags={"rf_saddle": True})
    page = sized_page

    _log_in(page, live_server.url, "tess")
    assert page.locator("h1").inner_text() == "Caseload"
    first = page.locator("#result_list tbody tr").first
    assert "Zoe Zimmer" in first.inner_text()
    assert page.get_by_role("link", name="Reports").count() == 0

    first.get_by_role("link", name="Zoe Zimmer").click()
    page.get_by_role("button", name="Send check-in link now").click()
    page.wait_for_selector("text=Check-in link queued for Zoe Zimmer.")
    assert OutboxMessage.objects.filter(task_name=CHECKIN_LINK_TASK, kwargs={"patient_id": zoe.pk}).exists()
    assert Alert.objects.filter(patient=zoe, acknowledged_at__isnull=True).exists()  # sending acknowledges nothing

    response = page.goto(f"{live_server.url}/reports/")
    assert response is not None and response.status == 403
    assert page.get_by_text("Outcome reports and exports are for clinic admins").is_visible()
    assert page.get_by_role("link", name="Back to the caseload").is_visible()


@pytest.mark.browser
@pytest.mark.integration
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_clinic_admin_reaches_the_reports_from_the_admin(live_server, sized_page):
    clinic = ClinicFactory(name="Fjord Physio", slug="fjord")
    make_clinic_admin(clinic, user__username="ada")
    page = sized_page

    _log_in(page, live_server.url, "ada")
    link = page.get_by_role("link", name="Reports", exact=True)
    assert link.is_visible()
    link.click()
    page.wait_for_url("**/reports/")
    assert page.locator("h1").inner_text() == "Outcome report"
