"""Worker-side confirmation of outbox tasks: a run that returned marks its row done; a retry moves the row's
deadline past the retry; a run that raised counts a failure (the drain publishes it again)."""

from __future__ import annotations

import datetime as dt
import numbers
from typing import Any

from celery import signals
from celery.exceptions import Retry
from django.utils import timezone

from outbox import services


@signals.task_postrun.connect(dispatch_uid="outbox.confirm")
def _confirm(task_id: str | None = None, state: str | None = None, retval: Any = None, **_: Any) -> None:
    if state == "SUCCESS":
        services.confirm(task_id)
    elif state == "FAILURE" and isinstance(retval, BaseException):
        services.record_failure(task_id, retval)


@signals.task_retry.connect(dispatch_uid="outbox.postpone")
def _postpone(request: Any = None, reason: Any = None, **_: Any) -> None:
    when = reason.when if isinstance(reason, Retry) else None
    now = timezone.now()
    if isinstance(when, numbers.Number):
        until = now + dt.timedelta(seconds=float(when))
    elif isinstance(when, dt.datetime):
        until = when
    else:
        until = now
    services.postpone(getattr(request, "id", None), until=until)
