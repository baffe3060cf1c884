"""The patient's pages and emails in the patient's language (`Patient.language`): chosen by the therapist,
changeable by the patient; dates and numbers in that language's format."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.test import Client

from patients import links
from patients.models import RED_FLAGS, Patient
from reminders.emails import patient_link_message
from tests.factories import checkin, patient_on_program

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(db) -> Patient:
    return patient_on_program(weeks_ago=4, language="nb")


def _signed_in(patient: Patient) -> Client:
    client = Client()
    client.post(f"/checkin/{links.issue_token(patient)}/")
    return client


def test_a_norwegian_patient_gets_the_open_link_page_in_norwegian(patient):
    page = Client().get(f"/checkin/{links.issue_token(patient)}/").content.decode()
    assert '<html lang="nb">' in page
    assert "Start innsjekkingen" in page and "Start my check-in" not in page


def test_the_check_in_form_is_in_norwegian_down_to_the_questions_and_errors(patient):
    client = _signed_in(patient)
    page = client.get("/checkin/").content.decode()
    assert "Innsjekking uke 5" in page
    assert "Hvor vondt har du hatt i ryggen i gjennomsnitt de siste 7 dagene?" in page
    assert "Har du gått ned i vekt uten å prøve?" in page  # a red-flag question
    assert "Smerteintensitet" in page  # the placeholder ODI section title
    assert "minutter" in page  # the activity's unit
    response = client.post("/checkin/", {})
    assert response.status_code == 400
    assert "Velg et tall fra 0 (ingen smerte) til 10 (verst tenkelige smerte)." in response.content.decode()


def test_the_done_page_says_the_change_in_norwegian_with_a_decimal_comma(patient):
    checkin(patient, 1, [3, 3, 3, 3, 3, 3, 3, 3, 3, None], 8)  # ODI 60.0
    checkin(patient, 5, [2, 2, 2, 2, 2, 2, 1, 1, 2, None], 5)  # 16/45: 35.6
    page = _signed_in(patient).get("/checkin/done/").content.decode()
    sentence = page.split('id="progress-sentence"')[1].split("</ul>")[0]
    assert "Funksjonsplagene dine: 24,4 poeng bedre enn da du startet, en endring som betyr noe." in sentence
    assert "Smertene dine: 3 poeng bedre enn da du startet, en endring som betyr noe." in sentence
    assert "Ved start: 60" in page  # the chart's label


def test_the_program_page_gives_the_next_check_in_as_a_norwegian_date(patient):
    page = _signed_in(patient).get("/checkin/program/").content.decode()
    assert "Programmet ditt, uke 5" in page
    assert "Neste innsjekking:" in page
    assert any(f"{day} " in page for day in ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag"))
    assert "Mål: <strong>21 minutter</strong>" in page


def test_the_reminder_email_is_in_the_patients_language(patient):
    message = patient_link_message(patient, "weekly", "t-2")
    assert message.subject == "Din ukentlige innsjekking"
    assert "Åpne innsjekkingen:" in message.body
    assert "Åpne programmet ditt" in message.alternatives[0][0]


def test_an_english_patient_keeps_english(db):
    patient = patient_on_program(weeks_ago=1)
    assert patient.language == "en-gb"
    assert patient_link_message(patient, "weekly", "t-3").subject == "Your weekly check-in"
    assert "Week 2 check-in" in _signed_in(patient).get("/checkin/").content.decode()


def test_the_patient_changes_their_language_on_their_pages(patient):
    client = _signed_in(patient)
    response = client.post("/checkin/language/", {"language": "en-gb", "next": "program"})
    assert response.status_code == 302 and response["Location"] == "/checkin/program/"
    patient.refresh_from_db()
    assert patient.language == "en-gb"
    assert "Your program, week 5" in client.get("/checkin/program/").content.decode()


def test_an_unknown_language_is_refused_naming_the_field(patient):
    response = _signed_in(patient).post("/checkin/language/", {"language": "xx"})
    assert response.status_code == 400
    assert response.content.decode().startswith("language:")
    patient.refresh_from_db()
    assert patient.language == "nb"


def test_changing_language_needs_the_patients_session():
    assert Client().post("/checkin/language/", {"language": "nb"}).status_code == 403


def test_the_therapist_chooses_the_language_in_the_patient_admin(admin_client, patient):
    page = admin_client.get(f"/admin/patients/patient/{patient.pk}/change/").content.decode()
    assert 'name="language"' in page and "Norsk bokmål" in page


def test_the_pause_page_is_in_the_patients_language(patient):
    page = Client().get(urlsplit(links.pause_url(patient)).path).content.decode()
    assert "Vil du sette påminnelsene på pause?" in page


def test_the_services_weekly_limit_error_reaches_a_norwegian_patient_in_norwegian(patient):
    data = {f"odi[{i}]": "2" for i in range(10)}
    data.update({"pain_nrs": "4", "activities[0].done": "20000"})  # minutes: more than a week holds
    data.update({f"red_flags.{key}": "no" for key in RED_FLAGS})
    page = _signed_in(patient).post("/checkin/", data).content.decode()
    assert "Du kan ikke gjøre mer enn 10\xa0080 minutter i løpet av en uke. Sjekk tallet." in page


def test_a_used_link_says_so_in_its_patients_language(patient):
    token = links.issue_token(patient)
    Client().post(f"/checkin/{token}/")
    page = Client().get(f"/checkin/{token}/")
    assert page.status_code == 410
    assert "Denne lenken er brukt" in page.content.decode()


def test_a_revoked_session_says_so_in_its_patients_language(patient):
    client = _signed_in(patient)
    Patient.objects.filter(pk=patient.pk).update(link_generation=patient.link_generation + 1)
    page = client.get("/checkin/")
    assert page.status_code == 410
    assert "Denne lenken er ikke lenger aktiv" in page.content.decode()


@pytest.mark.parametrize(
    ("accept", "heading"),
    [
        ("nb-NO,nb;q=0.9,en;q=0.5", "Denne lenken virker ikke"),
        ("de-DE,de", "This link does not work"),
        ("", "This link does not work"),
    ],
)
def test_a_link_nobody_can_be_found_for_speaks_the_browsers_language(db, accept, heading):
    page = Client(headers={"accept-language": accept} if accept else {}).get("/checkin/not-a-token/")
    assert page.status_code == 404
    assert heading in page.content.decode()
