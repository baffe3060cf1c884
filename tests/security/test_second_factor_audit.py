"""A wrong second-factor code is audited wherever it is typed (the admin's /account/two-factor/ and the API token
sign-in): who, from which address, in the audit log the clinic's admins read (sign-in events carry no clinic;
the log shows a clinic's admins those of its own staff)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from audit.models import AuditEvent
from tests.factories import ClinicFactory, make_clinic_admin, make_therapist

PASSWORD = "correct-horse-battery"
ADDRESS = "198.51.100.23"


@pytest.fixture
def clinic(db, settings):  # type: ignore[no-untyped-def]
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp slows retries after a failure; not what this tests
    return ClinicFactory(require_two_factor=True)


def _wrong(device: TOTPDevice) -> str:
    right = f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"
    return "000000" if right != "000000" else "111111"


def _seen_in_the_audit_log_by(user: object, event: AuditEvent) -> bool:
    """Whether the audit log's admin lists `event` to `user` (its queryset: the page itself would first ask this
    clinic's admin for the second factor)."""
    request = RequestFactory().get("/admin/audit/auditevent/")
    request.user = user
    return admin.site._registry[AuditEvent].get_queryset(request).filter(pk=event.pk).exists()


def test_a_wrong_code_at_the_second_factor_page_is_audited(clinic):
    user = make_therapist(clinic)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client(REMOTE_ADDR=ADDRESS)
    client.force_login(user)
    page = client.post(reverse("two-factor"), {"token": _wrong(device)})
    assert b"not valid" in page.content
    event = AuditEvent.objects.get(action="login.second_factor.bad_code")
    assert (event.actor, event.ip_address) == (user, ADDRESS)
    assert _seen_in_the_audit_log_by(make_clinic_admin(clinic), event)
    assert not _seen_in_the_audit_log_by(make_clinic_admin(ClinicFactory()), event)


def test_a_wrong_code_while_enrolling_is_audited_too(clinic):
    user = make_therapist(clinic)
    client = Client(REMOTE_ADDR=ADDRESS)
    client.force_login(user)
    client.get(reverse("two-factor"))  # makes the unconfirmed device the page shows
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    client.post(reverse("two-factor"), {"password": PASSWORD, "token": _wrong(device)})
    event = AuditEvent.objects.get(action="login.second_factor.bad_code")
    assert (event.actor, event.ip_address) == (user, ADDRESS)


def test_a_right_code_is_not_audited_as_a_wrong_one(clinic):
    user = make_therapist(clinic)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client()
    client.force_login(user)
    code = f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"
    assert client.post(reverse("two-factor"), {"token": code}).status_code == 302
    assert not AuditEvent.objects.filter(action="login.second_factor.bad_code").exists()
    assert AuditEvent.objects.filter(action="login.second_factor", actor=user).exists()


def test_a_wrong_code_at_the_api_token_sign_in_is_audited_with_the_address(clinic):
    user = make_therapist(clinic)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    body = {"username": user.username, "password": PASSWORD, "otp": _wrong(device)}
    response = APIClient(REMOTE_ADDR=ADDRESS).post("/api/v1/auth/token/", body, format="json")
    assert response.status_code == 400 and "otp" in response.json()["fields"]
    event = AuditEvent.objects.get(action="login.api_token.bad_otp")
    assert (event.actor, event.ip_address) == (user, ADDRESS)
    assert _seen_in_the_audit_log_by(make_clinic_admin(clinic), event)
