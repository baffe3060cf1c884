from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from types import SimpleNamespace

import pytest
from django.conf import settings
from hypothesis import settings as hypothesis_settings

# No wall-clock deadline for any property test: on a shared 2-core machine a slow example is load, not a bug
# (a deadline would make them timed tests). Examples count and health checks stay per test.
hypothesis_settings.register_profile("cft", deadline=None)
hypothesis_settings.load_profile("cft")

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER") == "1"
CHROMIUM = "/usr/bin/chromium"


def on_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def on_redis() -> bool:
    return settings.CELERY_BROKER_URL.startswith("redis")


def require(condition: bool, reason: str) -> None:
    """Skip with a stated reason, except under REQUIRE_SERVICES=1 where a missing service is a failure."""
    if condition:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


def _why(request: pytest.FixtureRequest, name: str) -> str:
    """The reason a test gives with @pytest.mark.<name>(reason=...) for holding on one backend only."""
    marker = request.node.get_closest_marker(name)
    return f": {marker.kwargs['reason']}" if marker and "reason" in marker.kwargs else ""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (for the servers the integration tests start)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition: Callable[[], object], timeout: float, message: str) -> object:
    """Poll `condition` until it gives a true value (returned), or fail with `message` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(message)


LIST_SIZES = (10, 100)


def queries_at_sizes(grow: Callable[[int], object], run: Callable[[], object]) -> list[int]:
    """The number of queries `run()` makes with 10 rows and again with 100 (`grow(n)` adds rows up to n). A list
    that reads each page in a fixed number of queries gives the same two numbers; one that reads per row differs."""
    counts = []
    for size in LIST_SIZES:
        grow(size)
        counts.append(count_queries(run))
    return counts


def count_queries(run: Callable[[], object]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        run()
    return len(queries)


def require_chromium() -> None:
    """Browser tests drive Debian's Chromium: skipped without it, except with REQUIRE_BROWSER=1 (CI)."""
    if os.path.exists(CHROMIUM):
        return
    if REQUIRE_BROWSER:
        pytest.fail(f"REQUIRE_BROWSER=1 but {CHROMIUM} is missing (apt-get install -y chromium)")
    pytest.skip(f"needs Debian's chromium at {CHROMIUM} (apt-get install -y chromium)")


@pytest.fixture
def two_clinics(db: None) -> SimpleNamespace:
    """The two-clinic world the isolation and scoping tests share (tests/admin adds each clinic's program).
    Alpha: therapists Tess (patient Alice) and Theo (patient Aaron), clinic admin Ada. Beta: therapist Bea with
    patient Bob. Every patient is on the built-in program, started four weeks ago, without check-ins."""
    from tests.factories import ClinicFactory, make_clinic_admin, make_therapist, patient_on_program

    alpha, beta = ClinicFactory(name="Alpha clinic", slug="alpha"), ClinicFactory(name="Beta clinic", slug="beta")
    tess = make_therapist(alpha, user__username="tess", user__first_name="Tess", user__last_name="Alpha")
    theo = make_therapist(alpha, user__username="theo", user__first_name="Theo", user__last_name="Alpha")
    ada = make_clinic_admin(alpha, user__username="ada")
    bea = make_therapist(beta, user__username="bea", user__first_name="Bea", user__last_name="Beta")
    return SimpleNamespace(
        alpha=alpha,
        beta=beta,
        tess=tess,
        theo=theo,
        ada=ada,
        bea=bea,
        alice=patient_on_program(
            clinic=alpha, therapist=tess, first_name="Alice", last_name="Anders", record_number="A-100"
        ),
        aaron=patient_on_program(clinic=alpha, therapist=theo, first_name="Aaron", last_name="Colleague"),
        bob=patient_on_program(clinic=beta, therapist=bea, first_name="Bob", last_name="Beta", record_number="B-1"),
    )


@pytest.fixture
def postgres_only(request: pytest.FixtureRequest) -> None:
    require(on_postgres(), f"this test needs PostgreSQL (set DATABASE_URL=postgres://...){_why(request, 'postgres')}")


