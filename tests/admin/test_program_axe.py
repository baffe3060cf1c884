"""axe-core on the editable program page, a new empty row included: every form input of the inline item rows
has a label (`label`), select2's textbox in each row has a name (`aria-input-field-name`, fixed by
programs/static/programs/autocomplete_names.js) and no header cell is empty (`empty-table-header`, fixed by
templates/admin/edit_inline/tabular.html). tests/admin/test_axe_sweep.py runs every rule on every staff page."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.admin.conftest import own_program
from tests.conftest import CHROMIUM, REQUIRE_BROWSER, require_chromium
from tests.factories import ClinicFactory, make_therapist

AXE = Path(__file__).resolve().parents[1] / "journeys" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.mark.browser
@pytest.mark.integration
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_editable_program_pages_inline_rows_all_have_names(live_server):
    require_chromium()
    if not AXE.exists():
        if REQUIRE_BROWSER:
            pytest.fail(f"REQUIRE_BROWSER=1 but {AXE} is missing")
        pytest.skip(f"needs axe-core at {AXE}")
    from playwright.sync_api import sync_playwright

    clinic = ClinicFactory(name="Fjord Physio", slug="fjord")
    make_therapist(clinic, user__username="tess")
    program = own_program(clinic, "Fjord return to activity")
    assert program.items.exists()
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
            context = browser.new_context(viewport={"width": 1366, "height": 900})
            context.add_init_script(path=str(AXE))  # before page scripts: the CSP does not apply to it
            page = context.new_page()
            page.goto(f"{live_server.url}/admin/login/?next=/admin/programs/program/{program.pk}/change/")
            page.fill("#id_username", "tess")
            page.fill("#id_password", "correct-horse-battery")
            page.click("input[type=submit]")
            page.wait_for_selector(".inline-group")
            page.locator(".inline-group .add-row a").click()
            violations = page.evaluate(
                """async () => (await axe.run(document, {
                        runOnly: ["label", "aria-input-field-name", "empty-table-header"], resultTypes: ["violations"]
                    })).violations
                    .map(v => `${v.impact} ${v.id}: ${v.nodes.map(n => n.target.join(" ")).slice(0, 3).join(", ")}`)"""
            )
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    assert violations == [], "\n".join(violations)
