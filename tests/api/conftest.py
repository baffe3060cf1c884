from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from patients import services
from tests.factories import ClinicFactory, make_therapist, patient_on_program, staff_token


@pytest.fixture(autouse=True)
def _fresh_throttles() -> None:
    # Throttle counters live in the cache, which outlives a test's database transaction.
    cache.clear()


def staff_client(user: object) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {staff_token(user)}")
    return client


def patient_client(patient: object) -> APIClient:
    key, _ = services.issue_patient_token(patient=patient)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


class World:
    """Two clinics, a therapist in each, two patients in the first clinic and one in the second."""

    def __init__(self) -> None:
        self.clinic_a, self.clinic_b = ClinicFactory(), ClinicFactory()
        self.therapist_a, self.therapist_b = make_therapist(self.clinic_a), make_therapist(self.clinic_b)
        self.patient_a1 = patient_on_program(clinic=self.clinic_a, therapist=self.therapist_a)
        self.patient_a2 = patient_on_program(clinic=self.clinic_a, therapist=self.therapist_a)
        self.patient_b = patient_on_program(clinic=self.clinic_b, therapist=self.therapist_b)


@pytest.fixture
def world(db: None) -> World:
    return World()
