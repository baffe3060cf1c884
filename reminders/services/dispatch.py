"""Dispatch: which patients are due a weekly reminder or a follow-up in their local time, and the set-based
insert of their Reminder rows (the insert that wins queues the send; docs/reminders.md)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection as db
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from cft.jobs import JobRun
from outbox.services import enqueue
from patients.dates import ProgramWeekOutOfRange, checked_week, program_week
from patients.models import CheckIn, Episode, Patient
from reminders import schedule
from reminders.models import DeliveryStatus, Reminder
from reminders.services.delivery import CLAIM_LEASE, GIVE_UP_AFTER, SEND_BATCH_TASK, STALE_AFTER

logger = logging.getLogger(__name__)


FOLLOW_UP_AFTER = dt.timedelta(hours=48)


def window() -> dt.timedelta:
    return dt.timedelta(minutes=settings.REMINDER_WINDOW_MINUTES)


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
    emailed = Patient.objects.active().filter(reminder_consent=True).exclude(email="")
    zones = list(emailed.order_by().values_list("time_zone", flat=True).distinct())
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
        .exclude(patient__email="")  # reached another way: nothing to send
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
        .exclude(patient__email="")
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
