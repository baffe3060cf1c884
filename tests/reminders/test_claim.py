"""A batch claims its reminders (one conditional UPDATE ... RETURNING, the same on every database): a reminder
another live worker holds is left to it, a claim that lapsed (its worker was killed) is free again, and a batch
gives back what it did not send when it ends."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from reminders import emails, services
from reminders.models import DeliveryStatus, Reminder

pytestmark = pytest.mark.django_db


@pytest.fixture
def reminders(due_patient, now):
    for _ in range(3):
        due_patient()
    ids = services.dispatch_due_reminders(now=now, publish=False).reminder_ids
    return list(Reminder.objects.filter(pk__in=ids).order_by("pk"))


@pytest.fixture
def reminder(reminders):
    return reminders[0]


def claim(reminder: Reminder, at: dt.datetime) -> None:
    """Another worker's claim on the row, taken at `at`."""
    Reminder.objects.filter(pk=reminder.pk).update(claimed_at=at)


def test_a_reminder_another_live_worker_is_sending_is_left_to_it(reminder):
    claim(reminder, timezone.now() - dt.timedelta(minutes=1))
    assert services.send_reminder_batch([reminder.pk]) == {"done": 1}
    assert services.send_one_reminder(reminder.pk).status == "done"
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (DeliveryStatus.PENDING, 0)
    assert reminder.claimed_at is not None  # still the other worker's
    assert not mail.outbox


def test_when_that_worker_dies_its_reminder_is_sent_once_after_its_claim_lapses(reminder):
    claim(reminder, timezone.now() - services.CLAIM_LEASE - dt.timedelta(seconds=1))
    assert services.send_reminder_batch([reminder.pk, reminder.pk]) == {"sent": 1}
    assert services.send_reminder_batch([reminder.pk]) == {"done": 1}
    assert len(mail.outbox) == 1


def test_a_reminder_sent_by_another_worker_meanwhile_is_not_sent_again(reminder):
    Reminder.objects.filter(pk=reminder.pk).update(status=DeliveryStatus.SENT)
    assert services.send_reminder_batch([reminder.pk]) == {"done": 1}
    assert not mail.outbox


def test_every_mark_clears_the_claim(reminders):
    sent, paused, _ = reminders
    paused.patient.status = paused.patient.Status.PAUSED
    paused.patient.save()
    assert services.send_reminder_batch([r.pk for r in reminders]) == {"sent": 2, "skipped": 1}
    assert set(Reminder.objects.values_list("claimed_at", flat=True)) == {None}


def test_a_batch_stopped_by_an_error_releases_what_it_did_not_send(reminders, monkeypatch):
    calls = []
    real = emails.reminder_message

    def breaks_on_the_second(reminder, token=None):
        calls.append(reminder.pk)
        if len(calls) == 2:
            raise RuntimeError("template error")
        return real(reminder, token)

    monkeypatch.setattr(emails, "reminder_message", breaks_on_the_second)
    with pytest.raises(RuntimeError):
        services.send_reminder_batch([r.pk for r in reminders])
    assert list(Reminder.objects.order_by("pk").values_list("status", "claimed_at")) == [
        (DeliveryStatus.SENT, None),
        (DeliveryStatus.PENDING, None),
        (DeliveryStatus.PENDING, None),
    ]
    monkeypatch.setattr(emails, "reminder_message", real)
    assert services.send_reminder_batch([r.pk for r in reminders]) == {"done": 1, "sent": 2}  # at once, no wait
    assert len(mail.outbox) == 3


def test_a_batch_slower_than_its_claim_renews_it_so_a_duplicate_delivery_still_finds_it_held(reminders, monkeypatch):
    clock = [timezone.now()]
    monkeypatch.setattr(timezone, "now", lambda: clock[0])
    ids = [r.pk for r in reminders]
    duplicates = []

    class SlowRelay:
        """Each email takes 0.6 of the claim's lease; meanwhile the batch is delivered a second time."""

        def open(self) -> bool:
            return True

        def close(self) -> None:
            pass

        def send_messages(self, messages):
            clock[0] += services.CLAIM_LEASE * 0.6
            duplicates.append(services.send_reminder_batch(ids))
            mail.outbox.extend(messages)
            return len(messages)

    assert services.send_reminder_batch(ids, connection=SlowRelay()) == {"sent": 3}
    assert duplicates == [{"done": 3}, {"done": 3}, {"done": 3}]
    assert len(mail.outbox) == 3


def test_the_stale_sweep_leaves_a_reminder_a_live_worker_holds(reminder, now):
    Reminder.objects.exclude(pk=reminder.pk).delete()
    later = now + services.STALE_AFTER + dt.timedelta(minutes=1)
    claim(reminder, later - dt.timedelta(minutes=1))
    assert services.requeue_stale_reminders(now=later) == (0, 0)
    claim(reminder, later - services.CLAIM_LEASE - dt.timedelta(seconds=1))  # its worker died
    assert services.requeue_stale_reminders(now=later) == (1, 0)