@pytest.fixture
def sqlite_only(request: pytest.FixtureRequest) -> None:
    """The other side of a vendor branch: skipped on PostgreSQL, where the branch's PostgreSQL side runs."""
    if on_postgres():
        pytest.skip(f"this test is the SQLite side of a database branch{_why(request, 'sqlite')}")


@pytest.fixture
def redis_only(request: pytest.FixtureRequest) -> None:
    require(on_redis(), f"this test needs Redis (set CELERY_BROKER_URL=redis://...){_why(request, 'redis')}")


@pytest.fixture(autouse=True)
def _debug_cursor():  # type: ignore[no-untyped-def]
    """Every query goes through the cursor DEBUG uses (`make run` has DEBUG on), which formats `sql % params`
    for its query log: SQL with a bare `%` fails here as it does in the product, on every backend."""
    from django.db import connections

    for connection in connections.all(initialized_only=False):
        connection.force_debug_cursor = True
    yield
    for connection in connections.all(initialized_only=False):
        connection.force_debug_cursor = False


@pytest.fixture(autouse=True)
def _fresh_cache(request: pytest.FixtureRequest) -> None:
    """Throttle counts live in the shared cache (the database's cache table, or Redis), which outlives a test's
    transaction: every test that can reach the database starts with none of this run's counts (the run's keys
    only, tests/plugin.py). A test without the database has no cache to clear on the embedded default."""
    if not (request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(request.fixturenames)):
        return
    # Set up the test's database first (transactional or not, pytest-django decides from the test, not from this).
    request.getfixturevalue("db")
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _locmem_email(settings) -> None:  # type: ignore[no-untyped-def]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings) -> None:  # type: ignore[no-untyped-def]
    # PBKDF2 with production iterations costs ~1 s per user on this 2-core machine; tests need no strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_login_lockout(settings) -> None:  # type: ignore[no-untyped-def]
    # client.login() passes no request, which django-axes refuses; lockout has its own tests that enable it.
    settings.AXES_ENABLED = False


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that commit for real (transaction=True, transactional_db, live_server) flush the tables when they
    end. Only the browser tests (live_server) need what the migrations left (ODI wording, the built-in library)
    while they run, so only they restore it (serialized_rollback); the others build what they use (the
    factories reload the library). The restoring tests run first: a plain flush re-creates the content types
    (post_migrate), which a later restore would collide with. pytest-django has already put the database tests
    before the transactional ones; the sort is stable. The journeys run last of all."""

    def restores(item: pytest.Item) -> bool:
        marker = item.get_closest_marker("django_db")
        return bool(marker and marker.kwargs.get("serialized_rollback"))

    def transactional(item: pytest.Item) -> bool:
        marker = item.get_closest_marker("django_db")
        return bool(marker and marker.kwargs.get("transaction")) or bool(
            {"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ()))
        )

    def journey(item: pytest.Item) -> bool:
        # The journeys share one Playwright session (an event loop in this thread until the session ends), so
        # they go last: a transactional test's teardown after them would find the loop and refuse to flush.
        return item.get_closest_marker("journey") is not None

    for item in items:
        if "live_server" in getattr(item, "fixturenames", ()) and not restores(item):
            item.add_marker(pytest.mark.django_db(transaction=True, serialized_rollback=True), append=False)
    items.sort(key=lambda item: (journey(item), transactional(item) and not restores(item)))


@pytest.fixture
def sink():  # type: ignore[no-untyped-def]
    """A local SMTP server recording what it accepts (tests/workers.py): (handler, port)."""
    from aiosmtpd.controller import Controller

    from tests.workers import Sink

    handler = Sink()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


@pytest.fixture
def worker_factory(sink, tmp_path):  # type: ignore[no-untyped-def]
    """Start real Celery workers (tests/workers.py) on the suite's database and broker, sending to `sink`;
    the queue is purged before and after, and every worker stopped."""
    from cft.celery import app
    from tests.workers import Worker

    app.control.purge()
    workers: list[Worker] = []

    def make(**env: str) -> Worker:
        worker = Worker(sink[1], tmp_path, **env)
        workers.append(worker)
        worker.start()
        return worker

    try:
        yield make
    finally:
        for worker in workers:
            worker.stop()
        app.control.purge()
