"""One open alert per episode and kind that gathers its weeks, acknowledged with a note of what was done, several
at once (docs/clinical-rules.md, "Alerts")."""

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from audit.models import AuditEvent
from outbox.models import OutboxMessage
from patients import services
from patients.models import ALERT_NOTE_MAX_LENGTH, Alert
from tests.factories import answers, checkin, make_therapist, odi, patient_on_program


@pytest.fixture
def patient(db):
    return patient_on_program(weeks_ago=8)  # current program week is 9


def worsen(patient, weeks) -> None:  # type: ignore[no-untyped-def]
    """Baseline NRS 4 in week 1, then NRS 7 (baseline + 3: worsening and a flare) in each of `weeks`."""
    checkin(patient, 1, 2, 4)
    for week in weeks:
        checkin(patient, week, 2, 7)


def test_a_worsening_patient_has_one_open_alert_per_kind_listing_its_weeks(patient):
    worsen(patient, [2, 3, 4, 5, 6])
    alerts = Alert.objects.filter(patient=patient).order_by("kind")
    assert [(a.kind, a.week, a.latest_week, a.weeks) for a in alerts] == [
        ("flare", 2, 6, [2, 3, 4, 5, 6]),
        ("worsening", 3, 6, [3, 4, 5, 6]),
    ]
    worsening = alerts.get(kind=Alert.Kind.WORSENING)
    assert worsening.updated_at > worsening.raised_at
    assert str(worsening) == "Worsening (weeks 3, 4, 5, 6)"
    # Each alert's notification is queued once, when it opens, not for every week it gathers.
    assert sorted(m.kwargs["alert_id"] for m in OutboxMessage.objects.all()) == sorted(a.pk for a in alerts)


def test_the_database_holds_one_open_alert_per_episode_and_kind(patient):
    worsen(patient, [2, 3])
    alert = Alert.objects.get(kind=Alert.Kind.WORSENING)
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(patient=patient, episode=alert.episode, kind=alert.kind, week=5, latest_week=5, weeks=[5])


def test_after_acknowledgement_a_new_qualifying_week_opens_a_new_alert(patient):
    therapist = make_therapist(patient.clinic)
    worsen(patient, [2, 3, 4])
    first = Alert.objects.get(kind=Alert.Kind.WORSENING)
    services.acknowledge_alert(alert=first, by=therapist, note="Phoned; pacing reviewed.")
    checkin(patient, 4, 2, 8)  # a correction of an acknowledged week raises nothing again
    assert Alert.objects.filter(kind=Alert.Kind.WORSENING).count() == 1
    checkin(patient, 5, 2, 7)
    second = Alert.objects.open().get(kind=Alert.Kind.WORSENING)
    assert second.pk != first.pk and second.weeks == [5]
    first.refresh_from_db()
    assert first.weeks == [3, 4] and first.note == "Phoned; pacing reviewed."


def test_missed_weeks_gather_in_one_missed_alert(db):
    patient = patient_on_program(weeks_ago=6)  # week 7: weeks 5 and 6 missed
    checkin(patient, 4, 2, 4)
    assert services.raise_missed_checkin_alerts() == 1
    next_week = timezone.now() + dt.timedelta(weeks=1)  # week 7 missed too
    assert services.raise_missed_checkin_alerts(now=next_week) == 1
    assert services.raise_missed_checkin_alerts(now=next_week) == 0
    alert = Alert.objects.get(kind=Alert.Kind.MISSED)
    assert (alert.week, alert.latest_week, alert.weeks) == (6, 7, [6, 7])


# --- red flags: escalation notifies once per escalation ------------------------------------------------------
def red_flag(patient, week, *flags):  # type: ignore[no-untyped-def]
    return services.submit_checkin(patient=patient, answers=answers(odi(2), 5, red_flags=list(flags)), week=week)


def notifications() -> list[dict]:
    return [m.kwargs for m in OutboxMessage.objects.filter(task_name="reminders.notify_alert").order_by("pk")]


def test_a_red_flag_in_a_new_week_escalates_the_open_alert_and_notifies_once(patient):
    red_flag(patient, 2, "rf_fever")
    alert = Alert.objects.get()
    red_flag(patient, 3, "rf_fever")  # the same question, another week: the therapist hears of it
    red_flag(patient, 3, "rf_fever")  # nothing new
    alert.refresh_from_db()
    assert (alert.weeks, alert.escalation) == ([2, 3], 1)
    assert alert.details["by_week"] == {"2": ["rf_fever"], "3": ["rf_fever"]}
    assert alert.details["added_week"] == 3
    assert notifications() == [{"alert_id": alert.pk}, {"alert_id": alert.pk, "escalation": 1}]
    assert AuditEvent.objects.filter(action="alert.escalate").count() == 1


def test_a_resubmission_adding_a_flag_escalates_and_one_repeating_flags_does_not(patient):
    red_flag(patient, 2, "rf_weight_loss")
    red_flag(patient, 2, "rf_weight_loss", "rf_saddle")
    red_flag(patient, 2, "rf_saddle", "rf_weight_loss")
    alert = Alert.objects.get()
    assert alert.escalation == 1
    assert alert.details["questions"] == ["rf_saddle", "rf_weight_loss"]
    assert alert.details["added"] == ["rf_saddle"]
    assert len(notifications()) == 2


