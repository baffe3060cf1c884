"""Reminders, alert notifications and digests: selection, the exactly-once send, retries and resends.

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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import DatabaseError, models, transaction
from django.db import connection as db
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from audit.services import record
from cft.jobs import JobRun
from clinics.models import StaffMembership, is_staff_of
from outbox.services import enqueue
from patients.dates import ProgramWeekOutOfRange, checked_week, program_week
from patients.links import issue_tokens
from patients.models import Alert, CheckIn, Episode, Patient
from reminders import emails, mime, schedule
from reminders.models import AlertNotification, DeliveryStatus, Reminder, TherapistDigest

logger = logging.getLogger(__name__)

SEND_BATCH_TASK = "reminders.send_reminder_batch"
SEND_TASK = "reminders.send_reminder"
FOLLOW_UP_AFTER = dt.timedelta(hours=48)
# A pending reminder nobody has tried for this long lost its task (e.g. a crash between commit and publish).
STALE_AFTER = dt.timedelta(minutes=10)
# A send's claim on its reminders lapses after this unless renewed (a batch renews it at half time); only a
# killed worker's claims ever lapse, so this is how long its unsent reminders wait.
CLAIM_LEASE = dt.timedelta(minutes=10)
# Past this, a reminder is no longer useful (and would arrive at an odd local hour): it is marked failed.
GIVE_UP_AFTER = dt.timedelta(hours=12)


def window() -> dt.timedelta:
    return dt.timedelta(minutes=settings.REMINDER_WINDOW_MINUTES)


def retry_delay(attempts: int) -> float:
    return schedule.backoff_seconds(
        attempts,
        base=settings.REMINDER_RETRY_BACKOFF_SECONDS,
        cap=settings.REMINDER_RETRY_BACKOFF_MAX_SECONDS,
        rand=random.random(),  # noqa: S311 - jitter, not security
    )


# --- Selection ------------------------------------------------------------------------------------------


@dataclass
class DueReminder:
    patient_id: int
    episode_id: int
    week: int
    due_at: dt.datetime
    time_zone: str


@dataclass
class DispatchResult:
    created: int = 0
    batches: int = 0
    requeued: int = 0
    expired: int = 0
    reminder_ids: list[int] = field(default_factory=list)


def due_weekly(now: dt.datetime, batch_size: int) -> Iterator[list[DueReminder]]:
    """Batches of the weekly reminders due on this tick, selected set-based.

    One query lists the time zones in use; `schedule.due_slots` turns (now, zones) into the few (zone, weekday,
    hour) slots due now; then one streamed query yields the rows in batches. The caller's queries (an insert and
    an outbox row per batch) grow with batches, not patients.
    """
    zones = list(
        Patient.objects.active().filter(reminder_consent=True).order_by().values_list("time_zone", flat=True).distinct()
    )
    slots = {due.slot: due for due in schedule.due_slots(now, zones, window())}
    if not slots:
        return
    in_slot = Q()
    for slot in slots:
        in_slot |= Q(
            patient__time_zone=slot.time_zone,
            patient__checkin_weekday=slot.weekday,
            patient__checkin_hour=slot.hour,
        )
    already = Reminder.objects.filter(patient=OuterRef("patient"), kind=Reminder.Kind.WEEKLY, due_at__gt=now - window())
    episodes = (
        Episode.objects.filter(
            in_slot,
            ended_on__isnull=True,
            patient__status=Patient.Status.ACTIVE,
            patient__reminder_consent=True,
        )
        .with_week_one()
        .filter(week_one__isnull=False)
        .exclude(Exists(already))
        .order_by()
        .values_list(
            "pk", "patient_id", "week_one", "patient__time_zone", "patient__checkin_weekday", "patient__checkin_hour"
        )
    )
    # One query, streamed (a server-side cursor on PostgreSQL): the planner does one pass with hash joins
    # instead of one scan per page.
    batch: list[DueReminder] = []
    for episode_id, patient_id, week_one, zone, weekday, hour in episodes.iterator(chunk_size=batch_size):
        due = slots[schedule.Slot(zone, weekday, hour)]
        week = program_week(due.local_date, week_one)
        if week is not None:
            batch.append(DueReminder(patient_id, episode_id, week, due.due_at, zone))
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert_reminders(kind: str, due: Sequence[DueReminder], now: dt.datetime) -> list[int]:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id: the ids of the rows this call won (PostgreSQL, SQLite)."""
    table = db.ops.quote_name(Reminder._meta.db_table)
    columns = ["patient_id", "episode_id", "week", "due_at", "kind", "status", "attempts", "last_error", "created_at"]
    names = ", ".join(db.ops.quote_name(c) for c in columns)
    constants = [kind, DeliveryStatus.PENDING, 0, "", db.ops.adapt_datetimefield_value(now)]
    if db.vendor == "postgresql":
        # Four arrays and the constant columns once, not 9 parameters a row: the client binds parameters one by
        # one, which dominated a large batch (docs/BENCHMARKS.md, reminders).
        sql = (
            f"INSERT INTO {table} ({names}) SELECT p, e, w, d, %s, %s, %s, %s, %s "  # noqa: S608
            "FROM unnest(%s::bigint[], %s::bigint[], %s::smallint[], %s::timestamptz[]) AS due(p, e, w, d) "
            "ON CONFLICT DO NOTHING RETURNING id"
        )
        params: list[Any] = [
            *constants,
            [item.patient_id for item in due],
            [item.episode_id for item in due],
            [item.week for item in due],
            [item.due_at for item in due],
        ]
    else:
        row = "(" + ", ".join(["%s"] * len(columns)) + ")"
        sql = f"INSERT INTO {table} ({names}) VALUES {', '.join([row] * len(due))} ON CONFLICT DO NOTHING RETURNING id"  # noqa: S608
        params = []
        for item in due:
            due_at = db.ops.adapt_datetimefield_value(item.due_at)
            params += [item.patient_id, item.episode_id, item.week, due_at, *constants]
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        return [pk for (pk,) in cursor.fetchall()]


