from __future__ import annotations

import json

import pytest
from rest_framework.renderers import JSONRenderer

from audit.models import AuditEvent
from patients import services
from patients.models import Alert, CheckIn, CheckInVersion
from patients.serializers import CheckInSubmittedSerializer
from programs import services as program_services
from programs.models import Narrative
from tests.api.conftest import patient_client
from tests.factories import ClinicFactory, PatientFactory, checkin, odi, patient_on_program, walking_activity

pytestmark = pytest.mark.django_db

GOOD = {"odi": [2, 2, 2, 2, 2, 2, 1, 1, 2, None], "pain_nrs": 6}


def test_this_weeks_plan_has_quotas_and_safe_narratives(two_clinics):
    body = patient_client(two_clinics.alice).get("/api/v1/me/program/").json()
    assert body["week"] == 5
    assert [a["title"] for a in body["activities"]] == ["Walking", "Sit to stand"]
    assert body["activities"][0]["quota"] == 20.8  # DOMAIN.md section 7: week 5 of 10 min +20 %
    assert body["narratives"][0]["body_html"].startswith("<p>")


def test_narrative_html_never_carries_script(db):
    clinic = ClinicFactory()
    narrative = program_services.create_narrative(
        clinic=clinic, title="Tricky", body="Hello <script>alert(1)</script> <img src=x onerror=alert(2)> **ok**"
    )
    program = program_services.create_program(clinic=clinic, title="P", items=[{"component": narrative}])
    patient = patient_on_program(clinic=clinic, program=program)
    html = patient_client(patient).get("/api/v1/me/program/").json()["narratives"][0]["body_html"]
    assert "<script" not in html and "onerror" not in html and "alert(1)" not in html
    assert "<strong>ok</strong>" in html
    assert Narrative.objects.filter(title="Tricky").exists()