def test_a_flag_added_to_an_acknowledged_week_opens_a_new_alert_keeping_the_history(patient):
    therapist = make_therapist(patient.clinic)
    red_flag(patient, 2, "rf_trauma")
    first = Alert.objects.get()
    services.acknowledge_alert(alert=first, by=therapist, note="Seen in clinic; no fracture signs.")
    red_flag(patient, 2, "rf_trauma")  # repeats what was acknowledged: nothing
    assert Alert.objects.count() == 1
    red_flag(patient, 2, "rf_trauma", "rf_bladder_bowel")
    second = Alert.objects.open().get()
    assert second.pk != first.pk
    assert second.details["added"] == ["rf_bladder_bowel"] and second.weeks == [2]
    assert notifications()[-1] == {"alert_id": second.pk}
    first.refresh_from_db()
    assert first.acknowledged_at is not None and first.note == "Seen in clinic; no fracture signs."


# --- acknowledging several with a note -----------------------------------------------------------------------
def test_acknowledging_several_alerts_at_once_records_the_note_and_an_audit_event_each(patient):
    therapist = make_therapist(patient.clinic)
    worsen(patient, [2, 3])
    alerts = list(Alert.objects.filter(patient=patient))
    done = services.acknowledge_alerts(alerts=alerts, by=therapist, note="  Called; plan adjusted.  ")
    assert len(done) == 2
    for alert in Alert.objects.filter(patient=patient):
        assert alert.acknowledged_by == therapist and alert.note == "Called; plan adjusted."
    assert len({a.acknowledged_at for a in Alert.objects.all()}) == 1
    events = AuditEvent.objects.filter(action="alert.acknowledge")
    assert events.count() == 2
    assert {e.details["note_length"] for e in events} == {len("Called; plan adjusted.")}  # never the text
    assert all(e.patient_id == patient.pk and e.actor == therapist for e in events)
    # Again: already acknowledged, nothing changes.
    assert services.acknowledge_alerts(alerts=alerts, by=therapist, note="twice") == []
    assert AuditEvent.objects.filter(action="alert.acknowledge").count() == 2


@pytest.mark.parametrize(
    ("choose", "note", "field"),
    [
        (False, "fine", "alerts"),
        (True, "x" * (ALERT_NOTE_MAX_LENGTH + 1), "note"),
        (True, 12, "note"),
    ],
)
def test_bad_acknowledgement_names_the_field_and_changes_nothing(patient, choose, note, field):
    therapist = make_therapist(patient.clinic)
    worsen(patient, [2, 3])
    alerts = list(Alert.objects.all()) if choose else []
    with pytest.raises(ValidationError) as error:
        services.acknowledge_alerts(alerts=alerts, by=therapist, note=note)
    assert list(error.value.message_dict) == [field]
    assert Alert.objects.open().count() == 2
    assert not AuditEvent.objects.filter(action="alert.acknowledge").exists()


# --- contention: two submissions at once never show the patient an IntegrityError -----------------------------
def in_thread(fn):  # type: ignore[no-untyped-def]
    def run(*args):  # type: ignore[no-untyped-def]
        try:
            return fn(*args)
        finally:
            connection.close()

    return run


@pytest.mark.integration
def test_red_flags_in_many_weeks_at_once_gather_in_one_alert_notified_once_each(transactional_db):
    # A fresh patient: no check-in yet to lock, so every submission races to open the red-flag alert.
    patient = patient_on_program(weeks_ago=9)

    @in_thread
    def submit(week):  # type: ignore[no-untyped-def]
        return red_flag(patient, week, "rf_night_pain").checkin.week

    with ThreadPoolExecutor(max_workers=8) as pool:
        weeks = list(pool.map(submit, range(1, 9)))
    assert sorted(weeks) == list(range(1, 9))
    alert = Alert.objects.get()
    assert alert.weeks == list(range(1, 9)) and alert.escalation == 7
    sent = notifications()
    assert sorted(n.get("escalation", 0) for n in sent) == list(range(8))


def test_erasure_blanks_the_acknowledgement_notes(patient):
    from patients.privacy import erase_patient

    therapist = make_therapist(patient.clinic)
    worsen(patient, [2, 3])
    services.acknowledge_alerts(alerts=Alert.objects.all(), by=therapist, note="Spoke to her husband Ola")
    erase_patient(patient=patient)
    assert set(Alert.objects.values_list("note", flat=True)) == {""}
    assert "Ola" not in str(list(AuditEvent.objects.values_list("details", flat=True)))


def test_the_load_benchmark_takes_this_weeks_submissions_out_of_the_alerts_again(db):
    from bench.load import clear_this_week

    patient = patient_on_program(weeks_ago=4)  # week 5 is this week; the seed wrote weeks 1-4
    worsen(patient, [2, 3, 4])
    seeded = {a.kind: a.weeks for a in Alert.objects.all()}
    checkin(patient, 5, 2, 7)  # the run's submission adds week 5 to both alerts
    assert {a.kind: a.weeks for a in Alert.objects.all()} == {k: [*w, 5] for k, w in seeded.items()}
    clear_this_week([patient])
    assert {a.kind: a.weeks for a in Alert.objects.all()} == seeded
    assert {a.kind: a.latest_week for a in Alert.objects.all()} == {k: w[-1] for k, w in seeded.items()}
