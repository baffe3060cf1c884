"""One poisoned row (a start date from before the date check, planted with queryset.update) never stops the
reminders of everyone else in its time slot: the batch is retried row by row, the bad row reported."""

from __future__ import annotations

import datetime as dt

import pytest

from audit.models import AuditEvent
from cft.jobs import FAILED_ACTION
from patients.models import Assignment
from reminders import services
from reminders.models import Reminder

pytestmark = pytest.mark.django_db


def test_a_poisoned_start_date_loses_only_its_own_reminder(due_patient, now):
    patients = [due_patient() for _ in range(4)]
    poisoned = patients[1]
    Assignment.objects.filter(episode__patient=poisoned).update(start_date=dt.date(1, 1, 2))
    result = services.dispatch_due_reminders(now=now, batch_size=10)
    assert result.created == 3
    assert set(Reminder.objects.values_list("patient_id", flat=True)) == {p.pk for p in patients} - {poisoned.pk}
    failure = AuditEvent.objects.get(action=FAILED_ACTION)
    assert failure.clinic_id == poisoned.clinic_id
    assert failure.details["job"] == "dispatch_weekly_reminders"
    assert failure.details["object_id"] == str(poisoned.current_episode().pk)


def test_one_therapists_failing_digest_never_holds_back_the_others(clinic, plan, settings, monkeypatch):
    from django.core import mail

    from patients.models import Alert
    from reminders import emails
    from tests.factories import make_therapist, patient_on_program

    settings.REMINDER_DIGEST_HOUR, settings.TIME_ZONE = 7, "UTC"
    therapists = [make_therapist(clinic) for _ in range(3)]
    for therapist in therapists:
        patient = patient_on_program(clinic=clinic, therapist=therapist, program=plan)
        Alert.objects.create(
            patient=patient, episode=patient.current_episode(), kind=Alert.Kind.WORSENING, week=3, latest_week=3
        )
    poisoned = therapists[1]
    real = emails.digest_message

    def breaks_for_one(digest, patients):  # a row that cannot be rendered, whatever the reason
        if digest.therapist_id == poisoned.pk:
            raise ValueError("unrenderable row")
        return real(digest, patients)

    monkeypatch.setattr(emails, "digest_message", breaks_for_one)
    counts = services.send_therapist_digests(now=dt.datetime(2026, 3, 2, 7, 5, tzinfo=dt.UTC))
    assert counts == {"sent": 2, "error": 1}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(t.email for t in therapists if t != poisoned)
    failure = AuditEvent.objects.get(action=FAILED_ACTION)
    assert (failure.clinic_id, failure.details["job"], failure.details["error"]) == (
        clinic.pk,
        "send_therapist_digests",
        "ValueError",
    )
