"""The running product, started the way `make run` starts it, and a browser to drive it.

`product` runs the README's `make run` in a temporary CFT_VAR_DIR on a free port: migrate, seed_demo,
collectstatic, then web, worker and beat under honcho, DEBUG on. With no DATABASE_URL / CELERY_BROKER_URL in
the suite's environment that is the embedded default (SQLite file, kombu's SQLAlchemy transport); with
PostgreSQL + Redis it gets a database and a Redis database of its own. The journeys then use it only as people
do: through the browser, the mail folder and downloads. docs/journeys.md says how to run and watch them.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.conftest import CHROMIUM, REQUIRE_BROWSER, free_port, require, require_chromium, wait_for

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "tests" / "journeys" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "test-results" / "journeys"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
DEMO_PASSWORD = "journey-password"
# What the processes must never print: a traceback, a 5xx answer in runserver's access log, a process that
# died (honcho), a task the outbox could not publish.
BAD_OUTPUT = re.compile(r'Traceback|" 5\d\d \d+|exited with code|deferred: |Unrecoverable error|CRITICAL')
# The separator Django's file-based email backend writes after each message.
MAIL_SEPARATOR = b"\n" + b"-" * 79 + b"\n"

pytestmark = [pytest.mark.journey, pytest.mark.integration, pytest.mark.browser]


def _services_env(environ: dict[str, str]) -> tuple[dict[str, str], str]:
    """DATABASE_URL / CELERY_BROKER_URL for the product: none (embedded) or PostgreSQL + Redis of its own."""
    database, broker = environ.get("DATABASE_URL", ""), environ.get("CELERY_BROKER_URL", "")
    if not database and not broker:
        return {}, "embedded default (SQLite + SQLAlchemy broker)"
    extra = {}
    if database.startswith(("postgres://", "postgresql://")):
        import psycopg

        parts = urlsplit(database)
        name = parts.path.lstrip("/") + "_journey"
        admin_url = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        extra["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
    elif database:
        extra["DATABASE_URL"] = database
    if broker.startswith(("redis://", "rediss://")):
        import redis

        parts = urlsplit(broker)
        number = (int(parts.path.lstrip("/") or 0) + 1) % 16  # next to the suite's own, emptied first
        url = urlunsplit(parts._replace(path=f"/{number}"))
        redis.Redis.from_url(url).flushdb()
        extra["CELERY_BROKER_URL"] = url
    elif broker:
        extra["CELERY_BROKER_URL"] = broker
    return extra, f"{extra.get('DATABASE_URL', 'SQLite')} + {extra.get('CELERY_BROKER_URL', 'SQLAlchemy broker')}"


@dataclass
class Product:
    """`make run` in the background, its combined output in `log`, its mail folder in `mail_dir`."""

    port: int
    var_dir: Path
    log: Path
    description: str
    process: subprocess.Popen | None = None
    seen: set[str] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def mail_dir(self) -> Path:
        return self.var_dir / "mail"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def bad_lines(self, since: int = 0) -> list[str]:
        return [line for line in self.output()[since:].splitlines() if BAD_OUTPUT.search(line)]

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def messages(self) -> list[EmailMessage]:
        found = []
        for path in sorted(self.mail_dir.glob("*.log")):
            for raw in path.read_bytes().split(MAIL_SEPARATOR):
                if raw.strip():
                    found.append(email.message_from_bytes(raw.strip() + b"\n", policy=email.policy.default))
        return found

    def wait_for_mail(
        self, to: str, subject: str, containing: tuple[str, ...] = (), timeout: float = 60
    ) -> EmailMessage:
        """The first message to `to` with `subject` (and every text of `containing` in its plain body) that this
        test has not taken yet."""

        def wanted(message: EmailMessage) -> bool:
            if to not in str(message["To"]) or message["Subject"] != subject:
                return False
            body = message.get_body(preferencelist=("plain",)).get_content()
            return all(text in body for text in containing)

        def find() -> EmailMessage | None:
            for message in self.messages():
                key = f"{message['Message-ID']}|{to}"
                if key not in self.seen and wanted(message):
                    self.seen.add(key)
                    return message
            return None

        try:
            return wait_for(find, timeout, "")  # type: ignore[return-value]
        except AssertionError:
            seen = [(str(m["To"]), m["Subject"]) for m in self.messages()]
            raise AssertionError(
                f"no email {subject!r} to {to} with {containing} within {timeout} s; found {seen}"
            ) from None

    def start(self, extra_env: dict[str, str]) -> None:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"DATABASE_URL", "CELERY_BROKER_URL", "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "SITE_URL"}
            and not key.startswith(("PYTEST_", "DJANGO_ALLOW_ASYNC"))
        }
        env |= {"PORT": str(self.port), "CFT_VAR_DIR": str(self.var_dir), "DEMO_PASSWORD": DEMO_PASSWORD}
        env |= extra_env
        self.process = subprocess.Popen(
            ["make", "--no-print-directory", "run"],
            cwd=ROOT,
            env=env,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() ends make, honcho and all three processes
        )
        wait_for(
            lambda: not self.alive() or _healthy(self.url), 600, f"make run never answered /healthz:\n{self.tail()}"
        )
        assert self.alive(), f"make run exited:\n{self.tail()}"
        wait_for(lambda: re.search(r"celery@\S+ ready", self.output()), 120, f"worker never ready:\n{self.tail()}")
        wait_for(lambda: "beat: Starting" in self.output(), 60, f"beat never started:\n{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.output().splitlines()[-lines:])

    def stop(self) -> None:
        if self.alive():
            os.killpg(self.process.pid, signal.SIGTERM)  # type: ignore[union-attr]
            try:
                self.process.wait(30)  # type: ignore[union-attr]
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # type: ignore[union-attr]
                self.process.wait(10)  # type: ignore[union-attr]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310 - our own server
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="session")
def product() -> Iterator[Product]:
    require(shutil.which("make") is not None, "the journeys start the product with `make run`")
    extra, description = _services_env(dict(os.environ))
    var_dir = Path(tempfile.mkdtemp(prefix="cft-journey-"))
    running = Product(port=free_port(), var_dir=var_dir, log=var_dir / "make-run.log", description=description)
    running.start(extra)
    try:
        yield running
    finally:
        running.stop()
        SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(running.log, SHOTS / "make-run.log")  # for a person to read after a failure in CI
        shutil.rmtree(var_dir, ignore_errors=True)


@dataclass
class Watch:
    """What the browser and the processes reported during one journey."""

    csp: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    axe: list[str] = field(default_factory=list)


def require_browser() -> None:
    """Skip without Chromium or axe-core, except with REQUIRE_BROWSER=1 (CI), where that is a failure."""
    require_chromium()
    if not AXE.exists():
        if REQUIRE_BROWSER:
            pytest.fail(f"REQUIRE_BROWSER=1 but {AXE} is missing (make test installs it with npm)")
        pytest.skip(f"needs axe-core at {AXE} (make test installs it when npm is on PATH)")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            headless=os.environ.get("JOURNEY_HEADED") != "1",
            slow_mo=int(os.environ.get("JOURNEY_SLOW_MO", "0")),
        )
        try:
            yield launched
        finally:
            launched.close()


class Journey:
    """One person's browser (a context of its own) on the running product, watched for CSP violations, 5xx
    answers and page errors; `check_page` runs axe-core on the page shown."""

    def __init__(self, browser, product: Product, watch: Watch, viewport: dict[str, int], name: str) -> None:  # type: ignore[no-untyped-def]
        self.product, self.watch, self.name = product, watch, name
        self.context = browser.new_context(viewport=viewport, accept_downloads=True, locale="en-GB")
        # axe-core as a file, added by the browser itself before any page script: the CSP does not apply to it.
        self.context.add_init_script(path=str(AXE))
        self.context.set_default_timeout(20_000)
        self.page = self.new_page()
        self.shots = 0

    def new_page(self):  # type: ignore[no-untyped-def]
        page = self.context.new_page()
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.watch.page_errors.append(str(error)))
        page.on("response", self._response)
        return page

    def _console(self, message) -> None:  # type: ignore[no-untyped-def]
        where = message.location.get("url", "?")
        if "Content Security Policy" in message.text and not where.endswith(AXE.name):  # axe's own probes
            self.watch.csp.append(f"{where}:{message.location.get('lineNumber')}: {message.text[:160]}")

    def _response(self, response) -> None:  # type: ignore[no-untyped-def]
        if response.status >= 500:
            self.watch.server_errors.append(f"{response.status} {response.url}")

    def check_page(self, label: str, page=None) -> None:  # type: ignore[no-untyped-def]
        """axe-core on the page as shown: serious and critical violations fail the journey."""
        page = page or self.page
        page.wait_for_load_state("load")
        self.shots += 1
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOTS / f"{self.name}-{self.shots}-{label}.png", full_page=True)
        violations = page.evaluate(
            """async () => {
                const result = await axe.run(document, {resultTypes: ["violations"]});
                return result.violations
                    .filter(v => v.impact === "serious" || v.impact === "critical")
                    .map(v => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map(n => n.target.join(" ")).join(", ")})`);
            }"""
        )
        self.watch.axe += [f"{label} {page.url}: {v}" for v in violations]

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def journey(browser, product: Product, request: pytest.FixtureRequest) -> Iterator[Callable[..., Journey]]:
    """Open browsers for the people of one journey; afterwards, fail on anything the browser or the processes
    reported while it ran."""
    watch = Watch()
    since = len(product.output())
    opened: list[Journey] = []

    def open_browser(name: str, viewport: dict[str, int] = DESKTOP) -> Journey:
        opened.append(Journey(browser, product, watch, viewport, f"{request.node.name}-{name}"))
        return opened[-1]

    try:
        yield open_browser
    finally:
        for person in opened:
            person.close()
    time.sleep(1)  # let the processes flush what they print about the last requests
    problems = {
        "CSP violations in the browser console": watch.csp,
        "5xx answers seen by the browser": watch.server_errors,
        "page errors": watch.page_errors,
        "serious or critical axe-core violations": watch.axe,
        "errors in the processes' output": product.bad_lines(since),
    }
    assert product.alive(), f"make run stopped during the journey:\n{product.tail()}"
    found = {name: items for name, items in problems.items() if items}
    assert not found, f"on {product.description}: {found}"
