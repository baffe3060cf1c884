"""The enrolment page shows the key it promises: the QR code's secret in base32, grouped for typing, and a code an
authenticator computes from the typed key enrols the user."""

from __future__ import annotations

import base64
import re

from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import ClinicFactory, make_therapist

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's


def test_the_enrolment_page_shows_the_key_and_a_code_from_the_typed_key_enrols(client, db, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    user = make_therapist(ClinicFactory(require_two_factor=True))
    client.force_login(user)
    page = client.get(reverse("two-factor")).content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)

    shown = re.search(r'<code id="totp-key">([A-Z2-7 ]+)</code>', page)
    assert shown, "the page shows no key"
    groups = shown.group(1).split(" ")
    assert all(len(group) == 4 for group in groups[:-1]) and 1 <= len(groups[-1]) <= 4
    typed = "".join(groups)
    assert f"secret={typed}" in device.config_url  # the QR code's key

    key = base64.b32decode(typed + "=" * (-len(typed) % 8))  # what an authenticator app makes of the typed key
    code = TOTP(key, device.step, device.t0, device.digits, device.drift).token()
    answer = client.post(reverse("two-factor"), {"password": PASSWORD, "token": f"{code:06d}"})
    assert answer.status_code == 302
    assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def test_verifying_an_enrolled_device_shows_no_key(client, db):
    user = make_therapist(ClinicFactory(require_two_factor=True))
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.force_login(user)
    page = client.get(reverse("two-factor")).content.decode()
    assert "Enter the 6-digit code" in page and "totp-key" not in page
