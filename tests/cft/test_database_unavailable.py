"""Issue 40: a request whose database connection died is answered 503 with Retry-After (cft.views.server_error),
logged as one line without a traceback; any other error stays a 500."""

from __future__ import annotations

import logging

import pytest
from django.core.cache import cache
from django.db import InterfaceError, OperationalError
from django.test import Client
from rest_framework.test import APIClient

from patients import links, services
from patients.models import RED_FLAGS
from tests.factories import patient_on_program

pytestmark = pytest.mark.django_db

DROPPED = OperationalError("terminating connection due to administrator command\nSSL connection has been closed")


@pytest.fixture
def patient(db):  # type: ignore[no-untyped-def]
    cache.clear()
    return patient_on_program(weeks_ago=2)


def _api(patient) -> APIClient:  # type: ignore[no-untyped-def]
    key, _ = services.issue_patient_token(patient=patient)
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _fail_with(monkeypatch, error: Exception) -> None:  # type: ignore[no-untyped-def]
    def submit(**kwargs):  # type: ignore[no-untyped-def]
        raise error

    monkeypatch.setattr(services, "submit_checkin", submit)


@pytest.mark.parametrize("error", [DROPPED, InterfaceError("connection already closed")])
def test_a_dropped_connection_is_a_503_with_retry_after_in_the_apis_error_shape(patient, monkeypatch, caplog, error):
    _fail_with(monkeypatch, error)
    with caplog.at_level(logging.INFO):
        response = _api(patient).post("/api/v1/me/checkins/", {"odi": [2] * 10, "pain_nrs": 5}, format="json")
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert response.json()["code"] == "database_unavailable" and response.json()["fields"] == {}
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [(r.name, r.exc_info) for r in errors] == [("cft.database", None)]
    assert errors[0].getMessage().startswith("503 POST /api/v1/me/checkins/: database connection lost (")
    assert "\n" not in errors[0].getMessage()


def test_the_patients_form_page_says_to_try_again(patient, monkeypatch):
    client = Client(raise_request_exception=False)
    client.post(f"/checkin/{links.issue_token(patient)}/")
    _fail_with(monkeypatch, DROPPED)
    data = {f"odi[{i}]": "2" for i in range(10)} | {"pain_nrs": "6"}
    data.update({f"red_flags.{key}": "no" for key in RED_FLAGS})
    response = client.post("/checkin/", data)
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert "Please try again in a moment" in response.content.decode()


def test_any_other_error_is_still_a_500_logged_with_its_traceback(patient, monkeypatch, caplog):
    _fail_with(monkeypatch, ZeroDivisionError("a bug"))
    response = _api(patient).post("/api/v1/me/checkins/", {"odi": [2] * 10, "pain_nrs": 5}, format="json")
    assert response.status_code == 500
    assert "Retry-After" not in response
    assert [r.exc_info is not None for r in caplog.records if r.name == "django.request"] == [True]
