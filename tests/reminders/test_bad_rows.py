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
