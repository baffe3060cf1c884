from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditEvent
from patients import links
from patients.models import Alert, CheckIn, Patient
from programs.models import Narrative, Program
from programs.services import copy_program_to_clinic
from tests.api.conftest import staff_client
from tests.conftest import queries_at_sizes
from tests.factories import ClinicFactory, builtin_program, checkin, make_therapist, odi, patient_on_program

pytestmark = pytest.mark.django_db


def test_the_patient_list_holds_only_the_requesters_clinic(two_clinics):
    body = staff_client(two_clinics.tess).get("/api/v1/patients/").json()
    assert {row["id"] for row in body["results"]} == {two_clinics.alice.pk, two_clinics.aaron.pk}


def test_the_patient_list_carries_outcomes(two_clinics):
    checkin(two_clinics.alice, 1, odi(3), 7)
    checkin(two_clinics.alice, 2, odi(2), 5)
    row = staff_client(two_clinics.tess).get(f"/api/v1/patients/{two_clinics.alice.pk}/").json()
    assert row["baseline_odi"] == 60.0 and row["latest_odi"] == 40.0
    assert row["baseline_nrs"] == 7 and row["latest_nrs"] == 5


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/patients/{id}/"),
        ("patch", "/api/v1/patients/{id}/"),
        ("get", "/api/v1/patients/{id}/checkins/"),
        ("post", "/api/v1/patients/{id}/checkins/"),
        ("get", "/api/v1/patients/{id}/outcomes/"),
        ("post", "/api/v1/patients/{id}/assignments/"),
    ],
)
def test_another_clinics_patient_is_not_found(two_clinics, method, path):
    client = staff_client(two_clinics.tess)
    response = getattr(client, method)(path.format(id=two_clinics.bob.pk), {}, format="json")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": response.json()["detail"], "fields": {}}


def test_another_clinics_alerts_are_neither_listed_nor_acknowledged(two_clinics):
    checkin(two_clinics.bob, 1, odi(2), 5, red_flags={"rf_fever": True})
    alert = Alert.objects.get()
    client = staff_client(two_clinics.tess)
    assert client.get("/api/v1/alerts/").json()["count"] == 0
    assert client.post(f"/api/v1/alerts/{alert.pk}/acknowledge/").status_code == 404
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_a_therapist_acknowledges_an_alert_of_their_clinic(two_clinics):
    checkin(two_clinics.alice, 1, odi(2), 5, red_flags={"rf_fever": True})
    alert = Alert.objects.get()
    client = staff_client(two_clinics.tess)
    assert client.get("/api/v1/alerts/?open=true").json()["count"] == 1
    body = client.post(f"/api/v1/alerts/{alert.pk}/acknowledge/").json()
    assert body["acknowledged_by"] == two_clinics.tess.pk
    assert client.get("/api/v1/alerts/?open=true").json()["count"] == 0
    assert AuditEvent.objects.filter(action="alert.acknowledge").count() == 1


def test_an_alert_lists_its_weeks_and_is_acknowledged_with_a_note(two_clinics):
    checkin(two_clinics.alice, 1, odi(2), 4)
    for week in (2, 3, 4):
        checkin(two_clinics.alice, week, odi(2), 7)
    client = staff_client(two_clinics.tess)
    listed = client.get("/api/v1/alerts/?kind=worsening").json()["results"]
    assert [(a["week"], a["latest_week"], a["weeks"], a["note"]) for a in listed] == [(3, 4, [3, 4], "")]
    alert_id = listed[0]["id"]
    body = client.post(f"/api/v1/alerts/{alert_id}/acknowledge/", {"note": " Phoned; plan eased. "}, format="json")
    assert body.status_code == 200
    assert (body.json()["note"], body.json()["acknowledged_by"]) == ("Phoned; plan eased.", two_clinics.tess.pk)
    assert AuditEvent.objects.get(action="alert.acknowledge").details["note_length"] == len("Phoned; plan eased.")


