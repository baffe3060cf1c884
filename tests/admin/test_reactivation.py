"""Undoing a discharge, where the clinic allows it (issue 39): the last episode opens again, audited with the
discharge's date and note; a clinic that does not allow it is told to start a new episode instead."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from patients.models import EpisodeOutcome, Patient
from patients.services import discharge_patient
from tests.admin.conftest import page_of

pytestmark = pytest.mark.django_db


def reactivate(client, patient):  # type: ignore[no-untyped-def]
    return client.post(reverse("admin:patients_patient_reactivate", args=[patient.pk]), follow=True)


def test_where_the_clinic_allows_it_the_last_episode_opens_again_and_is_audited(tess_client, world):
    world.alpha.allow_reactivation = True
    world.alpha.save(update_fields=["allow_reactivation"])
    alice = world.alice
    discharge_patient(patient=alice, note="Discharged by mistake")
    assert "Reopen the last episode (undo the discharge)" in page_of(tess_client, alice)

    response = reactivate(tess_client, alice)

    assert "Care reopened" in response.content.decode()
    alice.refresh_from_db()
    assert alice.status == Patient.Status.ACTIVE
    episode = alice.episodes.get()
    assert (episode.ended_on, episode.discharge_note) == (None, "")
    assert EpisodeOutcome.objects.get(episode=episode).ended_on is None
    event = AuditEvent.objects.get(action="patient.reactivate", patient_id=alice.pk)
    assert event.actor == world.tess and event.details["note"] == "Discharged by mistake"


def test_a_clinic_that_does_not_allow_it_keeps_the_discharge(tess_client, world):
    alice = world.alice
    discharge_patient(patient=alice)
    assert "Reopen the last episode" not in page_of(tess_client, alice)
    response = reactivate(tess_client, alice)
    assert "does not reopen discharged care: start a new episode instead" in response.content.decode()
    alice.refresh_from_db()
    assert alice.status == Patient.Status.DISCHARGED
    assert not AuditEvent.objects.filter(action="patient.reactivate").exists()


def test_an_active_patient_has_nothing_to_reopen(tess_client, world):
    world.alpha.allow_reactivation = True
    world.alpha.save(update_fields=["allow_reactivation"])
    response = reactivate(tess_client, world.alice)
    assert "Only a discharged patient" in response.content.decode()