def _clinic_of(item: DueReminder) -> int | None:
    return Patient.objects.filter(pk=item.patient_id).values_list("clinic_id", flat=True).first()


def _without_bad_weeks(batch: list[DueReminder], run: JobRun) -> list[DueReminder]:
    """Rows whose program week does not fit the column (a start date from before the date check) are reported."""
    good = []
    for item in batch:
        try:
            checked_week(item.week)
        except ProgramWeekOutOfRange as exc:
            run.fail(clinic_id=_clinic_of(item), object_type="Episode", object_id=item.episode_id, exc=exc)
        else:
            good.append(item)
    return good


def _create_and_queue(
    kind: str, batches: Iterable[list[DueReminder]], now: dt.datetime, publish: bool
) -> DispatchResult:
    result = DispatchResult()
    run = JobRun(f"dispatch_{kind}_reminders")
    for batch in batches:
        batch = _without_bad_weeks(batch, run)
        try:
            with transaction.atomic():
                ids = _insert_reminders(kind, batch, now)
                if ids and publish:
                    enqueue(SEND_BATCH_TASK, reminder_ids=ids)
        except Exception:  # noqa: BLE001 - one bad row must not lose the slot: retry the batch row by row
            ids = []
            for item in batch:
                with run.row(clinic_id=_clinic_of(item), object_type="Episode", object_id=item.episode_id):
                    won = _insert_reminders(kind, [item], now)
                    if won and publish:
                        enqueue(SEND_BATCH_TASK, reminder_ids=won)
                    ids.extend(won)
        result.created += len(ids)
        result.batches += 1
        result.reminder_ids += ids
    return result


def dispatch_due_reminders(
    *, now: dt.datetime | None = None, batch_size: int | None = None, publish: bool = True
) -> DispatchResult:
    """Create this tick's weekly reminders and queue their sends in batches (after each batch commits); then
    requeue reminders whose task was lost and give up on those too old to be useful."""
    now = now or timezone.now()
    result = _create_and_queue(
        Reminder.Kind.WEEKLY, due_weekly(now, batch_size or settings.REMINDER_BATCH_SIZE), now, publish
    )
    if publish:
        result.requeued, result.expired = requeue_stale_reminders(now=now)
    return result


