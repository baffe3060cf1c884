"""Health data never reaches the logs, over a whole flow through HTTP: a magic-link check-in with a red flag, an
API check-in, and the alert email task. Every logger is captured at DEBUG."""

from __future__ import annotations

import logging

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from patients import links, services
from patients.models import RED_FLAGS, Alert
from reminders.tasks import notify_alert
from tests.factories import ClinicFactory, make_therapist, patient_on_program

ODI = [3, 4, 3, 4, 3, 4, 3, 4, 3, 4]


@pytest.fixture
def every_logger_at_debug(caplog):  # type: ignore[no-untyped-def]
    from django.db import connections

    # Production runs with DEBUG off, so Django logs no SQL (with DEBUG on, development only, it logs every query
    # and its parameters to django.db.backends at DEBUG level, as it is meant to).
    for connection in connections.all(initialized_only=False):
        connection.force_debug_cursor = False
    caplog.set_level(logging.DEBUG)  # the root logger: every logger that propagates, at every level
    loggers = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.NOTSET)  # no logger keeps its own stricter level
    yield caplog
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


def test_a_full_check_in_flow_writes_no_health_data_to_any_log(
    db, every_logger_at_debug, django_capture_on_commit_callbacks
):
    caplog = every_logger_at_debug
    cache.clear()
    clinic = ClinicFactory()
    therapist = make_therapist(clinic)
    patient = patient_on_program(
        clinic=clinic, therapist=therapist, weeks_ago=3, first_name="Zebediah", last_name="Quillfeather",
        email="zebediah.q@example.org",
    )  # fmt: skip

    page = Client()
    assert page.post(f"/checkin/{links.issue_token(patient)}/").status_code == 302
    answers = {f"odi[{i}]": str(value) for i, value in enumerate(ODI)}
    answers.update({f"red_flags.{key}": "no" for key in RED_FLAGS})
    answers.update({"pain_nrs": "7", "red_flags.rf_saddle": "yes", "note": "secret-page-note about my marriage"})
    with django_capture_on_commit_callbacks(execute=False):
        assert page.post("/checkin/", answers).status_code == 302
    assert page.get("/checkin/done/").status_code == 200

    key, _ = services.issue_patient_token(patient=patient)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    body = {"odi": ODI, "pain_nrs": 8, "note": "secret-api-note on medication", "red_flags": {"rf_fever": True}}
    with django_capture_on_commit_callbacks(execute=False):
        assert api.post("/api/v1/me/checkins/", body, format="json").status_code in (200, 201)
    assert api.get("/api/v1/me/checkins/").status_code == 200

    alert = Alert.objects.get(patient=patient, kind=Alert.Kind.RED_FLAG)
    notify_alert.apply(kwargs={"alert_id": alert.pk}).get()
    assert len(mail.outbox) == 1  # the alert email went out: its path ran

    text = caplog.text + "".join(str(record.args) for record in caplog.records)
    assert caplog.records, "the flow logged nothing at all: the capture is not working"
    for secret in ("Zebediah", "Quillfeather", "zebediah.q@example.org", "secret-page-note", "secret-api-note"):
        assert secret not in text, secret
    for answers_text in ("3, 4, 3, 4", "[3,4,3,4", "rf_saddle", "rf_fever"):
        assert answers_text not in text, answers_text


def test_request_logs_never_show_a_link_token(db, caplog):
    patient = patient_on_program()
    token = links.issue_token(patient)
    services.discharge_patient(patient=patient)  # the link is revoked: 410 Gone, logged by django.request
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert Client().get(f"/checkin/{token}/").status_code == 410
        assert Client().get("/checkin/not-a-real-token/").status_code == 404
        assert Client().get("/reminders/pause/bad.token:value/").status_code == 400
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "Gone: /checkin/<token>/" in text and "Not Found: /checkin/<token>/" in text
    assert token not in text and "not-a-real-token" not in text and "bad.token" not in text


def test_runserver_access_lines_are_redacted_too():
    from cft.logs import redact

    line = '"GET /checkin/eyJwIjoi.abc:1xY/ HTTP/1.1" 302 0 and /reminders/pause/xyz/ but /checkin/done/ stays'
    assert (
        redact(line) == '"GET /checkin/<token>/ HTTP/1.1" 302 0 and /reminders/pause/<token>/ but /checkin/done/ stays'
    )
