from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from programs.models import Program
from programs.services import copy_program_to_clinic
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
