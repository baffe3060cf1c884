"""Graceful degradation: with the broker down a check-in still saves and answers 201, /healthz names the broker,
and the work the check-in triggered waits in the outbox until the broker is back, then goes out once.

The suite's real database and broker (embedded SQLite + SQLAlchemy transport, or PostgreSQL + Redis) and the real
outbox: the broker is "stopped" by pointing Celery at one that cannot answer (a closed port for Redis, a file that
cannot be opened for the SQLAlchemy transport)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from outbox import services as outbox
from outbox.models import OutboxMessage
from patients.models import Alert, CheckIn
from patients.services import ALERT_TASK
from tests.api.conftest import patient_client
from tests.conftest import on_redis
from tests.factories import patient_on_program
from tests.outbox.broker import broker_at, take_waiting

pytestmark = pytest.mark.integration

DOWN = {
    True: "redis://127.0.0.1:1/0",  # nothing listens on port 1
    False: "sqla+sqlite:////nonexistent-directory/broker.sqlite3",  # no such directory: the file cannot open
}


def taken_from_queue(alert: Alert) -> list[dict]:
    """Take every waiting message; return the kwargs of those that ask for this alert's notification."""
    return [kwargs for task, kwargs, _ in take_waiting() if task == ALERT_TASK and kwargs.get("alert_id") == alert.pk]


def test_a_red_flag_checkin_saves_while_the_broker_is_down_and_its_alert_goes_out_once_when_it_is_back(
    transactional_db, settings, client
):
    taken_from_queue(Alert(pk=0))  # start from an empty queue
    patient = patient_on_program(weeks_ago=2)
    api = patient_client(patient)
    payload = {"odi": [2] * 10, "pain_nrs": 6, "red_flags": {"rf_saddle": True}}

    with broker_at(DOWN[on_redis()], settings):
        response = api.post("/api/v1/me/checkins/", payload, format="json")
        health = client.get(reverse("healthz"))

    assert response.status_code == 201
    assert response.json()["red_flag_urgency"] == "emergency"
    assert CheckIn.objects.filter(patient=patient, week=3).exists()
    alert = Alert.objects.get(patient=patient, kind=Alert.Kind.RED_FLAG)
    assert health.status_code == 503
    assert health.json()["broker"] == "down" and health.json()["database"] == "ok"
    message = OutboxMessage.objects.get(task_name=ALERT_TASK, kwargs={"alert_id": alert.pk})
    assert message.published_at is None
    assert message.attempts == 1 and message.last_error
    assert taken_from_queue(alert) == []

    # The broker is back: the drain (beat runs it every few minutes) sends what the outage left, once.
    assert outbox.drain() == 1
    assert outbox.drain() == 0
    message.refresh_from_db()
    assert message.published_at is not None
    assert taken_from_queue(alert) == [{"alert_id": alert.pk}]
    assert client.get(reverse("healthz")).status_code == 200
