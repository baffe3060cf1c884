from __future__ import annotations

import pytest
from django.test import Client

from patients import links, services
from patients.models import RED_FLAGS, Alert, CheckIn, CheckInVersion, OdiWording
from patients.views import SESSION_GENERATION, SESSION_PATIENT
from programs import services as program_services
from tests.factories import ClinicFactory, checkin, odi, patient_on_program

pytestmark = pytest.mark.django_db


def _answers(**overrides: str) -> dict[str, str]:
    data = {f"odi[{i}]": "2" for i in range(10)}
    data["odi[7]"] = "skip"
    data["pain_nrs"] = "6"
    data.update({f"red_flags.{key}": "no" for key in RED_FLAGS})
    data.update(overrides)
    return data


def _signed_in(patient) -> Client:
    client = Client()
    assert client.post(f"/checkin/{links.issue_token(patient)}/").status_code == 302
    return client


@pytest.fixture
def patient(db):
    return patient_on_program(weeks_ago=4)


def test_a_link_starts_a_session_holding_only_the_patient_and_generation(patient):
    client = Client()
    client.get("/")  # any earlier session
    response = client.post(f"/checkin/{links.issue_token(patient)}/")
    assert response.status_code == 302 and response["Location"] == "/checkin/"
    assert dict(client.session) == {SESSION_PATIENT: patient.pk, SESSION_GENERATION: patient.link_generation}


def test_opening_a_link_rotates_the_session_key(patient):
    client = Client()
    client.post(f"/checkin/{links.issue_token(patient)}/")
    first = client.session.session_key
    client.post(f"/checkin/{links.issue_token(patient)}/")
    assert client.session.session_key != first


@pytest.mark.parametrize(
    ("make", "status", "words"),
    [
        ("expired", 410, "This link has expired"),
        ("tampered", 404, "This link does not work"),
        ("revoked", 410, "This link is no longer active"),
    ],
)
def test_a_bad_link_shows_its_own_page_and_how_to_get_a_new_one(patient, settings, make, status, words):
    token = links.issue_token(patient)
    if make == "expired":
        settings.MAGIC_LINK_MAX_AGE_DAYS = -1
    elif make == "tampered":
        token = token[:-3] + "abc"
    else:
        services.discharge_patient(patient=patient)
    response = Client().get(f"/checkin/{token}/")
    assert response.status_code == status
    body = response.content.decode()
    assert words in body
    assert "ask them to send you a new check-in link" in body
    assert patient.first_name not in body and "Traceback" not in body


def test_the_form_shows_narrative_odi_nrs_red_flags_activities_and_coping(patient):
    body = _signed_in(patient).get("/checkin/").content.decode()
    assert "Week 5 check-in" in body
    assert "Stress, sleep and pain" in body
    assert body.count('<fieldset class="question') >= 10 + 1 + len(RED_FLAGS)
    assert "Pain intensity" in body and "placeholder wording" in body
    assert RED_FLAGS["rf_saddle"][0] in body
    assert "Your goal this week: 21 minutes." in body  # DOMAIN.md section 7, week 5: 20.8 in whole minutes
    assert "Relaxed breathing" in body
    assert "<script" not in body


def test_a_clinics_own_odi_wording_replaces_the_placeholder(patient):
    OdiWording.objects.create(
        clinic=patient.clinic, section=1, title="Pain intensity", options=[f"Licensed {n}" for n in range(6)]
    )
    body = _signed_in(patient).get("/checkin/").content.decode()
    assert "Licensed 3" in body
    assert body.count("placeholder wording") == 9 * 6


def test_narratives_are_rendered_without_raw_html(db):
    clinic = ClinicFactory()
    narrative = program_services.create_narrative(
        clinic=clinic, title="Tricky", body="Safe **bold** <script>alert('x')</script><b onclick=alert(1)>b</b>"
    )
    program = program_services.create_program(clinic=clinic, title="P", items=[{"component": narrative}])
    body = _signed_in(patient_on_program(clinic=clinic, program=program)).get("/checkin/").content.decode()
    assert "<strong>bold</strong>" in body
    assert "alert(" not in body and "onclick" not in body


def test_a_missing_answer_is_named_and_every_other_answer_is_kept(patient):
    client = _signed_in(patient)
    answers = _answers(note="Walked to the shop.", **{"odi[3]": "4", "activities[0].done": "15"})
    del answers["pain_nrs"]
    response = client.post("/checkin/", answers)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Choose a number from 0 (no pain) to 10" in body
    assert 'href="#id_pain_nrs_0"' in body
    assert 'value="4" id="id_odi[3]_4" checked' in body
    assert 'value="skip" id="id_odi[7]_6" checked' in body
    assert "Walked to the shop." in body
    assert 'value="15"' in body
    assert not CheckIn.objects.exists()


def test_a_service_error_lands_on_the_field_it_names(patient, monkeypatch):
    from django.core.exceptions import ValidationError

    def refuse(**kwargs):
        raise ValidationError({"activities[0].done": "Too much.", "odi[2]": "Odd."})

    monkeypatch.setattr(services, "submit_checkin", refuse)
    response = _signed_in(patient).post("/checkin/", _answers(**{"activities[1].done": "3"}))
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["activities[1].done"] == ["Too much."]
    assert form.errors["odi[2]"] == ["Odd."]


