import datetime as dt

import pytest
from django.utils import timezone
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
    assert groups["Unassigned"] == {"key": "none", "label": "Unassigned", "no_data": False, "too_few": True}


def test_outcome_api_compares_two_programs_with_a_welch_interval(north):
    program_id = north.patients[0].episodes.get().assignments.get().program_id
    other = builtin_program("acute_flare").pk
    data = _client(north.admin).get(URL, {"compare": f"{program_id},{other}"}).json()["comparison"]
    assert data["a"]["started"] == 6
    assert (data["b"]["no_data"], data["b"]["too_few"], data["b"]["started"]) == (True, False, 0)  # nobody on it
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


def test_the_default_report_keeps_episodes_started_over_a_year_ago_with_their_12_month_follow_up(north):
    veteran = patient_on_program(clinic=north.clinic, therapist=north.therapist, weeks_ago=60)
    checkin(veteran, 1, 3, 7)
    checkin(veteran, 52, 1, 2)
    data = _client(north.admin).get(URL).json()
    assert data["start"] is None  # every episode, as the page says
    assert data["overall"]["started"] == 7
    assert data["overall"]["with_follow_up"]["latest"] == 7
    since = (timezone.localdate() - dt.timedelta(days=200)).isoformat()
    narrowed = _client(north.admin).get(URL, {"start": since}).json()
    assert (narrowed["start"], narrowed["overall"]["started"]) == (since, 6)


def test_a_group_with_nobody_is_no_data_not_too_few(north):
    other = builtin_program("acute_flare").pk
    data = _client(north.admin).get(URL, {"program": other}).json()
    assert data["overall"]["no_data"] is True and data["overall"]["too_few"] is False


def test_each_responder_rule_has_its_own_denominator_on_the_page(north, client):
    calm = patient_on_program(clinic=north.clinic, therapist=north.therapist, weeks_ago=3)
    checkin(calm, 1, 2, 0)  # NRS baseline 0: the percent rule cannot apply
    checkin(calm, 2, 1, 0)
    client.force_login(north.admin)
    page = client.get("/reports/").content.decode()
    # NRS: points and either over 7 patients, percent over the 6 with a baseline above 0.
    assert "of 7 / " in page and " of 6 / " in page
