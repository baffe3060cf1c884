"""Changing and tailoring a patient's program as a therapist does it, in headless Chromium at desktop (1366x768)
and phone (390x844) sizes: replace the program from a date, see the old one ended in the history, tailor an
activity's quota, and the patient's check-in then asks each question once with the tailored goal. axe-core finds
no violation of any impact on any page visited. With CFT_SCREENSHOTS=1 the desktop run writes the screenshots
docs/admin.md shows."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from patients import links
from patients.models import Assignment
from programs.models import Program
from tests.conftest import CHROMIUM, REQUIRE_BROWSER, require_chromium
from tests.factories import ClinicFactory, builtin_program, make_therapist, patient_on_program
from tests.screenshots import save_screenshot

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "tests" / "journeys" / "node_modules" / "axe-core" / "axe.min.js"
SIZES = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(params=list(SIZES), ids=list(SIZES))
def size(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def chromium() -> Iterator[Any]:
    require_chromium()
    if not AXE.exists():
        if REQUIRE_BROWSER:
            pytest.fail(f"REQUIRE_BROWSER=1 but {AXE} is missing")
        pytest.skip(f"needs axe-core at {AXE}")
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # ORM calls around the browser
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            try:
                yield browser
            finally:
                connections.close_all()
                browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def new_page(browser: Any, size: str) -> Any:
    phone = size == "phone"
    context = browser.new_context(viewport=SIZES[size], is_mobile=phone, has_touch=phone)
    context.add_init_script(path=str(AXE))  # before page scripts: the CSP does not apply to it
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def assert_accessible(page: Any, where: str) -> None:
    page.wait_for_load_state("load")
    checked, violations = page.evaluate(
        """async () => {
            const result = await axe.run(document);
            return [result.passes.length, result.violations.map(
                v => `${v.impact} ${v.id}: ${v.nodes.map(n => n.target.join(" ")).slice(0, 3).join(", ")}`)];
        }"""
    )
    assert checked > 10, "axe-core checked nothing"
    assert violations == [], f"{where}:\n" + "\n".join(violations)


def assert_fits(page: Any, where: str) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{where} is {overflow} px wider than the screen"


def shot(page: Any, size: str, name: str, part: Any = None) -> None:
    if size == "desktop":  # for docs/admin.md, with CFT_SCREENSHOTS=1 (tests/screenshots.py)
        save_screenshot(page, f"programs/{name}", part=part)


def test_change_a_program_from_a_date_tailor_a_quota_and_the_checkin_asks_once(live_server, chromium, size):
    clinic = ClinicFactory(name="Fjord Physio", slug="fjord")
    tess = make_therapist(clinic, user__username="tess")
    patient = patient_on_program(
        clinic=clinic, therapist=tess, first_name="Kari", last_name="Nordmann", weeks_ago=4,
        program=builtin_program(Program.Kind.PERSISTENT),
    )  # fmt: skip
    old = Assignment.objects.get(episode__patient=patient)
    today = patient.local_today()

    page = new_page(chromium, size)
    page.goto(f"{live_server.url}/admin/login/?next=/admin/patients/patient/{patient.pk}/change/")
    page.fill("#id_username", "tess")
    page.fill("#id_password", "correct-horse-battery")
    page.click("input[type=submit]")
    page.wait_for_selector("#care")
    assert_accessible(page, "patient page")

    form = page.locator("#assign-form")
    form.get_by_label("Program:", exact=True).select_option(label="Return to work (built-in)")
    form.get_by_label("Start date:", exact=True).fill(today.isoformat())
    form.get_by_label("Replace the current program from the start date").check()
    form.get_by_role("button", name="Assign program").click()
    page.wait_for_selector("text=Assigned Return to work")
    care = page.locator("#care")
    ended = care.locator(f"#assignment-{old.pk}")
    assert f"ended {today:%Y-%m-%d} (replaced)" in ended.inner_text()
    assert "Return to work from" in care.inner_text()
    assert_accessible(page, "patient page after the change")
    assert_fits(page, "the patient page")
    shot(page, size, "1-history", care)

    new = Assignment.objects.get(episode__patient=patient, ended_on__isnull=True)
    care.locator(f"#assignment-{new.pk}").get_by_role("link", name="Tailor for this patient").click()
    page.wait_for_selector("#tailor-form")
    assert_accessible(page, "tailoring page")
    assert_fits(page, "the tailoring page")
    walking = new.items.get(title="Walking")
    item = page.locator(f"#item-{walking.pk}")
    item.get_by_label("Week-1 quota (minutes)").fill("12")
    item.get_by_label("Weekly increase:", exact=True).fill("0")
    shot(page, size, "2-tailor")
    page.get_by_role("button", name="Save tailoring").click()
    page.wait_for_selector("text=Saved: Return to work (tailored for this patient).")
    assert "Return to work (tailored for this patient) from" in page.locator("#care").inner_text()
    assert_accessible(page, "patient page after tailoring")

    patient_page = new_page(chromium, size)
    patient_page.goto(f"{live_server.url}/checkin/{links.issue_token(patient)}/")
    patient_page.get_by_role("button", name="Start my check-in").click()
    patient_page.wait_for_url("**/checkin/")
    text = patient_page.locator("main").inner_text()
    assert text.count("Walking: how many minutes did you do this week?") == 1
    assert text.count("Did you use “Flare-up plan” this week?") == 1
    assert "Sit to stand" not in text  # the ended program's activity
    assert text.count("Your goal this week: 12 minutes.") == 1  # Walking, tailored (untailored: 21)
    assert_accessible(patient_page, "the patient's check-in page")
    shot(patient_page, size, "3-checkin", patient_page.locator("section[aria-labelledby=activities-title]"))
