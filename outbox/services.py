from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from outbox.models import OutboxMessage

logger = logging.getLogger(__name__)


def enqueue(task_name: str, **kwargs: Any) -> OutboxMessage:
    """Queue a Celery task by name, durably: the row commits with the caller's transaction and is published
    after commit. A broker outage leaves the row for `drain_outbox`, so the caller's save never fails."""
    message = OutboxMessage.objects.create(task_name=task_name, kwargs=kwargs)
    transaction.on_commit(lambda: publish(message.pk))
    return message


def publish(message_id: int) -> bool:
    """Claim the row (so the drain and the on-commit hook never both send it), then send; un-claim on failure."""
    from cft.celery import app

    claimed = OutboxMessage.objects.filter(pk=message_id, published_at__isnull=True).update(
        published_at=timezone.now(), attempts=F("attempts") + 1
    )
    if not claimed:
        return True
    message = OutboxMessage.objects.get(pk=message_id)
    try:
        app.send_task(message.task_name, kwargs=message.kwargs, retry=False)
    except Exception as exc:  # the broker is down or unreachable: keep the row for the drain
        logger.warning("outbox: publish of %s deferred: %s", message.task_name, type(exc).__name__)
        OutboxMessage.objects.filter(pk=message_id).update(published_at=None, last_error=str(exc)[:500])
        return False
    return True


def drain(limit: int = 500) -> int:
    """Publish what an outage left behind, oldest first. Returns how many were published."""
    ids = OutboxMessage.objects.filter(published_at__isnull=True).order_by("created_at").values_list("pk", flat=True)
    published = 0
    for message_id in list(ids[:limit]):
        if not publish(message_id):
            break
        published += 1
    return published
