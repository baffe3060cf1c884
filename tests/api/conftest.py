from __future__ import annotations

from rest_framework.test import APIClient

from patients import services
from tests.factories import staff_token


def staff_client(user: object) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {staff_token(user)}")
    return client


def patient_client(patient: object) -> APIClient:
    key, _ = services.issue_patient_token(patient=patient)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client
