"""Run the app under gunicorn on 127.0.0.1 for a benchmark, and stop it afterwards."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

API_THROTTLE = "1000000/minute"

# The app as clinics run it (DEBUG off, secure defaults) except for what plain HTTP on 127.0.0.1 needs, with the
# bench's URLconf (`bench.settings`): the server bench.load starts, and Django in the in-process benchmarks
# (bench.load's, bench.admin's and bench.reports'), so their pages are timed as production serves them.
SERVER_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "bench-secret-key-" + "x" * 48,
    "REPORTS_PSEUDONYM_KEY": "bench-pseudonym-key-" + "y" * 44,
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    "SECURE_HSTS_SECONDS": "0",
    "API_THROTTLE_USER": API_THROTTLE,
    "API_THROTTLE_ANON": API_THROTTLE,
    "LOG_LEVEL": "WARNING",
    "DJANGO_SETTINGS_MODULE": "bench.settings",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def gunicorn(env: dict[str, str], workers: int = 4, threads: int = 4) -> Iterator[str]:
    port = free_port()
    gunicorn_bin = str(Path(sys.executable).with_name("gunicorn"))
    command = [
        gunicorn_bin, "cft.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
        "--threads", str(threads), "--worker-class", "gthread", "--log-level", "warning", "--backlog", "2048",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/livez", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
