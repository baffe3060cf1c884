import pytest
from rest_framework.test import APIClient

from tests.factories import builtin_program, checkin, patient_on_program

URL = "/api/v1/reports/outcomes/"


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_outcome_api_gives_the_report_to_a_clinic_admin(north):
    response = _client(north.admin).get(URL)
    assert response.status_code == 200
    overall = response.json()["overall"]
    assert overall["started"] == 6
    assert overall["outcomes"]["week_12"]["odi"]["change"]["n"] == 6
    assert set(overall["outcomes"]["latest"]["nrs"]) >= {"responders_points", "responders_percent", "responders"}


def test_outcome_api_shows_groups_under_five_as_too_few(north):
    lone = patient_on_program(clinic=north.clinic, weeks_ago=3)
    checkin(lone, 1, 2, 4)
    groups = {g["label"]: g for g in _client(north.admin).get(URL).json()["by_therapist"]}
    assert groups["Unassigned"] == {"key": "none", "label": "Unassigned", "too_few": True}


def test_outcome_api_compares_two_programs_with_a_welch_interval(north):
    program_id = north.patients[0].episodes.get().assignments.get().program_id
    other = builtin_program("acute_flare").pk
    data = _client(north.admin).get(URL, {"compare": f"{program_id},{other}"}).json()["comparison"]
    assert data["a"]["started"] == 6
    assert data["b"]["too_few"] is True  # nobody on it: no difference to estimate
    assert data["difference_in_improvement"]["odi"]["difference"] is None
    assert data["difference_in_improvement"]["odi"]["method"] == "Welch"


def test_outcome_api_is_for_clinic_admins_only(north):
    assert _client(north.therapist).get(URL).status_code == 403
    assert APIClient().get(URL).status_code in (401, 403)


def test_outcome_api_refuses_another_clinic_naming_the_field(north, south):
    response = _client(north.admin).get(URL, {"clinic": south.clinic.pk})
    assert response.status_code == 400
    assert "clinic" in response.json()["fields"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2025-02-01", "end": "2025-01-01"}, "start"),
        ({"start": "yesterday"}, "start"),
        ({"compare": "1"}, "compare"),
    ],
)
def test_outcome_api_names_the_bad_parameter(north, params, field):
    response = _client(north.admin).get(URL, params)
    assert response.status_code == 400
    assert field in response.json()["fields"]
