"""The broker loses its queue: with the worker stopped, red-flag check-ins are accepted and an export and a
check-in link requested; Redis restarts empty (as a failover, or a restart without persistence, does); the worker
comes back. Every alert email, the export and the link arrive after the drain's next pass past
OUTBOX_REDELIVER_AFTER_SECONDS, none twice.

A Redis server of the test's own (a free port, no persistence), restarted for real; a real worker and SMTP sink
(tests/workers.py); the suite's database. Redis only: the embedded broker is a file that a restart keeps."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Iterator

import pytest
import redis
from django.utils import timezone

from outbox import services as outbox
from outbox.models import OutboxMessage
from patients.models import Alert
from patients.services import send_checkin_link_now
from programs.models import Program
from reports import services as reports
from reports.models import ExportJob
from reports.selectors import ReportFilter
from tests.api.conftest import patient_client
from tests.conftest import free_port, wait_for
from tests.factories import ClinicFactory, licensed_odi_wording, make_clinic_admin, make_therapist, patient_on_program
from tests.outbox.broker import broker_at

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

REDELIVER_AFTER = 3  # seconds; production waits 300


class RedisServer:
    def __init__(self, port: int) -> None:
        self.port, self.process = port, None
        self.url = f"redis://127.0.0.1:{port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        wait_for(self.ping, 10, f"redis-server did not start on {self.port}")

    def ping(self) -> bool:
        try:
            return bool(redis.Redis(port=self.port, socket_timeout=1).ping())
        except redis.ConnectionError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def queued(self) -> int:
        return int(redis.Redis(port=self.port).llen("celery"))


@pytest.fixture
def own_redis(redis_only: None) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not on PATH")
    server = RedisServer(free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_alerts_an_export_and_a_link_lost_with_the_brokers_queue_arrive_once_after_the_drain(
    own_redis, worker_factory, sink, settings
):
    handler, _ = sink
    settings.OUTBOX_REDELIVER_AFTER_SECONDS = REDELIVER_AFTER
    clinic = ClinicFactory()
    therapist = make_therapist(clinic, user__email="on-call@example.org")
    admin = make_clinic_admin(clinic)
    program = Program.objects.create(clinic=clinic, title="Plan")
    patients = [
        patient_on_program(clinic=clinic, therapist=therapist, program=program, weeks_ago=2, email=f"p{i}@example.org")
        for i in range(5)
    ]
    payload = {"odi": [2] * 10, "pain_nrs": 6, "red_flags": {"rf_saddle": True}}

    with broker_at(own_redis.url, settings):
        # The worker is stopped: everything waits in Redis.
        for patient in patients:
            assert patient_client(patient).post("/api/v1/me/checkins/", payload, format="json").status_code == 201
        job = reports.request_export(user=admin, filters=ReportFilter(clinic=clinic), kind="csv_episodes")
        licensed_odi_wording(clinic)
        send_checkin_link_now(patient=patients[0])
        assert own_redis.queued() == 7
        assert OutboxMessage.objects.filter(published_at__isnull=False, done_at__isnull=True).count() == 7

        own_redis.stop()
        own_redis.start()  # empty: no persistence
        assert own_redis.queued() == 0

        worker_factory(CELERY_BROKER_URL=own_redis.url)
        time.sleep(1)
        assert handler.count() == Counter()  # nothing left to run: the queue was lost

        # Beat runs the drain every minute; here the test runs it once the deadline has passed.
        wait_for(
            lambda: not OutboxMessage.objects.filter(confirm_by__gte=timezone.now()).exists(),
            REDELIVER_AFTER + 5,
            "outbox deadlines did not pass",
        )
        assert outbox.drain() == 7

        wait_for(
            lambda: OutboxMessage.objects.filter(done_at__isnull=True).count() == 0,
            60,
            f"not confirmed: {list(OutboxMessage.objects.filter(done_at__isnull=True).values_list('task_name'))}",
        )
        job.refresh_from_db()
        assert job.status == ExportJob.Status.DONE
        wait_for(lambda: sum(handler.count().values()) >= 6, 30, f"emails: {handler.count()}")

        # Nothing is published again once confirmed, and a second run of any of them sends nothing more.
        time.sleep(REDELIVER_AFTER + 1)
        assert outbox.drain() == 0
        for alert_id in Alert.objects.values_list("pk", flat=True):
            outbox.enqueue("reminders.notify_alert", alert_id=alert_id)  # each alert's task delivered twice
        wait_for(
            lambda: OutboxMessage.objects.filter(done_at__isnull=True).count() == 0, 30, "second runs not confirmed"
        )

    assert Alert.objects.filter(kind=Alert.Kind.RED_FLAG).count() == 5
    assert handler.distinct_messages() == Counter({"on-call@example.org": 5, "p0@example.org": 1})
    assert handler.count() == Counter({"on-call@example.org": 5, "p0@example.org": 1})
