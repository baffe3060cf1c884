"""The belief section of the check-in (patients/beliefs.py, patients/belief_wording.py, docs/clinical-rules.md,
beliefs): asked at intake and every 4 weeks, stored with its wording's version, refused in other weeks; the
"beliefs to address" flag on the caseload and the patient page, never on the patient's side."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from patients import beliefs, links, services
from patients.belief_wording import belief_section
from patients.beliefs import CONCERN, CONSEQUENCES, PERSONAL_CONTROL, TREATMENT_CONTROL
from patients.models import RED_FLAGS, BeliefWording, CheckIn
from tests.admin.conftest import CHANGELIST, page_of, rows
from tests.api.conftest import patient_client
from tests.factories import checkin, patient_on_program

pytestmark = pytest.mark.django_db

WORRIED = {CONSEQUENCES: 8, PERSONAL_CONTROL: 2, TREATMENT_CONTROL: 6, CONCERN: 9}
SETTLED = {CONSEQUENCES: 4, PERSONAL_CONTROL: 7, TREATMENT_CONTROL: 8, CONCERN: 3}
LICENSED = [
    {"item": item, "question": f"Licensed question on {item}?", "low_label": "low end", "high_label": "high end"}
    for item in beliefs.ITEMS
]


def intake(patient, therapist, answers):  # type: ignore[no-untyped-def]
    return checkin(patient, 0, 3, 6, by=therapist, beliefs=answers)


# --- the service ------------------------------------------------------------------------------------------------


def test_an_intake_stores_the_belief_answers_with_our_wording_version(two_clinics):
    row = intake(two_clinics.alice, two_clinics.tess, WORRIED)
    assert row.beliefs == WORRIED
    assert row.beliefs_version == beliefs.OURS


def test_week_4_asks_again_and_an_unanswered_item_stays_empty(two_clinics):
    row = checkin(two_clinics.alice, 4, 2, 5, beliefs={CONSEQUENCES: 5, CONCERN: None})
    assert row.beliefs == {CONSEQUENCES: 5, PERSONAL_CONTROL: None, TREATMENT_CONTROL: None, CONCERN: None}
    assert row.beliefs_version == beliefs.OURS


def test_a_section_left_wholly_unanswered_stores_no_version(two_clinics):
    row = checkin(two_clinics.alice, 4, 2, 5, beliefs=dict.fromkeys(beliefs.ITEMS))
    assert row.beliefs_version == ""


@pytest.mark.parametrize(
    ("week", "given", "field"),
    [
        (3, {CONSEQUENCES: 5}, "beliefs"),
        (4, {CONSEQUENCES: 11}, "beliefs.consequences"),
        (4, {PERSONAL_CONTROL: -1}, "beliefs.personal_control"),
        (4, {CONCERN: True}, "beliefs.concern"),
        (4, {CONCERN: "7"}, "beliefs.concern"),
        (4, {"timeline": 3}, "beliefs.timeline"),
        (4, [5, 5, 5, 5], "beliefs"),
    ],
)
def test_bad_belief_answers_name_the_field_and_store_nothing(two_clinics, week, given, field):
    with pytest.raises(ValidationError) as raised:
        checkin(two_clinics.alice, week, 2, 5, beliefs=given)
    assert field in raised.value.message_dict
    assert not CheckIn.objects.exists()


def test_a_resubmission_keeps_the_earlier_belief_answers_in_the_history(two_clinics):
    checkin(two_clinics.alice, 4, 2, 5, beliefs=WORRIED)
    row = checkin(two_clinics.alice, 4, 2, 5, beliefs=SETTLED)
    assert row.beliefs == SETTLED
    assert row.versions.get().answers["beliefs"] == WORRIED


# --- a clinic's licensed wording ------------------------------------------------------------------------------


def test_a_clinic_loads_its_licensed_wording_and_answers_carry_its_version(two_clinics):
    services.load_belief_wording(clinic=two_clinics.alpha, language="en-gb", version="licensed-bipq-1", items=LICENSED)
    section = belief_section(two_clinics.alpha.pk, "en-gb")
    assert section.version == "licensed-bipq-1"
    assert section.questions[0].question == "Licensed question on consequences?"
    assert belief_section(two_clinics.beta.pk, "en-gb").version == beliefs.OURS  # the other clinic keeps ours
    assert checkin(two_clinics.alice, 4, 2, 5, beliefs=WORRIED).beliefs_version == "licensed-bipq-1"
    assert AuditEvent.objects.filter(action="belief_wording.load", clinic_id=two_clinics.alpha.pk).exists()


@pytest.mark.parametrize(
    ("version", "items", "field"),
    [
        ("v2", LICENSED[:3], "items"),
        ("v2", [*LICENSED[:3], {**LICENSED[0]}], "items[3].item"),
        ("v2", [{**LICENSED[0], "question": " "}, *LICENSED[1:]], "items[0].question"),
        ("v2", [{**LICENSED[0], "item": "timeline"}, *LICENSED[1:]], "items[0].item"),
        (beliefs.OURS, LICENSED, "version"),
        ("", LICENSED, "version"),
    ],
)
def test_a_bad_wording_file_names_the_field_and_changes_nothing(two_clinics, version, items, field):
    services.load_belief_wording(clinic=two_clinics.alpha, language="en-gb", version="v1", items=LICENSED)
    with pytest.raises(ValidationError) as raised:
        services.load_belief_wording(clinic=two_clinics.alpha, language="en-gb", version=version, items=items)
    assert field in raised.value.message_dict
    assert set(BeliefWording.objects.values_list("version", flat=True)) == {"v1"}


def test_the_command_loads_a_wording_file_and_reports_a_bad_one(two_clinics, tmp_path):
    good = tmp_path / "wording.json"
    good.write_text(json.dumps({"version": "licensed-1", "items": LICENSED}))
    call_command("load_belief_wording", str(good), clinic="alpha")
    assert BeliefWording.objects.filter(clinic=two_clinics.alpha, version="licensed-1").count() == 4
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"version": "licensed-2", "items": LICENSED[:2]}))
    with pytest.raises(CommandError, match="items"):
        call_command("load_belief_wording", str(bad), clinic="alpha")


# --- the patient's page and the API -------------------------------------------------------------------------------


def _signed_in(patient) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    assert client.post(f"/checkin/{links.issue_token(patient)}/").status_code == 302
    return client


def _form(**extra: str) -> dict[str, str]:
    data = {f"odi[{i}]": "2" for i in range(10)}
    data["pain_nrs"] = "6"
    data.update({f"red_flags.{key}": "no" for key in RED_FLAGS})
    data.update(extra)
    return data


def test_the_page_asks_the_belief_section_in_week_4_with_both_ends_labelled(db):
    patient = patient_on_program(weeks_ago=3)  # this is week 4
    html = _signed_in(patient).get("/checkin/").content.decode()
    assert "How you see your back pain" in html
    assert "How much control do you feel you have over your back pain?" in html
    assert "0 means: No control at all. 10 means: A great deal of control." in html
    assert html.count('name="beliefs.') == 4 * 11


def test_the_page_stores_the_belief_answers_and_shows_them_again(db):
    patient = patient_on_program(weeks_ago=3)
    client = _signed_in(patient)
    response = client.post("/checkin/", _form(**{"beliefs.consequences": "8", "beliefs.personal_control": "2"}))
    assert response.status_code == 302
    stored = CheckIn.objects.get(patient=patient)
    assert (stored.belief_consequences, stored.belief_personal_control, stored.belief_concern) == (8, 2, None)
    html = client.get("/checkin/").content.decode()
    assert 'name="beliefs.consequences" value="8" id="id_beliefs.consequences_8" checked' in html


def test_a_week_the_section_is_not_due_shows_none_of_it(db):
    patient = patient_on_program(weeks_ago=2)  # week 3
    html = _signed_in(patient).get("/checkin/").content.decode()
    assert "How you see your back pain" not in html and 'name="beliefs.' not in html


def test_the_page_is_worded_in_norwegian_for_a_norwegian_patient(db):
    patient = patient_on_program(weeks_ago=3, language="nb")
    html = _signed_in(patient).get("/checkin/").content.decode()
    assert "Hvordan du ser på ryggsmerten" in html
    assert "How much" not in html


def test_the_api_gives_the_section_in_due_weeks_and_takes_the_answers(db):
    patient = patient_on_program(weeks_ago=3)
    client = patient_client(patient)
    plan = client.get("/api/v1/me/program/").json()
    assert plan["beliefs"]["version"] == beliefs.OURS
    assert [q["item"] for q in plan["beliefs"]["questions"]] == list(beliefs.ITEMS)
    body = {"odi": [2] * 10, "pain_nrs": 5, "beliefs": WORRIED}
    response = client.post("/api/v1/me/checkins/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["beliefs"] == WORRIED
    assert response.json()["beliefs_version"] == beliefs.OURS


def test_the_api_says_no_section_in_other_weeks_and_refuses_answers_there(db):
    patient = patient_on_program(weeks_ago=2)
    client = patient_client(patient)
    assert client.get("/api/v1/me/program/").json()["beliefs"] is None
    response = client.post("/api/v1/me/checkins/", {"odi": [2] * 10, "pain_nrs": 5, "beliefs": WORRIED}, format="json")
    assert response.status_code == 400
    assert "beliefs" in response.json()["fields"]
    assert not CheckIn.objects.exists()


def test_the_api_names_a_bad_belief_answer(db):
    client = patient_client(patient_on_program(weeks_ago=3))
    body = {"odi": [2] * 10, "pain_nrs": 5, "beliefs": {CONSEQUENCES: 12}}
    response = client.post("/api/v1/me/checkins/", body, format="json")
    assert response.status_code == 400
    assert "beliefs.consequences" in response.json()["fields"]


def test_staff_enter_the_intake_beliefs_through_the_staff_api(two_clinics):
    from tests.factories import staff_token

    client = Client(HTTP_AUTHORIZATION=f"Token {staff_token(two_clinics.tess)}")
    body = {"week": 0, "odi": [3] * 10, "pain_nrs": 6, "beliefs": WORRIED}
    url = f"/api/v1/patients/{two_clinics.alice.pk}/checkins/"
    response = client.post(url, json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    assert CheckIn.objects.get(patient=two_clinics.alice, week=0).beliefs == WORRIED


# --- the flag ---------------------------------------------------------------------------------------------------


def test_the_caseload_flags_the_patient_it_fits_and_not_the_others(two_clinics, client):
    intake(two_clinics.alice, two_clinics.tess, WORRIED)
    intake(two_clinics.aaron, two_clinics.theo, SETTLED)
    checkin(two_clinics.aaron, 4, 2, 5, beliefs=WORRIED)  # only the intake's answers decide
    client.force_login(two_clinics.ada)
    html = client.get(CHANGELIST + "?caseload=clinic").content.decode()
    assert html.count("beliefs to address") == 1
    assert 'Alice Anders <small>(A-100)</small> <span class="beliefs-flag">beliefs to address</span>' in html
    filtered = client.get(CHANGELIST + "?caseload=clinic&beliefs=to_address")
    assert rows(filtered) == ["Alice Anders"]


def test_the_patient_page_words_the_flag_as_a_prompt_with_the_answers_behind_it(two_clinics, client):
    intake(two_clinics.alice, two_clinics.tess, WORRIED)
    checkin(two_clinics.alice, 4, 2, 5, beliefs=SETTLED)
    client.force_login(two_clinics.tess)
    html = page_of(client, two_clinics.alice)
    assert "Beliefs to talk about:" in html
    assert "rated how much the pain affects their life 8/10 and their control over it 2/10" in html
    assert "not a risk score" in html
    assert 'id="belief-answers-table"' in html and "cft-beliefs-1" in html
    assert "Belief answers (0-10) by program week" in html  # the chart


def test_a_patient_whose_intake_does_not_fit_has_no_flag(two_clinics, client):
    intake(two_clinics.alice, two_clinics.tess, SETTLED)
    client.force_login(two_clinics.tess)
    html = page_of(client, two_clinics.alice)
    assert "Beliefs to talk about" not in html
    assert "Beliefs about the pain" in html


def test_the_patient_never_sees_the_flag(two_clinics):
    intake(two_clinics.alice, two_clinics.tess, WORRIED)
    client = _signed_in(two_clinics.alice)
    pages = [client.get(url).content.decode() for url in ("/checkin/", "/program/")]
    client.post("/checkin/", _form())
    pages.append(client.get(reverse("patients:checkin-done")).content.decode())
    for html in pages:
        assert "beliefs to address" not in html.lower() and "talk about" not in html.lower()
        assert "risk score" not in html.lower()
