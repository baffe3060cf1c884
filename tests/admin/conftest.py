from __future__ import annotations

import os
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.urls import reverse

from programs.models import Program
from programs.services import copy_program_to_clinic
from tests.conftest import CHROMIUM, REQUIRE_BROWSER, require_chromium
from tests.factories import builtin_program

CHANGELIST = "/admin/patients/patient/"


def own_program(clinic: object, title: str) -> Program:
    program = copy_program_to_clinic(program=builtin_program(), clinic=clinic)
    program.title = title
    program.save(update_fields=["title"])
    return program


@pytest.fixture
def world(two_clinics: SimpleNamespace) -> SimpleNamespace:
    """The shared two-clinic world (tests/conftest.py), each clinic with its own program."""
    two_clinics.alpha_program = own_program(two_clinics.alpha, "Alpha back program")
    two_clinics.beta_program = own_program(two_clinics.beta, "Beta back program")
    return two_clinics


def rows(response: object) -> list[str]:
    """Patient names in the caseload's result list, in order (not anywhere in the page, where a random
    CSRF token could contain a short name)."""
    html = response.content.decode()  # type: ignore[attr-defined]
    return re.findall(r'<th class="field-patient"><a href="[^"]+">([^<]+?)(?: <small>|</a>)', html)


AXE = Path(__file__).resolve().parents[1] / "journeys" / "node_modules" / "axe-core" / "axe.min.js"
SIZES = {"desktop": (1366, 768), "phone": (390, 844)}


@pytest.fixture(params=list(SIZES), ids=list(SIZES))
def sized_page(request: pytest.FixtureRequest) -> Any:
    """Chromium at desktop (1366x768) and phone (390x844) size, axe-core loaded in every page; `page.size_name`
    says which."""
    require_chromium()
    if not AXE.exists():
        if REQUIRE_BROWSER:
            pytest.fail(f"REQUIRE_BROWSER=1 but {AXE} is missing")
        pytest.skip(f"needs axe-core at {AXE}")
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # as in test_browser.py: ORM calls around the browser
    width, height = SIZES[request.param]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            context = browser.new_context(viewport={"width": width, "height": height})
            context.add_init_script(path=str(AXE))  # before page scripts: the CSP does not apply to it
            page = context.new_page()
            page.set_default_timeout(15_000)
            page.size_name = request.param  # type: ignore[attr-defined]
            yield page
        finally:
            browser.close()
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def tess_client(client, world):  # type: ignore[no-untyped-def]
    """The test client signed in as Tess, the first clinic's therapist."""
    client.force_login(world.tess)
    return client


def page_of(client, patient) -> str:  # type: ignore[no-untyped-def]
    """The patient page's HTML."""
    return client.get(reverse("admin:patients_patient_change", args=[patient.pk])).content.decode()
