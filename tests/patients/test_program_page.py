"""The patient's side between check-ins: the program page, reached from the emailed link, the progress in plain
words, and the emergency panel naming the clinic."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from patients import dates, links
from patients.models import RED_FLAGS, Patient
from reminders.emails import patient_link_message
from tests.factories import ClinicFactory, checkin, odi, patient_on_program

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(db) -> Patient:
    clinic = ClinicFactory(name="Fjord Physio", phone="+47 22 33 44 55", emergency_number="113")
    return patient_on_program(clinic=clinic, weeks_ago=4)  # week 5


def _signed_in(patient: Patient, next_page: str = "") -> tuple[Client, str]:
    client = Client()
    query = f"?next={next_page}" if next_page else ""
    response = client.post(f"/checkin/{links.issue_token(patient)}/{query}")
    assert response.status_code == 302
    return client, response["Location"]


def test_a_link_with_next_program_opens_the_program_page(patient):
    assert _signed_in(patient, "program")[1] == "/checkin/program/"


@pytest.mark.parametrize("next_page", ["", "https://evil.example/", "done", "//evil.example"])
def test_any_other_next_opens_the_check_in(patient, next_page):
    assert _signed_in(patient, next_page)[1] == "/checkin/"


def test_a_used_program_link_reopened_in_its_own_browser_carries_on_to_the_program(patient):
    client = Client()
    token = links.issue_token(patient)
    client.post(f"/checkin/{token}/?next=program")
    response = client.get(f"/checkin/{token}/?next=program")
    assert response.status_code == 302 and response["Location"] == "/checkin/program/"


def test_the_program_page_shows_the_weeks_reading_coping_in_full_and_goals_in_whole_units(patient):
    client, _ = _signed_in(patient)
    page = client.get("/checkin/program/").content.decode()
    assert "Your program, week 5" in page
    assert "Stress, sleep and pain" in page  # this week's narrative, with its body
    assert page.count('class="narrative"') >= 1
    # every coping strategy with its instructions and when to use it
    assert "Relaxed breathing" in page and "Breathe slowly into your belly" in page
    assert "When you notice yourself bracing" in page
    assert "this is a flare, not damage" in page
    # Walking: 10 min +20 %: week 5 quota 20.8, asked as 21 whole minutes (weekly_target)
    assert re.search(r"Goal: <strong>21 minutes</strong>", page)
    assert "20.8" not in page
    assert "Nothing reported yet this week." in page


def test_earlier_narratives_can_be_read_again(patient):
    client, _ = _signed_in(patient)
    page = client.get("/checkin/program/").content.decode()
    earlier = page.split('id="earlier-title"')[1]
    assert "Hurt does not mean harm" in earlier and "Your back is strong" in earlier
    assert "Stress, sleep and pain" not in earlier


def test_the_program_page_shows_what_was_reported_this_week(patient):
    walking = next(q.item for q in _plan(patient).activities if q.item.title == "Walking")
    checkin(patient, 5, odi(2), 4, activities=[{"item": walking.pk, "done": "12.5"}])
    client, _ = _signed_in(patient)
    page = client.get("/checkin/program/").content.decode()
    assert "You reported 12.5 minutes so far." in page


def _plan(patient: Patient):
    from patients.plans import week_plan

    return week_plan(patient.current_episode(), 5)


def test_the_next_check_in_day_is_the_patients_weekday_and_skips_a_done_week():
    wednesday = dt.date(2026, 12, 2)
    assert dates.next_checkin_day(wednesday, 0, checked_in=False) == dt.date(2026, 12, 7)
    assert dates.next_checkin_day(wednesday, 2, checked_in=False) == wednesday
    assert dates.next_checkin_day(wednesday, 2, checked_in=True) == dt.date(2026, 12, 9)


def test_the_program_page_names_the_next_check_in(patient):
    client, _ = _signed_in(patient)
    page = client.get("/checkin/program/").content.decode()
    day = dates.next_checkin_day(patient.local_today(), patient.checkin_weekday, checked_in=False)
    assert f"{day:%A} {day.day} {day:%B}" in page


@pytest.mark.parametrize("url", ["/checkin/", "/checkin/done/"])
def test_the_check_in_and_done_pages_link_to_the_program(patient, url):
    client, _ = _signed_in(patient)
    checkin(patient, 5, odi(2), 4)
    assert 'href="/checkin/program/"' in client.get(url).content.decode()


def test_the_program_page_needs_the_patients_session(patient):
    assert Client().get("/checkin/program/").status_code == 403


def test_every_reminder_email_links_to_the_program_in_text_and_html(patient):
    message = patient_link_message(patient, "weekly", "t-1")
    html = message.alternatives[0][0]
    link = re.search(r"(https?://\S+/checkin/[^/\s]+/)\?next=program", message.body)
    assert link, message.body
    assert f'href="{link.group(1)}?next=program"' in html
    assert f"{link.group(1)}\n" in message.body  # the check-in itself, the same link


@pytest.mark.parametrize("url", ["/checkin/", "/checkin/program/", "/checkin/done/"])
def test_the_emergency_panel_names_the_clinics_number_and_the_local_emergency_number(patient, url):
    client, _ = _signed_in(patient)
    checkin(patient, 5, odi(2), 4)
    panel = client.get(url).content.decode().split('id="emergency-panel"')[1].split("</aside>")[0]
    assert '<a href="tel:+4722334455" class="tel">+47 22 33 44 55</a>' in panel
    assert '<a href="tel:113" class="tel">113</a>' in panel
    assert "Fjord Physio" in panel


def test_a_clinic_without_a_phone_still_gets_the_emergency_number_112_by_default(db):
    patient = patient_on_program(weeks_ago=1)
    client, _ = _signed_in(patient)
    panel = client.get("/checkin/program/").content.decode().split('id="emergency-panel"')[1]
    assert '<a href="tel:112" class="tel">112</a>' in panel


def test_an_emergency_red_flag_shows_the_clinics_emergency_number(patient):
    client, _ = _signed_in(patient)
    checkin(patient, 5, odi(2), 4, red_flags={key: key == "rf_saddle" for key in RED_FLAGS})
    message = client.get("/checkin/done/").content.decode().split('id="red-flag-message"')[1].split("</div>")[0]
    assert '<a href="tel:113" class="tel">113</a>' in message


@pytest.mark.parametrize("field", ["phone", "emergency_number"])
def test_a_clinic_number_that_is_not_a_phone_number_is_refused_naming_the_field(field):
    clinic = ClinicFactory.build(slug="x", **{field: "call us!"})
    with pytest.raises(ValidationError) as caught:
        clinic.full_clean()
    assert field in caught.value.message_dict


def test_the_clinic_admin_edits_the_phone_and_emergency_number(admin_client, patient):
    page = admin_client.get(f"/admin/clinics/clinic/{patient.clinic_id}/change/").content.decode()
    assert 'name="phone"' in page and 'name="emergency_number"' in page


def test_the_done_page_says_in_plain_words_what_the_change_means(patient):
    checkin(patient, 1, odi(3), 8)  # ODI 60, NRS 8
    checkin(patient, 5, odi(1), 5)  # ODI 20, NRS 5
    client, _ = _signed_in(patient)
    page = client.get("/checkin/done/").content.decode()
    sentence = page.split('id="progress-sentence"')[1].split("</ul>")[0]
    assert "Your disability score: 40.0 points better than when you started, a change that matters." in sentence
    assert "Your pain: 3 points better than when you started, a change that matters." in sentence
    assert "MCID" not in page and "ODI" not in page and "NRS" not in page


def test_the_done_page_says_worse_in_words_too(patient):
    checkin(patient, 1, odi(1), 3)
    checkin(patient, 5, odi(1), 4)
    client, _ = _signed_in(patient)
    sentence = client.get("/checkin/done/").content.decode().split('id="progress-sentence"')[1].split("</ul>")[0]
    assert "Your disability score: no change since you started." in sentence
    assert "Your pain: 1 point worse than when you started." in sentence
