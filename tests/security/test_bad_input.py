"""Bad input to the API: a 400 (or 413) naming the problem, never a 500, and nothing partially saved."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from patients import services
from patients.models import CheckIn, Patient
from tests.factories import ClinicFactory, make_therapist, patient_on_program


@pytest.fixture
def patient(db: None) -> Patient:
    return patient_on_program(weeks_ago=3)


@pytest.fixture
def api(patient: Patient) -> APIClient:
    key, _ = services.issue_patient_token(patient=patient)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def post_raw(api: APIClient, body: bytes | str) -> object:
    return api.generic("POST", "/api/v1/me/checkins/", body, content_type="application/json")


GOOD = {"odi": [1] * 10, "pain_nrs": 3}


def test_malformed_json_is_a_400_and_saves_nothing(api):
    response = post_raw(api, b'{"odi": [1, 1,')
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**GOOD, "pain_nrs": "a lot"}, "pain_nrs"),
        ({**GOOD, "pain_nrs": 11}, "pain_nrs"),
        ({**GOOD, "odi": "1111111111"}, "odi"),
        ({**GOOD, "odi": [1] * 9 + [6]}, "odi[9]"),
        ({**GOOD, "note": ["not", "text"]}, "note"),
        ({**GOOD, "red_flags": "yes"}, "red_flags"),
        ({**GOOD, "pain_nrs": True}, "pain_nrs"),
    ],
)
def test_wrong_types_and_out_of_range_answers_name_the_field(api, body, field):
    response = api.post("/api/v1/me/checkins/", body, format="json")
    assert response.status_code == 400
    assert any(name == field or name.startswith(f"{field}.") for name in response.json()["fields"])
    assert not CheckIn.objects.exists()


def test_a_json_body_that_is_not_an_object_is_a_400(api):
    response = post_raw(api, b"[1, 2, 3]")
    assert response.status_code == 400
    assert not CheckIn.objects.exists()


def test_unknown_fields_are_named_and_nothing_is_saved(api):
    response = api.post("/api/v1/me/checkins/", {**GOOD, "pain_nrss": 2, "colour": "red"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"pain_nrss", "colour"}
    assert not CheckIn.objects.exists()


def test_a_body_over_the_size_limit_gets_a_clear_error_not_a_500(api, settings):
    huge = json.dumps({**GOOD, "note": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    response = post_raw(api, huge)
    assert response.status_code == 413
    body = response.json()
    assert "too large" in body["detail"].lower()
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize(
    "note",
    [
        "before\x00after",  # NUL: PostgreSQL text cannot hold it
        "\u202eevil\u202c and \u200f",  # right-to-left override and mark
        "emoji 👍🏽 and combining e\u0301",
    ],
)
def test_odd_unicode_in_a_note_is_stored_or_refused_naming_the_field(api, note):
    response = api.post("/api/v1/me/checkins/", {**GOOD, "note": note}, format="json")
    if "\x00" in note:
        assert response.status_code == 400 and "note" in response.json()["fields"]
        assert not CheckIn.objects.exists()
    else:
        assert response.status_code == 201
        assert CheckIn.objects.get().note == note


def test_a_lone_surrogate_is_refused_naming_the_field(api):
    # "\ud800" is valid JSON text but no Unicode character: it cannot be encoded for the database.
    response = post_raw(api, b'{"odi": [1,1,1,1,1,1,1,1,1,1], "pain_nrs": 3, "note": "a\\ud800b"}')
    assert response.status_code == 400
    assert "note" in response.json()["fields"]
    assert not CheckIn.objects.exists()


def test_staff_patient_with_a_nul_in_a_name_is_refused_and_not_created(db):
    from tests.factories import staff_token

    clinic = ClinicFactory()
    therapist = make_therapist(clinic)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {staff_token(therapist)}")
    payload = {"clinic": clinic.pk, "first_name": "A\x00", "last_name": "B", "email": "a@example.org"}
    response = client.post("/api/v1/patients/", payload, format="json")
    assert response.status_code == 400 and "first_name" in response.json()["fields"]
    assert not Patient.objects.filter(last_name="B").exists()


def test_a_nul_byte_in_a_filter_is_a_400_not_a_database_error(db):
    from tests.factories import staff_token

    therapist = make_therapist(ClinicFactory())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {staff_token(therapist)}")
    response = client.get("/api/v1/patients/?record_number=a%00b")
    assert response.status_code == 400 and "record_number" in response.json()["fields"]
