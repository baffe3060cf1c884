"""Changing a patient's program: the current assignment ends from a date (kept as history) unless the new one is
added alongside; a week's plan has only the assignments of that week, each component once, in the service, the
check-in page and the API; weeks already checked in keep the plan they were answered with."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from rest_framework.test import APIClient

from audit.models import AuditEvent
from patients import links, services
from patients.models import RED_FLAGS, Alert, Assignment, CheckIn, Patient
from patients.plans import week_plan
from programs.models import Program
from programs.services import copy_program_to_clinic
from tests.factories import answers, builtin_program, checkin, odi, patient_on_program

pytestmark = pytest.mark.django_db

PERSISTENT, RETURN_TO_WORK = Program.Kind.PERSISTENT, Program.Kind.RETURN_TO_WORK


def week_starts(patient: Patient, week: int) -> dt.date:
    first = patient.current_episode().week_one_starts_on()
    return first + dt.timedelta(weeks=week - 1)


def change(patient: Patient, kind: str, on: dt.date, *, alongside: bool = False) -> Assignment:
    return services.assign_program_to_patient(
        patient=patient, program=builtin_program(kind), start_date=on, alongside=alongside
    )


def plan_titles(patient: Patient, week: int) -> tuple[list[str], list[str]]:
    plan = week_plan(patient.current_episode(), week)
    return [quota.item.title for quota in plan.activities], [item.title for item in plan.coping]


@pytest.fixture
def patient(db) -> Patient:
    """On the persistent-pain program (Walking, Sit to stand; Relaxed breathing, bending, Flare-up plan) since
    four weeks: this is week 5."""
    return patient_on_program(weeks_ago=4, program=builtin_program(PERSISTENT))


def test_changing_the_program_ends_the_current_one_on_the_date_and_keeps_it(patient):
    old = Assignment.objects.get(episode__patient=patient)
    today = patient.local_today()
    new = change(patient, RETURN_TO_WORK, today)
    old.refresh_from_db()
    assert old.ended_on == today and new.ended_on is None
    assert list(Assignment.objects.filter(episode__patient=patient).order_by("start_date")) == [old, new]
    ended = AuditEvent.objects.get(action="assignment.end")
    assert ended.patient_id == patient.pk and ended.details == {"ended_on": today.isoformat(), "replaced_by": new.pk}


def test_after_a_change_the_week_asks_each_question_of_the_new_program_once(patient):
    change(patient, RETURN_TO_WORK, week_starts(patient, 5))
    activities, coping = plan_titles(patient, 5)
    assert activities == ["Time at work tasks", "Walking"]
    assert coping == ["Pacing your day", "Flare-up plan"]


def test_without_a_change_two_programs_alongside_share_walking_once(patient):
    change(patient, RETURN_TO_WORK, week_starts(patient, 5), alongside=True)
    assert not Assignment.objects.filter(episode__patient=patient, ended_on__isnull=False).exists()
    activities, coping = plan_titles(patient, 5)
    assert activities == ["Walking", "Sit to stand", "Time at work tasks"]
    assert coping == ["Relaxed breathing", "Relaxed bending", "Flare-up plan", "Pacing your day"]


def test_a_shared_activity_keeps_the_earlier_programs_quota_rising(patient):
    change(patient, RETURN_TO_WORK, week_starts(patient, 5), alongside=True)
    walking = week_plan(patient.current_episode(), 5).activities[0]
    assert walking.item.assignment.program.kind == PERSISTENT
    assert walking.quota == Decimal("20.8")  # 10 min +20 % a week, in week 5 (docs/clinical-rules.md)


def test_the_same_title_from_a_clinics_copy_of_the_library_is_asked_once(patient):
    copy = copy_program_to_clinic(program=builtin_program(PERSISTENT), clinic=patient.clinic)
    services.assign_program_to_patient(
        patient=patient, program=copy, start_date=week_starts(patient, 5), alongside=True
    )
    activities, coping = plan_titles(patient, 5)
    assert activities == ["Walking", "Sit to stand"]
    assert coping == ["Relaxed breathing", "Relaxed bending", "Flare-up plan"]


def test_a_change_counts_from_the_program_week_holding_its_date(patient):
    midweek = week_starts(patient, 4) + dt.timedelta(days=3)
    old = Assignment.objects.get(episode__patient=patient)
    new = change(patient, RETURN_TO_WORK, midweek)
    old.refresh_from_db()
    week_one = patient.current_episode().week_one_starts_on()
    assert old.program_weeks(week_one) == (1, 3)
    assert new.program_weeks(week_one) == (4, None)
    assert plan_titles(patient, 3)[0] == ["Walking", "Sit to stand"]
    assert plan_titles(patient, 4)[0] == ["Time at work tasks", "Walking"]


def test_a_program_replaced_on_its_own_start_day_is_in_no_week(patient):
    today = patient.local_today()
    first = change(patient, RETURN_TO_WORK, today)
    change(patient, Program.Kind.ACUTE_FLARE, today)
    first.refresh_from_db()
    assert first.ended_on == today
    assert first.program_weeks(patient.current_episode().week_one_starts_on()) is None
    assert plan_titles(patient, 5)[0] == ["Walking"]


def test_a_change_cannot_reach_a_week_already_checked_in_and_saves_nothing(patient):
    checkin(patient, 5, 2, 4)
    with pytest.raises(ValidationError) as error:
        change(patient, RETURN_TO_WORK, patient.local_today())
    message = error.value.message_dict["start_date"][0]
    assert "Week 5 already has a check-in" in message and week_starts(patient, 6).isoformat() in message
    assert Assignment.objects.filter(episode__patient=patient).count() == 1
    assert not Assignment.objects.filter(ended_on__isnull=False).exists()
    change(patient, RETURN_TO_WORK, week_starts(patient, 6))  # the next week is open


def test_an_assignment_starting_later_than_the_change_is_named(patient):
    later = change(patient, RETURN_TO_WORK, week_starts(patient, 7), alongside=True)
    with pytest.raises(ValidationError) as error:
        change(patient, Program.Kind.ACUTE_FLARE, week_starts(patient, 6))
    assert later.start_date.isoformat() in error.value.message_dict["start_date"][0]
    assert Assignment.objects.filter(episode__patient=patient).count() == 2


def test_a_past_weeks_checkin_is_judged_against_the_items_of_that_week(patient):
    change(patient, RETURN_TO_WORK, week_starts(patient, 4))
    old_items = {i.title: i for i in Assignment.objects.get(ended_on__isnull=False).items.all()}
    checkin(patient, 1, 2, 3)
    week_two = services.submit_checkin(
        patient=patient,
        week=2,
        answers=answers(odi(2), 6, activities=[{"item": old_items["Sit to stand"].pk, "done": Decimal("12")}]),
    ).checkin
    assert week_two.activities == [{"item": old_items["Sit to stand"].pk, "done": "12", "quota": "10"}]
    flare = Alert.objects.get(patient=patient, kind=Alert.Kind.FLARE, week=2)
    assert flare.details == {"item": old_items["Walking"].pk}  # the flare rule of week 2's own Walking
    with pytest.raises(ValidationError) as error:
        services.submit_checkin(
            patient=patient,
            week=5,
            answers=answers(odi(2), 3, activities=[{"item": old_items["Sit to stand"].pk, "done": Decimal("12")}]),
        )
    assert error.value.message_dict == {"activities[0].item": ["Not an activity of this week's plan."]}
    assert not CheckIn.objects.filter(patient=patient, week=5).exists()


def test_a_corrected_baseline_judges_each_later_week_against_its_own_programs_flare_rule(patient):
    change(patient, RETURN_TO_WORK, week_starts(patient, 3))
    old, new = Assignment.objects.get(ended_on__isnull=False), Assignment.objects.get(ended_on__isnull=True)
    old.items.filter(kind="activity").update(flare_margin=2)
    new.items.filter(kind="activity").update(flare_margin=5)
    checkin(patient, 1, 2, 3)
    checkin(patient, 2, 2, 4)  # under the first program: 4 < 3 + 2, no flare
    checkin(patient, 4, 2, 6)  # under the replacement: 6 < 3 + 5, no flare (the first program's 2 would flare)
    assert not Alert.objects.filter(patient=patient, kind=Alert.Kind.FLARE).exists()
    checkin(patient, 1, 2, 3, note="corrected")  # the baseline again: every later week is judged again
    assert not Alert.objects.filter(patient=patient, kind=Alert.Kind.FLARE).exists()
    checkin(patient, 1, 2, 2)  # a lower baseline: week 2 now flares by its own program's margin (4 >= 2 + 2)
    flare = Alert.objects.get(patient=patient, kind=Alert.Kind.FLARE)
    assert flare.weeks == [2]


def test_an_activity_asked_once_cannot_be_answered_through_its_hidden_twin(patient):
    new = change(patient, RETURN_TO_WORK, week_starts(patient, 5), alongside=True)
    hidden = new.items.get(title="Walking")
    with pytest.raises(ValidationError) as error:
        services.submit_checkin(
            patient=patient, answers=answers(odi(2), 3, activities=[{"item": hidden.pk, "done": Decimal("20")}])
        )
    assert error.value.message_dict == {"activities[0].item": ["Not an activity of this week's plan."]}


def _signed_in(patient: Patient) -> Client:
    client = Client()
    assert client.post(f"/checkin/{links.issue_token(patient)}/").status_code == 302
    return client


@pytest.mark.parametrize("alongside", [False, True], ids=["replaced", "alongside"])
def test_the_checkin_page_asks_each_question_once(patient, alongside):
    change(patient, RETURN_TO_WORK, week_starts(patient, 5), alongside=alongside)
    html = _signed_in(patient).get("/checkin/").content.decode()
    assert html.count("Walking: how many minutes did you do this week?") == 1
    assert html.count("Did you use “Flare-up plan” this week?") == 1
    assert ("Sit to stand: how many" in html) is alongside


def test_the_checkin_page_saves_the_answers_of_the_plan_it_shows(patient):
    change(patient, RETURN_TO_WORK, week_starts(patient, 5))
    data = {f"odi[{i}]": "2" for i in range(10)} | {"pain_nrs": "3"}
    data |= {f"red_flags.{key}": "no" for key in RED_FLAGS}
    data |= {"activities[0].done": "31", "activities[1].done": "9"}
    response = _signed_in(patient).post("/checkin/", data)
    assert response.status_code == 302, response.content.decode()
    new_items = {i.title: i.pk for i in Assignment.objects.get(ended_on__isnull=True).items.all()}
    done = {entry["item"]: entry["done"] for entry in CheckIn.objects.get(patient=patient, week=5).activities}
    assert done == {new_items["Time at work tasks"]: "31", new_items["Walking"]: "9"}


def test_the_api_plan_lists_each_item_once(patient):
    change(patient, RETURN_TO_WORK, week_starts(patient, 5), alongside=True)
    key, _ = services.issue_patient_token(patient=patient)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    body = client.get("/api/v1/me/program/").json()
    assert [a["title"] for a in body["activities"]] == ["Walking", "Sit to stand", "Time at work tasks"]
    titles = [c["title"] for c in body["coping"]]
    assert len(titles) == len(set(titles)) == 4


def test_a_program_given_in_week_5_starts_its_own_week_1_there(patient):
    change(patient, RETURN_TO_WORK, week_starts(patient, 5))
    plan = week_plan(patient.current_episode(), 5)
    assert [item.title for item in plan.narratives] == ["Hurt does not mean harm"]  # its weeks 1-3: here 5-7
    walking = next(quota for quota in plan.activities if quota.item.title == "Walking")
    assert (walking.item.start_week, walking.quota) == (5, Decimal("10.0"))  # its baseline, not week 5's 20.8
    later = week_plan(patient.current_episode(), 8)
    assert [item.title for item in later.narratives] == ["Getting back to work"]


def test_the_patients_data_export_shows_when_a_program_ended(patient):
    from patients.privacy import export_patient_data

    today = patient.local_today()
    change(patient, RETURN_TO_WORK, today)
    assignments = export_patient_data(patient)["episodes"][0]["assignments"]
    assert [(a["start_date"], a["ended_on"]) for a in assignments] == [
        (week_starts(patient, 1).isoformat(), today.isoformat()),
        (today.isoformat(), None),
    ]
