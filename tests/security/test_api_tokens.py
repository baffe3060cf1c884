"""Staff API tokens end: each sign-in mints a new hashed token with a lifetime, and the token is revoked when the
password changes, a second factor is enrolled, the clinic starts requiring one, or the user signs out. Users list
and revoke their own tokens."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken
from rest_framework.test import APIClient

from audit.models import AuditEvent
from tests.factories import ClinicFactory, make_clinic_admin, make_therapist, staff_token

PASSWORD = "correct-horse-battery"


@pytest.fixture
def therapist(db: None):  # type: ignore[no-untyped-def]
    return make_therapist(ClinicFactory())


def sign_in(user: object, **extra: str) -> dict:
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": user.username, "password": PASSWORD, **extra}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def works(key: str) -> bool:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    status = client.get("/api/v1/patients/").status_code
    assert status in (200, 401), status
    return status == 200


def test_each_sign_in_gives_a_new_token_with_a_lifetime(therapist, settings):
    first, second = sign_in(therapist), sign_in(therapist)
    assert first["token"] != second["token"]
    expires_at = dt.datetime.fromisoformat(first["expires_at"])
    lifetime = dt.timedelta(hours=settings.STAFF_TOKEN_TTL_HOURS)
    assert timezone.now() + lifetime - dt.timedelta(minutes=1) < expires_at <= timezone.now() + lifetime
    assert works(first["token"]) and works(second["token"])


def test_tokens_are_stored_only_as_a_digest(therapist):
    key = sign_in(therapist)["token"]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {AuthToken._meta.db_table}")  # noqa: S608 - a model's own table name
        stored = [str(value) for row in cursor.fetchall() for value in row]
    assert stored and all(key not in value for value in stored)


def test_an_expired_token_is_refused(therapist):
    key = sign_in(therapist)["token"]
    AuthToken.objects.filter(user=therapist).update(expiry=timezone.now() - dt.timedelta(seconds=1))
    assert not works(key)


def test_a_password_change_revokes_every_token(therapist):
    key = sign_in(therapist)["token"]
    therapist.set_password("another-long-passphrase")
    therapist.save()
    assert not works(key)
    assert AuditEvent.objects.filter(action="api_token.revoked", details__reason="password_changed").exists()


def test_a_password_change_in_the_admin_revokes_every_token(therapist, client):
    key = sign_in(therapist)["token"]
    client.force_login(therapist)
    response = client.post(
        reverse("admin:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-passphrase",
            "new_password2": "another-long-passphrase",
        },
    )
    assert response.status_code == 302
    assert not works(key)


def _code(device: TOTPDevice) -> str:
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"


def test_enrolling_a_second_factor_revokes_the_tokens_issued_without_it(therapist, client, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    key = sign_in(therapist)["token"]
    client.force_login(therapist)
    client.get(reverse("two-factor"))
    device = TOTPDevice.objects.get(user=therapist, confirmed=False)
    response = client.post(reverse("two-factor"), {"password": PASSWORD, "token": _code(device)})
    assert response.status_code == 302
    assert not works(key)


def test_the_clinic_turning_the_second_factor_on_revokes_its_staff_tokens(db, client):
    clinic, other = ClinicFactory(), ClinicFactory()
    therapist, admin_user, outsider = make_therapist(clinic), make_clinic_admin(clinic), make_therapist(other)
    keys = {user: staff_token(user) for user in (therapist, admin_user, outsider)}
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:clinics_clinic_change", args=[clinic.pk]),
        {
            "name": clinic.name,
            "require_two_factor": "on",
            "default_country": clinic.default_country,
            "default_language": clinic.default_language,
            "default_time_zone": clinic.default_time_zone,
            "emergency_number": clinic.emergency_number,
        },
    )
    assert response.status_code == 302
    assert not works(keys[therapist]) and not works(keys[admin_user])
    assert works(keys[outsider])


def test_logout_revokes_this_token_and_logout_all_every_token(therapist):
    one, two, three = (staff_token(therapist) for _ in range(3))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {one}")
    assert client.post("/api/v1/auth/logout/").status_code == 204
    assert not works(one) and works(two) and works(three)
    client.credentials(HTTP_AUTHORIZATION=f"Token {two}")
    assert client.post("/api/v1/auth/logout-all/").status_code == 204
    assert not works(two) and not works(three)


def test_a_user_lists_their_own_tokens_without_the_keys_and_revokes_one(therapist, db):
    mine, other = staff_token(therapist), staff_token(make_therapist(ClinicFactory()))
    spare = staff_token(therapist)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {mine}")
    listed = client.get("/api/v1/auth/tokens/").json()["results"]
    assert sorted(row["id"] for row in listed) == sorted(key[:15] for key in (mine, spare))
    assert all(mine not in str(row) and spare not in str(row) for row in listed)
    assert client.delete(f"/api/v1/auth/tokens/{other[:15]}/").status_code == 404
    assert works(other)
    assert client.delete(f"/api/v1/auth/tokens/{spare[:15]}/").status_code == 204
    assert not works(spare) and works(mine)
