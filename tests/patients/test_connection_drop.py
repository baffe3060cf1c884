"""Issue 40: the database ending the server's connections in the middle of a burst of check-ins loses nothing and
hides nothing. Every request is answered 2xx, 4xx or 503 with Retry-After (never a 500); every check-in answered
2xx is stored as sent; every 503, sent once again, is stored (a check-in is an upsert of its week)."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from bench.server import SERVER_ENV, gunicorn
from patients import services
from patients.models import CheckIn
from tests.factories import ClinicFactory, odi, patient_on_program
from tests.workers import database_url

pytestmark = [
    pytest.mark.integration,
    pytest.mark.postgres(reason="pg_terminate_backend ends the server's connections; SQLite has none to end"),
]

PATIENTS = 60
TERMINATE = (
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    env = {
        **SERVER_ENV,
        "DJANGO_SETTINGS_MODULE": "cft.settings",  # the product's URLconf, with its handler500
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CFT_VAR_DIR": str(tmp_path),
    }
    with gunicorn(env, workers=2, threads=4) as base:
        yield base


def post(url: str, token: str, body: dict) -> tuple[int, str, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, "", json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Retry-After", ""), json.loads(error.read() or b"{}")


@pytest.mark.django_db(transaction=True)
def test_ending_the_databases_connections_during_a_burst_of_checkins_loses_none(postgres_only, server):
    clinic = ClinicFactory()
    sent = {}
    for n in range(PATIENTS):
        patient = patient_on_program(clinic=clinic, weeks_ago=2)
        token, _ = services.issue_patient_token(patient=patient)
        sent[patient.pk] = (token, {"odi": odi(n % 6), "pain_nrs": n % 11})
    url = f"{server}/api/v1/me/checkins/"
    burst_over = threading.Event()
    ended = []

    def end_connections() -> None:
        while not burst_over.is_set():
            with connection.cursor() as cursor:
                cursor.execute(TERMINATE)
                ended.append(cursor.fetchone()[0])
            time.sleep(0.25)
        connection.close()

    killer = threading.Thread(target=end_connections)
    killer.start()
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = dict(zip(sent, pool.map(lambda pk: post(url, *sent[pk]), sent), strict=True))
    finally:
        burst_over.set()
        killer.join()
        connection.close()  # the test's own connection was ended too: the next query opens a new one

    statuses = [status for status, _, _ in answers.values()]
    assert all(status in (200, 201, 503) for status in statuses), statuses
    unavailable = [pk for pk, (status, _, _) in answers.items() if status == 503]
    assert sum(ended) > 0 and unavailable, "no connection was ended during the burst: the test proved nothing"
    assert {answers[pk][1] for pk in unavailable} == {"2"}  # Retry-After
    assert {answers[pk][2]["code"] for pk in unavailable} == {"database_unavailable"}
    for pk in unavailable:
        answers[pk] = post(url, *sent[pk])
    assert [status for status, _, _ in answers.values() if status not in (200, 201)] == []
    stored = {row.patient_id: row for row in CheckIn.objects.filter(patient__clinic=clinic)}
    assert sorted(stored) == sorted(sent)
    for pk, (_, body) in sent.items():
        assert (stored[pk].pain_nrs, stored[pk].odi_answers) == (body["pain_nrs"], body["odi"])
        assert answers[pk][2]["id"] == stored[pk].pk
