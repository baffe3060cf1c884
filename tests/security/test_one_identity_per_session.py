"""A browser is one person at a time: a staff sign-in ends the patient session it finds (clinics/sessions.py), and
opening a patient's link ends the staff session (patients.views.open_link), each through the real views."""

from __future__ import annotations

import pytest
from django.test import Client

from patients import links
from patients.views import SESSION_PATIENT
from tests.factories import ClinicFactory, make_therapist, patient_on_program

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


@pytest.fixture
def world():  # type: ignore[no-untyped-def]
    clinic = ClinicFactory()
    therapist = make_therapist(clinic)
    return therapist, patient_on_program(clinic=clinic, therapist=therapist, weeks_ago=2)


def _patient_signs_in(client: Client, patient: object) -> None:
    assert client.post(f"/checkin/{links.issue_token(patient)}/").status_code == 302
    assert client.get("/checkin/").status_code == 200


def _staff_signs_in(client: Client, user: object) -> None:
    response = client.post("/admin/login/", {"username": user.username, "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_signing_in_as_staff_ends_the_patient_session_in_that_browser(world):
    therapist, patient = world
    client = Client()
    _patient_signs_in(client, patient)
    _staff_signs_in(client, therapist)
    assert client.get("/checkin/").status_code == 403  # no patient here any more: "open the link in your email"
    assert SESSION_PATIENT not in client.session
    assert client.get("/admin/").status_code == 200


def test_a_failed_staff_sign_in_leaves_the_patient_session_alone(world):
    therapist, patient = world
    client = Client()
    _patient_signs_in(client, patient)
    client.post("/admin/login/", {"username": therapist.username, "password": "wrong", "next": "/admin/"})
    assert client.get("/checkin/").status_code == 200


def test_opening_a_patient_link_ends_the_staff_session_in_that_browser(world):
    therapist, patient = world
    client = Client()
    _staff_signs_in(client, therapist)
    assert client.get("/admin/").status_code == 200
    _patient_signs_in(client, patient)
    admin = client.get("/admin/")
    assert admin.status_code == 302 and admin["Location"].startswith("/admin/login/")
    assert client.get("/api/v1/patients/").status_code in (401, 403)
