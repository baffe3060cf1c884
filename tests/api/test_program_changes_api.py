"""The staff API's program change: `change` replace (the default) ends the current program, alongside keeps it."""

from __future__ import annotations

import pytest

from patients.models import Assignment
from programs.models import Program
from tests.api.conftest import staff_client
from tests.factories import builtin_program

pytestmark = pytest.mark.django_db


def post(two_clinics, **extra):  # type: ignore[no-untyped-def]
    patient = two_clinics.alice
    payload = {
        "program": builtin_program(Program.Kind.RETURN_TO_WORK).pk,
        "start_date": patient.local_today().isoformat(),
        **extra,
    }
    return staff_client(two_clinics.tess).post(f"/api/v1/patients/{patient.pk}/assignments/", payload, format="json")


def test_a_new_program_replaces_the_current_one_by_default(two_clinics):
    old = Assignment.objects.get(episode__patient=two_clinics.alice)
    response = post(two_clinics)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["ended_on"] is None and body["replaced"] == [old.pk]
    old.refresh_from_db()
    assert old.ended_on.isoformat() == body["start_date"]


def test_alongside_keeps_the_current_program(two_clinics):
    response = post(two_clinics, change="alongside")
    assert response.status_code == 201 and response.json()["replaced"] == []
    assert not Assignment.objects.filter(episode__patient=two_clinics.alice, ended_on__isnull=False).exists()


def test_an_unknown_change_is_refused_naming_the_field(two_clinics):
    response = post(two_clinics, change="swap")
    assert response.status_code == 400
    assert "change" in response.json()["fields"]
    assert Assignment.objects.filter(episode__patient=two_clinics.alice).count() == 1
