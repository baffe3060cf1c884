"""The patient page: details, episodes and assignments, check-in history, trend chart and open alerts."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from patients.models import Alert, Assignment, Episode, Patient
from tests.admin.conftest import page_of
from tests.factories import PatientFactory, checkin, licensed_odi_wording


def test_patient_page_shows_trend_chart_with_a_text_table(tess_client, world):
    checkin(world.alice, 1, 3, 6)
    checkin(world.alice, 2, 2, 5)
    page = page_of(tess_client, world.alice)
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page
    assert "ODI MCID (-10)" in page
    assert 'id="trend-table"' in page
    assert '<th scope="row">1 (baseline)</th>' in page
    assert "<td>60.0</td>" in page and "<td>40.0</td>" in page


def test_patient_page_shows_checkin_history_read_only(tess_client, world):
    checkin(world.alice, 1, 3, 6, note="Slept badly")
    page = page_of(tess_client, world.alice)
    assert "Check-in history" in page
    assert "Slept badly" in page
    assert "60.0 (severe disability)" in page
    assert 'name="pain_nrs"' not in page


def test_patient_page_shows_episodes_and_assignments(tess_client, world):
    page = page_of(tess_client, world.alice)
    assert "Episodes and programs" in page
    assert "Persistent pain: make sense of pain and move with confidence from" in page
    assert "program week 5" in page


def test_open_red_flag_alert_shows_the_question_and_an_acknowledge_button(tess_client, world):
    checkin(world.alice, 1, 2, 4, red_flags={"rf_saddle": True})
    page = page_of(tess_client, world.alice)
    assert "Any new numbness around your back passage, genitals or inner thighs?" in page
    assert 'name="acknowledge"' in page


def test_acknowledge_records_who_and_when(tess_client, world):
    checkin(world.alice, 1, 2, 4, red_flags={"rf_saddle": True})
    alert = Alert.objects.get(patient=world.alice)
    response = tess_client.post(
        reverse("admin:patients_patient_acknowledge_alerts", args=[world.alice.pk]), {"alerts": [alert.pk]}
    )
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == world.tess
    assert timezone.now() - alert.acknowledged_at < dt.timedelta(minutes=1)
    assert AuditEvent.objects.filter(action="alert.acknowledge", actor=world.tess, object_id=str(alert.pk)).exists()
    assert "No open alerts." in page_of(tess_client, world.alice)


def test_acknowledge_needs_a_post(tess_client, world):
    checkin(world.alice, 1, 2, 4, red_flags={"rf_saddle": True})
    assert Alert.objects.filter(patient=world.alice).exists()
    assert (
        tess_client.get(reverse("admin:patients_patient_acknowledge_alerts", args=[world.alice.pk])).status_code == 404
    )


def test_assign_a_program_in_place(tess_client, world):
    start = timezone.localdate()
    response = tess_client.post(
        reverse("admin:patients_patient_assign", args=[world.alice.pk]),
        {"assign-program": world.alpha_program.pk, "assign-start_date": start.isoformat()},
    )
    assert response.status_code == 302
    assignment = Assignment.objects.get(episode__patient=world.alice, program=world.alpha_program)
    assert assignment.assigned_by == world.tess
    assert assignment.items.count() == world.alpha_program.items.count()


def test_assign_opens_an_episode_when_there_is_none(tess_client, world):
    nora = PatientFactory(clinic=world.alpha, primary_therapist=world.tess)
    start = timezone.localdate()
    tess_client.post(
        reverse("admin:patients_patient_assign", args=[nora.pk]),
        {"assign-program": world.alpha_program.pk, "assign-start_date": start.isoformat()},
    )
    episode = Episode.objects.get(patient=nora)
    assert episode.started_on == start
    assert episode.assignments.get().program == world.alpha_program


def test_assign_with_a_bad_start_date_names_the_field_and_saves_nothing(tess_client, world):
    before = Assignment.objects.count()
    start = world.alice.current_episode().started_on - dt.timedelta(days=1)
    response = tess_client.post(
        reverse("admin:patients_patient_assign", args=[world.alice.pk]),
        {
            "assign-program": world.alpha_program.pk,
            "assign-start_date": start,
            # The late start confirmed (tests/admin/test_late_start.py), so the service's own rule answers.
            "assign-confirm_week": (timezone.localdate() - start).days // 7 + 1,
        },
        follow=True,
    )
    assert "Start date: The start date cannot be before the episode starts." in response.content.decode()
    assert Assignment.objects.count() == before


def test_editing_details_keeps_the_status_and_is_audited(tess_client, world):
    url = reverse("admin:patients_patient_change", args=[world.alice.pk])
    data = {
        "first_name": "Alicia",
        "last_name": "Anders",
        "record_number": "A-100",
        "email": "alice@example.org",
        "phone": "",
        "primary_therapist": world.tess.pk,
        "time_zone": "Europe/Oslo",
        "checkin_weekday": 0,
        "checkin_hour": 9,
        "reminder_consent": "on",
        "language": "en-gb",
        "status": "discharged",  # read-only: ignored
    }
    response = tess_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    world.alice.refresh_from_db()
    assert world.alice.first_name == "Alicia"
    assert world.alice.status == Patient.Status.ACTIVE
    assert AuditEvent.objects.filter(action="patient.update", patient_id=world.alice.pk).exists()


def test_a_therapist_of_another_clinic_cannot_be_made_primary_therapist(tess_client, world):
    url = reverse("admin:patients_patient_change", args=[world.alice.pk])
    response = tess_client.post(
        url,
        {
            "first_name": "Alice",
            "last_name": "Anders",
            "email": "alice@example.org",
            "primary_therapist": world.bea.pk,
            "time_zone": "Europe/Oslo",
            "checkin_weekday": 0,
            "checkin_hour": 9,
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    world.alice.refresh_from_db()
    assert world.alice.primary_therapist == world.tess


def test_adding_a_patient_goes_through_the_service(tess_client, world):
    response = tess_client.post(
        reverse("admin:patients_patient_add"),
        {
            "first_name": "Nina",
            "last_name": "New",
            "email": "nina@example.org",
            "clinic": world.alpha.pk,
            "primary_therapist": world.tess.pk,
            "time_zone": "Europe/Oslo",
            "checkin_weekday": 0,
            "checkin_hour": 9,
            "language": "nb",  # the therapist chooses the patient's language
        },
    )
    assert response.status_code == 302
    nina = Patient.objects.get(first_name="Nina")
    assert nina.language == "nb"
    assert AuditEvent.objects.filter(action="patient.create", patient_id=nina.pk, actor=world.tess).exists()


def test_adding_a_patient_with_a_bad_time_zone_names_the_field(tess_client, world):
    response = tess_client.post(
        reverse("admin:patients_patient_add"),
        {
            "first_name": "Nina",
            "last_name": "New",
            "email": "nina@example.org",
            "clinic": world.alpha.pk,
            "time_zone": "Mars/Olympus",
            "checkin_weekday": 0,
            "checkin_hour": 9,
        },
    )
    assert response.status_code == 200
    assert "Unknown time zone" in response.content.decode()
    assert not Patient.objects.filter(first_name="Nina").exists()


def test_patient_page_runs_a_bounded_number_of_queries(tess_client, world, django_assert_max_num_queries):
    for week in range(1, 6):
        checkin(world.alice, week, 2, 4, red_flags={"rf_fever": True} if week == 5 else None)
    with django_assert_max_num_queries(25):
        response = tess_client.get(reverse("admin:patients_patient_change", args=[world.alice.pk]))
    assert response.status_code == 200


def test_the_patient_page_says_a_worsening_is_worse(tess_client, world):
    checkin(world.alice, 1, 2, 4)  # ODI 40
    checkin(world.alice, 2, [3, 3, 3, 3, 3, 3, 2, 2, 2, 2], 6)  # ODI 52: 12 points worse
    page = page_of(tess_client, world.alice)
    assert "Change since baseline: ODI 12.0 points worse; NRS 2 points worse." in page
    assert "points better" not in page


def test_the_patient_page_is_titled_patient_with_natural_labels_and_iso_dates(tess_client, world):
    page = page_of(tess_client, world.alice)
    assert "<h1>Patient</h1>" in page
    assert "Change patient" not in page
    assert "Check-in weekday" in page and "Check-in hour" in page
    assert "Checkin" not in page
    started = world.alice.current_episode().started_on
    assert f"Episode from {started.isoformat()}" in page


def _send_link(client, patient):  # type: ignore[no-untyped-def]
    return client.post(reverse("admin:patients_patient_send_checkin_link", args=[patient.pk]), follow=True)


def test_the_patient_page_sends_a_check_in_link_through_the_service(tess_client, world):
    from outbox.models import OutboxMessage
    from patients.services import CHECKIN_LINK_TASK

    licensed_odi_wording(world.alpha)
    assert 'name="send_checkin_link"' in page_of(tess_client, world.alice)
    response = _send_link(tess_client, world.alice)
    assert "Check-in link queued for Alice Anders." in response.content.decode()
    assert OutboxMessage.objects.get(task_name=CHECKIN_LINK_TASK).kwargs == {"patient_id": world.alice.pk}
    assert AuditEvent.objects.filter(action="patient.send_checkin_link", actor=world.tess).exists()


def test_sending_a_check_in_link_without_consent_says_why(tess_client, world):
    from outbox.models import OutboxMessage

    Patient.objects.filter(pk=world.alice.pk).update(reminder_consent=False)
    response = _send_link(tess_client, world.alice)
    assert "No check-in link sent: Reminder consent: The patient has not agreed to be emailed." in (
        response.content.decode()
    )
    assert not OutboxMessage.objects.exists()


def test_sending_a_check_in_link_needs_a_post_csrf_and_the_patients_clinic(client, world):
    from django.test import Client

    from outbox.models import OutboxMessage

    url = reverse("admin:patients_patient_send_checkin_link", args=[world.alice.pk])
    client.force_login(world.tess)
    assert client.get(url).status_code == 404
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(world.tess)
    assert csrf_client.post(url).status_code == 403
    client.force_login(world.bea)
    assert client.post(url).status_code == 404
    assert not OutboxMessage.objects.exists()
