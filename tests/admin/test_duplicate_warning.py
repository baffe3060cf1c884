"""A possible duplicate (the same name, email or phone in the clinic) is shown on the add form before saving; a
confirming tick saves anyway (patients/duplicates.py)."""

from __future__ import annotations

import pytest

from patients.models import Patient

ADD = "/admin/patients/patient/add/"


def add(client, world, **fields):  # type: ignore[no-untyped-def]
    data = {
        "first_name": "Alice", "last_name": "Someone", "email": "new@example.org", "phone": "", "record_number": "",
        "clinic": world.alpha.pk, "primary_therapist": world.tess.pk, "time_zone": "Europe/Oslo",
        "checkin_weekday": 0, "checkin_hour": 9, "language": "en-gb", **fields,
    }  # fmt: skip
    return client.post(ADD, data)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"first_name": "alice", "last_name": "ANDERS"}, "same name"),
        ({"email": "ALICE@example.org"}, "same email"),
        ({"phone": "+47 22-33 44 55"}, "same phone"),
    ],
)
def test_a_possible_duplicate_is_shown_before_saving(tess_client, world, fields, reason):
    Patient.objects.filter(pk=world.alice.pk).update(email="alice@example.org", phone="+4722334455")
    response = add(tess_client, world, **fields)
    page = response.content.decode()
    assert response.status_code == 200
    assert "This may be a patient the clinic already has" in page
    assert f"/admin/patients/patient/{world.alice.pk}/change/" in page and reason in page
    assert 'type="checkbox" name="not_a_duplicate"' in page
    assert Patient.objects.filter(clinic=world.alpha).count() == 2  # nothing saved


def test_ticking_not_the_same_patient_saves_anyway(tess_client, world):
    response = add(tess_client, world, first_name="Alice", last_name="Anders", not_a_duplicate="on")
    assert response.status_code == 302
    assert Patient.objects.filter(first_name="Alice", last_name="Anders").count() == 2


def test_another_clinics_patient_is_no_duplicate_and_a_new_one_saves_at_once(tess_client, world):
    assert add(tess_client, world, first_name="Bob", last_name="Beta").status_code == 302
    assert add(tess_client, world, first_name="Nina", last_name="New", email="nina@example.org").status_code == 302
