"""Staff reads of a patient's record are audited; staff sessions expire after inactivity; the API token
endpoint asks for the second factor a clinic requires."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken
from rest_framework.test import APIClient

from audit.models import AuditEvent
from tests.factories import ClinicFactory, checkin, make_therapist, staff_token

PASSWORD = "correct-horse-battery"


@pytest.fixture
def clinic_world(two_clinics):  # type: ignore[no-untyped-def]
    """A therapist, a patient of their clinic with a check-in, and a therapist of the other clinic."""
    checkin(two_clinics.alice, 1, 2, 5)
    return two_clinics.tess, two_clinics.alice, two_clinics.bea


def api_as(user: object) -> APIClient:
    client = APIClient(REMOTE_ADDR="203.0.113.7")
    client.credentials(HTTP_AUTHORIZATION=f"Token {staff_token(user)}")
    return client


def reads() -> list[tuple[str, int | None, str | None]]:
    return list(
        AuditEvent.objects.filter(action__startswith="patient.read").values_list("action", "patient_id", "ip_address")
    )


@pytest.mark.parametrize(
    ("path", "action"),
    [
        ("/api/v1/patients/{pk}/", "patient.read.record"),
        ("/api/v1/patients/{pk}/checkins/", "patient.read.checkins"),
        ("/api/v1/patients/{pk}/outcomes/", "patient.read.outcomes"),
    ],
)
def test_each_api_read_of_a_patient_is_audited_with_who_and_where(clinic_world, path, action):
    therapist, patient, _ = clinic_world
    response = api_as(therapist).get(path.format(pk=patient.pk))
    assert response.status_code == 200
    assert reads() == [(action, patient.pk, "203.0.113.7")]
    event = AuditEvent.objects.get(action=action)
    assert event.actor == therapist and event.clinic_id == patient.clinic_id and event.at is not None


def test_a_refused_read_is_not_recorded_as_a_read(clinic_world):
    _, patient, stranger = clinic_world
    assert api_as(stranger).get(f"/api/v1/patients/{patient.pk}/checkins/").status_code == 404
    assert reads() == []


def test_the_admin_patient_page_is_audited_once_per_view(clinic_world, client):
    therapist, patient, _ = clinic_world
    client.force_login(therapist)
    page = client.get(reverse("admin:patients_patient_change", args=[patient.pk]), REMOTE_ADDR="198.51.100.2")
    assert page.status_code == 200
    assert reads() == [("patient.read.record", patient.pk, "198.51.100.2")]


def test_the_caseload_list_is_one_list_read_not_a_read_of_each_patient(clinic_world, client):
    therapist, _, _ = clinic_world
    client.force_login(therapist)
    assert client.get(reverse("admin:patients_patient_changelist")).status_code == 200
    assert reads() == [("patient.read.caseload", None, "127.0.0.1")]


def test_staff_sessions_expire_after_the_inactivity_timeout(clinic_world, client, settings):
    therapist, _, _ = clinic_world
    client.force_login(therapist)
    assert client.get("/admin/").status_code == 200
    session = Session.objects.get(session_key=client.session.session_key)
    # The expiry is now + SESSION_COOKIE_AGE, pushed on by requests (the next test): it measures inactivity, not
    # session length.
    remaining = session.expire_date - timezone.now()
    assert (
        dt.timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)
        < remaining
        <= dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    )
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def test_a_request_pushes_the_session_expiry_once_a_minute_has_passed_since_the_last_push(
    clinic_world, client, settings
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    therapist, _, _ = clinic_world
    client.force_login(therapist)
    key = client.session.session_key

    def session_writes() -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/admin/").status_code == 200
        return [q["sql"] for q in queries.captured_queries if q["sql"].startswith('UPDATE "django_session"')]

    assert session_writes() == []  # within the minute: no write, the cookie as it was
    assert settings.SESSION_COOKIE_NAME not in client.get("/admin/").cookies
    pushed_at = Session.objects.get(session_key=key).expire_date
    Session.objects.filter(session_key=key).update(expire_date=pushed_at - dt.timedelta(seconds=60))  # a minute on
    assert len(session_writes()) == 1
    remaining = Session.objects.get(session_key=key).expire_date - timezone.now()
    assert dt.timedelta(seconds=settings.SESSION_COOKIE_AGE - 5) < remaining
    assert client.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == settings.SESSION_COOKIE_AGE


def test_a_session_ends_within_a_minute_of_the_age_after_its_last_request(settings):
    assert settings.SESSION_REFRESH_AFTER <= 60


def test_staff_sessions_time_out_within_half_an_hour_by_default(settings):
    assert settings.SESSION_COOKIE_AGE <= 30 * 60


def _code(device: TOTPDevice) -> str:
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"


@pytest.fixture
def two_factor_clinic_user(db: None, settings):  # type: ignore[no-untyped-def]
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    user = make_therapist(ClinicFactory(require_two_factor=True))
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user, device


def token_post(body: dict[str, str]):  # type: ignore[no-untyped-def]
    return APIClient().post("/api/v1/auth/token/", body, format="json")


def test_api_token_needs_the_code_when_the_clinic_requires_a_second_factor(two_factor_clinic_user):
    user, _ = two_factor_clinic_user
    response = token_post({"username": user.username, "password": PASSWORD})
    assert response.status_code == 400
    assert "otp" in response.json()["fields"]
    assert not AuthToken.objects.filter(user=user).exists()


def test_api_token_refuses_a_wrong_code_and_audits_it(two_factor_clinic_user):
    user, device = two_factor_clinic_user
    wrong = "000000" if _code(device) != "000000" else "111111"
    response = token_post({"username": user.username, "password": PASSWORD, "otp": wrong})
    assert response.status_code == 400 and "otp" in response.json()["fields"]
    assert not AuthToken.objects.filter(user=user).exists()
    assert AuditEvent.objects.filter(action="login.api_token.bad_otp", actor=user).exists()


def test_api_token_is_issued_with_a_valid_code(two_factor_clinic_user):
    user, device = two_factor_clinic_user
    response = token_post({"username": user.username, "password": PASSWORD, "otp": _code(device)})
    assert response.status_code == 200
    token = AuthToken.objects.get(user=user)
    assert response.json()["token"].startswith(token.token_key)


def test_api_token_is_refused_when_the_clinic_requires_a_factor_nobody_enrolled(db, settings):
    user = make_therapist(ClinicFactory(require_two_factor=True))
    response = token_post({"username": user.username, "password": PASSWORD, "otp": "123456"})
    assert response.status_code == 400 and "otp" in response.json()["fields"]


def test_a_malformed_code_names_the_field(two_factor_clinic_user):
    user, _ = two_factor_clinic_user
    response = token_post({"username": user.username, "password": PASSWORD, "otp": "12ab"})
    assert response.status_code == 400 and "otp" in response.json()["fields"]


def test_staff_of_a_clinic_without_the_requirement_need_no_code(clinic_world):
    therapist, _, _ = clinic_world
    response = token_post({"username": therapist.username, "password": PASSWORD})
    assert response.status_code == 200
