"""Delivery: the exactly-once send of reminders, alert notifications and digests, retries and resends.

Exactly once, as the patient sees it:
1. A row per email (Reminder, AlertNotification, TherapistDigest) under a unique constraint. The dispatcher
   inserts with ON CONFLICT DO NOTHING RETURNING id, so only the insert that wins queues a send.
2. Send tasks are queued through the transactional outbox, i.e. only after the rows commit, and durably.
3. A send owns its row before it sends. Reminders: a batch claims its rows in one conditional
   UPDATE ... RETURNING (claimed_at set where the row is pending and nobody holds it), loads them, sends each
   email and marks it (which clears the claim) in one autocommit UPDATE right after the SMTP server accepts it.
   A duplicate delivery finds the rows held or no longer pending. A claim lasts CLAIM_LEASE, renewed while the
   batch runs, and is released when the batch ends; a killed worker cannot release its claims, so its unsent
   reminders wait for the claim to lapse, then go with the redelivered task (acks_late + reject_on_worker_lost)
   or the stale sweep. Alerts and digests (a few a day): the row is locked (SELECT ... FOR UPDATE) in a
   transaction that sends and marks it. The one window left is between the SMTP server's "250 accepted"
   and the mark reaching the database (well under a millisecond); the fixed Message-ID lets mail clients fold a
   copy from that window into one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import random
import smtplib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import DatabaseError, models, transaction
from django.db import connection as db
from django.utils import timezone

from audit.services import record
from outbox.services import enqueue
from patients.links import issue_tokens
from patients.models import CheckIn, Patient
from reminders import emails, mime, schedule
from reminders.models import DeliveryStatus, Reminder

logger = logging.getLogger(__name__)


SEND_BATCH_TASK = "reminders.send_reminder_batch"
SEND_TASK = "reminders.send_reminder"
# A pending reminder nobody has tried for this long lost its task (e.g. a crash between commit and publish).
STALE_AFTER = dt.timedelta(minutes=10)
# A send's claim on its reminders lapses after this unless renewed (a batch renews it at half time); only a
# killed worker's claims ever lapse, so this is how long its unsent reminders wait.
CLAIM_LEASE = dt.timedelta(minutes=10)
# Past this, a reminder is no longer useful (and would arrive at an odd local hour): it is marked failed.
GIVE_UP_AFTER = dt.timedelta(hours=12)


def retry_delay(attempts: int) -> float:
    return schedule.backoff_seconds(
        attempts,
        base=settings.REMINDER_RETRY_BACKOFF_SECONDS,
        cap=settings.REMINDER_RETRY_BACKOFF_MAX_SECONDS,
        rand=random.random(),  # noqa: S311 - jitter, not security
    )


# --- Sending --------------------------------------------------------------------------------------------

SMTP_ERRORS = (smtplib.SMTPException, OSError)


class Undeliverable(Exception):
    """The email cannot be sent however often we try (e.g. nobody to send it to): fail at once, visibly."""


@dataclass
class Outcome:
    status: str  # "sent", "skipped", "done" (someone else already handled it), "retry", "failed"
    attempts: int = 0
    error: str = ""


def _send(connection: Any, message: EmailMessage) -> None:
    connection.open()  # no-op when already open: one connection serves a whole batch
    raw = mime.serialize(message) if isinstance(connection, SMTPBackend) else None
    if raw is None:
        if not connection.send_messages([message]):
            raise smtplib.SMTPException("The mail backend did not accept the message.")
        return
    if connection.connection is None:  # a fail_silently backend that could not connect
        raise smtplib.SMTPException("The mail backend did not accept the message.")
    # The same SMTP transaction Django's backend runs, with the message serialized in a tenth of the time.
    connection.connection.sendmail(mime.envelope_sender(message.from_email), message.recipients(), raw)


def reset_connection(connection: Any) -> None:
    with contextlib.suppress(Exception):  # a broken connection is being thrown away anyway
        connection.close()


def _attempt(
    row: Any, *, connection: Any, compose: Callable[[Any], EmailMessage | None], now: dt.datetime, max_attempts: int
) -> tuple[Outcome, dict[str, Any]]:
    """One try at a row's email, by the caller that owns the row: compose it, send it, and return the outcome
    with the fields to record. `row.attempts` must be what the caller read after taking ownership."""
    try:
        message = compose(row)
    except Undeliverable as exc:
        fields = {"status": DeliveryStatus.FAILED, "last_error": str(exc), "last_attempt_at": now}
        return Outcome("failed", row.attempts, str(exc)), fields
    if message is None:
        return Outcome("skipped", row.attempts), {"status": DeliveryStatus.SKIPPED}
    attempts = row.attempts + 1
    try:
        _send(connection, message)
    except SMTP_ERRORS as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        final = attempts >= max_attempts
        logger.warning("send of %s %s failed (attempt %s): %s", type(row).__name__, row.pk, attempts, exc)
        fields = {"attempts": attempts, "last_attempt_at": now, "last_error": error}
        if final:
            fields["status"] = DeliveryStatus.FAILED
        return Outcome("failed" if final else "retry", attempts, error), fields
    fields = {"status": DeliveryStatus.SENT, "sent_at": now, "attempts": attempts, "last_attempt_at": now}
    return Outcome("sent", attempts), fields


def _deliver(
    queryset: models.QuerySet,
    pk: int,
    *,
    connection: Any,
    compose: Callable[[Any], EmailMessage | None],
    now: dt.datetime | None = None,
    max_attempts: int | None = None,
) -> Outcome:
    """Send the row's email once: lock, check pending, send, mark, all in one transaction (module docstring).
    Alert notifications and digests (a few a day) go this way.

    The lock is a plain primary-key SELECT ... FOR UPDATE of the row's status; the data for the email is loaded
    after the lock."""
    with transaction.atomic():
        locked = (
            queryset.model._default_manager.select_for_update().filter(pk=pk).values_list("status", "attempts").first()
        )
        if locked is None or locked[0] != DeliveryStatus.PENDING:
            return Outcome("done", locked[1] if locked else 0)
        row = queryset.get(pk=pk)
        outcome, fields = _attempt(
            row,
            connection=connection,
            compose=compose,
            now=now or timezone.now(),
            max_attempts=max_attempts or settings.REMINDER_MAX_ATTEMPTS,
        )
        for name, value in fields.items():
            setattr(row, name, value)
        row.save(update_fields=list(fields))
        return outcome


def _reminder_email(
    reminder: Reminder, checked_in: set[tuple[int, int]] | None = None, token: str | None = None
) -> EmailMessage | None:
    """The email for a reminder, or None when it is no longer wanted. `checked_in`: the (episode, week) pairs
    with a check-in, and `token`: the patient's new check-in token, when the caller made them for a batch."""
    if not _wanted(reminder, checked_in):
        return None
    if not reminder.patient.email:  # removed after the reminder was made (dispatch selects patients with one)
        raise Undeliverable("The patient has no email address.")
    return emails.reminder_message(reminder, token)


