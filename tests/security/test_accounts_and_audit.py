import json
import logging

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AppendOnlyError, AuditEvent
from patients.models import CheckIn, Patient
from patients.privacy import erase_patient, export_patient_data
from tests.factories import ClinicFactory, checkin, make_clinic_admin, make_therapist, patient_on_program

PASSWORD = "correct-horse-battery"


def login(client, username, password=PASSWORD):
    return client.post(reverse("admin:login"), {"username": username, "password": password, "next": "/admin/"})


def test_logins_success_and_failure_are_audited_with_the_address(client, db):
    user = make_therapist(ClinicFactory())
    login(client, user.username, "wrong-password")
    login(client, user.username)
    events = list(AuditEvent.objects.order_by("at").values_list("action", "actor_label", "ip_address"))
    assert events == [("login.failure", user.username, "127.0.0.1"), ("login.success", user.username, "127.0.0.1")]


def test_repeated_failed_logins_lock_the_account_out(client, db, settings):
    settings.AXES_ENABLED = True
    user = make_therapist(ClinicFactory())
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, user.username, "wrong-password")
    response = login(client, user.username)  # the right password no longer helps
    assert response.status_code in {403, 429}
    assert "_auth_user_id" not in client.session


def test_audit_events_cannot_be_changed_or_deleted(db):
    event = AuditEvent.objects.create(action="test")
    event.action = "changed"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


def test_clinic_admins_read_only_their_clinics_log_and_therapists_none(client, db):
    mine, theirs = ClinicFactory(), ClinicFactory()
    admin_user, therapist = make_clinic_admin(mine), make_therapist(mine)
    AuditEvent.objects.create(action="mine", clinic=mine)
    AuditEvent.objects.create(action="theirs", clinic=theirs)
    client.force_login(admin_user)
    page = client.get(reverse("admin:audit_auditevent_changelist"))
    assert page.status_code == 200
    assert b"mine" in page.content and b"theirs" not in page.content
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    client.force_login(therapist)
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 403


def test_clinic_can_require_a_second_factor_for_its_staff(client, db, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp slows retries after a failure; not what this tests
    clinic = ClinicFactory(require_two_factor=True)
    user = make_therapist(clinic)
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("two-factor"))
    page = client.get(response["Location"])
    assert b"<svg" in page.content  # enrolment QR code
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    bad = client.post(response["Location"], {"password": PASSWORD, "token": "000000"})
    assert b"not valid" in bad.content
    token = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()
    stranger = client.post(response["Location"], {"password": "not-the-password", "token": f"{token:06d}"})
    assert b"That is not your password." in stranger.content
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()  # no trust on first use
    ok = client.post(response["Location"], {"password": PASSWORD, "token": f"{token:06d}"})
    assert ok.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_staff_of_a_clinic_without_the_requirement_go_straight_in(client, db):
    client.force_login(make_therapist(ClinicFactory()))
    assert client.get("/admin/").status_code == 200


def test_pages_carry_a_strict_content_security_policy(client, db):
    response = client.get(reverse("admin:login"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "object-src 'none'" in policy


def test_access_request_export_has_everything_about_the_patient(db):
    patient = patient_on_program(weeks_ago=3)
    checkin(patient, 1, 2, 5, note="slept badly")
    checkin(patient, 1, 1, 4, note="better")
    data = export_patient_data(patient)
    json.dumps(data)  # serialisable as it stands
    assert data["patient"]["email"] == patient.email
    assert data["checkins"][0]["note"] == "better"
    assert data["checkins"][0]["earlier_versions"][0]["note"] == "slept badly"
    assert AuditEvent.objects.filter(action="patient.export_data", patient_id=patient.pk).exists()


def test_erasure_removes_personal_data_keeps_anonymous_outcomes_and_is_audited(db):
    patient = patient_on_program(weeks_ago=3, first_name="Kari", last_name="Nordmann", phone="+4791234567")
    checkin(patient, 1, 2, 5, note="my neighbour Ola")
    checkin(patient, 2, 1, 3, note="private")
    erase_patient(patient=patient)
    patient.refresh_from_db()
    assert "Kari" not in str(patient) and patient.phone == "" and "example" in patient.email
    assert patient.status == Patient.Status.DISCHARGED
    assert list(CheckIn.objects.filter(patient=patient).values_list("note", flat=True)) == ["", ""]
    assert all(v.answers["note"] == "" for v in CheckIn.objects.get(week=1).versions.all())
    assert list(CheckIn.objects.filter(patient=patient).values_list("pain_nrs", flat=True)) == [5, 3]
    event = AuditEvent.objects.get(action="patient.erase")
    assert "Kari" not in json.dumps(event.details)


def test_health_data_never_reaches_the_logs(db, caplog):
    caplog.set_level(logging.DEBUG)
    patient = patient_on_program(weeks_ago=3, first_name="Zebediah", last_name="Quill")
    checkin(patient, 1, [3, 4, 3, 4, 3, 4, 3, 4, 3, 4], 7, note="unique-health-note", red_flags=["rf_trauma"])
    text = caplog.text
    assert "Zebediah" not in text and "Quill" not in text and "unique-health-note" not in text
    assert "3, 4, 3, 4" not in text


def test_exporting_the_audit_log_is_itself_in_the_clinics_log(client, db):
    clinic = ClinicFactory()
    admin_user = make_clinic_admin(clinic)
    event = AuditEvent.objects.create(action="mine", clinic=clinic)
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:audit_auditevent_changelist"), {"action": "export_csv", "_selected_action": [event.pk]}
    )
    assert response.status_code == 200
    assert b"mine" in b"".join(response.streaming_content)
    assert AuditEvent.objects.filter(clinic=clinic, action="export.audit_log").count() == 1
