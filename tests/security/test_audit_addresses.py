"""Every audit event written while a request is served carries the client's address (`client_ip`, behind the
trusted proxies too), whichever service wrote it (audit.middleware.ClientAddressMiddleware); events of no request
(a Celery task, a command) carry none."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import record
from patients.models import Patient
from tests.api.conftest import staff_client

PROXY, CLIENT = "10.0.0.1", "203.0.113.7"
BEHIND_THE_PROXY = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": CLIENT}


@pytest.fixture(autouse=True)
def _one_proxy(settings) -> None:  # type: ignore[no-untyped-def]
    settings.TRUSTED_PROXY_COUNT = 1


def test_a_patient_update_through_the_api_records_the_clients_address(two_clinics):
    url = f"/api/v1/patients/{two_clinics.alice.pk}/"
    response = staff_client(two_clinics.tess).patch(url, {"phone": "+4791234567"}, format="json", **BEHIND_THE_PROXY)
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="patient.update", patient_id=two_clinics.alice.pk)
    assert event.ip_address == CLIENT


def test_a_discharge_through_the_admin_records_the_clients_address(two_clinics):
    client = Client(**BEHIND_THE_PROXY)
    client.force_login(two_clinics.tess)
    data = {
        "action": "discharge_action",
        "_selected_action": [two_clinics.alice.pk],
        "apply": "1",  # the confirmation page's button
        "ended_on": timezone.localdate().isoformat(),
    }
    client.post("/admin/patients/patient/?caseload=clinic", data, follow=True)
    assert Patient.objects.get(pk=two_clinics.alice.pk).status == Patient.Status.DISCHARGED
    event = AuditEvent.objects.get(action="patient.discharge", patient_id=two_clinics.alice.pk)
    assert event.ip_address == CLIENT


def test_an_export_request_on_the_report_page_records_the_clients_address(two_clinics, settings, tmp_path):
    settings.REPORTS_EXPORT_DIR = tmp_path / "exports"
    client = Client(**BEHIND_THE_PROXY)
    client.force_login(two_clinics.ada)
    assert client.post("/reports/exports/", {"kind": "csv_checkins"}).status_code == 302
    event = AuditEvent.objects.get(action="export.request")
    assert (event.clinic_id, event.ip_address) == (two_clinics.alpha.pk, CLIENT)


def test_an_export_request_through_the_api_records_the_clients_address(two_clinics, settings, tmp_path):
    settings.REPORTS_EXPORT_DIR = tmp_path / "exports"
    response = staff_client(two_clinics.ada).post(
        "/api/v1/reports/exports/", {"kind": "csv_checkins"}, format="json", **BEHIND_THE_PROXY
    )
    assert response.status_code in (201, 202), response.content
    assert AuditEvent.objects.get(action="export.request").ip_address == CLIENT


def test_an_event_of_no_request_has_no_address_even_after_a_request_was_served(two_clinics):
    staff_client(two_clinics.tess).get("/api/v1/patients/", **BEHIND_THE_PROXY)
    assert AuditEvent.objects.filter(action="patient.read.patient_list", ip_address=CLIENT).exists()
    assert record("job.row_failed", two_clinics.alice).ip_address is None
