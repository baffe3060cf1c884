"""The report page in headless Chromium at desktop (1366x768) and phone (390x844) sizes: a clinic admin
compares two programs by choosing their names, every chart label lies inside its drawing (the browser's own
text boxes against the viewBox), and axe-core finds nothing. With CFT_SCREENSHOTS=1 it saves the screenshots
docs/reports.md shows."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from programs.services import copy_program_to_clinic
from tests.conftest import CHROMIUM, REQUIRE_BROWSER, require_chromium
from tests.factories import builtin_program, checkin, patient_on_program
from tests.reports.conftest import build_clinic
from tests.screenshots import save_screenshot

AXE = Path(__file__).resolve().parents[1] / "journeys" / "node_modules" / "axe-core" / "axe.min.js"
VIEWPORTS = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
TEXT_OUTSIDE = """() => [...document.querySelectorAll("svg.trajectory")].flatMap(svg => {
    const [x0, y0, w, h] = svg.getAttribute("viewBox").split(" ").map(Number);
    return [...svg.querySelectorAll("text")].map(t => [t.textContent, t.getBBox()])
        .filter(([, b]) => b.x < x0 || b.y < y0 || b.x + b.width > x0 + w || b.y + b.height > y0 + h)
        .map(([text, b]) => `${text}: ${b.x},${b.y} ${b.width}x${b.height} outside ${w}x${h}`);
})"""
RUN_AXE = """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
    .map(v => `${v.impact} ${v.id}: ${v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", ")}`)"""


@pytest.mark.browser
@pytest.mark.integration
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_a_clinic_admin_compares_programs_by_name_on_a_chart_with_every_label_inside(live_server, size):
    require_chromium()
    if not AXE.exists():
        if REQUIRE_BROWSER:
            pytest.fail(f"REQUIRE_BROWSER=1 but {AXE} is missing")
        pytest.skip(f"needs axe-core at {AXE}")
    from playwright.sync_api import sync_playwright

    north = build_clinic(6, "North")
    north.admin.username = "ada"
    north.admin.save(update_fields=["username"])
    walk = copy_program_to_clinic(program=builtin_program(), clinic=north.clinic)
    walk.title = "Walk and talk: graded exposure for people back at work"
    walk.save(update_fields=["title"])
    for i in range(6):
        patient = patient_on_program(clinic=north.clinic, therapist=north.therapist, weeks_ago=13, program=walk)
        # The belief section at intake and week 12, so the belief table is on the page axe reads.
        intake = {"consequences": 8, "personal_control": 2 + i % 2, "treatment_control": 5, "concern": 7}
        later = {"consequences": 4 + i % 3, "personal_control": 6, "treatment_control": 7, "concern": 3 + i % 2}
        checkin(patient, 0, 3, 7, by=north.admin, beliefs=intake)
        checkin(patient, 6, 2, 5, by=north.admin)
        checkin(patient, 12, 1 + i % 2, 3 + i % 3, by=north.admin, beliefs=later)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # as in test_browser.py: ORM calls around the browser
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            context = browser.new_context(viewport=VIEWPORTS[size])
            context.add_init_script(path=str(AXE))  # before page scripts: the CSP does not apply to it
            page = context.new_page()
            page.set_default_timeout(15_000)
            page.goto(f"{live_server.url}/admin/login/?next=/reports/")
            page.fill("#id_username", "ada")
            page.fill("#id_password", "correct-horse-battery")
            page.click("input[type=submit]")
            page.wait_for_url("**/reports/")
            assert page.locator("h1").inner_text() == "Outcome report"
            assert page.locator(".breadcrumbs").inner_text().startswith("Home")
            assert page.locator("svg.trajectory .legend-entry").count() == 4  # two programs, two charts
            assert page.locator("#belief-figures").get_by_text(walk.title).count() >= 1

            first, second = page.locator('select[name="compare"]').all()
            first.select_option(label=walk.title)
            second.select_option(label=f"{builtin_program().title} (built-in)")
            page.locator('select[name="at"]').select_option(label="Week 12")
            page.get_by_role("button", name="Show").click()
            page.wait_for_selector("text=difference in mean improvement")
            assert f"compare={walk.pk}&compare={builtin_program().pk}" in page.url
            outside = page.evaluate(TEXT_OUTSIDE)
            violations = page.evaluate(RUN_AXE)
            save_screenshot(page, f"reports/report-{size}")
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    assert outside == []
    assert violations == [], "\n".join(violations)
