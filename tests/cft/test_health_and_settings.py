import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]


def test_healthz_is_ok_when_database_and_broker_answer(client, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


@pytest.mark.parametrize(
    "broker",
    [
        "redis://127.0.0.1:1/0",  # nothing listens on port 1
        "sqla+sqlite:////nonexistent-directory/broker.sqlite3",  # the embedded broker's file cannot be opened
    ],
)
def test_healthz_names_the_broker_when_it_is_down(client, db, settings, broker):
    settings.CELERY_BROKER_URL = broker
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "database": "ok", "broker": "down"}


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL"}}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"DEBUG": "0"}, "SECRET_KEY"),
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"DEBUG": "1", "DATABASE_URL": "mysql//nope"}, "DATABASE_URL"),
        ({"DEBUG": "1", "DATABASE_URL": "postgres://u@host:notaport/db"}, "DATABASE_URL"),
        ({"DEBUG": "1", "CELERY_BROKER_URL": "kafka://x"}, "CELERY_BROKER_URL"),
        ({"DEBUG": "1", "EMAIL_PORT": "twenty-five"}, "EMAIL_PORT"),
        ({"DEBUG": "1", "DATABASE_URL": "postgres://postgres@127.0.0.1:1/cft"}, "DATABASE_URL"),
    ],
)
def test_bad_configuration_stops_start_up_with_one_line_naming_the_variable(env, variable):
    result = run_manage("migrate", "--check", **env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert variable in lines[0] and "Traceback" not in result.stderr


def test_deploy_check_is_clean_with_production_settings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="x" * 64 + "production-like-secret-key-for-the-deploy-check",
        ALLOWED_HOSTS="cft.example.org",
        REPORTS_PSEUDONYM_KEY="k" * 64,
    )
    assert result.returncode == 0, result.stdout + result.stderr
