from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import F
from rest_framework.test import APIClient

from patients import links, services
from patients.models import CheckIn, Episode, Patient
from tests.api.conftest import patient_client, staff_client
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_staff_get_a_token_for_their_username_and_password(two_clinics):
    response = APIClient().post(
        "/api/v1/auth/token/",
        {"username": two_clinics.tess.username, "password": "correct-horse-battery"},
        format="json",
    )
    assert response.status_code == 200
    token = response.json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/patients/").status_code == 200


def test_a_wrong_password_is_an_error_naming_the_field(two_clinics):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": two_clinics.tess.username, "password": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "password" in response.json()["fields"]


def test_an_account_with_no_clinic_gets_no_token(db):
    user = UserFactory()
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": user.username, "password": "correct-horse-battery"}, format="json"
    )
    assert response.status_code == 400


def test_password_guessing_is_throttled(two_clinics):
    client = APIClient()
    codes = [
        client.post("/api/v1/auth/token/", {"username": "x", "password": "y"}, format="json").status_code
        for _ in range(11)
    ]
    assert codes[-1] == 429
    assert client.post("/api/v1/auth/token/", {"username": "x", "password": "y"}, format="json").json()["code"] == (
        "throttled"
    )


def test_a_magic_link_token_is_exchanged_for_a_patient_token(two_clinics):
    response = APIClient().post("/api/v1/me/session/", {"token": links.issue_token(two_clinics.alice)}, format="json")
    assert response.status_code == 201
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/v1/me/program/").status_code == 200


def test_an_expired_magic_link_is_refused_naming_the_token(two_clinics, settings):
    token = links.issue_token(two_clinics.alice)
    settings.MAGIC_LINK_MAX_AGE_DAYS = -1
    response = APIClient().post("/api/v1/me/session/", {"token": token}, format="json")
    assert response.status_code == 400
    assert "expired" in response.json()["fields"]["token"][0]


def test_a_tampered_magic_link_is_refused(two_clinics):
    token = links.issue_token(two_clinics.alice)
    response = APIClient().post("/api/v1/me/session/", {"token": token[:-2] + "xx"}, format="json")
    assert response.status_code == 400
    assert "not valid" in response.json()["fields"]["token"][0]


def test_discharge_ends_a_patients_api_access(two_clinics):
    client = patient_client(two_clinics.alice)
    assert client.get("/api/v1/me/checkins/").status_code == 200
    services.discharge_patient(patient=two_clinics.alice)
    response = client.get("/api/v1/me/checkins/")
    assert response.status_code == 401
    assert response.json()["fields"] == {}


def test_a_patient_token_expires(two_clinics):
    key, token = services.issue_patient_token(patient=two_clinics.alice)
    token.expires_at -= dt.timedelta(days=1)
    token.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/me/program/").status_code == 401


def test_only_a_digest_of_the_patient_token_is_stored(two_clinics):
    key, token = services.issue_patient_token(patient=two_clinics.alice)
    assert key not in token.digest


def test_a_patient_token_opens_no_staff_endpoint(two_clinics):
    client = patient_client(two_clinics.alice)
    assert client.get("/api/v1/patients/").status_code == 401
    assert client.get("/api/v1/alerts/").status_code == 401
    assert client.get("/api/v1/programs/").status_code == 401


def test_a_staff_token_opens_no_patient_endpoint(two_clinics):
    client = staff_client(two_clinics.tess)
    assert client.get("/api/v1/me/checkins/").status_code in {401, 403}


def test_anonymous_requests_get_the_one_error_shape(db):
    body = APIClient().get("/api/v1/patients/").json()
    assert set(body) == {"code", "detail", "fields"}


@pytest.mark.parametrize("problem", ["expired", "revoked", "discharged", "unknown"])
def test_the_check_in_endpoint_refuses_a_token_the_others_refuse(two_clinics, problem):
    # The check-in reads the token with the open episode (`with_open_episode`): under the same rule.
    patient = two_clinics.alice
    key, token = services.issue_patient_token(patient=patient)
    if problem == "expired":
        token.expires_at -= dt.timedelta(days=1)
        token.save()
    elif problem == "revoked":
        Patient.objects.filter(pk=patient.pk).update(link_generation=F("link_generation") + 1)
    elif problem == "discharged":
        Patient.objects.filter(pk=patient.pk).update(status=Patient.Status.DISCHARGED)  # the episode left open
    else:
        key += "x"
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    payload = {"odi": [2] * 10, "pain_nrs": 5}
    assert client.post("/api/v1/me/checkins/", payload, format="json").status_code == 401
    assert client.get("/api/v1/me/checkins/").status_code == 401
    assert client.get("/api/v1/me/program/").status_code == 401
    assert not CheckIn.objects.filter(patient=patient).exists()


def test_a_patient_with_no_open_episode_still_signs_in_and_is_told_there_is_none(two_clinics):
    patient = two_clinics.alice
    Episode.objects.filter(patient=patient).update(ended_on=F("started_on"))
    client = patient_client(patient)
    assert client.get("/api/v1/me/checkins/").status_code == 200
    response = client.post("/api/v1/me/checkins/", {"odi": [2] * 10, "pain_nrs": 5}, format="json")
    assert response.status_code == 400
    assert "no open episode" in response.json()["fields"]["patient"][0]
