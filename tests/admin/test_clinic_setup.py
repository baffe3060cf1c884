"""The clinic setup checklist on the admin home, for clinic admins (patients/clinic_setup.py, admin_setup.py)."""

from __future__ import annotations

import re

from django.urls import reverse

from patients.models import Patient
from tests.factories import licensed_odi_wording, patient_on_program


def checklist_of(client) -> str:  # type: ignore[no-untyped-def]
    page = client.get(reverse("admin:index")).content.decode()
    found = re.search(r'<section class="module cft-setup".*?</section>', page, re.S)
    return found.group(0) if found else ""


def test_a_clinic_admin_sees_what_is_missing_and_how_to_fix_it(client, world):
    patient_on_program(clinic=world.alpha, language="nb")
    world.alpha.phone = ""
    world.alpha.save(update_fields=["phone"])
    client.force_login(world.ada)
    panel = checklist_of(client)
    assert "Clinic setup: Alpha clinic (2 to do)" in panel
    assert "To do:</strong> Licensed ODI wording" in panel
    assert "English (2 patients in care): not loaded" in panel
    assert "Norsk bokmål (1 patients in care): not loaded" in panel
    assert "manage.py load_odi_wording FILE --clinic alpha --language nb" in panel
    assert "Phone: not set." in panel and reverse("admin:clinics_clinic_change", args=[world.alpha.pk]) in panel
    assert "A new patient starts in English and UTC" in panel
    assert "Clinic admins: ada." in panel
    assert "Beta clinic" not in panel


def test_with_the_wording_and_the_phone_in_place_the_steps_are_done(client, world):
    licensed_odi_wording(world.alpha, "en-gb")
    world.alpha.phone = "+47 22 00 00 00"
    world.alpha.save(update_fields=["phone"])
    client.force_login(world.ada)
    panel = checklist_of(client)
    assert "Clinic setup: Alpha clinic (done)" in panel
    assert "English (2 patients in care): loaded." in panel
    Patient.objects.filter(pk=world.alice.pk).update(language="nb")
    assert "(1 to do)" in checklist_of(client)  # Alice now needs the Norwegian wording


def test_therapists_do_not_get_the_checklist(client, world):
    client.force_login(world.tess)
    assert checklist_of(client) == ""
