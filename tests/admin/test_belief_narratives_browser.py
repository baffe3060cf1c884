"""The patient page's "Narratives for these beliefs" panel in headless Chromium at desktop (1366x768) and phone
(390x844) sizes: the suggestions for the highest beliefs, one added to the plan with its button, and axe-core
finding no violation of any impact on the page before and after."""

from __future__ import annotations

import re
from typing import Any

import pytest

from patients import beliefs
from patients.models import AssignmentItem, CheckIn
from tests.factories import ClinicFactory, checkin, make_therapist, patient_on_program
from tests.screenshots import save_screenshot

AXE_RUN = """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
    .map(v => `${v.impact} ${v.id}: ${v.nodes.map(n => n.target.join(" ")).slice(0, 3).join(", ")}`)"""
ADDED = "Treatment works, and you are part of it"


def axe_violations(page: Any) -> list[str]:
    return list(page.evaluate(AXE_RUN))


@pytest.mark.browser
@pytest.mark.integration
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_suggested_narrative_is_added_with_its_button(live_server, sized_page):
    clinic = ClinicFactory(name="Fjord Physio", slug="fjord")
    tess = make_therapist(clinic, user__username="tess", user__first_name="Tess", user__last_name="Therapist")
    nora = patient_on_program(clinic=clinic, therapist=tess, first_name="Nora", last_name="Belief", weeks_ago=4)
    intake = checkin(nora, 0, 2, 5, by=tess)
    CheckIn.objects.filter(pk=intake.pk).update(
        beliefs_version=beliefs.OURS,
        belief_consequences=8,  # with personal control 2: beliefs to address
        belief_personal_control=2,
        belief_treatment_control=1,  # need 9: the highest
        belief_concern=4,
    )
    page = sized_page
    page.goto(f"{live_server.url}/admin/login/?next=/admin/patients/patient/{nora.pk}/change/")
    page.fill("#id_username", "tess")
    page.fill("#id_password", "correct-horse-battery")
    page.click("input[type=submit]")
    panel = page.locator("#belief-narratives")
    panel.wait_for()
    assert "Furthest from where therapy aims: Treatment control." in panel.inner_text()
    assert panel.get_by_text(ADDED, exact=True).is_visible()
    assert page.locator("#beliefs-to-address").is_visible()
    assert page.locator("#beliefs svg.trend-chart").is_visible()
    assert axe_violations(page) == []
    save_screenshot(page, f"admin/belief-narratives-{page.size_name}", part=panel)

    panel.get_by_role("button", name=re.compile(f"^Add to plan ?: {ADDED}$")).click()
    page.get_by_text(f"{ADDED} added to").wait_for()
    assert AssignmentItem.objects.filter(assignment__episode__patient=nora, title=ADDED).count() == 1
    assert page.locator("#belief-narratives").get_by_text(ADDED, exact=True).count() == 0
    assert axe_violations(page) == []
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0 or page.size_name == "phone", overflow