def _wanted(reminder: Reminder, checked_in: set[tuple[int, int]] | None = None) -> bool:
    """Whether a reminder's email is still wanted (checked again at send time: a patient may have paused, been
    discharged or checked in since the row was created)."""
    patient = reminder.patient
    if patient.status != Patient.Status.ACTIVE or not patient.reminder_consent or reminder.episode.ended_on:
        return False
    if reminder.kind == Reminder.Kind.FOLLOW_UP:
        if checked_in is None:
            checked_in = set(
                CheckIn.objects.filter(episode_id=reminder.episode_id, week=reminder.week).values_list(
                    "episode_id", "week"
                )
            )
        if (reminder.episode_id, reminder.week) in checked_in:
            return False
    return True


def _reminders() -> models.QuerySet[Reminder]:
    return Reminder.objects.select_related("patient__clinic", "episode")


def _update_claims(reminder_ids: Iterable[int], claim: dt.datetime | None, *, held: dt.datetime | None) -> set[int]:
    """Set `claimed_at` to `claim` on the pending rows among `reminder_ids` that the caller may take, and return
    their ids: with `held`, the rows it still holds (its own claim time is its token); without, the rows nobody
    holds (never claimed, released, or claimed longer than CLAIM_LEASE ago). One conditional
    UPDATE ... RETURNING, on PostgreSQL and SQLite (>= 3.35) alike; the database serializes competing claims."""
    ids = list(reminder_ids)
    if not ids:
        return set()
    quote = db.ops.quote_name
    table, claimed_at = quote(Reminder._meta.db_table), quote("claimed_at")
    if held is None:
        free = f"({claimed_at} IS NULL OR {claimed_at} < %s)"
        since = timezone.now() - CLAIM_LEASE
    else:
        free, since = f"{claimed_at} = %s", held
    sql = (
        f"UPDATE {table} SET {claimed_at} = %s WHERE id IN ({', '.join(['%s'] * len(ids))}) "  # noqa: S608
        f"AND {quote('status')} = %s AND {free} RETURNING id"
    )
    adapt = db.ops.adapt_datetimefield_value
    with db.cursor() as cursor:
        cursor.execute(sql, [adapt(claim), *ids, DeliveryStatus.PENDING, adapt(since)])
        return {pk for (pk,) in cursor.fetchall()}


