"""Bad input found by probing from outside answers 4xx in the documented error shape, never 500."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.factories import ClinicFactory, make_clinic_admin, patient_on_program, staff_token

pytestmark = pytest.mark.django_db


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


def test_api_answers_with_patient_data_are_never_stored_by_a_cache(db):
    from tests.api.conftest import patient_client
    from tests.factories import patient_on_program

    patient = patient_on_program()
    client = patient_client(patient)
    for url in ("/api/v1/me/", "/api/v1/me/outcomes/", "/api/v1/me/program/", "/api/v1/me/nothing-here/"):
        response = client.get(url)
        assert "no-store" in response["Cache-Control"], (url, response.status_code)
        assert "private" in response["Cache-Control"]


def test_a_discharged_patient_gets_no_new_episode_from_an_assignment(db):
    from rest_framework.test import APIClient

    from patients import services
    from tests.factories import ClinicFactory, builtin_program, make_therapist, patient_on_program, staff_token

    clinic = ClinicFactory()
    therapist = make_therapist(clinic)
    patient = patient_on_program(clinic=clinic, therapist=therapist)
    services.discharge_patient(patient=patient)
    episodes = patient.episodes.count()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {staff_token(therapist)}")
    response = client.post(
        f"/api/v1/patients/{patient.pk}/assignments/",
        {"program": builtin_program().pk, "start_date": patient.local_today().isoformat()},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "patient" in response.json()["fields"]
    assert patient.episodes.count() == episodes
    assert not patient.episodes.filter(ended_on__isnull=True).exists()
