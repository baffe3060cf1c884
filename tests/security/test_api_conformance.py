"""The API and its schema say the same (issue 16, schemathesis' conformance findings): what the schema
forbids is a 400 naming the parameter or field, what it allows is served, and every API answer is JSON."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from cft.api import MAX_ID
from tests.factories import ClinicFactory, make_clinic_admin, patient_on_program, staff_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def api() -> APIClient:
    clinic = ClinicFactory()
    patient_on_program(clinic=clinic)
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {staff_token(make_clinic_admin(clinic))}")
    return client


def _refused(response, name: str) -> bool:
    body = response.json()
    return response.status_code == 400 and body["code"] == "invalid" and name in body["fields"]


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("page_size=0", "page_size"),
        ("page_size=201", "page_size"),
        ("page_size=true", "page_size"),  # DRF alone quietly used the default size
        ("clinic=1.5", "clinic"),
        ("clinic=-1.7976931348623155e%2B308", "clinic"),  # was a 500 on SQLite (integer overflow)
        (f"primary_therapist={MAX_ID + 1}", "primary_therapist"),
        ("primary_therapist=", "primary_therapist"),  # empty: not "no filter"
        ("stauts=paused", "stauts"),  # a misspelt filter is not an unfiltered list
    ],
)
def test_a_query_the_schema_forbids_is_a_400_naming_the_parameter(api, query, name):
    assert _refused(api.get(f"/api/v1/patients/?{query}"), name)


@pytest.mark.parametrize("query", ["week=1e3", "week=40000", "week_min=-1", "episode=2.1e116"])
def test_check_in_filters_are_whole_numbers_in_range(query):
    from patients import services

    patient = patient_on_program(weeks_ago=2)
    key, _ = services.issue_patient_token(patient=patient)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert _refused(client.get(f"/api/v1/me/checkins/?{query}"), query.split("=")[0])
    assert client.get("/api/v1/me/checkins/?week_min=0&page=1&page_size=200").status_code == 200


def test_the_schema_states_the_ranges_and_that_bodies_take_no_unknown_field(api):
    schema = api.get("/api/schema/?format=json").json()
    parameters = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/patients/"]["get"]["parameters"]}
    assert parameters["page"] == {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    assert parameters["page_size"] == {"type": "integer", "minimum": 1, "maximum": 200}
    assert parameters["clinic"] == {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    components = schema["components"]["schemas"]
    assert components["CheckInInput"]["additionalProperties"] is False
    assert components["PatchedPatient"]["additionalProperties"] is False
    body = schema["paths"]["/api/v1/me/checkins/"]["post"]["requestBody"]["content"]
    assert list(body) == ["application/json"]


def test_an_api_url_that_matches_nothing_answers_json_in_the_error_shape(api):
    for path in ("/api/v1/patients/abc/", "/api/v1/no-such-thing/", "/api/v1/patients/1/nope/"):
        response = api.get(path)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"code": "not_found", "detail": "Not found.", "fields": {}}
    page = APIClient().get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_a_form_encoded_body_is_refused_for_json(api):
    response = api.post("/api/v1/patients/", "first_name=A", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
