"""Two clinics' data never cross in API filters or emails (the cases tests/admin, tests/api, tests/reports and
tests/reminders do not already cover)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from rest_framework.test import APIClient

from clinics.models import StaffMembership
from patients.models import Alert
from programs.services import copy_program_to_clinic
from reminders import services as reminder_services
from tests.factories import (
    ClinicFactory,
    builtin_program,
    checkin,
    make_clinic_admin,
    make_therapist,
    patient_on_program,
    staff_token,
)


@pytest.fixture
def two(db: None):  # type: ignore[no-untyped-def]
    a, b = ClinicFactory(), ClinicFactory()
    ta, tb = make_therapist(a), make_therapist(b)
    pa = patient_on_program(clinic=a, therapist=ta, weeks_ago=3, first_name="Alfa")
    pb = patient_on_program(clinic=b, therapist=tb, weeks_ago=3, first_name="Bravo")
    for patient in (pa, pb):
        checkin(patient, 1, 2, 5, red_flags=["rf_fever"])
    copy_program_to_clinic(program=builtin_program(), clinic=b)
    return a, b, ta, tb, pa, pb


def api_as(user: object) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {staff_token(user)}")
    return client


def ids(response: object) -> list[int]:
    return [row["id"] for row in response.json()["results"]]  # type: ignore[attr-defined]


def test_filtering_the_api_by_another_clinics_ids_finds_nothing_of_it(two):
    a, b, ta, tb, pa, pb = two
    api = api_as(ta)
    assert ids(api.get(f"/api/v1/patients/?clinic={b.pk}")) == []
    assert ids(api.get(f"/api/v1/patients/?primary_therapist={tb.pk}")) == []
    assert ids(api.get(f"/api/v1/alerts/?patient={pb.pk}")) == []
    assert all(row["clinic"] != b.pk for row in api.get(f"/api/v1/programs/?clinic={b.pk}").json()["results"])
    assert ids(api.get("/api/v1/patients/?needs_attention=true")) == [pa.pk]


def test_a_red_flag_email_goes_to_the_patients_clinic_only(two):
    a, b, ta, tb, pa, pb = two
    pa.primary_therapist = None
    pa.save(update_fields=["primary_therapist"])
    admin_a, admin_b = make_clinic_admin(a), make_clinic_admin(b)
    reminder_services.notify_alert(alert_id=Alert.objects.get(patient=pa).pk)
    assert mail.outbox[0].to == [admin_a.email]
    assert admin_b.email not in mail.outbox[0].to


def test_a_therapist_who_left_the_clinic_gets_no_alert_email_about_its_patients(two):
    a, b, ta, tb, pa, pb = two
    admin_a = make_clinic_admin(a)
    StaffMembership.objects.filter(user=ta, clinic=a).delete()
    StaffMembership.objects.create(user=ta, clinic=b, role=StaffMembership.Role.THERAPIST)  # moved to clinic B
    reminder_services.notify_alert(alert_id=Alert.objects.get(patient=pa).pk)
    assert mail.outbox[0].to == [admin_a.email]


def test_digests_list_only_patients_of_clinics_the_therapist_is_still_staff_of(two, settings):
    a, b, ta, tb, pa, pb = two
    settings.REMINDER_DIGEST_HOUR, settings.TIME_ZONE = 7, "UTC"
    morning = dt.datetime(2026, 3, 2, 7, 5, tzinfo=dt.UTC)
    reminder_services.send_therapist_digests(now=morning)
    bodies = {message.to[0]: message.body for message in mail.outbox}
    assert "Alfa" in bodies[ta.email] and "Bravo" not in bodies[ta.email]
    assert "Bravo" in bodies[tb.email] and "Alfa" not in bodies[tb.email]
    mail.outbox.clear()
    StaffMembership.objects.filter(user=ta, clinic=a).delete()  # ta leaves clinic A
    reminder_services.send_therapist_digests(now=morning + dt.timedelta(days=1))
    assert all("Alfa" not in message.body for message in mail.outbox)
    assert ta.email not in [message.to[0] for message in mail.outbox]
