"""On PostgreSQL a batch claims its reminders with session advisory locks: a reminder another live worker holds
is left to it, and a dead worker's session (SIGKILL closes its connection) frees its reminders at once."""

from __future__ import annotations

import time

import pytest
from django.core import mail
from django.db import connection, connections

from reminders import services
from reminders.models import DeliveryStatus, Reminder

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres(
        reason="the claim is PostgreSQL's advisory locks; on SQLite each send holds the database's one write lock "
        "(test_send.py::test_on_sqlite_each_email_is_sent_and_marked_in_its_own_write_transaction)"
    ),
]


@pytest.fixture
def reminder(postgres_only, due_patient, now):
    due_patient()
    services.dispatch_due_reminders(now=now, publish=False)
    return Reminder.objects.get()


@pytest.fixture
def other_worker():
    """A second database session, as another worker's."""
    session = connections.create_connection("default")
    try:
        yield session
    finally:
        session.close()


def hold(session, reminder: Reminder) -> None:
    with session.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [services.REMINDER_LOCKS, reminder.pk])


def test_a_reminder_another_live_worker_is_sending_is_left_to_it(reminder, other_worker):
    hold(other_worker, reminder)
    assert services.send_reminder_batch([reminder.pk]) == {"done": 1}
    assert services.send_one_reminder(reminder.pk).status == "done"
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (DeliveryStatus.PENDING, 0)
    assert not mail.outbox


def end_session(session) -> None:
    """Close a session, as SIGKILL does to a worker's, and wait until the server has ended its backend."""
    with session.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        [pid] = cursor.fetchone()
    session.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
            if cursor.fetchone() is None:
                return
        time.sleep(0.05)
    raise AssertionError("the other session did not end")


def test_when_that_worker_dies_its_reminder_is_sent_once_by_the_next_delivery(reminder, other_worker):
    hold(other_worker, reminder)
    end_session(other_worker)
    assert services.send_reminder_batch([reminder.pk, reminder.pk]) == {"sent": 1}
    assert services.send_reminder_batch([reminder.pk]) == {"done": 1}
    assert len(mail.outbox) == 1


def test_a_batch_releases_its_claims_when_it_ends(reminder, other_worker):
    services.send_reminder_batch([reminder.pk])
    with other_worker.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [services.REMINDER_LOCKS, reminder.pk])
        assert cursor.fetchone() == (True,)


def test_a_reminder_sent_by_another_worker_meanwhile_is_not_sent_again(reminder, other_worker):
    # The other worker sent it and marked it, then released it: the batch reads the row after claiming it.
    hold(other_worker, reminder)
    Reminder.objects.filter(pk=reminder.pk).update(status=DeliveryStatus.SENT)
    with other_worker.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [services.REMINDER_LOCKS, reminder.pk])
    assert services.send_reminder_batch([reminder.pk]) == {"done": 1}
    assert not mail.outbox
