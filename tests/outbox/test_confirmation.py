"""A task queued through the outbox is published until the worker confirms it ran: a message lost with the
broker's queue is published again after OUTBOX_REDELIVER_AFTER_SECONDS, a confirmed one never; a retry moves the
deadline past itself; a task that keeps raising is given up. On the suite's real broker (either side)."""

from __future__ import annotations

import datetime as dt

import pytest
from celery import signals
from celery.app.task import Context
from celery.exceptions import Retry
from django.core import mail
from django.utils import timezone

from outbox import services as outbox
from outbox.models import OutboxMessage
from patients.services import CHECKIN_LINK_TASK, send_checkin_link_now
from reminders.tasks import send_checkin_link_now as link_task
from tests.factories import licensed_odi_wording, patient_on_program
from tests.outbox.broker import take_waiting

pytestmark = pytest.mark.integration


@pytest.fixture
def queued_link(transactional_db):  # type: ignore[no-untyped-def]
    """A check-in link queued and published (the on-commit hook), its message then taken off the queue: lost."""
    take_waiting()
    patient = patient_on_program(weeks_ago=2, email="pat@example.org")
    licensed_odi_wording(patient.clinic)
    send_checkin_link_now(patient=patient)
    message = OutboxMessage.objects.get(task_name=CHECKIN_LINK_TASK)
    waiting = take_waiting()
    assert waiting == [(CHECKIN_LINK_TASK, {"patient_id": patient.pk}, outbox.task_id_for(message.pk, 1))]
    return message


def past_its_time(message: OutboxMessage) -> None:
    OutboxMessage.objects.filter(pk=message.pk).update(confirm_by=timezone.now() - dt.timedelta(seconds=1))


def test_a_published_task_that_never_ran_is_published_again_once_its_time_has_passed(queued_link):
    message = queued_link
    assert outbox.drain() == 0  # not yet: the worker may still be on it
    past_its_time(message)

    assert outbox.drain() == 1
    assert outbox.drain() == 0  # claimed again with a new deadline: one message, not one a drain
    assert take_waiting() == [(CHECKIN_LINK_TASK, message.kwargs, outbox.task_id_for(message.pk, 2))]
    message.refresh_from_db()
    assert message.attempts == 2 and message.done_at is None


def test_a_task_that_ran_is_confirmed_by_the_worker_and_never_published_again(queued_link):
    message = queued_link
    # Run it as the worker does (the same tracer and signals), under the id it was published with.
    link_task.apply(kwargs=message.kwargs, task_id=outbox.task_id_for(message.pk, 1))

    message.refresh_from_db()
    assert message.done_at is not None
    assert [m.to for m in mail.outbox] == [["pat@example.org"]]
    past_its_time(message)
    assert outbox.drain() == 0
    assert take_waiting() == []


def test_a_retry_waits_for_itself_before_the_task_is_published_again(queued_link):
    message = queued_link
    task = link_task
    task_id = outbox.task_id_for(message.pk, 1)
    before = timezone.now()

    signals.task_retry.send(sender=task, request=Context(id=task_id), reason=Retry(when=600), einfo=None)

    message.refresh_from_db()
    redeliver_after = dt.timedelta(seconds=300)
    assert message.confirm_by >= before + dt.timedelta(seconds=600) + redeliver_after
    assert outbox.drain() == 0


def test_a_task_that_keeps_raising_is_published_again_until_it_is_given_up(queued_link, settings):
    settings.OUTBOX_MAX_FAILURES = 2
    message = queued_link
    task = link_task
    for attempt in (1, 2):
        task_id = outbox.task_id_for(message.pk, attempt)
        signals.task_postrun.send(sender=task, task_id=task_id, task=task, state="FAILURE", retval=KeyError("x"))
        past_its_time(message)
        published = outbox.drain()
        take_waiting()
        message.refresh_from_db()
        assert message.failures == attempt
        assert published == (1 if attempt < 2 else 0)
    assert message.done_at is None and message.last_error == "KeyError: 'x'"


def test_tasks_not_queued_through_the_outbox_are_ignored(transactional_db):
    task = link_task
    signals.task_postrun.send(sender=task, task_id="0b9b0e3e-uuid", task=task, state="SUCCESS", retval=None)
    assert outbox.message_id_of("0b9b0e3e-uuid") is None
    assert outbox.message_id_of(outbox.task_id_for(42, 3)) == 42
