"""Episodes over time on the patient page: discharge asks for a date and a note and keeps the record readable (the
last episode's trend and check-ins, every episode listed with its scores and note); a returning patient starts a
new episode; bad input names the field's label and changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from patients.models import DISCHARGE_NOTE_MAX_LENGTH, Episode, Patient
from tests.admin.conftest import page_of
from tests.factories import checkin

pytestmark = pytest.mark.django_db


def discharge_url(patient: Patient) -> str:
    return reverse("admin:patients_patient_discharge", args=[patient.pk])


def test_the_patient_page_discharges_after_a_confirmation_and_still_shows_the_trend(tess_client, world):
    alice = world.alice
    for week, (odi, nrs) in enumerate([(4, 7), (3, 5), (2, 3)], start=1):
        checkin(alice, week, odi, nrs)
    assert f'href="{discharge_url(alice)}"' in page_of(tess_client, alice)

    confirm = tess_client.get(discharge_url(alice))
    assert confirm.status_code == 200
    assert "every check-in link already sent stops working" in confirm.content.decode()
    today = alice.local_today()
    response = tess_client.post(
        discharge_url(alice), {"ended_on": today.isoformat(), "discharge_note": "Back at work."}
    )

    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.status == Patient.Status.DISCHARGED
    episode = alice.episodes.get()
    assert (episode.ended_on, episode.discharge_note) == (today, "Back at work.")
    page = page_of(tess_client, alice)
    assert "No check-ins yet" not in page
    assert f"Trend (episode from {episode.started_on:%Y-%m-%d} to {today:%Y-%m-%d})" in page
    assert 'id="trend-table"' in page and "Back at work." in page
    assert "Discharge…" not in page and "Send check-in link now" not in page
    assert "Start care again (new episode)" in page
    event = AuditEvent.objects.get(action="patient.discharge", patient_id=alice.pk)
    assert event.details == {"ended_on": today.isoformat(), "note": True}


@pytest.mark.parametrize(
    ("field", "value", "label", "message"),
    [
        ("ended_on", "tomorrow", "Discharge date", "cannot be in the future"),
        ("ended_on", "before start", "Discharge date", "cannot be before the episode began"),
        ("ended_on", "31/02/2026", "Discharge date", "Enter a valid date."),
        ("discharge_note", "x" * (DISCHARGE_NOTE_MAX_LENGTH + 1), "Discharge note", "(this has 2,001)"),
    ],
)
def test_a_bad_discharge_names_the_field_and_changes_nothing(tess_client, world, field, value, label, message):
    alice = world.alice
    today = alice.local_today()
    dates = {
        "tomorrow": today + dt.timedelta(days=1),
        "before start": alice.episodes.get().started_on - dt.timedelta(1),
    }
    data = {"ended_on": today.isoformat(), "discharge_note": ""}
    data[field] = dates[value].isoformat() if value in dates else value

    response = tess_client.post(discharge_url(alice), data)

    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and f">{label}</label>" in html
    alice.refresh_from_db()
    assert alice.status == Patient.Status.ACTIVE
    assert alice.episodes.get().ended_on is None
    assert not AuditEvent.objects.filter(action="patient.discharge").exists()


def test_another_clinics_episode_is_never_shown(tess_client, world):
    bob_episode = Episode.objects.get(patient=world.bob)
    checkin(world.bob, 1, 4, 7)
    page = tess_client.get(
        reverse("admin:patients_patient_change", args=[world.alice.pk]) + f"?episode={bob_episode.pk}"
    )
    assert page.status_code == 200
    assert 'id="trend-table"' not in page.content.decode()  # Alice's own (empty) episode instead
