"""The embedded default (`make run` with no variable set) as its processes configure themselves: the broker's
transport options, the broker URL spellings Celery documents, the mail folder, and pages under the strict CSP."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from kombu import Connection

from cft.brokers import broker_transport_options, scheme
from cft.celery import app

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("url", "has_visibility_timeout"),
    [
        ("sqlalchemy+sqlite:///var/broker.sqlite3", False),
        ("sqla+sqlite:///var/broker.sqlite3", False),
        ("sqla+postgresql://u@h/db", False),
        ("redis://127.0.0.1:6379/0", True),
        ("rediss://h:6380/0", True),
        ("amqp://guest@127.0.0.1//", False),
    ],
)
def test_each_transport_gets_only_the_options_it_accepts(url, has_visibility_timeout):
    options = broker_transport_options(url, visibility_timeout=60)
    assert ("visibility_timeout" in options) is has_visibility_timeout
    assert options["max_retries"] == 1  # publishing gives up fast on every transport


def test_scheme_is_the_transport_name():
    assert [scheme(u) for u in ("sqla+sqlite:///x", "SQLAlchemy+sqlite:///x", "redis://h")] == [
        "sqla",
        "sqlalchemy",
        "redis",
    ]


def round_trip(connection: Connection, payload: dict) -> dict:
    """Put a message on a queue of its own and take it back off, through `connection`'s broker."""
    queue = connection.SimpleQueue(f"selftest-{uuid.uuid4().hex}")
    try:
        queue.put(payload)
        message = queue.get(timeout=5)
        message.ack()
        return message.payload
    finally:
        queue.clear()
        queue.close()


def test_the_sqlalchemy_transport_opens_with_the_options_settings_give_it(tmp_path):
    """kombu hands unknown options to SQLAlchemy's create_engine, which refuses them: the worker died at start."""
    url = f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"
    options = broker_transport_options(url, visibility_timeout=3600)
    with Connection(url, transport_options=options) as connection:
        assert round_trip(connection, {"hello": "broker"}) == {"hello": "broker"}


def test_the_configured_broker_carries_a_message_with_the_configured_options():
    """On whichever broker this suite runs (embedded SQLAlchemy or Redis), with the app's own options."""
    assert app.conf.broker_transport_options == settings.CELERY_BROKER_TRANSPORT_OPTIONS
    with app.connection_for_write() as connection:
        assert round_trip(connection, {"round": "trip"}) == {"round": "trip"}


def settings_in_a_fresh_process(expression: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "EMAIL_FILE_PATH"}}
    clean |= {"DEBUG": "1", **env}
    code = f"import django; django.setup(); from django.conf import settings; print({expression})"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "cft.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_broker_url_spelling_in_celerys_documentation_is_accepted(tmp_path):
    url = f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"
    shown = settings_in_a_fresh_process(
        "settings.CELERY_BROKER_URL, 'visibility_timeout' in settings.CELERY_BROKER_TRANSPORT_OPTIONS",
        CELERY_BROKER_URL=url,
    )
    assert shown == f"{url} False"


def test_email_file_path_is_read_from_the_environment(tmp_path):
    assert settings_in_a_fresh_process("settings.EMAIL_FILE_PATH", EMAIL_FILE_PATH=str(tmp_path)) == str(tmp_path)


def test_the_embedded_default_has_no_visibility_timeout_and_redis_has_one():
    assert settings_in_a_fresh_process("'visibility_timeout' in settings.CELERY_BROKER_TRANSPORT_OPTIONS") == "False"
    redis = settings_in_a_fresh_process(
        "settings.CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout']",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
        CELERY_VISIBILITY_TIMEOUT="120",
    )
    assert redis == "120"


# --- Pages under the strict CSP -------------------------------------------------------------------------

INLINE = {
    "a <style> element": re.compile(r"<style\b", re.I),
    "a style attribute": re.compile(r"""\sstyle\s*=\s*["']""", re.I),
    "an inline <script>": re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I),
    "an event handler attribute": re.compile(r"""\son[a-z]+\s*=\s*["']""", re.I),
    "a javascript: URL": re.compile(r"javascript:", re.I),
}


def page_templates() -> list[Path]:
    """Every template a browser renders (emails are not pages: mail clients need their inline styles)."""
    found = [
        path
        for directory in ("templates", "clinics", "patients", "programs", "reminders", "reports", "audit", "cft")
        for path in (ROOT / directory).rglob("*.html")
    ]
    return sorted(path for path in found if "email" not in path.parts)


def test_there_are_page_templates_to_check():
    names = {path.name for path in page_templates()}
    assert {"pause.html", "report.html", "checkin.html", "base.html"} <= names


@pytest.mark.parametrize("path", page_templates(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_page_template_has_inline_styles_or_scripts(path):
    text = path.read_text()
    found = [what for what, pattern in INLINE.items() if pattern.search(text)]
    assert not found, f"{path.relative_to(ROOT)} has {', '.join(found)}: the CSP blocks it; use a static file"


def test_the_strict_csp_allows_no_inline_style_or_script():
    assert settings.SECURE_CSP["style-src"] == ["'self'"]
    assert settings.SECURE_CSP["script-src"] == ["'self'"]
