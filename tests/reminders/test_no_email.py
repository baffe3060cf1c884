"""A patient without an email is never emailed and never stops a batch: the dispatcher selects only patients with
an address, and a reminder whose patient lost theirs after it was made fails at once with the reason."""

from __future__ import annotations

import pytest
from django.core import mail

from patients import links
from patients.models import Patient
from reminders import services
from reminders.models import DeliveryStatus, Reminder

pytestmark = pytest.mark.django_db


def test_the_weekly_dispatch_skips_a_patient_without_an_email(due_patient, now):
    emailed = due_patient()
    without = due_patient()
    # Consent without an address is refused on every form; a row written around the services still has none.
    Patient.objects.filter(pk=without.pk).update(email="")
    result = services.dispatch_due_reminders(now=now, publish=False)
    assert list(Reminder.objects.values_list("patient_id", flat=True)) == [emailed.pk]
    assert result.created == 1


def test_a_reminder_whose_patient_has_no_email_fails_with_the_reason_and_the_batch_goes_on(due_patient, now):
    first, second = due_patient(), due_patient()
    ids = services.dispatch_due_reminders(now=now, publish=False).reminder_ids
    links.issue_token(first)
    nonce = Patient.objects.get(pk=first.pk).link_nonce
    Patient.objects.filter(pk=first.pk).update(email="")
    counts = services.send_reminder_batch(ids)
    assert counts == {"failed": 1, "sent": 1}
    failed = Reminder.objects.get(patient=first)
    assert (failed.status, failed.last_error) == (DeliveryStatus.FAILED, "The patient has no email address.")
    assert [message.to for message in mail.outbox] == [[second.email]]
    assert Patient.objects.get(pk=first.pk).link_nonce == nonce  # no new link ended the patient's last one
