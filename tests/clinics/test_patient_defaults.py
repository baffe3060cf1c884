"""A new patient takes their clinic's default language and time zone (issue 39): in the service, the admin's add
form, the staff API and the clinic setup checklist; the clinic admin sets them; seed_demo's Norwegian clinic has
Norwegian ones."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from clinics.models import Clinic
from patients import demo, services
from patients.clinic_setup import checklist
from patients.models import Patient
from tests.api.conftest import staff_client
from tests.factories import make_therapist

ADD = "/admin/patients/patient/add/"


@pytest.fixture
def norwegian(two_clinics):  # type: ignore[no-untyped-def]
    """Alpha, as a Norwegian clinic."""
    Clinic.objects.filter(pk=two_clinics.alpha.pk).update(default_language="nb", default_time_zone="Europe/Oslo")
    two_clinics.alpha.refresh_from_db()
    return two_clinics


def test_a_clinic_starts_with_the_sites_defaults(db, settings):
    clinic = Clinic.objects.create(name="New", slug="new")
    assert (clinic.default_language, clinic.default_time_zone) == (settings.LANGUAGE_CODE, settings.TIME_ZONE)


def test_a_new_patient_takes_the_clinics_language_and_time_zone_unless_given(norwegian):
    alpha = norwegian.alpha
    patient = services.create_patient(clinic=alpha, first_name="Kari", last_name="Nordmann", email="k@example.org")
    assert (patient.language, patient.time_zone) == ("nb", "Europe/Oslo")
    chosen = services.create_patient(
        clinic=alpha,
        first_name="Ann",
        last_name="Visitor",
        email="a@example.org",
        language="en-gb",
        time_zone="Europe/London",
    )
    assert (chosen.language, chosen.time_zone) == ("en-gb", "Europe/London")


def test_the_add_form_shows_the_clinics_defaults(client, norwegian):
    client.force_login(norwegian.tess)
    page = client.get(ADD).content.decode()
    assert re.search(r'<option value="nb" selected>', page)
    assert re.search(r'name="time_zone" value="Europe/Oslo"', page)


def test_staff_of_two_clinics_add_a_patient_with_the_defaults_of_the_clinic_they_choose(client, norwegian):
    # The form cannot know the clinic before it is chosen: it shows the site's defaults, and left as shown they
    # become the chosen clinic's.
    make_therapist(norwegian.beta, user=norwegian.tess)
    client.force_login(norwegian.tess)
    page = client.get(ADD).content.decode()
    assert re.search(r'name="time_zone" value="UTC"', page)
    data = {
        "first_name": "Kari", "last_name": "Nordmann", "email": "kari@example.org", "phone": "", "record_number": "",
        "clinic": norwegian.alpha.pk, "primary_therapist": norwegian.tess.pk, "time_zone": "UTC",
        "checkin_weekday": 0, "checkin_hour": 9, "language": "en-gb",
    }  # fmt: skip
    assert client.post(ADD, data).status_code == 302
    kari = Patient.objects.get(first_name="Kari")
    assert (kari.language, kari.time_zone) == ("nb", "Europe/Oslo")
    # A time zone typed in (or a language chosen) is the patient's.
    data.update(first_name="Ola", email="ola@example.org", time_zone="Europe/Stockholm")
    assert client.post(ADD, data).status_code == 302
    ola = Patient.objects.get(first_name="Ola")
    assert (ola.language, ola.time_zone) == ("nb", "Europe/Stockholm")


def test_the_api_creates_a_patient_with_the_clinics_defaults(norwegian):
    payload = {"clinic": norwegian.alpha.pk, "first_name": "Kari", "last_name": "N", "email": "kari@example.org"}
    response = staff_client(norwegian.tess).post("/api/v1/patients/", payload, format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["language"], response.json()["time_zone"]) == ("nb", "Europe/Oslo")


def test_the_clinic_admin_sets_the_defaults_and_a_wrong_time_zone_is_refused(client, two_clinics):
    client.force_login(two_clinics.ada)
    url = reverse("admin:clinics_clinic_change", args=[two_clinics.alpha.pk])
    form = client.get(url).content.decode()
    assert 'name="default_language"' in form and 'name="default_time_zone"' in form
    data = {
        "name": "Alpha clinic", "default_country": "NO", "phone": "", "emergency_number": "113",
        "default_language": "nb", "default_time_zone": "Europe/Osl",
    }  # fmt: skip
    page = client.post(url, data).content.decode()
    assert "Unknown time zone" in page
    assert Clinic.objects.get(pk=two_clinics.alpha.pk).default_time_zone == "UTC"
    assert client.post(url, {**data, "default_time_zone": "Europe/Oslo"}).status_code == 302
    alpha = Clinic.objects.get(pk=two_clinics.alpha.pk)
    assert (alpha.default_language, alpha.default_time_zone) == ("nb", "Europe/Oslo")


def test_the_setup_checklist_shows_the_clinics_defaults(norwegian):
    step = next(s for s in checklist(norwegian.alpha, clinic_url="/c/").steps if "Default language" in s.title)
    assert step.lines[0].startswith("A new patient starts in Norsk bokmål and Europe/Oslo")
    assert step.link == "/c/"


def test_seed_demo_gives_the_norwegian_clinic_norwegian_defaults(db):
    demo.seed(password="demo-password-123", patients_per_clinic=1, max_weeks=1)
    north, south = (Clinic.objects.get(slug=slug) for slug in ("demo-north", "demo-south"))
    assert (north.default_language, north.default_time_zone) == ("nb", "Europe/Oslo")
    assert (south.default_language, south.default_time_zone) == ("en-gb", "America/New_York")
    # The seeded patients stay in English (the walkthroughs read them).
    assert set(Patient.objects.values_list("language", flat=True)) == {"en-gb"}
