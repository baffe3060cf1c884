"""Implausible program start dates are refused at every entry point, and a poisoned row planted past the check
(queryset.update) never stops the daily missed check-in job for the other patients of any clinic; the failure is
logged without PHI, counted and shown to the clinic's admins."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditEvent
from cft.jobs import FAILED_ACTION
from patients import services
from patients.models import Alert, Assignment, Patient
from tests.factories import (
    ClinicFactory,
    PatientFactory,
    builtin_program,
    make_clinic_admin,
    make_therapist,
    patient_on_program,
    staff_token,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("start_date", ["0001-01-02", "9999-12-31", "1900-01-01"])
def test_the_api_refuses_an_implausible_start_date_naming_the_field(start_date):
    clinic = ClinicFactory()
    therapist = make_therapist(clinic)
    patient = PatientFactory(clinic=clinic, primary_therapist=therapist)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {staff_token(therapist)}")
    response = client.post(
        f"/api/v1/patients/{patient.pk}/assignments/",
        {"program": builtin_program().pk, "start_date": start_date},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["start_date"]
    assert not patient.episodes.exists()  # no partial data: no episode opened for the refused assignment


def test_the_admin_refuses_an_implausible_start_date(client):
    clinic = ClinicFactory()
    therapist = make_therapist(clinic)
    patient = PatientFactory(clinic=clinic, primary_therapist=therapist)
    client.force_login(therapist)
    url = reverse("admin:patients_patient_assign", args=[patient.pk])
    response = client.post(
        url, {"assign-program": builtin_program().pk, "assign-start_date": "0001-01-02"}, follow=True
    )
    assert not Assignment.objects.filter(episode__patient=patient).exists()
    assert response.status_code == 200 and "five years ago" in response.content.decode()


def test_the_service_refuses_an_implausible_start_date():
    patient = patient_on_program()
    with pytest.raises(ValidationError) as caught:
        services.assign_program(
            episode=patient.current_episode(), program=builtin_program(), start_date=dt.date(1, 1, 2)
        )
    assert "start_date" in caught.value.message_dict


def test_a_poisoned_row_does_not_stop_the_missed_checkin_alerts_of_any_other_patient(caplog, client):
    clinics = [ClinicFactory(), ClinicFactory()]
    patients = [patient_on_program(clinic=clinic, weeks_ago=5) for clinic in clinics for _ in range(2)]
    poisoned = patients[0]
    Assignment.objects.filter(episode__patient=poisoned).update(start_date=dt.date(1, 1, 2))
    clinic_admin = make_clinic_admin(poisoned.clinic)
    with caplog.at_level(logging.ERROR, logger="cft.jobs"):
        services.raise_missed_checkin_alerts(now=timezone.now())
    missed = set(Alert.objects.filter(kind=Alert.Kind.MISSED).values_list("patient_id", flat=True))
    assert missed == {p.pk for p in patients[1:]}
    failure = AuditEvent.objects.get(action=FAILED_ACTION)
    assert failure.clinic_id == poisoned.clinic_id
    assert failure.details == {
        "job": "raise_missed_checkin_alerts",
        "object_type": "Episode",
        "object_id": str(poisoned.current_episode().pk),
        "error": "ProgramWeekOutOfRange",
    }
    logged = caplog.text
    assert "raise_missed_checkin_alerts" in logged
    for secret in (poisoned.first_name, poisoned.last_name, poisoned.email):
        assert secret not in logged
    assert Patient.objects.count() == 4
    client.force_login(clinic_admin)  # the clinic admin sees the failure in the audit log
    page = client.get(reverse("admin:audit_auditevent_changelist"), {"action__exact": FAILED_ACTION}).content.decode()
    assert FAILED_ACTION in page and "raise_missed_checkin_alerts" in page