def _send_reminders(
    reminder_ids: Sequence[int], *, connection: Any, on_outcome: Callable[[int, Outcome], None]
) -> None:
    """Each reminder's email once, over one SMTP connection (see the module docstring).

    Claim the batch (one query), load the claimed rows (one query, after the claim, so it sees every earlier
    mark); then each email costs one autocommit UPDATE, right after the SMTP server accepted it, which records
    the outcome and clears the claim. Whatever the batch did not mark is released when it ends."""
    reminder_ids = list(dict.fromkeys(reminder_ids))
    max_attempts = settings.REMINDER_MAX_ATTEMPTS
    held = timezone.now()
    unmarked = _update_claims(reminder_ids, held, held=None)
    try:
        # A patient paused during the batch's second or so is caught by the next one.
        rows = _reminders().in_bulk(unmarked)
        follow_ups = [r for r in rows.values() if r.kind == Reminder.Kind.FOLLOW_UP]
        checked_in: set[tuple[int, int]] = set()
        if follow_ups:
            checked_in = set(
                CheckIn.objects.filter(episode_id__in={r.episode_id for r in follow_ups}).values_list(
                    "episode_id", "week"
                )
            )

        # Each email carries a new check-in link (read once; it ends the patient's older links): one UPDATE
        # issues the batch's, for the patients still to be emailed only, so nobody else's link is ended.
        tokens = issue_tokens(r.patient for r in rows.values() if _wanted(r, checked_in) and r.patient.email)

        def compose(reminder: Reminder) -> EmailMessage | None:
            return _reminder_email(reminder, checked_in, tokens.get(reminder.patient_id))

        for reminder_id in reminder_ids:
            now = timezone.now()
            if reminder_id in unmarked and now - held > CLAIM_LEASE / 2:  # a slow batch: keep what it holds
                unmarked, held = _update_claims(unmarked, now, held=held), now
            row = rows.get(reminder_id) if reminder_id in unmarked else None
            if row is None:
                outcome = Outcome("done")
            else:
                outcome, fields = _attempt(
                    row, connection=connection, compose=compose, now=now, max_attempts=max_attempts
                )
                _mark(reminder_id, {**fields, "claimed_at": None})
                unmarked.discard(reminder_id)
            if outcome.status in ("retry", "failed"):
                reset_connection(connection)  # it may be broken
            on_outcome(reminder_id, outcome)
    finally:
        try:
            _update_claims(unmarked, None, held=held)
        except DatabaseError:  # the session is broken: the claims lapse after CLAIM_LEASE
            logger.warning("reminder claims not released: the database session is gone")


