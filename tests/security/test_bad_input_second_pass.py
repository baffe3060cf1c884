"""Bad input found by probing from outside answers 4xx in the documented error shape, never 500."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import ClinicFactory, make_clinic_admin, patient_on_program, staff_token

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttles() -> None:
    cache.clear()


@pytest.fixture
def api() -> tuple[APIClient, int]:
    clinic = ClinicFactory()
    patient_on_program(clinic=clinic)
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {staff_token(make_clinic_admin(clinic))}")
    return client, clinic.pk


def test_json_nested_100000_deep_is_a_400(api):
    client, _ = api
    body = "[" * 100_000 + "]" * 100_000
    response = client.post("/api/v1/patients/", body, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "parse_error"


@pytest.mark.parametrize("param", ["end", "start"])
def test_a_report_date_out_of_range_names_the_field(api, param):
    client, clinic = api
    response = client.get("/api/v1/reports/outcomes/", {"clinic": clinic, param: "0001-01-01"})
    assert response.status_code == 400 and param in response.json()["fields"]


def test_an_export_job_with_an_out_of_range_end_names_the_field(api):
    client, clinic = api
    response = client.post(
        f"/api/v1/reports/exports/?clinic={clinic}&end=0001-01-01", {"kind": "csv_checkins"}, format="json"
    )
    assert response.status_code == 400 and "end" in response.json()["fields"]


def test_the_report_page_refuses_an_out_of_range_end(client, db):
    clinic = ClinicFactory()
    client.force_login(make_clinic_admin(clinic))
    assert client.get("/reports/", {"clinic": clinic.pk, "end": "0001-01-01"}).status_code == 400


def test_an_id_filter_too_large_for_the_column_names_the_field(api):
    client, clinic = api
    response = client.get("/api/v1/reports/outcomes/", {"clinic": clinic, "program": "99999999999999999999"})
    assert response.status_code == 400 and "program" in response.json()["fields"]


def test_a_very_long_username_at_the_token_endpoint_is_a_400():
    response = APIClient().post("/api/v1/auth/token/", {"username": "u" * 300, "password": "x"}, format="json")
    assert response.status_code == 400
