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


# --- no link token in any log stream (issue 41) -----------------------------------------------------------------
def usable_parts(token: str, size: int = 12) -> set[str]:
    """Every run of `size` characters of a token: a log holding any of them holds part of a credential."""
    return {token[i : i + size] for i in range(len(token) - size + 1)}


def leaks(text: str, tokens: list[str]) -> list[str]:
    return sorted({part for token in tokens for part in usable_parts(token) if part in text})


def real_handlers() -> list[logging.Handler]:
    """Every handler the app's logging configured (pytest's own capture handlers aside)."""
    loggers = [logging.root] + [
        logger for logger in logging.root.manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]
    return [
        handler
        for logger in loggers
        for handler in logger.handlers
        if not type(handler).__module__.startswith("_pytest") and not isinstance(handler, logging.NullHandler)
    ]


def test_every_handler_of_the_app_redacts_link_tokens():
    from cft.logs import OneLineClientErrors, RedactLinkTokens

    handlers = real_handlers()
    assert handlers, "no handler found: the app's logging is not configured"
    for handler in handlers:
        kinds = [type(f) for f in handler.filters]
        assert RedactLinkTokens in kinds and OneLineClientErrors in kinds, handler


@pytest.fixture
def handler_output(every_logger_at_debug):  # type: ignore[no-untyped-def]
    """What the app's real handlers write (their filters and formatters), captured instead of going to stderr."""
    import io

    handlers = [handler for handler in real_handlers() if isinstance(handler, logging.StreamHandler)]
    output = io.StringIO()
    streams = [handler.setStream(output) for handler in handlers]  # type: ignore[func-returns-value]
    yield output
    for handler, stream in zip(handlers, streams, strict=True):
        handler.setStream(stream)


def every_stream(caplog, output) -> str:  # type: ignore[no-untyped-def]
    records = "\n".join(f"{r.getMessage()} {r.args} {r.exc_text}" for r in caplog.records)
    return "\n".join([caplog.text, records, output.getvalue()])


def test_no_path_that_logs_a_url_writes_a_link_token_to_any_log(db, caplog, handler_output, monkeypatch):
    from django.core.cache import cache

    cache.clear()
    patient = patient_on_program()
    token, pause = links.issue_token(patient), links.pause_token(patient)
    tampered_pause = pause[:-3] + ("AAA" if not pause.endswith("AAA") else "BBB")
    tokens = [token, pause]

    # A CSRF failure: the link's POST from a browser without the CSRF cookie (django.security.csrf).
    assert Client(enforce_csrf_checks=True).post(f"/checkin/{token}/").status_code == 403
    # 404s: under the link's path, and the token quoted in a query (a login page's ?next=).
    assert Client().get(f"/checkin/{token}/more/").status_code == 404
    assert Client().get(f"/no-such-page/?next=/checkin/{token}/").status_code == 404
    # The pause link, good and tampered (a 400, logged with the path).
    assert Client().get(f"/reminders/pause/{pause}/").status_code == 200
    assert Client().get(f"/reminders/pause/{tampered_pause}/").status_code == 400
    # Throttled: the API's exchange of a link for a token, past its 10 a minute.
    api = APIClient()
    answers = [api.post("/api/v1/me/session/", {"token": token}, format="json").status_code for _ in range(12)]
    assert 429 in answers
    # runserver's access line.
    logging.getLogger("django.server").info('"%s" %s %s', f"GET /checkin/{token}/ HTTP/1.1", "200", "0")

    # A 500 whose exception names the token (a driver's error quoting its parameter, say): the traceback too.
    def broken(value: str) -> None:
        raise RuntimeError(f"could not read {value}")

    monkeypatch.setattr(links, "check_checkin_token", broken)
    assert Client(raise_request_exception=False).get(f"/checkin/{token}/").status_code == 500

    text = every_stream(caplog, handler_output)
    loggers = {record.name for record in caplog.records}
    assert {"django.security.csrf", "django.request", "django.server"} <= loggers, loggers
    assert "Internal Server Error: /checkin/<token>/" in text and "could not read <token>" in text
    assert "Forbidden (CSRF cookie not set.): /checkin/<token>/" in handler_output.getvalue()
    assert "Too Many Requests: /api/v1/me/session/" in text
    assert leaks(text, tokens + [tampered_pause]) == []


def test_a_traceback_for_an_ordinary_refusal_is_not_logged(db, caplog, handler_output):
    """A 403 (PermissionDenied in a view, DRF's 401/403) is one line; a 500 keeps its traceback."""
    from tests.factories import make_therapist

    clinic = ClinicFactory()
    therapist = Client()
    therapist.force_login(make_therapist(clinic))
    assert therapist.get("/admin/audit/auditevent/").status_code == 403  # PermissionDenied: a therapist
    assert APIClient().get("/api/v1/patients/").status_code in (401, 403)
    staff_api = APIClient()
    staff_api.force_authenticate(make_therapist(clinic))
    assert staff_api.get("/api/v1/me/").status_code == 403

    refusals = [r for r in caplog.records if getattr(r, "status_code", 0) in (401, 403)]
    assert len(refusals) == 3, [r.getMessage() for r in caplog.records]
    assert all(r.exc_info is None and not r.exc_text for r in refusals)
    output = handler_output.getvalue()
    assert "Forbidden (Permission denied): /admin/audit/auditevent/" in output
    assert "Traceback" not in output and "Traceback" not in caplog.text

    logging.getLogger("django.request").error(
        "Internal Server Error: %s", "/x/", exc_info=RuntimeError("boom"), extra={"status_code": 500}
    )
    assert "RuntimeError: boom" in handler_output.getvalue()


def test_a_celery_worker_s_handlers_redact_too():
    from celery import signals

    from cft.logs import OneLineClientErrors, RedactLinkTokens

    logger = logging.getLogger("tests.worker-like")
    handler = logging.StreamHandler()
    logger.addHandler(handler)
    try:
        signals.after_setup_logger.send(sender=None, logger=logger, loglevel=logging.INFO, logfile=None)
        signals.after_setup_task_logger.send(sender=None, logger=logger, loglevel=logging.INFO, logfile=None)
        assert sorted(type(f).__name__ for f in handler.filters) == sorted(
            [OneLineClientErrors.__name__, RedactLinkTokens.__name__]
        )
    finally:
        logger.removeHandler(handler)
