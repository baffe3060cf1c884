import datetime as dt
import random

import pytest

from outbox.models import OutboxMessage
from patients import services as patient_services
from patients.models import Patient
from reminders import schedule, services
from reminders.models import DeliveryStatus, Reminder
from tests.factories import checkin, patient_on_program

from .conftest import not_due, slot_now

pytestmark = pytest.mark.django_db

ZONES = ["Europe/Oslo", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "America/Los_Angeles"]


def test_each_due_patient_gets_one_weekly_reminder_for_the_current_program_week(due_patient, now):
    patients = [due_patient(zone) for zone in ZONES]
    result = services.dispatch_due_reminders(now=now)
    assert result.created == 5
    reminders = Reminder.objects.order_by("patient_id")
    assert [r.patient_id for r in reminders] == sorted(p.pk for p in patients)
    assert {r.week for r in reminders} == {5}  # patient_on_program starts the program 4 weeks ago
    assert {r.kind for r in reminders} == {Reminder.Kind.WEEKLY}
    assert {r.status for r in reminders} == {DeliveryStatus.PENDING}


def test_paused_discharged_unconsenting_and_not_yet_due_patients_get_nothing(clinic, plan, due_patient, now):
    paused = due_patient()
    patient_services.set_reminders_paused(patient=paused, paused=True)
    discharged = due_patient()
    patient_services.discharge_patient(patient=discharged)
    due_patient(reminder_consent=False)
    patient_on_program(clinic=clinic, program=plan, time_zone="Europe/Oslo", **not_due("Europe/Oslo", now))
    patient_on_program(
        clinic=clinic, program=plan, time_zone="Europe/Oslo", weeks_ago=-1, **slot_now("Europe/Oslo", now)
    )
    assert services.dispatch_due_reminders(now=now).created == 0
    assert not Reminder.objects.exists()


def test_the_same_dispatch_run_twice_creates_each_reminder_once(due_patient, now):
    for zone in ZONES:
        due_patient(zone)
    assert services.dispatch_due_reminders(now=now).created == 5
    assert services.dispatch_due_reminders(now=now).created == 0
    assert services.dispatch_due_reminders(now=now + dt.timedelta(minutes=5)).created == 0
    assert Reminder.objects.count() == 5


def test_a_reminder_row_that_already_exists_is_not_queued_again(due_patient, now):
    patient = due_patient()
    # As if another dispatcher had won the insert, even with a due time outside this tick's window.
    episode = patient.current_episode()
    Reminder.objects.create(patient=patient, episode=episode, week=5, due_at=now - dt.timedelta(days=1))
    result = services.dispatch_due_reminders(now=now)
    assert result.created == 0
    assert Reminder.objects.count() == 1


def test_sends_are_queued_in_batches_through_the_outbox_after_commit(
    due_patient, now, django_capture_on_commit_callbacks
):
    for _ in range(5):
        due_patient()
    with django_capture_on_commit_callbacks() as callbacks:
        result = services.dispatch_due_reminders(now=now, batch_size=2)
    assert result.batches == 3
    messages = list(OutboxMessage.objects.order_by("pk"))
    assert [m.task_name for m in messages] == ["reminders.send_reminder_batch"] * 3
    assert sorted(i for m in messages for i in m.kwargs["reminder_ids"]) == sorted(result.reminder_ids)
    assert len(callbacks) == 3  # published only once each batch's transaction commits


@pytest.mark.parametrize("patients", [3, 30])
def test_dispatch_query_count_grows_with_batches_not_patients(
    due_patient, now, patients, django_assert_max_num_queries
):
    for _ in range(patients):
        due_patient()
    # time zones + one select per batch (and a last empty one) + savepoint, insert, outbox row, release per
    # batch (the savepoints are the test's; in production the batch is a top-level transaction) + the sweep.
    with django_assert_max_num_queries(9):
        result = services.dispatch_due_reminders(now=now, batch_size=50)
    assert result.created == patients


def test_the_database_selection_agrees_with_the_pure_rule(clinic, plan, now):
    rng = random.Random(5)
    patients = []
    for i in range(40):
        zone = ZONES[i % 5]
        slot = (
            slot_now(zone, now) if i % 2 else {"checkin_weekday": rng.randrange(7), "checkin_hour": rng.randrange(24)}
        )
        patients.append(patient_on_program(clinic=clinic, program=plan, time_zone=zone, **slot))
    expected = {p.pk for p, _ in schedule.select_due(now, patients, services.window())}
    services.dispatch_due_reminders(now=now)
    assert set(Reminder.objects.values_list("patient_id", flat=True)) == expected
    assert len(expected) >= 20


def test_program_week_agrees_with_the_episode_rule(due_patient, now):
    patient = due_patient("Asia/Tokyo")
    services.dispatch_due_reminders(now=now)
    reminder = Reminder.objects.get()
    assert reminder.week == patient.current_episode().program_week_on(patient.local_today(now))


def _sent_weekly(patient, now, hours_ago=48, minutes=5):
    reminder = Reminder.objects.create(
        patient=patient,
        episode=patient.current_episode(),
        week=5,
        due_at=now - dt.timedelta(hours=hours_ago, minutes=minutes),
        status=DeliveryStatus.SENT,
        sent_at=now - dt.timedelta(hours=hours_ago, minutes=minutes),
    )
    return reminder


def test_a_follow_up_goes_48_hours_after_a_weekly_reminder_with_no_check_in_and_only_once(due_patient, now):
    patient = due_patient()
    _sent_weekly(patient, now)
    assert services.dispatch_follow_ups(now=now).created == 1
    assert services.dispatch_follow_ups(now=now + dt.timedelta(minutes=5)).created == 0
    follow_up = Reminder.objects.get(kind=Reminder.Kind.FOLLOW_UP)
    assert (follow_up.patient_id, follow_up.week) == (patient.pk, 5)


def test_no_follow_up_before_48_hours_or_after_a_check_in(due_patient, now):
    early = due_patient()
    _sent_weekly(early, now, hours_ago=47)
    done = due_patient()
    _sent_weekly(done, now)
    checkin(done, 5, 1, 3)
    paused = due_patient()
    _sent_weekly(paused, now)
    paused.status = Patient.Status.PAUSED
    paused.save()
    assert services.dispatch_follow_ups(now=now).created == 0


def test_a_pending_reminder_whose_task_was_lost_is_queued_again(due_patient, now):
    due_patient()
    services.dispatch_due_reminders(now=now, publish=False)  # rows committed, nothing queued: the "lost" case
    assert services.requeue_stale_reminders(now=now) == (0, 0)  # too fresh to call lost
    later = now + services.STALE_AFTER + dt.timedelta(minutes=1)
    assert services.requeue_stale_reminders(now=later) == (1, 0)
    assert OutboxMessage.objects.filter(task_name="reminders.send_reminder_batch").count() == 1


def test_a_reminder_never_sent_within_12_hours_is_marked_failed_and_visible(due_patient, now):
    due_patient()
    services.dispatch_due_reminders(now=now, publish=False)
    services.requeue_stale_reminders(now=now + dt.timedelta(hours=13))
    reminder = Reminder.objects.get()
    assert reminder.status == DeliveryStatus.FAILED
    assert "12 hours" in reminder.last_error
