"""The transactional outbox: tasks are written with the change that causes them, published after commit, and
published again until the worker confirms they ran (a broker that restarts empty loses its queue; the rows here
are what nothing loses)."""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from outbox.models import OutboxMessage

logger = logging.getLogger(__name__)

# A published task's id names its row, so the worker can confirm it: "outbox-<row id>-<publish attempt>".
TASK_ID = re.compile(r"^outbox-(\d+)-\d+$")


def task_id_for(message_id: int, attempt: int) -> str:
    return f"outbox-{message_id}-{attempt}"


def message_id_of(task_id: str | None) -> int | None:
    match = TASK_ID.match(task_id or "")
    return int(match.group(1)) if match else None


def _redeliver_after() -> dt.timedelta:
    return dt.timedelta(seconds=settings.OUTBOX_REDELIVER_AFTER_SECONDS)


def enqueue(task_name: str, **kwargs: Any) -> OutboxMessage:
    """Queue a Celery task by name, durably: the row commits with the caller's transaction and is published
    after commit. A broker outage leaves the row for `drain_outbox`, so the caller's save never fails."""
    message = OutboxMessage.objects.create(task_name=task_name, kwargs=kwargs)
    transaction.on_commit(lambda: publish(message.pk))
    return message


def _claimable(now: dt.datetime) -> Q:
    """Rows to publish: never published, or published, not confirmed by their time and not given up."""
    unconfirmed = Q(
        published_at__isnull=False,
        done_at__isnull=True,
        confirm_by__lt=now,
        failures__lt=settings.OUTBOX_MAX_FAILURES,
    )
    return Q(published_at__isnull=True) | unconfirmed


def publish(message_id: int) -> bool:
    """Claim the row (so the drain and the on-commit hook never both send it), then send; un-claim on failure."""
    from cft.celery import app

    now = timezone.now()
    claimed = OutboxMessage.objects.filter(_claimable(now), pk=message_id).update(
        published_at=now, confirm_by=now + _redeliver_after(), attempts=F("attempts") + 1
    )
    if not claimed:
        return True
    message = OutboxMessage.objects.get(pk=message_id)
    try:
        app.send_task(
            message.task_name,
            kwargs=message.kwargs,
            task_id=task_id_for(message.pk, message.attempts),
            retry=False,
        )
    except Exception as exc:  # the broker is down or unreachable: keep the row for the drain
        logger.warning("outbox: publish of %s deferred: %s", message.task_name, type(exc).__name__)
        OutboxMessage.objects.filter(pk=message_id).update(
            published_at=None, confirm_by=None, last_error=str(exc)[:500]
        )
        return False
    return True


def drain(limit: int = 500) -> int:
    """Publish what an outage left behind, and again what was published but not confirmed in time (its message
    lost with the broker's queue, or its worker killed), oldest first. Returns how many were published."""
    now = timezone.now()
    pending = OutboxMessage.objects.filter(_claimable(now)).order_by("created_at")
    published = 0
    for message_id, was_published in list(pending.values_list("pk", "published_at")[:limit]):
        if was_published is not None:
            logger.warning("outbox: message %s not confirmed in time; publishing it again", message_id)
        if not publish(message_id):
            break
        published += 1
    return published


def confirm(task_id: str | None) -> None:
    """The task has run: its row is done and never published again. Called in the worker (`outbox.signals`)."""
    message_id = message_id_of(task_id)
    if message_id is not None:
        OutboxMessage.objects.filter(pk=message_id, done_at__isnull=True).update(done_at=timezone.now())


def postpone(task_id: str | None, *, until: dt.datetime) -> None:
    """The task will retry at `until`: wait for that retry before publishing it again."""
    message_id = message_id_of(task_id)
    if message_id is not None:
        OutboxMessage.objects.filter(pk=message_id, done_at__isnull=True).update(confirm_by=until + _redeliver_after())


def record_failure(task_id: str | None, error: BaseException) -> None:
    """The task raised: it is published again after its time, up to OUTBOX_MAX_FAILURES runs that raised."""
    message_id = message_id_of(task_id)
    if message_id is not None:
        OutboxMessage.objects.filter(pk=message_id, done_at__isnull=True).update(
            failures=F("failures") + 1, last_error=f"{type(error).__name__}: {error}"[:500]
        )
