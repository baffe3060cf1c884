"""Thin tasks: each takes ids, calls a service and owns its retries. acks_late and reject_on_worker_lost are
global settings, so a task whose worker is killed is redelivered, not dropped."""

from __future__ import annotations

import datetime as dt

from celery import Task, shared_task
from django.utils.dateparse import parse_datetime

from reminders import services


def _when(now: str | None) -> dt.datetime | None:
    return parse_datetime(now) if now else None


@shared_task(name="reminders.dispatch_due_reminders")
def dispatch_due_reminders(now: str | None = None) -> int:
    """Beat, every 5 minutes. `now` (ISO 8601) dispatches as of another instant, for catch-up and tests."""
    return services.dispatch_due_reminders(now=_when(now)).created


@shared_task(name="reminders.dispatch_follow_ups")
def dispatch_follow_ups(now: str | None = None) -> int:
    return services.dispatch_follow_ups(now=_when(now)).created


@shared_task(name="reminders.send_reminder_batch")
def send_reminder_batch(reminder_ids: list[int]) -> dict[str, int]:
    return dict(services.send_reminder_batch(reminder_ids))


@shared_task(bind=True, name="reminders.send_reminder", max_retries=None)
def send_reminder(self: Task, reminder_id: int) -> str:
    """One reminder (retries and admin resends). The attempt count lives on the row, so the limit holds across
    the batch task, these retries and a redelivery; after the last attempt the row is marked failed."""
    outcome = services.send_one_reminder(reminder_id)
    if outcome.status == "retry":
        raise self.retry(countdown=services.retry_delay(outcome.attempts))
    return outcome.status


@shared_task(bind=True, name="reminders.notify_alert", max_retries=None)
def notify_alert(self: Task, alert_id: int, escalation: int = 0) -> str:
    outcome = services.notify_alert(alert_id=alert_id, escalation=escalation)
    if outcome.status == "retry":
        # Red flags must reach the therapist within minutes: short waits, whatever the reminder backoff is.
        raise self.retry(countdown=min(services.retry_delay(outcome.attempts), 60))
    return outcome.status


@shared_task(bind=True, name="reminders.send_checkin_link_now", max_retries=5)
def send_checkin_link_now(self: Task, patient_id: int) -> None:
    try:
        services.send_checkin_link_now(patient_id=patient_id)
    except services.SMTP_ERRORS as exc:
        raise self.retry(exc=exc, countdown=services.retry_delay(self.request.retries + 1)) from exc


@shared_task(name="reminders.send_therapist_digests")
def send_therapist_digests() -> dict[str, int]:
    return dict(services.send_therapist_digests())
