"""End to end with a real `celery -A cft worker` on the suite's own database and broker, sending to a local
aiosmtpd server: on the embedded default (SQLite file + kombu's SQLAlchemy transport) and on PostgreSQL + Redis.
Run alone with `-m integration`."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter

import pytest
from django.conf import settings
from django.utils import timezone

from patients.models import Alert
from programs.models import Program
from reminders import services
from reminders.models import DeliveryStatus, Reminder
from tests.conftest import on_redis, wait_for
from tests.factories import ClinicFactory, checkin, make_therapist, patient_on_program

from .conftest import not_due, slot_now

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ZONES = ["Europe/Oslo", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "America/Los_Angeles"]


def settle(expected: int, timeout: float = 90) -> None:
    """Wait until no reminder is pending and `expected` rows are settled."""
    wait_for(
        lambda: (
            Reminder.objects.exclude(status=DeliveryStatus.PENDING).count() >= expected
            and not Reminder.objects.filter(status=DeliveryStatus.PENDING).exists()
        ),
        timeout,
        f"reminders not settled: {Counter(Reminder.objects.values_list('status', flat=True))}",
    )


def make_patients(count: int, due: bool = True) -> list:
    clinic = ClinicFactory()
    plan = Program.objects.create(clinic=clinic, title="Plan")
    now = timezone.now()
    patients = []
    for i in range(count):
        zone = ZONES[i % len(ZONES)]
        slot = slot_now(zone, now) if due else not_due(zone, now)
        patients.append(
            patient_on_program(clinic=clinic, program=plan, time_zone=zone, email=f"p{i}-{due}@example.org", **slot)
        )
    return patients


def test_two_hundred_due_patients_in_five_time_zones_get_exactly_one_email_each(worker_factory, sink):
    from cft.celery import app

    handler, _ = sink
    due = make_patients(200)
    not_yet = make_patients(20, due=False)
    worker_factory()
    now = timezone.now().isoformat()
    app.send_task("reminders.dispatch_due_reminders", kwargs={"now": now})
    app.send_task("reminders.dispatch_due_reminders", kwargs={"now": now})  # the same run twice
    settle(200)
    # A send task delivered twice, after the fact: still one email each.
    for reminder_id in Reminder.objects.values_list("pk", flat=True)[:20]:
        app.send_task("reminders.send_reminder", kwargs={"reminder_id": reminder_id})
    app.send_task(
        "reminders.send_reminder_batch", kwargs={"reminder_ids": list(Reminder.objects.values_list("pk", flat=True))}
    )
    time.sleep(3)
    received = handler.count()
    assert received == Counter({p.email: 1 for p in due})
    assert not any(p.email in received for p in not_yet)
    assert set(Reminder.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    for reminder in Reminder.objects.select_related("patient"):
        local = reminder.sent_at.astimezone(reminder.patient.tz)
        assert (local.weekday(), local.hour) == (reminder.patient.checkin_weekday, reminder.patient.checkin_hour)


def test_a_worker_killed_mid_batch_then_restarted_leaves_every_patient_exactly_one_email(worker_factory, sink):
    handler, _ = sink
    handler.rcpt_delay = 0.05
    due = make_patients(60)
    worker = worker_factory(CELERY_VISIBILITY_TIMEOUT="2")
    services.dispatch_due_reminders(batch_size=15)  # 4 batches, queued after commit through the outbox
    wait_for(lambda: sum(handler.count().values()) >= 8, 60, "no email arrived before the kill")
    worker.kill()
    killed_at = timezone.now()
    sent_before = sum(handler.count().values())
    assert sent_before < 60, "the whole run finished before the kill; nothing was tested"
    assert Reminder.objects.filter(status=DeliveryStatus.PENDING, claimed_at__isnull=False).exists()
    # The killed worker could not release its claims: they lapse after CLAIM_LEASE. Let that time pass.
    Reminder.objects.filter(claimed_at__lte=killed_at).update(claimed_at=killed_at - services.CLAIM_LEASE)
    time.sleep(3)  # past the visibility timeout: the restarted worker takes the killed one's tasks back
    worker.start()
    if not on_redis():
        # The SQLAlchemy transport has no visibility timeout: a killed worker's tasks stay taken. The stale sweep
        # (beat's dispatch runs it every few minutes) queues the reminders nobody finished, as it would later.
        later = services.STALE_AFTER + dt.timedelta(seconds=settings.REMINDER_RETRY_BACKOFF_MAX_SECONDS + 5)
        services.requeue_stale_reminders(now=timezone.now() + later)
    settle(60)
    # None lost, none doubled as the patient sees it: one distinct message each. A kill that lands between the
    # SMTP server's acceptance and the mark (one statement) can hand the relay a second copy with the same
    # Message-ID, which mail clients fold; at most the one email in flight at the kill.
    assert handler.distinct_messages() == Counter({p.email: 1 for p in due})
    assert sum(handler.count().values()) - len(due) <= 1


def test_an_smtp_server_refusing_the_first_two_tries_delivers_once_after_the_retries(worker_factory, sink):
    handler, _ = sink
    handler.refuse_first = 2
    due = make_patients(5)
    worker_factory()
    services.dispatch_due_reminders()
    settle(5, timeout=60)
    assert handler.count() == Counter({p.email: 1 for p in due})
    assert set(Reminder.objects.values_list("status", "attempts")) == {(DeliveryStatus.SENT, 3)}


def test_an_smtp_server_that_always_refuses_leaves_the_reminder_failed_and_visible(worker_factory, sink, admin_client):
    handler, _ = sink
    handler.always_refuse = True
    make_patients(2)
    worker_factory()
    services.dispatch_due_reminders()
    settle(2, timeout=60)
    assert set(Reminder.objects.values_list("status", "attempts")) == {(DeliveryStatus.FAILED, 3)}
    assert "451" in Reminder.objects.first().last_error
    page = admin_client.get("/admin/reminders/reminder/?status__exact=failed")
    assert page.content.count(b"Try again later") == 2
    assert not handler.count()


def test_a_red_flag_reaches_the_therapist_once_within_seconds(worker_factory, sink):
    from cft.celery import app

    handler, _ = sink
    worker_factory()
    clinic = ClinicFactory()
    therapist = make_therapist(clinic, user__email="on-call@example.org")
    patient = patient_on_program(clinic=clinic, therapist=therapist, program=Program.objects.create(clinic=clinic))
    checkin(patient, 5, 1, 3, red_flags={"rf_bladder_bowel": True})  # queued through the outbox on commit
    wait_for(lambda: handler.count()["on-call@example.org"] == 1, 30, "no alert email")
    app.send_task("reminders.notify_alert", kwargs={"alert_id": Alert.objects.get().pk})  # delivered twice
    time.sleep(2)
    assert handler.count() == Counter({"on-call@example.org": 1})
