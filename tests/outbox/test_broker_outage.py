"""Graceful degradation: with the broker down a check-in still saves and answers 201, /healthz names the broker,
and the work the check-in triggered waits in the outbox until the broker is back, then goes out once.

Real PostgreSQL, real Redis and the real outbox: the broker is "stopped" by pointing Celery at a closed port."""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Iterator

import kombu.pools
import pytest
import redis
from django.urls import reverse

from cft.celery import app
from outbox import services as outbox
from outbox.models import OutboxMessage
from patients.models import Alert, CheckIn
from patients.services import ALERT_TASK
from tests.api.conftest import patient_client
from tests.factories import patient_on_program

pytestmark = pytest.mark.integration

CLOSED_PORT = "redis://127.0.0.1:1/0"  # nothing listens on port 1
QUEUE = "celery"  # Celery's default queue: a Redis list of that name


@contextlib.contextmanager
def broker_at(url: str, settings) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Point Django's setting and the Celery app at `url` (publishing reads `broker_write_url`), dropping pooled
    connections to the old broker; put everything back afterwards."""
    saved = (settings.CELERY_BROKER_URL, app.conf.broker_url, app.conf.broker_write_url)

    def point(django_url: str, broker_url: str, write_url: str) -> None:
        settings.CELERY_BROKER_URL = django_url
        app.conf.update(broker_url=broker_url, broker_write_url=write_url)
        # Celery caches a connection pool and kombu a producer pool per connection: close and forget both, so
        # the next publish connects to `write_url` through fresh pools.
        kombu.pools.reset()
        app._pool = None
        app.amqp._producer_pool = None

    point(url, url, url)
    try:
        yield
    finally:
        point(*saved)


def queued_for(alert: Alert, broker_url: str) -> list[dict]:
    """Messages in the Redis queue that ask for this alert's notification (Celery's message protocol 2: the
    body is base64 JSON of [args, kwargs, embed])."""
    found = []
    for raw in redis.Redis.from_url(broker_url).lrange(QUEUE, 0, -1):
        message = json.loads(raw)
        _, kwargs, _ = json.loads(base64.b64decode(message["body"]))
        if message["headers"].get("task") == ALERT_TASK and kwargs.get("alert_id") == alert.pk:
            found.append(message)
    return found


def _forget(messages: list[dict], broker_url: str) -> None:
    client = redis.Redis.from_url(broker_url)
    for raw in client.lrange(QUEUE, 0, -1):
        if any(json.loads(raw)["properties"]["delivery_tag"] == m["properties"]["delivery_tag"] for m in messages):
            client.lrem(QUEUE, 1, raw)


def test_a_red_flag_checkin_saves_while_the_broker_is_down_and_its_alert_goes_out_once_when_it_is_back(
    transactional_db, postgres_only, redis_only, settings, client
):
    real_broker = settings.CELERY_BROKER_URL
    patient = patient_on_program(weeks_ago=2)
    api = patient_client(patient)
    payload = {"odi": [2] * 10, "pain_nrs": 6, "red_flags": {"rf_saddle": True}}

    with broker_at(CLOSED_PORT, settings):
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
    assert queued_for(alert, real_broker) == []

    # The broker is back: the drain (beat runs it every few minutes) sends what the outage left, once.
    assert outbox.drain() == 1
    assert outbox.drain() == 0
    message.refresh_from_db()
    assert message.published_at is not None
    sent = queued_for(alert, real_broker)
    try:
        assert len(sent) == 1
        assert client.get(reverse("healthz")).status_code == 200
    finally:
        _forget(sent, real_broker)
