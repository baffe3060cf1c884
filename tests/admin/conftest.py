from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from programs.models import Program
from programs.services import copy_program_to_clinic
from tests.factories import ClinicFactory, builtin_program, make_clinic_admin, make_therapist, patient_on_program

CHANGELIST = "/admin/patients/patient/"


def own_program(clinic: object, title: str) -> Program:
    program = copy_program_to_clinic(program=builtin_program(), clinic=clinic)
    program.title = title
    program.save(update_fields=["title"])
    return program


@pytest.fixture
def world(db: None) -> SimpleNamespace:
    """Two clinics. Alpha: therapists Tess (patient Alice) and Theo (patient Aaron), clinic admin Ada.
    Beta: therapist Bea with patient Bob and her own program."""
    alpha, beta = ClinicFactory(name="Alpha clinic", slug="alpha"), ClinicFactory(name="Beta clinic", slug="beta")
    tess = make_therapist(alpha, user__username="tess", user__first_name="Tess", user__last_name="Alpha")
    theo = make_therapist(alpha, user__username="theo", user__first_name="Theo", user__last_name="Alpha")
    ada = make_clinic_admin(alpha, user__username="ada")
    bea = make_therapist(beta, user__username="bea", user__first_name="Bea", user__last_name="Beta")
    alpha_program = own_program(alpha, "Alpha back program")
    beta_program = own_program(beta, "Beta back program")
    return SimpleNamespace(
        alpha=alpha,
        beta=beta,
        tess=tess,
        theo=theo,
        ada=ada,
        bea=bea,
        alpha_program=alpha_program,
        beta_program=beta_program,
        alice=patient_on_program(
            clinic=alpha, therapist=tess, first_name="Alice", last_name="Anders", record_number="A-100"
        ),
        aaron=patient_on_program(clinic=alpha, therapist=theo, first_name="Aaron", last_name="Colleague"),
        bob=patient_on_program(clinic=beta, therapist=bea, first_name="Bob", last_name="Beta", record_number="B-1"),
    )


def rows(response: object) -> list[str]:
    """Patient names in the caseload's result list, in order (not anywhere in the page, where a random
    CSRF token could contain a short name)."""
    html = response.content.decode()  # type: ignore[attr-defined]
    return re.findall(r'<th class="field-patient"><a href="[^"]+">([^<]+?)(?: <small>|</a>)', html)
