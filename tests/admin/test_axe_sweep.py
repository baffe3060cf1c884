"""axe-core over every staff page, as a therapist and as a clinic admin, at desktop (1366x768) and phone
(390x844) sizes: zero violations of any impact. Pages come from the admin's own registry (every changelist,
add page and first change page the user may open) plus the pages around it: the admin index, the caseload
with each attention filter, the editable program (and a new inline row) and the built-in one, the report page,
the password change. With CFT_SCREENSHOTS=1 it saves the program page's screenshots for docs/admin.md."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.contrib import admin

from tests.admin.conftest import own_program
from tests.conftest import CHROMIUM, REQUIRE_BROWSER, require_chromium
from tests.factories import (
    ClinicFactory,
    builtin_program,
    checkin,
    make_clinic_admin,
    make_therapist,
    patient_on_program,
)
from tests.screenshots import save_screenshot

AXE = Path(__file__).resolve().parents[1] / "journeys" / "node_modules" / "axe-core" / "axe.min.js"
VIEWPORTS = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
PASSWORD = "correct-horse-battery"
PAGE_RESOURCES = {"stylesheet", "script", "image", "font"}
RUN_AXE = """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations.map(v =>
    `${v.impact} ${v.id} (${v.nodes.length}): ${v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", ")}`)"""


def _world() -> dict[str, Any]:
    clinic = ClinicFactory(name="Fjord Physio", slug="fjord")
    tess = make_therapist(clinic, user__username="tess", user__first_name="Tess", user__last_name="Berg")
    make_clinic_admin(clinic, user__username="ada", user__first_name="Ada", user__last_name="Lund")
    program = own_program(clinic, "Fjord return to activity")
    zoe = patient_on_program(clinic=clinic, therapist=tess, first_name="Zoe", last_name="Zimmer", program=program)
    checkin(zoe, 0, 3, 7, by=tess)
    checkin(zoe, 1, 4, 8, red_flags={"rf_saddle": True})
    anna = patient_on_program(clinic=clinic, therapist=tess, first_name="Anna", last_name="Able", weeks_ago=9)
    for week, (answers, nrs) in enumerate([(3, 7), (3, 6), (2, 5), (2, 4)]):
        checkin(anna, week * 3, answers, nrs, by=tess)
    return {"program": program, "builtin": builtin_program(), "patient": zoe}


def _staff_pages(world: dict[str, Any]) -> list[str]:
    """The pages besides the registry's: filters, the two kinds of program page, reports, account."""
    caseload = "/admin/patients/patient/"
    return [
        "/admin/",
        *(f"{caseload}?attention={key}" for key in ("any", "red_flag", "missed", "worsening")),
        f"{caseload}?caseload=clinic&response=not_yet",
        f"{caseload}?q=Zimmer",
        f"{caseload}{world['patient'].pk}/change/",
        f"{caseload}{world['patient'].pk}/history/",
        f"/admin/programs/program/{world['program'].pk}/change/",
        f"/admin/programs/program/{world['builtin'].pk}/change/",
        "/reports/",
        "/admin/password_change/",
    ]


def _registry_pages(page: Any, base: str) -> list[str]:
    """Every changelist this user may open, its add page when offered, and its first row's change page."""
    urls: list[str] = []
    for model in admin.site._registry:
        changelist = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        response = page.goto(base + changelist)
        if response is None or response.status != 200 or "/login/" in page.url:
            continue
        urls.append(changelist)
        if page.locator(".object-tools a.addlink").count():
            urls.append(f"{changelist}add/")
        first = page.locator("#result_list tbody tr a[href*='/change/']").first
        if first.count():
            urls.append(first.get_attribute("href") or "")
    return urls


@pytest.mark.browser
@pytest.mark.integration
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("username", ["tess", "ada"])
def test_every_staff_page_has_no_axe_violations(live_server, username):
    require_chromium()
    if not AXE.exists():
        if REQUIRE_BROWSER:
            pytest.fail(f"REQUIRE_BROWSER=1 but {AXE} is missing")
        pytest.skip(f"needs axe-core at {AXE}")
    from playwright.sync_api import sync_playwright

    world = _world()
    found: list[str] = []
    visited: list[str] = []
    broken: list[str] = []  # a style sheet, script or image the page asks for and does not get
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # as in test_browser.py: ORM calls around the browser
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            for size, viewport in VIEWPORTS.items():
                context = browser.new_context(viewport=viewport)
                context.add_init_script(path=str(AXE))  # before page scripts: the CSP does not apply to it
                page = context.new_page()
                page.set_default_timeout(15_000)
                # Only what the page loads: axe-core's own fetches (it reads style sheets' @imports, resolving
                # forms.css's against the page) are not the page's.
                page.on("response", lambda r: r.status >= 400 and r.request.resource_type in PAGE_RESOURCES
                        and broken.append(f"{r.status} {r.url} (from {r.frame.url})"))  # fmt: skip
                page.goto(f"{live_server.url}/admin/login/")
                page.fill("#id_username", username)
                page.fill("#id_password", PASSWORD)
                page.click("input[type=submit]")
                page.wait_for_url("**/admin/patients/patient/")
                urls = list(dict.fromkeys(_staff_pages(world) + _registry_pages(page, live_server.url)))
                editable = f"/admin/programs/program/{world['program'].pk}/change/"
                shots = {editable: "program"} if username == "tess" else {}
                for url in urls:
                    page.goto(live_server.url + url)
                    page.wait_for_load_state("load")
                    visited.append(f"{size} {url}")
                    found += [f"{username} {size} {url}: {v}" for v in page.evaluate(RUN_AXE)]
                    if url == editable:  # a new, empty inline row too (select2 built by the formset:added event)
                        page.locator(".inline-group .add-row a").click()
                        found += [f"{username} {size} {url} + new row: {v}" for v in page.evaluate(RUN_AXE)]
                    if url in shots:
                        save_screenshot(page, f"admin/{shots[url]}-{size}")
                context.close()
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    assert len(visited) > 20, visited
    assert broken == [], "\n".join(broken)
    assert found == [], "\n".join(found)


@pytest.mark.browser
@pytest.mark.integration
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("language", ["en-GB", "nb-NO"])
def test_the_home_page_for_visitors_has_no_axe_violations(live_server, sized_page, language):
    """`/` for anyone not signed in as staff (cft.views.home), in each language a browser may ask for."""
    page = sized_page
    page.context.set_extra_http_headers({"Accept-Language": language})
    response = page.goto(f"{live_server.url}/")
    assert response is not None and response.status == 200
    assert page.locator("html").get_attribute("lang") == ("nb" if language == "nb-NO" else "en-GB")
    assert page.evaluate(RUN_AXE) == []
