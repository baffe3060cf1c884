"""The patient page's alert workflow: one open alert per kind listing its weeks, acknowledging several at once with
a note of what was done, and the history of acknowledged alerts."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from patients.models import ALERT_NOTE_MAX_LENGTH, Alert
from tests.admin.conftest import page_of
from tests.factories import checkin, make_therapist


def acknowledge(client, patient, alerts, note=""):  # type: ignore[no-untyped-def]
    url = reverse("admin:patients_patient_acknowledge_alerts", args=[patient.pk])
    return client.post(url, {"alerts": [a.pk for a in alerts], "note": note}, follow=True)


def section(page: str, element_id: str) -> str:
    match = re.search(rf'<section class="cft-panel" id="{element_id}".*?</section>', page, re.S)
    assert match, element_id
    return match.group(0)


@pytest.fixture
def worsening(world):  # type: ignore[no-untyped-def]
    """Alice (program week 5) worsening since week 2: one worsening alert (weeks 3, 4) and one flare (2, 3, 4)."""
    checkin(world.alice, 1, 2, 4)
    for week in (2, 3, 4):
        checkin(world.alice, week, 2, 7)
    return world.alice


def test_the_patient_page_shows_one_alert_per_kind_with_its_weeks(tess_client, worsening):
    panel = section(page_of(tess_client, worsening), "open-alerts")
    assert panel.count('name="alerts"') == 2
    assert "<strong>Worsening</strong>, weeks 3, 4" in panel
    assert "<strong>Flare</strong>, weeks 2, 3, 4" in panel
    assert 'name="note"' in panel and f'data-limit="{ALERT_NOTE_MAX_LENGTH}"' in panel
    assert "maxlength" not in panel  # a browser would cut a pasted note at it, without a word


def test_acknowledging_two_alerts_with_a_note_moves_them_to_the_history(tess_client, world, worsening):
    alerts = list(Alert.objects.filter(patient=worsening))
    response = acknowledge(tess_client, worsening, alerts, "Phoned Alice; halved the walking quota.")
    page = response.content.decode()
    assert "2 alerts acknowledged" in page
    assert "No open alerts." in section(page, "open-alerts")
    history = section(page, "alert-history")
    assert "Phoned Alice; halved the walking quota." in history
    assert "Worsening" in history and "3, 4" in history and "2, 3, 4" in history
    assert world.tess.get_full_name() in history
    for alert in Alert.objects.filter(patient=worsening):
        assert (alert.acknowledged_by, alert.note) == (world.tess, "Phoned Alice; halved the walking quota.")
    assert AuditEvent.objects.filter(action="alert.acknowledge", actor=world.tess).count() == 2


def test_an_empty_selection_names_the_field_keeps_the_note_and_changes_nothing(tess_client, worsening):
    page = acknowledge(tess_client, worsening, [], "Called, no answer").content.decode()
    assert "Nothing acknowledged. Alerts: Choose at least one alert to acknowledge." in page
    assert ">Called, no answer</textarea>" in page  # the note typed is not lost
    assert Alert.objects.open().count() == 2
    assert not AuditEvent.objects.filter(action="alert.acknowledge").exists()
    assert "Called, no answer" not in page_of(tess_client, worsening)  # a draft is shown once


def test_an_over_long_note_names_the_field_and_changes_nothing(tess_client, worsening):
    alerts = list(Alert.objects.filter(patient=worsening))
    page = acknowledge(tess_client, worsening, alerts, "x" * (ALERT_NOTE_MAX_LENGTH + 1)).content.decode()
    assert "Nothing acknowledged. Note: Keep the note to 1,000 characters or fewer (it has 1,001)." in page
    assert Alert.objects.open().count() == 2


def test_an_over_long_note_comes_back_whole_to_be_shortened_never_cut(tess_client, worsening):
    note = "Phoned, " + "w" * 2480 + " end of the note"  # 2,504 characters: the end is far past the limit
    alerts = list(Alert.objects.filter(patient=worsening))
    page = acknowledge(tess_client, worsening, alerts, note).content.decode()
    assert "Keep the note to 1,000 characters or fewer (it has 2,504)." in page
    assert f">{note}</textarea>" in page
    assert "maxlength" not in section(page, "open-alerts")
    assert not Alert.objects.filter(patient=worsening, acknowledged_at__isnull=False).exists()


def test_another_clinics_alert_cannot_be_acknowledged_through_own_patient(tess_client, world, worsening):
    checkin(world.bob, 1, 2, 4, red_flags={"rf_saddle": True})
    theirs = Alert.objects.get(patient=world.bob)
    page = acknowledge(tess_client, worsening, [theirs], "no").content.decode()
    assert "Nothing acknowledged. Alerts:" in page
    theirs.refresh_from_db()
    assert theirs.acknowledged_at is None


def test_the_alert_history_is_read_in_a_fixed_number_of_queries(
    tess_client, world, worsening, django_assert_max_num_queries
):
    def acknowledged(count: int) -> None:
        episode = worsening.current_episode()
        for n in range(count):
            user = make_therapist(world.alpha)
            Alert.objects.create(
                patient=worsening,
                episode=episode,
                kind=Alert.Kind.MISSED,
                week=n + 1,
                latest_week=n + 1,
                weeks=[n + 1],
                acknowledged_at=timezone.now(),
                acknowledged_by=user,
                note=f"note {n}",
            )

    url = reverse("admin:patients_patient_change", args=[worsening.pk])
    acknowledged(2)
    tess_client.get(url)
    with CaptureQueriesContext(connection) as few:
        tess_client.get(url)
    acknowledged(20)
    with django_assert_max_num_queries(len(few)):
        page = tess_client.get(url).content.decode()
    history = section(page, "alert-history")
    assert history.count("<tr>") == 23  # the header and 22 alerts, each with who acknowledged it
    assert "note 19" in history