def due_follow_ups(now: dt.datetime, batch_size: int) -> Iterator[list[DueReminder]]:
    """Weekly reminders sent 48 h ago (within the window, so the follow-up comes at the same local hour) whose
    week has no check-in and no follow-up yet, for patients still active and consenting."""
    checked_in = CheckIn.objects.filter(episode=OuterRef("episode"), week=OuterRef("week"))
    followed = Reminder.objects.filter(
        patient=OuterRef("patient"), episode=OuterRef("episode"), week=OuterRef("week"), kind=Reminder.Kind.FOLLOW_UP
    )
    weekly = (
        Reminder.objects.filter(
            kind=Reminder.Kind.WEEKLY,
            status=DeliveryStatus.SENT,
            sent_at__gt=now - FOLLOW_UP_AFTER - window(),
            sent_at__lte=now - FOLLOW_UP_AFTER,
            patient__status=Patient.Status.ACTIVE,
            patient__reminder_consent=True,
            episode__ended_on__isnull=True,
        )
        .exclude(Exists(checked_in))
        .exclude(Exists(followed))
        .order_by()
        .values_list("patient_id", "episode_id", "week", "sent_at", "patient__time_zone")
    )
    batch: list[DueReminder] = []
    for patient_id, episode_id, week, sent_at, zone in weekly.iterator(chunk_size=batch_size):
        assert sent_at is not None  # the sent_at filters above exclude NULL
        batch.append(DueReminder(patient_id, episode_id, week, sent_at + FOLLOW_UP_AFTER, zone))
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def dispatch_follow_ups(
    *, now: dt.datetime | None = None, batch_size: int | None = None, publish: bool = True
) -> DispatchResult:
    now = now or timezone.now()
    batches = due_follow_ups(now, batch_size or settings.REMINDER_BATCH_SIZE)
    return _create_and_queue(Reminder.Kind.FOLLOW_UP, batches, now, publish)


def requeue_stale_reminders(*, now: dt.datetime | None = None) -> tuple[int, int]:
    """Safety net for a lost send task: queue pending reminders nobody has tried lately and nobody holds (a
    duplicate task is harmless, the claim decides), and mark failed those past GIVE_UP_AFTER so they show in the
    admin."""
    now = now or timezone.now()
    expired = Reminder.objects.filter(status=DeliveryStatus.PENDING, due_at__lt=now - GIVE_UP_AFTER).update(
        status=DeliveryStatus.FAILED,
        last_error=f"Not sent within {GIVE_UP_AFTER.total_seconds() / 3600:.0f} hours of its due time.",
    )
    retry_gap = dt.timedelta(seconds=settings.REMINDER_RETRY_BACKOFF_MAX_SECONDS) + STALE_AFTER
    stale = (
        Reminder.objects.filter(status=DeliveryStatus.PENDING, created_at__lt=now - STALE_AFTER)
        .filter(Q(last_attempt_at__isnull=True) | Q(last_attempt_at__lt=now - retry_gap))
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_LEASE))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    ids = list(stale[:50_000])
    size = settings.REMINDER_BATCH_SIZE
    if not ids:
        return 0, expired
    with transaction.atomic():
        for start in range(0, len(ids), size):
            enqueue(SEND_BATCH_TASK, reminder_ids=ids[start : start + size])
    return len(ids), expired


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
        tokens = issue_tokens(r.patient for r in rows.values() if _wanted(r, checked_in))

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
    """Record an attempt's outcome: one autocommit UPDATE by primary key. Raw SQL: the ORM's query building
    cost about as much CPU as the rest of an email."""
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
    stamp = int(timezone.now().timestamp())
    message = emails.patient_link_message(patient, "link", f"link-{patient.pk}-{stamp}")
    connection = connection or get_connection()
    try:
        _send(connection, message)
    finally:
        reset_connection(connection)


# --- Alerts and digests ---------------------------------------------------------------------------------


def alert_recipients(patient: Patient) -> list[str]:
    """The primary therapist; with none (or no email), the clinic's admins, so an alert always reaches someone.
    A therapist who is no longer staff of the patient's clinic (left, or moved to another clinic) gets nothing."""
    therapist = patient.primary_therapist
    if therapist is not None and therapist.email and therapist.is_active and is_staff_of(therapist, patient.clinic_id):
        return [therapist.email]
    User = get_user_model()  # noqa: N806
    admins = User.objects.filter(
        memberships__clinic_id=patient.clinic_id, memberships__role=StaffMembership.Role.CLINIC_ADMIN, is_active=True
    ).exclude(email="")
    return sorted(admins.values_list("email", flat=True))


