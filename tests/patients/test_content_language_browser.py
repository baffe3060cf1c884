"""A Norwegian patient's program page in a browser at a phone's size (Debian's Chromium, axe-core): the built-in
library in Norwegian, and the clinic's own item that has no Norwegian text in English, marked as English for
screen readers, with a note in Norwegian saying so."""

from __future__ import annotations

import pytest

from programs import services as library
from tests.factories import ClinicFactory, builtin_program, checkin, odi, patient_on_program
from tests.patients.test_patient_side_browser import DOCS, PHONE, _program_link, axe_violations, browser  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_norwegian_patient_reads_the_program_in_norwegian_with_the_clinics_english_item_marked(
    live_server,
    browser,  # noqa: F811 - the fixture imported above
):  # type: ignore[no-untyped-def]
    clinic = ClinicFactory(name="Fjord Fysioterapi", phone="+47 22 33 44 55", emergency_number="113")
    program = library.copy_program_to_clinic(program=builtin_program(), clinic=clinic)
    strategy = library.create_coping_strategy(
        clinic=clinic, title="Shoulder drop", instructions="Let your shoulders drop as you breathe out."
    )
    library.add_program_item(program=program, component=strategy)
    patient = patient_on_program(clinic=clinic, program=program, weeks_ago=4, language="nb", first_name="Kari")
    checkin(patient, 1, odi(3), 7)
    page = browser.page(PHONE, phone=True)

    page.goto(_program_link(patient, live_server))
    page.get_by_role("button", name="Åpne programmet mitt").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Programmet ditt, uke 5"
    # the built-in library in Norwegian: this week's reading, the coping strategies, the activity goals
    assert page.get_by_role("heading", name="Stress, søvn og smerte").is_visible()
    assert "Dårlig søvn, bekymring, nedstemthet og stress" in page.locator("article.narrative").first.inner_text()
    breathing = page.locator("article.coping-strategy", has=page.get_by_role("heading", name="Avslappet pust"))
    assert "Når du merker at du spenner deg" in breathing.locator(".when-to-use").inner_text()
    assert "Mål: 21 minutter" in page.locator("li.goal", has_text="Gå tur").inner_text()
    assert page.locator("li.goal", has_text="Reise seg fra stol").is_visible()
    # the clinic's own strategy, written only in English: shown in English, with the note in Norwegian
    own = page.locator("article.coping-strategy", has=page.get_by_role("heading", name="Shoulder drop"))
    assert own.locator(".fallback-note").inner_text() == "Ikke tilgjengelig på norsk ennå; vises på engelsk."
    assert own.locator("h3").get_attribute("lang") == "en-GB"
    assert own.locator(".instructions").get_attribute("lang") == "en-GB"
    assert page.locator(".fallback-note").count() == 1
    assert "Relaxed breathing" not in page.content() and "Walking" not in page.content()
    assert axe_violations(page) == []
    page.screenshot(path=DOCS / "nb-phone-program-language.png", full_page=True)

    page.get_by_role("navigation").get_by_role("link", name="Innsjekking").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Innsjekking uke 5"
    assert page.get_by_label("Gå tur: hvor mange minutter klarte du denne uken?").is_visible()
    assert page.locator("#checkin-form .fallback-note").inner_text() == (
        "Ikke tilgjengelig på norsk ennå; vises på engelsk."
    )
    assert axe_violations(page) == []
