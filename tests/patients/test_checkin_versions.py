"""Issue 41: a patient changes a week's check-in at most MAX_VERSIONS_A_WEEK times; the next change is refused
naming the week, in the service, the API (400) and the patient's form, and stores nothing."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client

from audit.models import AuditEvent
from patients import links
from patients.models import RED_FLAGS, CheckIn, CheckInVersion
from patients.services.checkins import MAX_VERSIONS_A_WEEK
from tests.api.conftest import patient_client
from tests.factories import checkin, make_therapist, patient_on_program

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient_at_the_limit(db):  # type: ignore[no-untyped-def]
    cache.clear()
    patient = patient_on_program(weeks_ago=2)
    for nrs in range(MAX_VERSIONS_A_WEEK):
        checkin(patient, 3, 2, nrs % 11)
    assert CheckIn.objects.get().version == MAX_VERSIONS_A_WEEK
    return patient


def test_a_patient_can_change_a_week_until_the_limit_and_no_further(patient_at_the_limit):
    with pytest.raises(ValidationError) as error:
        checkin(patient_at_the_limit, 3, 4, 9)
    assert list(error.value.message_dict) == ["week"]
    assert "changed 20 times" in error.value.message_dict["week"][0]
    stored = CheckIn.objects.get()
    assert (stored.version, stored.pain_nrs) == (MAX_VERSIONS_A_WEEK, (MAX_VERSIONS_A_WEEK - 1) % 11)
    assert CheckInVersion.objects.count() == MAX_VERSIONS_A_WEEK - 1
    assert AuditEvent.objects.filter(action="checkin.update").count() == MAX_VERSIONS_A_WEEK - 1


def test_other_weeks_and_staff_corrections_are_not_limited_by_it(patient_at_the_limit):
    checkin(patient_at_the_limit, 2, 2, 5)
    staff = make_therapist(patient_at_the_limit.clinic)
    assert checkin(patient_at_the_limit, 3, 2, 4, by=staff).version == MAX_VERSIONS_A_WEEK + 1


def test_the_api_answers_400_naming_the_week(patient_at_the_limit):
    body = {"odi": [2] * 10, "pain_nrs": 6}
    response = patient_client(patient_at_the_limit).post("/api/v1/me/checkins/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["week"]
    assert CheckIn.objects.get().version == MAX_VERSIONS_A_WEEK


def test_the_patients_form_says_so_at_the_top(patient_at_the_limit):
    client = Client()
    client.post(f"/checkin/{links.issue_token(patient_at_the_limit)}/")
    data = {f"odi[{i}]": "2" for i in range(10)} | {"pain_nrs": "6"}
    data.update({f"red_flags.{key}": "no" for key in RED_FLAGS})
    response = client.post("/checkin/", data)
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "This week's check-in has been changed 20 times, the most a week allows. "
        "If something needs correcting, tell your physiotherapist."
    ]
    assert "the most a week allows" in response.content.decode()
    assert CheckIn.objects.get().version == MAX_VERSIONS_A_WEEK
