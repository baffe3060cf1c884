"""No lost update: two staff open the same patient; A saves phone and hour, B then saves the weekday from the
copy read before A's save. B's save is refused, naming what A changed and who A is; A's values stay, and the
history credits A with A's changes only. The same rule in the service and the staff API (409 with the record as
it is now)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from audit.models import AuditEvent
from patients import services
from patients.models import Patient

pytestmark = pytest.mark.django_db


def filled_in(client: Client, patient: Patient) -> dict[str, str]:
    """The patient form as the page shows it, every field with the value the page holds."""
    response = client.get(reverse("admin:patients_patient_change", args=[patient.pk]))
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or name in ("clinic", "status"):
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        data[name] = str(value)
    assert re.search(r'name="record_version" value="\d+"', response.content.decode())
    return data


def test_a_save_on_a_copy_read_before_another_save_is_refused_and_names_who_changed_what(client, world):
    alice = world.alice
    url = reverse("admin:patients_patient_change", args=[alice.pk])
    tess, theo = Client(), Client()
    tess.force_login(world.tess)
    theo.force_login(world.ada)  # the clinic admin may edit every patient of the clinic
    form_a, form_b = filled_in(tess, alice), filled_in(theo, alice)

    form_a |= {"phone": "+4791234567", "checkin_hour": "18"}
    assert tess.post(url, form_a).status_code == 302
    form_b |= {"checkin_weekday": "3"}
    response = theo.post(url, form_b)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Tess Alpha changed this patient (check-in hour, phone)" in html
    assert "Nothing you entered was saved" in html
    alice.refresh_from_db()
    assert (alice.phone, alice.checkin_hour, alice.checkin_weekday) == ("+4791234567", 18, 0)
    updates = AuditEvent.objects.filter(action="patient.update", patient_id=alice.pk)
    assert [(e.actor_id, e.details["fields"]) for e in updates] == [(world.tess.pk, ["checkin_hour", "phone"])]

    # Reloaded, B's form holds A's values and the new version: B's change goes through and keeps A's.
    form_b = filled_in(theo, alice) | {"checkin_weekday": "3"}
    assert theo.post(url, form_b).status_code == 302
    alice.refresh_from_db()
    assert (alice.phone, alice.checkin_hour, alice.checkin_weekday, alice.version) == ("+4791234567", 18, 3, 3)


def test_the_service_refuses_a_stale_version_and_counts_each_save(world):
    alice = world.alice
    services.update_patient(patient=alice, by=world.tess, version=1, checkin_hour=7)
    assert alice.version == 2
    stale = Patient.objects.get(pk=alice.pk)
    stale.version = 1
    with pytest.raises(services.StaleRecord) as refused:
        services.update_patient(patient=stale, by=world.ada, version=1, checkin_weekday=4)
    assert refused.value.fields == ["check-in hour"]
    assert "version" in refused.value.message_dict
    assert Patient.objects.get(pk=alice.pk).checkin_weekday == 0


def staff_api(user: object) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_the_staff_api_answers_409_with_the_current_record_to_a_stale_version(world):
    url = f"/api/v1/patients/{world.alice.pk}/"
    tess, ada = staff_api(world.tess), staff_api(world.ada)
    read = ada.get(url).json()
    assert read["version"] == 1

    assert tess.patch(url, {"checkin_hour": 18, "version": 1}, format="json").status_code == 200
    response = ada.patch(url, {"checkin_weekday": 3, "version": read["version"]}, format="json")

    assert response.status_code == 409
    body = response.json()
    assert "check-in hour" in body["version"][0]
    assert body["current"]["checkin_hour"] == 18 and body["current"]["version"] == 2
    assert Patient.objects.get(pk=world.alice.pk).checkin_weekday == 0
    # Without a version the client takes the last-write-wins risk itself, as before.
    assert ada.patch(url, {"checkin_weekday": 3}, format="json").status_code == 200