def notify_alert(*, alert_id: int, escalation: int = 0, connection: Any = None) -> Outcome:
    """The urgent email about an alert. Red flags (urgent alerts) go at once, exactly once per alert and
    escalation (a resubmission that added a flag); other alerts are listed in the therapist's daily digest."""
    alert = Alert.objects.filter(pk=alert_id).first()
    if alert is None:
        return Outcome("done")
    if not alert.urgent:
        return Outcome("skipped")
    AlertNotification.objects.get_or_create(alert=alert, escalation=escalation)
    queryset = AlertNotification.objects.select_related(
        "alert__patient__clinic", "alert__patient__primary_therapist"
    ).filter(alert_id=alert_id, escalation=escalation)
    pk = queryset.values_list("pk", flat=True).get()

    def compose(notification: AlertNotification) -> EmailMessage | None:
        recipients = alert_recipients(notification.alert.patient)
        if not recipients:
            raise Undeliverable("The patient has no primary therapist and the clinic no admin with an email.")
        return emails.alert_message(notification, recipients)

    connection = connection or get_connection()
    try:
        return _deliver(queryset, pk, connection=connection, compose=compose)
    finally:
        reset_connection(connection)


def _open_alert_labels(patient_ids: list[int]) -> dict[int, list[str]]:
    labels: dict[int, list[str]] = {}
    for patient_id, kind in (
        Alert.objects.open().filter(patient_id__in=patient_ids).order_by("kind").values_list("patient_id", "kind")
    ):
        label = Alert.Kind(kind).label
        if label not in labels.setdefault(patient_id, []):
            labels[patient_id].append(label)
    return labels


def _digest_email(digest: TherapistDigest) -> EmailMessage | None:
    patients = list(
        Patient.objects.for_user(digest.therapist)  # their caseload in the clinics they are still staff of
        .caseload_of(digest.therapist)
        .exclude(status=Patient.Status.DISCHARGED)
        .needing_attention()
        .order_by("last_name", "first_name")
    )
    if not patients or not digest.therapist.email:
        return None
    labels = _open_alert_labels([p.pk for p in patients])
    for patient in patients:
        patient.open_alert_labels = labels.get(patient.pk, [])
    digest.patient_count = len(patients)
    digest.save(update_fields=["patient_count"])
    return emails.digest_message(digest, patients)


def send_therapist_digests(*, now: dt.datetime | None = None, connection: Any = None) -> Counter[str]:
    """Once per therapist and local day (TIME_ZONE), from REMINDER_DIGEST_HOUR on: the patients of their caseload
    with open alerts. Run hourly; a failed send is tried again on the next run, up to the attempt limit."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    counts: Counter[str] = Counter()
    if local.hour < settings.REMINDER_DIGEST_HOUR:
        return counts
    day = local.date()
    User = get_user_model()  # noqa: N806
    needing = Alert.objects.open().filter(
        patient__primary_therapist=OuterRef("pk"),
        patient__clinic__memberships__user=OuterRef("pk"),
        patient__status__in=[Patient.Status.ACTIVE, Patient.Status.PAUSED],
    )
    therapists = User.objects.filter(Exists(needing), is_active=True).exclude(email="").values_list("pk", flat=True)
    TherapistDigest.objects.bulk_create(
        [TherapistDigest(therapist_id=pk, day=day) for pk in therapists], ignore_conflicts=True
    )
    queryset = TherapistDigest.objects.select_related("therapist")
    connection = connection or get_connection()
    run = JobRun("send_therapist_digests")  # one therapist's failing digest never holds back the others'
    # Where a failure is reported to the clinic admins: the therapist's first clinic.
    first_clinic = StaffMembership.objects.filter(user=OuterRef("therapist")).order_by("pk").values("clinic_id")[:1]
    pending = TherapistDigest.objects.filter(day=day, status=DeliveryStatus.PENDING).annotate(
        clinic_id=Subquery(first_clinic)
    )
    try:
        for pk, clinic_id in pending.values_list("pk", "clinic_id"):
            failed_before = run.failed
            with run.row(clinic_id=clinic_id, object_type="TherapistDigest", object_id=pk):
                outcome = _deliver(queryset, pk, connection=connection, compose=_digest_email, now=now)
                counts[outcome.status] += 1
            if run.failed > failed_before:
                counts["error"] += 1
                outcome = Outcome("failed")
            if outcome.status in ("retry", "failed"):
                reset_connection(connection)
    finally:
        reset_connection(connection)
    return counts
