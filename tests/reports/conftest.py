from dataclasses import dataclass

import pytest

from patients.models import AssignmentItem
from tests.factories import (
    ClinicFactory,
    builtin_program,
    checkin,
    make_clinic_admin,
    make_therapist,
    patient_on_program,
)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The factories set a password on every user; PBKDF2 would spend over a second per user.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class ClinicData:
    clinic: object
    admin: object
    therapist: object
    patients: list


def build_clinic(n: int = 6, name: str = "North") -> ClinicData:
    """n patients on the built-in persistent program, 13 weeks in: intake (week 0, by staff) then weeks 4, 8
    and 12 through `submit_checkin`. Patient i starts at ODI answers 3 (ODI 60) and NRS 7, improving by i."""
    clinic = ClinicFactory(name=f"{name} clinic", slug=f"{name.lower()}-clinic")
    data = ClinicData(clinic, make_clinic_admin(clinic), make_therapist(clinic), [])
    add_patients(data, n)
    return data


def add_patients(data: ClinicData, n: int) -> None:
    """`build_clinic`'s patients up to `n` in all."""
    for i in range(len(data.patients), n):
        patient = patient_on_program(
            clinic=data.clinic, therapist=data.therapist, weeks_ago=13, program=builtin_program()
        )
        walking = AssignmentItem.objects.get(assignment__episode__patient=patient, title="Walking")
        checkin(patient, 0, 3, 7, by=data.admin)
        checkin(patient, 4, 3, 6, by=data.admin, activities=[{"item": walking.pk, "done": 1000 if i % 2 else 0}])
        checkin(patient, 8, [3] * 9 + [None], 6, by=data.admin)
        checkin(patient, 12, 3 - (i % 4), 7 - i % 7, by=data.admin)
        data.patients.append(patient)


@pytest.fixture
def north(db) -> ClinicData:
    return build_clinic(6, "North")


@pytest.fixture
def south(db) -> ClinicData:
    return build_clinic(5, "South")
