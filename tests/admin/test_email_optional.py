"""Email is optional for a patient the clinic reaches another way (issue 39); reminders and links, which go by
email, need one: consent without an email is refused in the service, the admin form and the API, naming the
fields by their labels; the duplicate check and the caseload CSV take a blank email in their stride."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import ValidationError

from outbox.models import OutboxMessage
from patients import duplicates, services
from patients.models import Patient
from tests.admin.conftest import CHANGELIST
from tests.api.conftest import staff_client
from tests.factories import licensed_odi_wording

ADD = "/admin/patients/patient/add/"
CONSENT_NEEDS_EMAIL = "Reminders and check-in links are sent by email: enter the patient&#x27;s Email"


def add(client, world, **fields):  # type: ignore[no-untyped-def]
    data = {
        "first_name": "Per", "last_name": "Phone", "email": "", "phone": "+47 912 34 567", "record_number": "",
        "clinic": world.alpha.pk, "primary_therapist": world.tess.pk, "time_zone": "Europe/Oslo",
        "checkin_weekday": 0, "checkin_hour": 9, "language": "en-gb", **fields,
    }  # fmt: skip
    return client.post(ADD, data)


def test_a_patient_reached_by_phone_is_added_without_an_email(tess_client, world):
    assert add(tess_client, world).status_code == 302
    per = Patient.objects.get(first_name="Per")
    assert (per.email, per.reminder_consent) == ("", False)
    api = staff_client(world.tess).post(
        "/api/v1/patients/", {"clinic": world.alpha.pk, "first_name": "Pia", "last_name": "Phone"}, format="json"
    )
    assert api.status_code == 201, api.json()
    assert api.json()["email"] == ""


def test_reminder_consent_without_an_email_is_refused_naming_the_fields(tess_client, world):
    response = add(tess_client, world, reminder_consent="on")
    page = response.content.decode()
    assert response.status_code == 200
    assert CONSENT_NEEDS_EMAIL in page and "leave Reminder consent unticked" in page
    assert not Patient.objects.filter(first_name="Per").exists()

    with pytest.raises(ValidationError) as refused:
        services.update_patient(patient=world.alice, email="")  # Alice has consented
    assert set(refused.value.message_dict) == {"reminder_consent"}
    world.alice.refresh_from_db()
    assert world.alice.email

    api = staff_client(world.tess).post(
        "/api/v1/patients/",
        {"clinic": world.alpha.pk, "first_name": "Pia", "last_name": "Phone", "reminder_consent": True},
        format="json",
    )
    assert api.status_code == 400
    assert "Email" in str(api.json()["fields"]["reminder_consent"])
    assert not Patient.objects.filter(first_name="Pia").exists()


def test_no_check_in_link_is_sent_to_a_patient_without_an_email(tess_client, world):
    licensed_odi_wording(world.alpha, "en-gb")
    Patient.objects.filter(pk=world.alice.pk).update(email="")  # as if consent had outlived the address
    data = {"action": "send_checkin_link_action", "_selected_action": [world.alice.pk]}
    page = tess_client.post(CHANGELIST + "?caseload=clinic", data, follow=True).content.decode()
    assert "Email: The patient has no email address" in page
    assert not OutboxMessage.objects.exists()


def test_a_blank_email_is_no_duplicate_of_another_blank_one(world):
    Patient.objects.filter(pk=world.alice.pk).update(email="")
    assert not duplicates.possible_duplicates(world.alpha.pk, first_name="Per", last_name="Phone", email="").exists()
    assert not duplicates.possible_duplicates(world.alpha.pk, first_name="Per", last_name="Phone", email="  ").exists()


def test_the_caseload_csv_has_a_blank_email_for_a_patient_without_one(tess_client, world):
    Patient.objects.filter(pk=world.alice.pk).update(email="", reminder_consent=False)
    data = {"action": "export_csv_action", "_selected_action": [world.alice.pk, world.aaron.pk]}
    response = tess_client.post(CHANGELIST + "?caseload=clinic", data)
    rows = {row["first_name"]: row for row in csv.DictReader(io.StringIO(response.content.decode()))}
    assert rows["Alice"]["email"] == ""
    assert rows["Aaron"]["email"]


def test_start_care_with_consent_for_a_patient_without_an_email_saves_nothing_and_says_why(tess_client, world):
    from tests.admin.test_intake import intake, start_care_url

    per = services.create_patient(clinic=world.alpha, first_name="Per", last_name="Phone", phone="+4791234567")
    response = tess_client.post(start_care_url(per), intake(world.alpha_program, per.local_today()))
    assert response.status_code == 400
    assert CONSENT_NEEDS_EMAIL in response.content.decode()
    assert not per.episodes.exists()
    without_consent = intake(world.alpha_program, per.local_today(), reminder_consent=None, send_link=None)
    assert tess_client.post(start_care_url(per), without_consent).status_code == 302
    assert per.episodes.exists()