@pytest.mark.parametrize(("body", "field"), [({"note": "x" * 1001}, "note"), ({"notes": "typo"}, "notes")])
def test_a_bad_acknowledgement_names_the_field_and_changes_nothing(two_clinics, body, field):
    checkin(two_clinics.alice, 1, odi(2), 5, red_flags={"rf_fever": True})
    alert = Alert.objects.get()
    response = staff_client(two_clinics.tess).post(f"/api/v1/alerts/{alert.pk}/acknowledge/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_staff_create_a_patient_in_their_clinic(two_clinics):
    payload = {"clinic": two_clinics.alpha.pk, "first_name": "Ada", "last_name": "L", "email": "ada@example.org"}
    response = staff_client(two_clinics.tess).post("/api/v1/patients/", payload, format="json")
    assert response.status_code == 201, response.json()
    assert Patient.objects.get(pk=response.json()["id"]).clinic == two_clinics.alpha
    assert AuditEvent.objects.filter(action="patient.create", patient_id=response.json()["id"]).exists()


def test_staff_cannot_create_a_patient_in_another_clinic(two_clinics):
    payload = {"clinic": two_clinics.beta.pk, "first_name": "Ada", "last_name": "L", "email": "ada@example.org"}
    response = staff_client(two_clinics.tess).post("/api/v1/patients/", payload, format="json")
    assert response.status_code == 400
    assert "clinic" in response.json()["fields"]


def test_a_bad_patient_names_each_field_and_saves_nothing(two_clinics):
    payload = {"clinic": two_clinics.alpha.pk, "first_name": "A", "last_name": "L", "email": "nope", "colour": "x"}
    response = staff_client(two_clinics.tess).post("/api/v1/patients/", payload, format="json")
    assert response.status_code == 400
    assert set(response.json()["fields"]) >= {"colour"}
    payload.pop("colour")
    response = staff_client(two_clinics.tess).post("/api/v1/patients/", payload, format="json")
    assert "email" in response.json()["fields"]
    payload["email"], payload["time_zone"] = "a@example.org", "Mars/Base"
    response = staff_client(two_clinics.tess).post("/api/v1/patients/", payload, format="json")
    assert "time_zone" in response.json()["fields"]
    assert Patient.objects.count() == 3


def test_patch_edits_details_and_discharge_revokes_links(two_clinics):
    token = links.issue_token(two_clinics.alice)
    client = staff_client(two_clinics.tess)
    url = f"/api/v1/patients/{two_clinics.alice.pk}/"
    assert client.patch(url, {"phone": "+47 912 34 567"}, format="json").json()["phone"] == "+4791234567"
    assert client.patch(url, {"status": "discharged"}, format="json").json()["status"] == "discharged"
    with pytest.raises(links.LinkError) as problem:
        links.check_checkin_token(token)
    assert problem.value.problem == links.LinkProblem.REVOKED


def test_patch_cannot_move_a_patient_to_another_clinic(two_clinics):
    client = staff_client(two_clinics.tess)
    response = client.patch(f"/api/v1/patients/{two_clinics.alice.pk}/", {"clinic": two_clinics.beta.pk}, format="json")
    assert response.status_code == 400
    assert "clinic" in response.json()["fields"]


def test_staff_enter_an_intake_at_week_zero(two_clinics):
    client = staff_client(two_clinics.tess)
    payload = {"odi": [3] * 10, "pain_nrs": 7, "week": 0}
    response = client.post(f"/api/v1/patients/{two_clinics.alice.pk}/checkins/", payload, format="json")
    assert response.status_code == 201
    stored = CheckIn.objects.get()
    assert (stored.week, stored.entered_by, stored.entered_by_user) == (0, "staff", two_clinics.tess)
    assert client.get(f"/api/v1/patients/{two_clinics.alice.pk}/checkins/").json()["count"] == 1


def test_staff_see_a_patients_outcomes(two_clinics):
    checkin(two_clinics.alice, 1, odi(3), 7)
    body = staff_client(two_clinics.tess).get(f"/api/v1/patients/{two_clinics.alice.pk}/outcomes/").json()
    assert body["baseline"]["odi_score"] == 60.0


def test_assigning_a_program_opens_an_episode_when_there_is_none(two_clinics):
    client = staff_client(two_clinics.tess)
    created = client.post(
        "/api/v1/patients/",
        {"clinic": two_clinics.alpha.pk, "first_name": "N", "last_name": "E", "email": "n@example.org"},
        format="json",
    ).json()
    payload = {"program": builtin_program().pk, "start_date": timezone.localdate().isoformat()}
    response = client.post(f"/api/v1/patients/{created['id']}/assignments/", payload, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["items"] == builtin_program().items.count()
    assert Patient.objects.get(pk=created["id"]).current_episode() is not None


def test_another_clinics_program_cannot_be_assigned(two_clinics):
    other = staff_client(two_clinics.bea).post(
        "/api/v1/programs/", {"clinic": two_clinics.beta.pk, "copy_from": builtin_program().pk}, format="json"
    )
    assert other.status_code == 201
    payload = {"program": other.json()["id"], "start_date": timezone.localdate().isoformat()}
    response = staff_client(two_clinics.tess).post(
        f"/api/v1/patients/{two_clinics.alice.pk}/assignments/", payload, format="json"
    )
    assert response.status_code == 400
    assert "program" in response.json()["fields"]


def test_programs_are_the_builtin_library_plus_the_clinics_own(two_clinics):
    staff_client(two_clinics.bea).post(
        "/api/v1/programs/", {"clinic": two_clinics.beta.pk, "copy_from": builtin_program().pk}, format="json"
    )
    client = staff_client(two_clinics.tess)
    body = client.get("/api/v1/programs/").json()
    assert all(row["builtin"] for row in body["results"])
    assert client.get("/api/v1/programs/?builtin=false").json()["count"] == 0


def test_staff_build_a_program_from_components(two_clinics):
    narrative = Narrative.objects.builtin().first()
    payload = {
        "clinic": two_clinics.alpha.pk,
        "title": "Ours",
        "weeks": 8,
        "items": [{"narrative": narrative.pk, "start_week": 1, "end_week": 2}],
    }
    response = staff_client(two_clinics.tess).post("/api/v1/programs/", payload, format="json")
    assert response.status_code == 201, response.json()
    assert [item["title"] for item in response.json()["items"]] == [narrative.title]


def test_a_bad_program_item_names_its_index_and_saves_nothing(two_clinics):
    payload = {"clinic": two_clinics.alpha.pk, "title": "Ours", "items": [{"narrative": 999999}]}
    response = staff_client(two_clinics.tess).post("/api/v1/programs/", payload, format="json")
    assert response.status_code == 400
    assert "items[0].narrative" in response.json()["fields"]
    narrative = Narrative.objects.builtin().first()
    payload["items"] = [{"narrative": narrative.pk, "start_week": 3, "end_week": 2}]
    response = staff_client(two_clinics.tess).post("/api/v1/programs/", payload, format="json")
    assert "items[0].end_week" in response.json()["fields"]
    assert not Program.objects.filter(title="Ours").exists()


def test_lists_are_paginated_and_filtered(two_clinics):
    client = staff_client(two_clinics.tess)
    body = client.get("/api/v1/patients/?page_size=1").json()
    assert body["count"] == 2 and len(body["results"]) == 1 and body["next"]
    client.patch(f"/api/v1/patients/{two_clinics.aaron.pk}/", {"status": "paused"}, format="json")
    assert [r["id"] for r in client.get("/api/v1/patients/?status=paused").json()["results"]] == [two_clinics.aaron.pk]


def test_lists_are_throttled(two_clinics, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK}
    from rest_framework.throttling import UserRateThrottle

    rates = UserRateThrottle.THROTTLE_RATES
    UserRateThrottle.THROTTLE_RATES = {**rates, "user": "2/minute"}
    try:
        client = staff_client(two_clinics.tess)
        codes = [client.get("/api/v1/alerts/").status_code for _ in range(3)]
    finally:
        UserRateThrottle.THROTTLE_RATES = rates
    assert codes == [200, 200, 429]


def test_the_openapi_schema_and_docs_are_served(db):
    assert APIClient().get("/api/schema/").status_code == 200
    assert APIClient().get("/api/docs/").status_code == 200


def test_the_openapi_schema_has_no_warnings(db, tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


@pytest.mark.parametrize("path", ["/api/v1/patients/", "/api/v1/alerts/", "/api/v1/programs/"])
def test_staff_lists_cost_the_same_queries_for_10_or_100_rows(path):
    clinic = ClinicFactory()
    therapist = make_therapist(clinic)
    client = staff_client(therapist)

    def grow(n: int) -> None:
        for _ in range(Patient.objects.filter(clinic=clinic).count(), n):
            patient = patient_on_program(clinic=clinic, therapist=therapist, weeks_ago=2)
            checkin(patient, 1, 2, 5, red_flags={"rf_fever": True})
            copy_program_to_clinic(program=builtin_program(), clinic=clinic)

    def show() -> None:
        response = client.get(path, {"page_size": 200})
        assert response.status_code == 200

    counts = queries_at_sizes(grow, show)
    assert counts[0] == counts[1], counts


@pytest.mark.parametrize(
    ("url", "name"),
    [("/api/v1/patients/", "needs_attention"), ("/api/v1/alerts/", "open")],
)
def test_a_boolean_parameter_that_is_not_true_or_false_is_refused_naming_it(two_clinics, url, name):
    from tests.api.conftest import staff_client

    client = staff_client(two_clinics.tess)
    for value in ("0.43", "maybe", "yes"):
        response = client.get(url, {name: value})
        assert response.status_code == 400, value
        assert response.json()["fields"] == {name: ["Give true or false."]}
    assert client.get(url, {name: "false"}).status_code == 200
    assert client.get(url, {name: "true"}).status_code == 200