def test_a_checkin_is_scored_and_stored_for_the_current_week(two_clinics):
    response = patient_client(two_clinics.alice).post("/api/v1/me/checkins/", GOOD, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["odi_score"] == 35.6  # DOMAIN.md section 2: 16/45, half up
    assert body["odi_band"] == "moderate"
    assert body["pain_nrs"] == 6
    assert body["week"] == 5
    assert body["odi"] == GOOD["odi"]
    assert body["red_flag_urgency"] is None
    assert CheckIn.objects.get(patient=two_clinics.alice).odi_answers == GOOD["odi"]


def test_odi_is_null_when_three_sections_are_skipped(two_clinics):
    payload = {"odi": [3, 3, 3, 3, 3, 3, 3, None, None, None], "pain_nrs": 4}
    body = patient_client(two_clinics.alice).post("/api/v1/me/checkins/", payload, format="json").json()
    assert body["odi_score"] is None
    assert body["odi_band"] is None


def test_activities_coping_red_flags_and_note_are_stored(two_clinics):
    client = patient_client(two_clinics.alice)
    plan = client.get("/api/v1/me/program/").json()
    payload = {
        **GOOD,
        "activities": [{"item": plan["activities"][0]["item"], "done": "18.5"}],
        "coping": [{"item": plan["coping"][0]["item"], "used": True, "helpful": 7}],
        "red_flags": {"rf_fever": False},
        "note": "Better on Tuesday.",
    }
    body = client.post("/api/v1/me/checkins/", payload, format="json").json()
    assert body["activities"] == [{"item": plan["activities"][0]["item"], "done": 18.5, "quota": 20.8}]
    assert body["coping"] == [{"item": plan["coping"][0]["item"], "used": True, "helpful": 7}]
    assert body["red_flags"]["rf_fever"] is False
    assert body["note"] == "Better on Tuesday."


def test_a_red_flag_answered_yes_tells_the_patient_and_alerts_the_therapist(two_clinics):
    payload = {**GOOD, "red_flags": {"rf_saddle": True}}
    body = patient_client(two_clinics.alice).post("/api/v1/me/checkins/", payload, format="json").json()
    assert body["red_flag_urgency"] == "emergency"
    assert body["red_flag_message"] == "Call emergency services or go to an emergency department now."
    assert Alert.objects.get(patient=two_clinics.alice).kind == Alert.Kind.RED_FLAG


@pytest.mark.parametrize(
    "answers",
    [
        {},
        {"odi": [3, 3, 3, 3, 3, 3, 3, None, None, None], "note": "Skipped three."},
        {"red_flags": {"rf_saddle": True, "rf_fever": True}},
        {"red_flags": {"rf_fever": True}, "with_plan": True},
        {"beliefs": {"consequences": 7, "concern": None}, "week": 4},
        {"resubmitted": True, "with_plan": True},
    ],
)
def test_the_answer_to_a_submission_is_what_its_documented_serializer_gives(two_clinics, answers):
    # The answer is built without the serializer (patients.serializers.submitted_data); the schema is the
    # serializer's, so the two must stay equal, to the JSON.
    client = patient_client(two_clinics.alice)
    answers = dict(answers)
    payload = {**GOOD, **{k: v for k, v in answers.items() if k not in ("with_plan", "resubmitted")}}
    if answers.get("with_plan"):
        plan = client.get("/api/v1/me/program/").json()
        payload["activities"] = [{"item": a["item"], "done": "18.5"} for a in plan["activities"]]
        payload["coping"] = [{"item": plan["coping"][0]["item"], "used": True, "helpful": 7}]
    if answers.get("resubmitted"):
        assert client.post("/api/v1/me/checkins/", GOOD, format="json").status_code == 201
    response = client.post("/api/v1/me/checkins/", payload, format="json")
    assert response.status_code == (200 if answers.get("resubmitted") else 201), response.json()
    stored = CheckIn.objects.get(patient=two_clinics.alice, week=payload.get("week", 5))
    result = services.CheckInResult(checkin=stored, created=response.status_code == 201, alerts=[])
    documented = JSONRenderer().render(CheckInSubmittedSerializer(stored, context={"result": result}).data)
    assert response.json() == json.loads(documented)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"odi": [2, 2, 2, 7, 2, 2, 2, 2, 2, 2]}, "odi[3]"),
        ({"odi": [2, 2]}, "odi"),
        ({"pain_nrs": 11}, "pain_nrs"),
        ({"pain_nrs": None}, "pain_nrs"),
        ({"pian_nrs": 3}, "pian_nrs"),
        ({"week": 9}, "week"),
        ({"activities": [{"item": 1, "done": -1}]}, "activities[0].done"),
        ({"activities": [{"item": 999999, "done": 5}]}, "activities[0].item"),
        ({"coping": [{"item": 999999, "used": True}]}, "coping[0].item"),
        ({"red_flags": {"rf_unknown": True}}, "red_flags.rf_unknown"),
        ({"red_flags": {"rf_fever": "perhaps"}}, "red_flags.rf_fever"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(two_clinics, change, field):
    events = AuditEvent.objects.count()
    response = patient_client(two_clinics.alice).post("/api/v1/me/checkins/", {**GOOD, **change}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["fields"], body
    assert not CheckIn.objects.exists()
    assert not Alert.objects.exists()
    assert AuditEvent.objects.count() == events + 1  # only the token issue


def test_a_second_submission_in_the_same_week_keeps_the_first_in_history(two_clinics):
    client = patient_client(two_clinics.alice)
    assert client.post("/api/v1/me/checkins/", GOOD, format="json").status_code == 201
    response = client.post("/api/v1/me/checkins/", {**GOOD, "pain_nrs": 3}, format="json")
    assert response.status_code == 200
    assert response.json()["version"] == 2
    assert CheckIn.objects.get().pain_nrs == 3
    assert CheckInVersion.objects.get().answers["pain_nrs"] == 6
    listed = client.get("/api/v1/me/checkins/").json()["results"]
    assert listed[0]["history"][0]["answers"]["pain_nrs"] == 6


def test_a_patient_sees_only_their_own_checkins_and_outcomes(two_clinics):
    checkin(two_clinics.alice, 1, odi(3), 7)
    checkin(two_clinics.aaron, 1, odi(1), 2)
    client = patient_client(two_clinics.aaron)
    listed = client.get("/api/v1/me/checkins/").json()
    assert listed["count"] == 1
    assert listed["results"][0]["pain_nrs"] == 2
    outcomes = client.get("/api/v1/me/outcomes/").json()
    assert outcomes["baseline"]["pain_nrs"] == 2
    assert [p["week"] for p in outcomes["series"]] == [1]


def test_outcomes_show_change_and_responder_flags(two_clinics):
    checkin(two_clinics.alice, 1, odi(3), 7)  # ODI 60
    checkin(two_clinics.alice, 4, odi(1), 4)  # ODI 20
    body = patient_client(two_clinics.alice).get("/api/v1/me/outcomes/").json()
    assert body["odi"]["improvement"] == 40.0
    assert body["odi"]["responder"] is True
    assert body["nrs"]["improvement"] == 3.0
    assert body["done"] == 2 and body["due"] == 5


def test_checkin_list_filters_by_week(two_clinics):
    for week in (1, 2, 3):
        checkin(two_clinics.alice, week, odi(2), 5)
    body = patient_client(two_clinics.alice).get("/api/v1/me/checkins/?week_min=2&page_size=1").json()
    assert body["count"] == 2
    assert len(body["results"]) == 1
    assert body["next"]


def test_a_patient_with_no_episode_gets_a_clear_404(db):
    patient = PatientFactory()
    response = patient_client(patient).get("/api/v1/me/program/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def _big_program(clinic, size):
    items = [{"component": walking_activity(clinic, title=f"Walk {n}")} for n in range(size)]
    return program_services.create_program(clinic=clinic, title=f"Big {size}", items=items)


def _statements(captured):
    """SQL statements, leaving out the SAVEPOINT markers the test's wrapping transaction adds."""
    return [q["sql"] for q in captured if "SAVEPOINT" not in q["sql"]]


def _post_checkin_statements(django_assert_max_num_queries, size, red_flag):
    clinic = ClinicFactory()
    patient = patient_on_program(clinic=clinic, program=_big_program(clinic, size))
    for week in (1, 2, 3):
        checkin(patient, week, odi(2), 5)
    client = patient_client(patient)
    plan = client.get("/api/v1/me/program/").json()
    payload = {
        **GOOD,
        "activities": [{"item": a["item"], "done": 10} for a in plan["activities"]],
        "red_flags": {"rf_fever": red_flag},
    }
    with django_assert_max_num_queries(20) as captured:
        response = client.post("/api/v1/me/checkins/", payload, format="json")
    assert response.status_code == 201
    return _statements(captured)


def test_one_checkin_post_costs_at_most_ten_statements_whatever_the_program_size(db, django_assert_max_num_queries):
    small = _post_checkin_statements(django_assert_max_num_queries, 1, red_flag=False)
    big = _post_checkin_statements(django_assert_max_num_queries, 30, red_flag=False)
    assert len(small) == len(big) <= 10


def test_a_red_flag_adds_only_the_alert_its_outbox_row_and_the_summarys_alert_read(db, django_assert_max_num_queries):
    plain = _post_checkin_statements(django_assert_max_num_queries, 30, red_flag=False)
    flagged = _post_checkin_statements(django_assert_max_num_queries, 30, red_flag=True)
    # The alert's lock-read and insert, the outbox insert, and the open alerts' kinds read again for the summary
    # (which a check-in raising no alert leaves as they are).
    assert len(flagged) == len(plain) + 4


def test_a_checkin_post_reads_each_thing_once(db, django_assert_max_num_queries, settings):
    # The throttle's count is not the check-in's: it is in Redis in production, and in statements of its own on the
    # embedded default's database cache.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Token with the open episode (and its week one), this week's tasks, the episode's check-ins (locked), the
    # insert, the update of its outcome summary's check-in figures (no alert raised: its alert figures stand,
    # unread), the audit row: the history is read once for the quotas, the upsert, the alert rules and the summary.
    statements = _post_checkin_statements(django_assert_max_num_queries, 30, red_flag=False)
    assert len(statements) == 6, statements


@pytest.mark.parametrize(
    ("answers", "field", "message"),
    [
        ({"activities": [{"done": 99_999_999}]}, "activities[0].done", "At most 10,080 minutes"),
        ({"activities": [{"done": 10_081}]}, "activities[0].done", "At most 10,080 minutes"),
        ({"coping": [{"used": False, "helpful": 8}]}, "coping[0].helpful", "only if you used it"),
    ],
)
def test_answers_no_clinician_would_accept_are_refused_naming_the_field(two_clinics, answers, field, message):
    client = patient_client(two_clinics.alice)
    plan = client.get("/api/v1/me/program/").json()
    payload = dict(GOOD)
    for kind, entries in answers.items():
        payload[kind] = [{"item": plan[kind][0]["item"], **entry} for entry in entries]
    response = client.post("/api/v1/me/checkins/", payload, format="json")
    assert response.status_code == 400
    assert message in " ".join(response.json()["fields"][field]), response.json()
    assert not CheckIn.objects.exists()


def test_a_full_week_of_minutes_is_accepted(two_clinics):
    client = patient_client(two_clinics.alice)
    plan = client.get("/api/v1/me/program/").json()
    payload = {**GOOD, "activities": [{"item": plan["activities"][0]["item"], "done": 7 * 24 * 60}]}
    assert client.post("/api/v1/me/checkins/", payload, format="json").status_code == 201


def test_a_week_with_three_sections_skipped_says_why_it_has_no_score(two_clinics):
    payload = {**GOOD, "odi": [2, None, 2, None, 2, 2, 2, None, 2, 2]}
    body = patient_client(two_clinics.alice).post("/api/v1/me/checkins/", payload, format="json").json()
    assert body["odi_score"] is None
    assert body["odi_not_scored_reason"].startswith("Your disability score was not worked out this week: 3 of the 10")
    two_skipped = {**GOOD, "odi": [2, None, 2, None, 2, 2, 2, 2, 2, 2]}
    body = patient_client(two_clinics.alice).post("/api/v1/me/checkins/", two_skipped, format="json").json()
    assert body["odi_score"] is not None and body["odi_not_scored_reason"] is None


def test_me_gives_the_patients_language_and_clinic_numbers(two_clinics):
    clinic = two_clinics.alice.clinic
    clinic.phone, clinic.emergency_number = "+47 22 11 22 33", "113"
    clinic.save()
    body = patient_client(two_clinics.alice).get("/api/v1/me/").json()
    assert body == {
        "first_name": two_clinics.alice.first_name,
        "language": "en-gb",
        "clinic": {"name": clinic.name, "phone": "+4722112233", "emergency_number": "113"},  # E.164
    }


def test_the_patient_changes_their_language_through_the_api(two_clinics):
    response = patient_client(two_clinics.alice).patch("/api/v1/me/", {"language": "nb"}, format="json")
    assert response.status_code == 200 and response.json()["language"] == "nb"
    two_clinics.alice.refresh_from_db()
    assert two_clinics.alice.language == "nb"
    assert AuditEvent.objects.filter(action="patient.update", patient_id=two_clinics.alice.pk).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [({"language": "sv"}, "language"), ({"first_name": "Eve"}, "first_name"), ({"language": None}, "language")],
)
def test_a_bad_change_names_the_field_and_changes_nothing(two_clinics, body, field):
    response = patient_client(two_clinics.alice).patch("/api/v1/me/", body, format="json")
    assert response.status_code == 400 and list(response.json()["fields"]) == [field]
    two_clinics.alice.refresh_from_db()
    assert (two_clinics.alice.language, two_clinics.alice.first_name) != ("sv", "Eve")
    assert two_clinics.alice.language == "en-gb"


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"done": 5}, "activities[0].item"),
        ({"item": True, "done": 5}, "activities[0].item"),
        ({"done": True}, "activities[0].done"),
        ({"done": "12.25"}, "activities[0].done"),
        ({"done": "lots"}, "activities[0].done"),
        ({"done": 5, "minutes": 5}, "activities[0].minutes"),
    ],
)
def test_each_activity_answer_is_checked_naming_it(two_clinics, entry, field):
    client = patient_client(two_clinics.alice)
    item = client.get("/api/v1/me/program/").json()["activities"][0]["item"]
    # An entry without an item is sent as it is; the others about this week's first activity.
    given = entry if field == "activities[0].item" else {"item": item, **entry}
    body = {**GOOD, "activities": [given]}
    response = client.post("/api/v1/me/checkins/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"], response.json()
    assert not CheckIn.objects.exists()


def test_an_activity_item_id_given_as_digits_is_read_as_the_number(two_clinics):
    client = patient_client(two_clinics.alice)
    item = client.get("/api/v1/me/program/").json()["activities"][0]["item"]
    response = client.post(
        "/api/v1/me/checkins/", {**GOOD, "activities": [{"item": str(item), "done": "12.5"}]}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["activities"][0]["done"] == 12.5
