"""A real `celery -A cft worker` on the suite's own database and broker, sending to a local aiosmtpd server that
records what it accepts (tests/reminders/test_worker.py, tests/outbox/test_broker_loss.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from email.parser import BytesParser
from pathlib import Path

from django.conf import settings

from tests.conftest import wait_for

ROOT = Path(__file__).resolve().parents[1]


class Sink:
    """An SMTP server that records what it accepts; it can refuse the first tries or always, or be slow."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[str] = []
        self.messages: list[tuple[str, str]] = []  # (recipient, Message-ID)
        self.tries: Counter[str] = Counter()
        self.refuse_first = 0
        self.always_refuse = False
        self.rcpt_delay = 0.0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if self.rcpt_delay:
            time.sleep(self.rcpt_delay)  # blocks the server: a slow relay, so a kill lands mid-batch
        with self.lock:
            self.tries[address] += 1
            refuse = self.always_refuse or self.tries[address] <= self.refuse_first
        if refuse:
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        message_id = BytesParser().parsebytes(envelope.original_content or envelope.content, headersonly=True)[
            "Message-ID"
        ]
        with self.lock:
            self.received += envelope.rcpt_tos
            self.messages += [(rcpt, message_id) for rcpt in envelope.rcpt_tos]
        return "250 OK"

    def distinct_messages(self) -> Counter[str]:
        """What a patient sees: mail clients fold copies with the same Message-ID into one message."""
        with self.lock:
            return Counter(rcpt for rcpt, _ in set(self.messages))

    def count(self) -> Counter[str]:
        with self.lock:
            return Counter(self.received)


def database_url() -> str:
    """The test database as a DATABASE_URL for a child process (pytest-django has renamed NAME to it)."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    def __init__(self, port: int, tmp_path: Path, **env: str) -> None:
        self.port, self.tmp_path, self.extra = port, tmp_path, env
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log = self.tmp_path / f"worker-{self.starts}.log"
        env = {
            **os.environ,
            "DEBUG": "1",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(self.port),
            "CFT_VAR_DIR": str(self.tmp_path / "var"),
            "REMINDER_MAX_ATTEMPTS": "3",
            "REMINDER_RETRY_BACKOFF_SECONDS": "1",
            "REMINDER_RETRY_BACKOFF_MAX_SECONDS": "2",
            **self.extra,
        }
        celery = str(Path(sys.executable).with_name("celery"))
        self.log = log
        self.process = subprocess.Popen(
            [
                celery,
                "-A",
                "cft",
                "worker",
                "-l",
                "INFO",
                "--pool=prefork",
                "--concurrency=2",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "-n",
                f"reminders-test-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(lambda: "ready." in log.read_text(), 60, f"worker did not start:\n{log}")

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool children), as an OOM killer or a power cut would."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