def test_a_checkin_is_saved_and_the_progress_page_shows_chart_table_and_next_week(patient):
    checkin(patient, 1, odi(3), 8)
    client = _signed_in(patient)
    response = client.post("/checkin/", _answers(**{"activities[0].done": "20", "coping[0].used": "yes"}))
    assert response.status_code == 302 and response["Location"] == "/checkin/done/"
    stored = CheckIn.objects.get(week=5)
    assert stored.odi_answers == [2, 2, 2, 2, 2, 2, 2, None, 2, 2]
    assert stored.coping[0]["used"] is True
    body = client.get("/checkin/done/").content.decode()
    assert "<svg" in body and "Your scores by week" in body
    assert "Next week (week 6)" in body
    assert "<strong>25 minutes</strong>" in body  # walking, week 6: 25.0 in whole minutes
    assert "red-flag-message" not in body


def test_resubmitting_in_the_same_week_keeps_the_earlier_answers(patient):
    client = _signed_in(patient)
    client.post("/checkin/", _answers())
    assert 'value="6" id="id_pain_nrs_6" checked' in client.get("/checkin/").content.decode()
    client.post("/checkin/", _answers(pain_nrs="3"))
    assert CheckIn.objects.get().pain_nrs == 3
    assert CheckInVersion.objects.get().answers["pain_nrs"] == 6


@pytest.mark.parametrize(
    ("flag", "words"),
    [
        ("rf_bladder_bowel", "Call emergency services or go to an emergency department now."),
        ("rf_fever", "Contact your clinic today; if it is closed and you feel unwell, call emergency services."),
    ],
)
def test_a_red_flag_shows_the_urgent_message_and_alerts_the_therapist(patient, flag, words):
    client = _signed_in(patient)
    client.post("/checkin/", _answers(**{f"red_flags.{flag}": "yes"}))
    body = client.get("/checkin/done/").content.decode()
    assert 'id="red-flag-message"' in body and words in body
    assert Alert.objects.get(patient=patient).kind == Alert.Kind.RED_FLAG


def test_discharge_ends_an_open_patient_session(patient):
    client = _signed_in(patient)
    services.discharge_patient(patient=patient)
    response = client.get("/checkin/")
    assert response.status_code == 410
    assert "This link is no longer active" in response.content.decode()


def test_a_session_only_ever_shows_its_own_patient(db):
    clinic = ClinicFactory()
    first, second = patient_on_program(clinic=clinic), patient_on_program(clinic=clinic)
    checkin(second, 1, odi(5), 9, note="second patient's private note")
    client = _signed_in(first)
    client.post("/checkin/", _answers())
    body = client.get("/checkin/done/").content.decode() + client.get("/checkin/").content.decode()
    assert second.first_name not in body and "private note" not in body
    assert CheckIn.objects.filter(patient=first).count() == 1


def test_without_a_session_the_form_asks_for_the_link(db):
    response = Client().get("/checkin/")
    assert response.status_code == 403
    assert "Open your check-in link" in response.content.decode()


def test_the_page_is_labelled_for_assistive_technology(patient):
    body = _signed_in(patient).get("/checkin/").content.decode()
    assert '<html lang="en-GB">' in body
    assert 'name="viewport"' in body
    assert "/static/patients/checkin.css" in body
    assert "<script" not in body and " style=" not in body
    import re

    ids = set(re.findall(r'<(?:input|select|textarea)[^>]*\sid="([^"]+)"', body))
    labelled = set(re.findall(r'<label[^>]*for="([^"]+)"', body))
    assert ids and ids <= labelled


def test_the_form_costs_a_fixed_number_of_queries(patient, django_assert_max_num_queries):
    client = _signed_in(patient)
    with django_assert_max_num_queries(12):
        assert client.get("/checkin/").status_code == 200


def test_a_submission_reads_the_episode_and_its_items_once(patient, django_assert_max_num_queries):
    # Session, patient, episode (with week one), items, this week's NRS history for the plan, ODI wording, the
    # episode's check-ins (locked), the insert, the update of the episode's outcome summary (no alert raised: its
    # alert figures stand, unread), the audit row (the session, written a moment ago, is not written again): the
    # service reuses the episode and items the page has just read.
    client = _signed_in(patient)
    with django_assert_max_num_queries(20) as captured:
        assert client.post("/checkin/", _answers()).status_code == 302
    statements = [q["sql"] for q in captured if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 10, statements


def test_the_done_page_tells_the_patient_why_a_week_has_no_daily_life_score(client):
    patient = patient_on_program(weeks_ago=2)
    assert client.post(f"/checkin/{links.issue_token(patient)}/").status_code == 302
    answers = {f"odi[{i}]": ("skip" if i in (1, 3, 5) else "2") for i in range(10)}
    answers.update({f"red_flags.{key}": "no" for key in RED_FLAGS})
    answers["pain_nrs"] = "4"
    assert client.post("/checkin/", answers).status_code == 302
    page = client.get("/checkin/done/").content.decode()
    assert "Your disability score was not worked out this week: 3 of the 10 parts were left unanswered" in page
