"""Lists of patients' records are staff reads too: the API patient and alert lists, the admin caseload and a
patient's history page each leave a read event naming the patients shown (never the filter values)."""

from __future__ import annotations

from django.urls import reverse
from rest_framework.test import APIClient

from audit.models import AuditEvent
from tests.factories import ClinicFactory, checkin, make_therapist, patient_on_program


def setup():  # type: ignore[no-untyped-def]
    clinic = ClinicFactory()
    therapist = make_therapist(clinic)
    patients = [patient_on_program(clinic=clinic, therapist=therapist, last_name=f"Zed{i}") for i in range(3)]
    return clinic, therapist, patients


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


def test_the_api_patient_list_records_who_was_shown_and_which_filters_not_their_values(db):
    clinic, therapist, patients = setup()
    api = APIClient()
    api.force_authenticate(therapist)
    assert api.get("/api/v1/patients/", {"status": "active"}).status_code == 200
    [event] = events("patient.read.patient_list")
    assert (event.actor, event.clinic_id) == (therapist, clinic.pk)
    assert event.details == {"patients": sorted(p.pk for p in patients), "filters": ["status"]}
    assert "Zed" not in str(event.details)


def test_the_api_alert_list_records_the_patients_behind_the_alerts(db):
    clinic, therapist, patients = setup()
    checkin(patients[0], 1, 2, 4, red_flags={"rf_fever": True})
    api = APIClient()
    api.force_authenticate(therapist)
    assert api.get("/api/v1/alerts/").status_code == 200
    [event] = events("patient.read.alert_list")
    assert event.details["patients"] == [patients[0].pk]


def test_the_admin_caseload_and_a_history_page_are_recorded(db, client):
    clinic, therapist, patients = setup()
    client.force_login(therapist)
    assert client.get(reverse("admin:patients_patient_changelist"), {"q": "Zed1"}).status_code == 200
    [event] = events("patient.read.caseload")
    assert event.details == {"patients": [patients[1].pk], "filters": ["q"]}
    url = reverse("admin:patients_patient_history", args=[patients[2].pk])
    assert client.get(url).status_code == 200
    [history] = events("patient.read.history")
    assert (history.patient_id, history.actor) == (patients[2].pk, therapist)


def test_an_empty_list_leaves_no_event(db):
    _, therapist, _ = setup()
    api = APIClient()
    api.force_authenticate(therapist)
    assert api.get("/api/v1/alerts/").json()["count"] == 0
    assert not events("patient.read.alert_list")
