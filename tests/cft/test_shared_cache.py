"""Limits hold across processes: DRF's throttles count in a cache every web process shares (settings.CACHES):
Redis when Redis is configured, else a table in the database (docs/security.md, "Limits that hold")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache, caches
from django.db import connection
from rest_framework.test import APIClient

from tests.conftest import free_port, on_redis, wait_for
from tests.workers import database_url

ROOT = Path(__file__).resolve().parents[2]
SIGN_IN = "/api/v1/auth/token/"


def caches_with(**env: str) -> dict:
    """settings.CACHES of a process started with `env` (and none of the suite's broker or cache variables)."""
    clean = {k: v for k, v in os.environ.items() if k not in {"CELERY_BROKER_URL", "CACHE_URL", "DATABASE_URL"}}
    result = subprocess.run(
        [sys.executable, "-c", "import django, json; django.setup(); from django.conf import settings; "
         "print(json.dumps(settings.CACHES['default']))"],
        cwd=ROOT, env={**clean, "DJANGO_SETTINGS_MODULE": "cft.settings", "DEBUG": "1", **env},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_cache_is_the_brokers_redis_when_the_broker_is_redis():
    cache_settings = caches_with(CELERY_BROKER_URL="redis://redis.internal:6379/2")
    assert cache_settings["BACKEND"] == "cft.cache.PrefixedRedisCache"
    assert cache_settings["LOCATION"] == "redis://redis.internal:6379/2"


def test_the_cache_is_a_database_table_on_the_embedded_default():
    cache_settings = caches_with()
    assert cache_settings["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    assert cache_settings["LOCATION"] == "cft_cache"


@pytest.mark.parametrize(
    ("env", "backend", "location"),
    [
        ({"CACHE_URL": "redis://cache.internal:6379/1"}, "cft.cache.PrefixedRedisCache", "redis://cache.internal:6379/1"),
        (
            {"CACHE_URL": "db://", "CELERY_BROKER_URL": "redis://redis.internal:6379/0"},
            "django.core.cache.backends.db.DatabaseCache",
            "cft_cache",
        ),
    ],
)  # fmt: skip
def test_cache_url_chooses_the_cache(env, backend, location):
    cache_settings = caches_with(**env)
    assert (cache_settings["BACKEND"], cache_settings["LOCATION"]) == (backend, location)


def test_a_cache_url_of_another_kind_stops_start_up_naming_the_variable():
    clean = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**clean, "DEBUG": "1", "CACHE_URL": "memcached://127.0.0.1:11211"},
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().count("\n") == 0 and "CACHE_URL" in result.stderr


def test_migrate_makes_the_cache_table_whichever_cache_is_configured(db):
    # On the Redis side nothing else makes it (the test runner's createcachetable makes only configured ones).
    assert settings.CACHE_TABLE in connection.introspection.table_names()


def test_the_configured_cache_is_the_shared_one_of_this_side(db):
    expected = "PrefixedRedisCache" if on_redis() else "DatabaseCache"
    assert type(caches["default"]).__name__ == expected
    cache.set("shared-cache-probe", 1)
    assert cache.get("shared-cache-probe") == 1


def test_clearing_the_redis_cache_leaves_the_brokers_keys_alone(redis_only, db):
    client = cache._cache.get_client(None, write=True)  # type: ignore[attr-defined]
    client.set("celery-queue-stand-in", "a queued task")
    try:
        cache.set("a-count", 3)
        cache.clear()
        assert cache.get("a-count") is None
        assert client.get("celery-queue-stand-in") == b"a queued task"
    finally:
        client.delete("celery-queue-stand-in")


def test_an_unreachable_redis_suspends_the_limits_instead_of_failing_requests(two_clinics, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "cft.cache.PrefixedRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    response = APIClient().post(SIGN_IN, {"username": two_clinics.tess.username, "password": "nope"}, format="json")
    assert response.status_code == 400  # the view ran: wrong password, not a 500 from the throttle's cache


class Server:
    """`gunicorn cft.wsgi` with one worker process, on the suite's database and cache."""

    def __init__(self, var_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = var_dir.parent / f"gunicorn-{self.port}.log"
        env = {
            **os.environ,
            "DEBUG": "1",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "CFT_VAR_DIR": str(var_dir),
            "AXES_FAILURE_LIMIT": "1000",  # lockout has its own tests; this one counts the throttle only
        }
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        self.process = subprocess.Popen(
            [gunicorn, "cft.wsgi:application", "--bind", f"127.0.0.1:{self.port}", "--workers", "1"],
            cwd=ROOT, env=env, stdout=self.log.open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/livez", timeout=2) as response:
                return response.status == 200
        except OSError:
            assert self.process.poll() is None, self.log.read_text()
            return False

    def sign_in(self, attempt: int) -> int:
        body = json.dumps({"username": f"nobody-{attempt}", "password": "guess"}).encode()
        request = urllib.request.Request(
            f"{self.url}{SIGN_IN}", data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    servers = [Server(tmp_path / "var-a"), Server(tmp_path / "var-b")]
    try:
        for server in servers:
            wait_for(server.ready, 60, f"gunicorn did not start on {server.url}")
        yield servers[0], servers[1]
    finally:
        for server in servers:
            server.stop()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_two_server_processes_share_one_sign_in_limit(two_servers):
    """The 10-a-minute sign-in limit (cft.api.LoginRateThrottle) counts the attempts of both processes: five on
    each are answered, the eleventh is refused whichever process answers it. With a cache per process each would
    still have five attempts left."""
    first, second = two_servers
    answers = [(first if attempt % 2 else second).sign_in(attempt) for attempt in range(10)]
    assert answers == [400] * 10  # wrong username or password: answered, and counted
    assert first.sign_in(10) == 429
    assert second.sign_in(11) == 429
