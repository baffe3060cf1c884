"""gunicorn as production runs it (DEBUG off, its access and error logs on, gunicorn.conf.py read from the project
root) writes no link token to any of its log streams. Run alone with `-m integration`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from patients import links
from tests.conftest import free_port, wait_for
from tests.factories import patient_on_program
from tests.security.test_logs import leaks
from tests.workers import ROOT, database_url

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def status_of(request: urllib.request.Request) -> int:
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def serving(base: str) -> bool:
    try:
        return status_of(urllib.request.Request(f"{base}/livez")) == 200
    except OSError:
        return False


def test_gunicorn_access_and_error_logs_and_the_app_s_own_hold_no_link_token(tmp_path: Path) -> None:
    patient = patient_on_program()
    token, pause = links.issue_token(patient), links.pause_token(patient)
    port = free_port()
    access, errors, output = tmp_path / "access.log", tmp_path / "error.log", tmp_path / "output.log"
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": settings.SECRET_KEY,  # the tokens were signed with it
        "REPORTS_PSEUDONYM_KEY": "test-pseudonym-key-" + "z" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CFT_VAR_DIR": str(tmp_path / "var"),
        "LOG_LEVEL": "INFO",
    }
    command = [
        str(Path(sys.executable).with_name("gunicorn")), "cft.wsgi:application", "--bind", f"127.0.0.1:{port}",
        "--workers", "1", "--access-logfile", str(access), "--error-logfile", str(errors),
        "--control-socket", str(tmp_path / "gunicorn.ctl"),
    ]  # fmt: skip
    with output.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: serving(base), 60, f"gunicorn did not start: {output.read_text()}")
        referer = {"Referer": f"{base}/checkin/{token}/"}
        assert status_of(urllib.request.Request(f"{base}/checkin/{token}/", headers=referer)) == 200
        assert status_of(urllib.request.Request(f"{base}/checkin/{token}/", method="POST")) == 403  # no CSRF cookie
        assert status_of(urllib.request.Request(f"{base}/checkin/{token}/more/")) == 404
        assert status_of(urllib.request.Request(f"{base}/admin/login/?next=/checkin/{token}/")) == 200
        assert status_of(urllib.request.Request(f"{base}/reminders/pause/{pause}/")) == 200
        assert status_of(urllib.request.Request(f"{base}/reminders/pause/{pause[:-4]}AAAA/")) == 400
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:  # gunicorn's error log names it
            raw.sendall(f"GET /checkin/{token}/ HTTP/1.1 nonsense\r\nHost: 127.0.0.1\r\n\r\n".encode())
            raw.recv(1024)
        wait_for(lambda: "Invalid request" in errors.read_text(), 10, "gunicorn logged no invalid request")
    finally:
        process.terminate()
        process.wait(20)
    access_log, error_log, app_log = access.read_text(), errors.read_text(), output.read_text()
    assert access_log.count("\n") >= 7 and '"GET /checkin/<token>/ HTTP/1.1" 200' in access_log
    assert f'"{base}/checkin/<token>/"' in access_log  # the Referer
    assert "Forbidden (CSRF cookie not set.): /checkin/<token>/" in app_log
    assert leaks(access_log + error_log + app_log, [token, pause]) == []
