"""A check-in link is not sent before the patient's program starts, nor (outside the demo clinics) while the
clinic's ODI wording is our placeholder: the refusal says why and what to do (patients/clinic_setup.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from outbox.models import OutboxMessage
from patients import services
from patients.demo import DEMO_CLINICS
from patients.services import CHECKIN_LINK_TASK
from tests.factories import (
    ClinicFactory,
    EpisodeFactory,
    PatientFactory,
    builtin_program,
    licensed_odi_wording,
    make_therapist,
    patient_on_program,
)


def starting_in(days: int, clinic: object = None):  # type: ignore[no-untyped-def]
    patient = PatientFactory(**({"clinic": clinic} if clinic else {}))
    start = patient.local_today() + dt.timedelta(days=days)
    episode = EpisodeFactory(patient=patient, started_on=start)
    services.assign_program(episode=episode, program=builtin_program(), start_date=start)
    return patient, start


def test_no_link_before_the_program_starts_and_the_refusal_gives_the_date(db):
    patient, start = starting_in(9)
    licensed_odi_wording(patient.clinic)
    with pytest.raises(ValidationError) as refused:
        services.send_checkin_link_now(patient=patient)
    assert f"The program starts on {start:%Y-%m-%d}" in refused.value.message_dict["program"][0]
    assert not OutboxMessage.objects.exists()


def test_the_link_goes_on_the_day_the_program_starts(db):
    patient, _ = starting_in(0)
    licensed_odi_wording(patient.clinic)
    services.send_checkin_link_now(patient=patient)
    assert OutboxMessage.objects.filter(task_name=CHECKIN_LINK_TASK).count() == 1


def test_no_link_without_a_program(db):
    patient = PatientFactory()
    licensed_odi_wording(patient.clinic)
    with pytest.raises(ValidationError) as refused:
        services.send_checkin_link_now(patient=patient)
    assert "No program is assigned yet" in refused.value.message_dict["program"][0]


def test_the_patient_page_button_tells_the_therapist_the_start_date(client, db):
    clinic = ClinicFactory()
    therapist = make_therapist(clinic)
    patient, start = starting_in(3, clinic)
    licensed_odi_wording(clinic)
    client.force_login(therapist)
    url = reverse("admin:patients_patient_send_checkin_link", args=[patient.pk])
    page = client.post(url, follow=True).content.decode()
    assert f"No check-in link sent: Program: The program starts on {start:%Y-%m-%d}" in page


def test_no_link_while_the_clinic_shows_the_placeholder_wording(db):
    patient = patient_on_program(clinic=ClinicFactory(slug="new-clinic"))
    with pytest.raises(ValidationError) as refused:
        services.send_checkin_link_now(patient=patient)
    message = refused.value.message_dict["clinic"][0]
    assert "has not loaded its licensed ODI wording" in message
    assert "manage.py load_odi_wording FILE --clinic new-clinic --language en-gb" in message
    assert not OutboxMessage.objects.exists()


def test_wording_in_the_default_language_is_what_a_norwegian_patient_falls_back_to(db):
    patient = patient_on_program(language="nb")
    licensed_odi_wording(patient.clinic, "nb")
    services.send_checkin_link_now(patient=patient)
    other = patient_on_program(language="nb")
    licensed_odi_wording(other.clinic, "en-gb")  # the default language: shown when nb is missing
    services.send_checkin_link_now(patient=other)
    assert OutboxMessage.objects.filter(task_name=CHECKIN_LINK_TASK).count() == 2


def test_the_demo_clinic_may_send_links_with_the_placeholder(db):
    patient = patient_on_program(clinic=ClinicFactory(slug=DEMO_CLINICS[0][0]))
    services.send_checkin_link_now(patient=patient)
    assert OutboxMessage.objects.filter(task_name=CHECKIN_LINK_TASK).count() == 1


def test_weekly_reminders_wait_for_the_program_to_start(db):
    from django.utils import timezone

    from reminders.services.dispatch import due_weekly

    patient, _ = starting_in(2)
    local = timezone.now().astimezone(patient.tz)
    type(patient).objects.filter(pk=patient.pk).update(checkin_weekday=local.weekday(), checkin_hour=local.hour)
    assert [item for batch in due_weekly(timezone.now(), 100) for item in batch] == []