def _mark(reminder_id: int, fields: dict[str, Any]) -> None:
    """Record an attempt's outcome: one autocommit UPDATE by primary key. Raw SQL: it runs once per email on the
    hot send path, where the ORM's query building was a large share of the cost (docs/BENCHMARKS.md, send)."""
    values = [db.ops.adapt_datetimefield_value(v) if isinstance(v, dt.datetime) else v for v in fields.values()]
    assignments = ", ".join(f"{db.ops.quote_name(name)} = %s" for name in fields)
    table = db.ops.quote_name(Reminder._meta.db_table)
    with db.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {assignments} WHERE id = %s", [*values, reminder_id])  # noqa: S608


def send_one_reminder(reminder_id: int, *, connection: Any = None) -> Outcome:
    connection = connection or get_connection()
    outcomes: list[Outcome] = []
    try:
        _send_reminders([reminder_id], connection=connection, on_outcome=lambda pk, outcome: outcomes.append(outcome))
    finally:
        reset_connection(connection)
    return outcomes[0]


def schedule_retry(reminder_id: int, attempts: int) -> None:
    from cft.celery import app

    try:
        app.send_task(SEND_TASK, kwargs={"reminder_id": reminder_id}, countdown=retry_delay(attempts), retry=False)
    except Exception as exc:  # noqa: BLE001 - broker down: requeue_stale_reminders picks the row up later
        logger.warning("retry of reminder %s not queued: %s", reminder_id, type(exc).__name__)


def send_reminder_batch(
    reminder_ids: Sequence[int], *, connection: Any = None, progress: Callable[[Outcome], object] | None = None
) -> Counter[str]:
    """Send a batch over one SMTP connection. A failed send drops the connection (it may be broken) and hands
    that reminder to `send_reminder` with a backoff; the rest of the batch goes on. More ids than
    REMINDER_BATCH_SIZE (`send_reminders` passes a whole tick's) are claimed and sent a batch at a time, so a
    claim's statement stays within the databases' parameter limits."""
    connection = connection or get_connection()
    counts: Counter[str] = Counter()
    reminder_ids = list(dict.fromkeys(reminder_ids))
    size = settings.REMINDER_BATCH_SIZE

    def record_outcome(reminder_id: int, outcome: Outcome) -> None:
        counts[outcome.status] += 1
        if outcome.status == "retry":
            schedule_retry(reminder_id, outcome.attempts)
        if progress:
            progress(outcome)

    try:
        for start in range(0, len(reminder_ids), size):
            _send_reminders(reminder_ids[start : start + size], connection=connection, on_outcome=record_outcome)
    finally:
        reset_connection(connection)
    return counts


@transaction.atomic
def resend_reminder(*, reminder: Reminder, by: Any) -> bool:
    """Admin action: a failed reminder gets a fresh round of attempts. Only failed ones: a sent reminder is never
    sent twice. Returns whether it was queued."""
    updated = Reminder.objects.filter(pk=reminder.pk, status=DeliveryStatus.FAILED).update(
        status=DeliveryStatus.PENDING, attempts=0
    )
    if not updated:
        return False
    record("reminder.resend", reminder, by, details={"kind": reminder.kind, "week": reminder.week})
    enqueue(SEND_TASK, reminder_id=reminder.pk)
    return True


def send_checkin_link_now(*, patient_id: int, connection: Any = None) -> None:
    """A check-in link sent now at the clinic's request (admin action), outside the weekly schedule. Raises the
    SMTP error so the task can retry; refuses discharged patients."""
    patient = Patient.objects.select_related("clinic").get(pk=patient_id)
    if patient.status == Patient.Status.DISCHARGED:
        raise ValidationError({"patient": "This patient has been discharged; no check-in link is sent."})
    if not patient.email:
        raise ValidationError({"email": "The patient has no email address; no check-in link is sent."})
    stamp = int(timezone.now().timestamp())
    message = emails.patient_link_message(patient, "link", f"link-{patient.pk}-{stamp}")
    connection = connection or get_connection()
    try:
        _send(connection, message)
    finally:
        reset_connection(connection)
