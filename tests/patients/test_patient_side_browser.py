"""The patient's side in a browser (Debian's Chromium): from a reminder email to the program page, a check-in
in Norwegian and the progress sentence, with axe-core at zero violations on every patient page at a phone's
size and a desktop's. The screenshots are the ones docs/patient-api.md shows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections

from patients.models import RED_FLAGS, CheckIn, Patient
from reminders.emails import patient_link_message
from tests.conftest import CHROMIUM, REQUIRE_BROWSER, require_chromium
from tests.factories import ClinicFactory, checkin, odi, patient_on_program

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "tests" / "journeys" / "node_modules" / "axe-core" / "axe.min.js"
DOCS = ROOT / "docs" / "screenshots" / "patient"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


class Browser:
    """A Chromium with axe-core injected before any page script (so the CSP does not apply to it); it records
    CSP violations and page errors on the pages it opens."""

    def __init__(self, chromium) -> None:  # type: ignore[no-untyped-def]
        self.chromium = chromium
        self.problems: list[str] = []

    def page(self, viewport: dict[str, int], *, phone: bool):  # type: ignore[no-untyped-def]
        context = self.chromium.new_context(viewport=viewport, is_mobile=phone, has_touch=phone)
        context.add_init_script(path=str(AXE))
        page = context.new_page()
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on(
            "console",
            lambda m: (
                self.problems.append(f"console: {m.text[:200]}")
                if "Content Security Policy" in m.text and not m.location.get("url", "").endswith(AXE.name)
                else None
            ),
        )
        return page


def axe_violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    page.wait_for_load_state("load")
    checked, violations = page.evaluate(
        """async () => {
            const result = await axe.run(document);
            return [result.passes.length, result.violations.map(
                v => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map(n => n.target.join(" ")).join(", ")})`)];
        }"""
    )
    assert checked > 10, "axe-core checked nothing"
    return violations


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    require_chromium()
    if not AXE.exists():
        if REQUIRE_BROWSER:
            pytest.fail(f"REQUIRE_BROWSER=1 but {AXE} is missing (make test installs it with npm)")
        pytest.skip(f"needs axe-core at {AXE}")
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
    DOCS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        watched = Browser(chromium)
        try:
            yield watched
        finally:
            connections.close_all()
            chromium.close()
        assert not watched.problems


def _patient(language: str) -> Patient:
    clinic = ClinicFactory(name="Fjord Fysioterapi", phone="+47 22 33 44 55", emergency_number="113")
    patient = patient_on_program(clinic=clinic, weeks_ago=4, language=language, first_name="Kari")
    checkin(patient, 1, odi(3), 7)  # ODI 60, pain 7: the start
    return patient


def _program_link(patient: Patient, live_server) -> str:  # type: ignore[no-untyped-def]
    """The program link of a reminder email as the patient receives it (text part), on the live server."""
    message = patient_link_message(patient, "weekly", "browser-1")
    url = re.search(r"https?://\S+/checkin/\S+/\?next=program", message.body).group(0)
    return live_server.url + url.split("/", 3)[3].join(["/", ""])


def _fill_check_in(page) -> None:  # type: ignore[no-untyped-def]
    page.locator('input[name="pain_nrs"][value="4"]').check()
    for index in range(10):
        page.locator(f'input[name="odi[{index}]"][value="1"]').check()
    for key in RED_FLAGS:
        page.locator(f'input[name="red_flags.{key}"][value="no"]').check()
    page.locator('input[name="activities[0].done"]').fill("21")


def _shoot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.screenshot(path=DOCS / f"{name}.png", full_page=True)


def test_a_norwegian_patient_reads_the_program_from_the_reminder_then_checks_in(live_server, browser):
    patient = _patient("nb")
    page = browser.page(PHONE, phone=True)

    page.goto(_program_link(patient, live_server))
    assert page.locator("html").get_attribute("lang") == "nb"
    page.get_by_role("button", name="Åpne programmet mitt").click()
    assert page.url.endswith("/checkin/program/")
    assert page.get_by_role("heading", level=1).inner_text() == "Programmet ditt, uke 5"
    # a narrative to read, and a coping strategy with its instructions and when to use it, in Norwegian
    assert page.get_by_role("heading", name="Stress, søvn og smerte").is_visible()
    strategy = page.locator("article.coping-strategy", has=page.get_by_role("heading", name="Avslappet pust"))
    assert "Pust rolig ned i magen" in strategy.locator(".instructions").inner_text()
    assert strategy.locator(".when-to-use").is_visible()
    # this week's goal in whole units (20.8 minutes in the schedule)
    walking = page.locator("li.goal", has_text="Gå tur")
    assert "Mål: 21 minutter" in walking.inner_text()
    assert "Ingenting meldt ennå denne uken." in walking.inner_text()
    # the emergency panel names the clinic's number and the local emergency number as tel: links
    panel = page.locator("#emergency-panel")
    assert panel.get_by_role("link", name="+47 22 33 44 55").get_attribute("href") == "tel:+4722334455"
    assert panel.get_by_role("link", name="113").get_attribute("href") == "tel:113"
    assert axe_violations(page) == []
    _shoot(page, "nb-phone-1-program")
    page.locator("#emergency-panel").screenshot(path=DOCS / "nb-phone-emergency-panel.png")

    page.get_by_role("navigation").get_by_role("link", name="Innsjekking").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Innsjekking uke 5"
    assert axe_violations(page) == []
    _fill_check_in(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Send innsjekkingen").click()

    assert page.url.endswith("/checkin/done/")
    sentence = page.locator("#progress-sentence").inner_text()
    assert "Funksjonsplagene dine: 40,0 poeng bedre enn da du startet, en endring som betyr noe." in sentence
    assert "Smertene dine: 3 poeng bedre enn da du startet, en endring som betyr noe." in sentence
    assert page.locator("svg.trend-chart").is_visible()
    assert axe_violations(page) == []
    _shoot(page, "nb-phone-2-progress")
    page.locator("figure.chart").screenshot(path=DOCS / "nb-phone-chart.png")
    assert CheckIn.objects.get(patient=patient, week=5).pain_nrs == 4

    # The chart's text is legible on the phone: at least 12 px on screen.
    sizes = page.evaluate(
        """() => [...document.querySelectorAll("svg.trend-chart text")]
            .map(t => t.getBoundingClientRect().height)"""
    )
    assert min(sizes) >= 12, sizes

    page.get_by_role("link", name="Åpne programmet mitt: hva jeg skal lese og gjøre denne uken").click()
    assert "Du har meldt 21 minutter så langt." in page.locator("li.goal", has_text="Gå tur").inner_text()


@pytest.mark.parametrize("language", ["en-gb", "nb"])
def test_the_patient_pages_have_no_axe_violations_on_a_phone_or_a_desktop(live_server, browser, language):
    patient = _patient(language)
    checkin(patient, 5, odi(1), 4)
    tag = "en" if language == "en-gb" else "nb"
    for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page = browser.page(viewport, phone=size == "phone")
        page.goto(_program_link(patient, live_server))
        assert axe_violations(page) == [], "open link"
        page.locator("#open-checkin").click()
        for path, name in (("/checkin/program/", "program"), ("/checkin/", "checkin"), ("/checkin/done/", "progress")):
            page.goto(live_server.url + path)
            assert axe_violations(page) == [], f"{size} {path}"
            if name != "checkin" and (size == "desktop" or tag == "en"):  # the form: test-results/checkin
                _shoot(page, f"{tag}-{size}-{name}")
        page.context.close()


@pytest.mark.parametrize(
    ("language", "heading", "question", "ends"),
    [
        (
            "en-gb",
            "How you see your back pain",
            "How much control do you feel you have over your back pain?",
            "0 means: No control at all. 10 means: A great deal of control.",
        ),
        (
            "nb",
            "Hvordan du ser på ryggsmerten",
            "Hvor mye kontroll føler du at du har over ryggsmerten?",
            "0 betyr: Ingen kontroll i det hele tatt. 10 betyr: Svært mye kontroll.",
        ),
    ],
)
def test_in_week_4_the_patient_answers_the_belief_section_on_a_phone(
    live_server, browser, language, heading, question, ends
):
    patient = patient_on_program(clinic=ClinicFactory(name="Fjord Fysioterapi"), weeks_ago=3, language=language)
    page = browser.page(PHONE, phone=True)
    page.goto(_program_link(patient, live_server))
    page.locator("#open-checkin").click()
    page.goto(live_server.url + "/checkin/")
    section = page.locator("section", has=page.get_by_role("heading", name=heading))
    group = section.get_by_role("group", name=question)
    assert group.is_visible()
    # Both ends are read with the question: its description is the hint naming what 0 and 10 mean.
    hint = group.get_attribute("aria-describedby").split()[0]
    assert page.locator(f'[id="{hint}"]').inner_text() == ends
    group.get_by_role("radio", name="2", exact=True).check()
    section.get_by_role("group").first.get_by_role("radio", name="8", exact=True).check()
    assert axe_violations(page) == []
    _fill_check_in(page)
    with page.expect_navigation():
        page.locator("#checkin-form button[type=submit]").last.click()
    assert page.url.endswith("/checkin/done/"), page.url
    stored = CheckIn.objects.get(patient=patient, week=4)
    assert (stored.belief_consequences, stored.belief_personal_control) == (8, 2)
    assert stored.beliefs_version == "cft-beliefs-1"
    assert axe_violations(page) == []
