"""Issue 40: every number is bounded where it enters. An activity amount, a score, a week or an id that no field
can hold is a 400 naming the field (the API) or an error on the control (the patient's form), never a 500, and
leaves no row behind."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from patients.models import CheckIn
from tests.api.conftest import patient_client, staff_client
from tests.factories import make_therapist, patient_on_program

pytestmark = pytest.mark.django_db

GOOD = {"odi": [2, 2, 2, 2, 2, 2, 1, 1, 2, None], "pain_nrs": 6}
# The amounts of issue 40's probe, as JSON text: each answered 500 (decimal.InvalidOperation in the service).
PROBED = ["1e30", "123456789012345678901234567890.5", "9" * 60, "1E+30", "-1e30", "1e400"]


@pytest.fixture(autouse=True)
def _fresh_throttles() -> None:
    cache.clear()


def _post_raw(client: APIClient, url: str, body: str):  # type: ignore[no-untyped-def]
    client.raise_request_exception = False
    return client.post(url, data=body, content_type="application/json")


def _activity_body(item: int, done: str) -> str:
    return f'{{"odi": [2,2,2,2,2,2,1,1,2,null], "pain_nrs": 6, "activities": [{{"item": {item}, "done": {done}}}]}}'


@pytest.mark.parametrize("done", PROBED)
def test_an_activity_amount_no_week_can_hold_is_a_400_naming_it_for_the_patient(done):
    patient = patient_on_program(weeks_ago=2)
    client = patient_client(patient)
    item = client.get("/api/v1/me/program/").json()["activities"][0]["item"]
    response = _post_raw(client, "/api/v1/me/checkins/", _activity_body(item, done))
    assert response.status_code == 400, response.content
    assert list(response.json()["fields"]) == ["activities[0].done"]
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize("done", PROBED)
def test_an_activity_amount_no_week_can_hold_is_a_400_naming_it_for_staff(done):
    patient = patient_on_program(weeks_ago=2)
    item = patient_client(patient).get("/api/v1/me/program/").json()["activities"][0]["item"]
    client = staff_client(make_therapist(patient.clinic))
    response = _post_raw(client, f"/api/v1/patients/{patient.pk}/checkins/", _activity_body(item, done))
    assert response.status_code == 400, response.content
    assert list(response.json()["fields"]) == ["activities[0].done"]
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize(
    ("done", "stored"),
    [("1E+1", "10.0"), ('"1E+1"', "10"), ("-0.0", "0.0"), ('"-0"', "0"), ("0e-999999", "0.0"), ('"2.50"', "2.50")],
)
def test_an_amount_in_exponent_form_or_negative_zero_is_stored_plainly(done, stored):
    patient = patient_on_program(weeks_ago=2)
    client = patient_client(patient)
    item = client.get("/api/v1/me/program/").json()["activities"][0]["item"]
    response = _post_raw(client, "/api/v1/me/checkins/", _activity_body(item, done))
    assert response.status_code == 201, response.content
    assert CheckIn.objects.get().activities[0]["done"] == stored


@pytest.mark.parametrize("done", ["1e-30", "0.05", '"1.00000000000000000000000000000000000001"', '"1e-999999999"'])
def test_an_amount_with_more_than_one_decimal_is_refused_however_small(done):
    patient = patient_on_program(weeks_ago=2)
    client = patient_client(patient)
    item = client.get("/api/v1/me/program/").json()["activities"][0]["item"]
    response = _post_raw(client, "/api/v1/me/checkins/", _activity_body(item, done))
    assert response.json()["fields"] == {"activities[0].done": ["Give at most one decimal place."]}
    assert not CheckIn.objects.exists()
