"""Adherence read from the database: the patient page's weeks (`episode_adherence`) and the caseload's SQL
counts (`with_adherence`) give the same numbers as the pure rule, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import contextlib
import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import DateField, F, Value
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from patients import adherence
from patients.adherence_queries import day_number, day_number_of, episode_adherence, with_adherence
from patients.models import AssignmentItem, CheckIn, Episode, Patient
from patients.outcomes import with_current_outcome
from patients.services import assign_program, current_week, tailor_item
from programs.models import Program
from tests.factories import EpisodeFactory, PatientFactory, checkin, patient_meeting_some_quotas, patient_on_program

pytestmark = pytest.mark.django_db
D = Decimal


def items_of(patient: Patient) -> dict[str, AssignmentItem]:
    return {
        item.title: item
        for item in AssignmentItem.objects.filter(assignment__episode__patient=patient).exclude(kind="narrative")
    }


def page_numbers(patient: Patient, now: dt.datetime | None = None) -> adherence.Adherence:
    episode = patient.current_episode()
    return adherence.summarise(episode_adherence(episode, current_week(patient, episode, now)))


def sql_numbers(patient: Patient, now: dt.datetime | None = None) -> tuple[int, int, str]:
    patients = with_current_outcome(Patient.objects.filter(pk=patient.pk))
    row = with_adherence(patients, now=now).annotate(band=F("adherence_band")).get()
    return row.adherence_met, row.adherence_due, row.band


seeded = patient_meeting_some_quotas


def test_weeks_met_and_missed_on_the_patient_page():
    patient = seeded()
    episode = patient.current_episode()
    weeks = episode_adherence(episode, current_week(patient, episode))
    table = [(a.week, a.title, a.target, a.done, a.met) for w in weeks for a in w.activities]
    assert table == [
        (1, "Walking", D("10"), D("10"), True),
        (2, "Walking", D("12"), D("11"), False),
        (2, "Sit to stand", D("10"), D("10"), True),
        (3, "Walking", D("14"), None, False),
        (3, "Sit to stand", D("12"), None, False),
        (4, "Walking", D("17"), D("17"), True),
        (4, "Sit to stand", D("14"), None, False),
    ]
    assert page_numbers(patient) == adherence.Adherence(met=3, due=7)


def test_the_caseload_sql_agrees_with_the_page():
    patient = seeded()
    assert sql_numbers(patient) == (3, 7, "under_50")
    assert CheckIn.objects.get(patient=patient, week=2).activities_met == 1


def test_this_weeks_check_in_makes_this_week_due():
    patient = seeded()
    walk = items_of(patient)["Walking"].pk
    checkin(patient, 5, 2, 5, activities=[{"item": walk, "done": "21"}])  # 17.3 x 1.2 = 20.8: target 21
    assert page_numbers(patient) == adherence.Adherence(met=4, due=9)
    assert sql_numbers(patient) == (4, 9, "under_50")


def test_a_resubmission_replaces_the_weeks_met_count():
    patient = seeded()
    items = items_of(patient)
    checkin(
        patient,
        4,
        2,
        5,
        activities=[{"item": items["Walking"].pk, "done": "17"}, {"item": items["Sit to stand"].pk, "done": "14"}],
    )
    assert sql_numbers(patient) == (4, 7, "50_80")
    assert page_numbers(patient) == adherence.Adherence(4, 7)


def test_a_tailored_quota_applies_to_weeks_not_yet_checked_in():
    patient = patient_on_program(weeks_ago=2)
    walk = items_of(patient)["Walking"]
    checkin(patient, 1, 2, 5, activities=[{"item": walk.pk, "done": "10"}])
    tailor_item(item=walk, baseline=Decimal("5"))  # week 1 keeps the 10 it recorded; week 2 now asks 6
    episode = patient.current_episode()
    weeks = episode_adherence(episode, current_week(patient, episode))
    assert [(a.week, a.target, a.met) for w in weeks for a in w.activities if a.title == "Walking"] == [
        (1, D("10"), True),
        (2, D("6"), False),
    ]


def test_no_program_or_not_started_is_no_data():
    nobody = PatientFactory()
    EpisodeFactory(patient=nobody)
    later = patient_on_program(weeks_ago=0)
    assert sql_numbers(nobody) == (0, 0, "no_data")
    assert sql_numbers(later) == (0, 0, "no_data")  # week 1 has not passed and is not checked in
    assert page_numbers(later) == adherence.Adherence(0, 0)


def test_an_activity_that_ended_stops_being_due():
    # Its weeks can change only where no check-in was answered with them (docs/clinical-rules.md, program
    # changes): a fresh patient, walking ended after week 2, seen in week 5 with nothing checked in.
    patient = patient_on_program(weeks_ago=4)
    tailor_item(item=items_of(patient)["Walking"], end_week=2)
    # Weeks 1-4 passed: walking in weeks 1-2, sit to stand in weeks 2-4, none met.
    assert page_numbers(patient) == adherence.Adherence(0, 5)
    assert sql_numbers(patient) == (0, 5, "under_50")


def test_a_replaced_programs_activities_stop_being_due_from_the_change():
    patient = seeded()  # week 5 now, 3 of 7 activity-weeks met in weeks 1-4
    episode = patient.current_episode()
    talk_only = Program.objects.create(clinic=patient.clinic, title="Talk only", weeks=12)
    assign_program(episode=episode, program=talk_only, start_date=patient.local_today())
    two_weeks_on = timezone.now() + dt.timedelta(weeks=2)  # weeks 5 and 6 passed under the new program
    assert page_numbers(patient, two_weeks_on) == adherence.Adherence(3, 7)
    assert sql_numbers(patient, two_weeks_on) == (3, 7, "under_50")
    # Added alongside instead, the first program's activities stay due.
    other = seeded()
    talk_too = Program.objects.create(clinic=other.clinic, title="Talk only", weeks=12)
    assign_program(episode=other.current_episode(), program=talk_too, start_date=other.local_today(), alongside=True)
    assert page_numbers(other, two_weeks_on) == adherence.Adherence(3, 11)
    assert sql_numbers(other, two_weeks_on) == (3, 11, "under_50")


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/Oslo"])
def test_the_program_week_is_the_patients_own_in_sql_too(zone):
    # Just before and just after a week turns in the patient's time zone.
    patient = seeded(time_zone=zone)
    week_one = patient.current_episode().week_one_starts_on()
    turn = dt.datetime.combine(week_one + dt.timedelta(weeks=5), dt.time(0, 0), zoneinfo.ZoneInfo(zone))
    for now, due in ((turn - dt.timedelta(minutes=1), 7), (turn + dt.timedelta(minutes=1), 9)):
        assert page_numbers(patient, now).due == due
        assert sql_numbers(patient, now)[1] == due


def test_day_numbers_count_days_in_sql_as_in_python():
    origin = dt.date(2000, 1, 1)
    leap_edges = [(1999, 12, 31), (2000, 2, 28), (2000, 2, 29), (2000, 3, 1), (2100, 2, 28), (2100, 3, 1)]
    days = [dt.date(*ymd) for ymd in [*leap_edges, (2024, 12, 31), (2025, 1, 1)]] + [timezone.localdate()]
    for day in days:
        assert day_number_of(day) - day_number_of(origin) == (day - origin).days
    patient = PatientFactory()
    for day in days:
        EpisodeFactory(patient=patient, started_on=day)
    rows = Episode.objects.filter(patient=patient).annotate(n=day_number("started_on")).values_list("started_on", "n")
    assert {day: n for day, n in rows} == {day: day_number_of(day) for day in days}


def test_a_day_number_of_a_date_parameter_repeats_it_wherever_its_sql_names_it():
    day = dt.date(2024, 2, 29)
    row = Episode.objects.annotate(n=day_number(Value(day, output_field=DateField()))).values_list("n", flat=True)
    EpisodeFactory(started_on=day)
    assert list(row) == [day_number_of(day)]


def test_the_migration_fills_in_the_met_counts_of_stored_check_ins():
    import importlib

    from django.apps import apps

    migration = importlib.import_module("patients.migrations.0011_checkin_activities_met")
    patient = seeded()
    stored = dict(CheckIn.objects.filter(patient=patient).values_list("week", "activities_met"))
    CheckIn.objects.filter(patient=patient).update(activities_met=0)
    migration.fill_activities_met(apps, None)
    assert dict(CheckIn.objects.filter(patient=patient).values_list("week", "activities_met")) == stored
    assert stored == {1: 1, 2: 1, 4: 1}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    weeks_ago=st.integers(-1, 6),  # -1: week one starts next week
    walking_ends=st.one_of(st.none(), st.integers(1, 6)),
    reports=st.dictionaries(st.integers(1, 7), st.sampled_from(["0", "9", "12", "17", "30"]), max_size=5),
    replaced=st.booleans(),
    days_on=st.integers(0, 24),
)
@example(weeks_ago=4, walking_ends=2, reports={1: "9", 5: "0"}, replaced=False, days_on=0)  # this week, walking over
@example(weeks_ago=-1, walking_ends=None, reports={}, replaced=False, days_on=3)  # before week one
def test_the_caseload_sql_counts_what_the_page_counts_for_any_plan(weeks_ago, walking_ends, reports, replaced, days_on):
    # Any start (before week one too), an activity's end week, check-ins of any passed weeks with the walking
    # done, a program replaced today, seen today or some days on: the SQL counts and band are the page's.
    patient = patient_on_program(weeks_ago=weeks_ago)
    if walking_ends is not None:
        tailor_item(item=items_of(patient)["Walking"], end_week=walking_ends)
    walk = items_of(patient)["Walking"].pk
    for week, done in sorted(reports.items()):
        if week <= weeks_ago + 1:  # a week begun
            activities = [{"item": walk, "done": done}] if walking_ends is None or week <= walking_ends else []
            checkin(patient, week, 2, 5, activities=activities)
    if replaced and weeks_ago >= 0:
        talk_only = Program.objects.create(clinic=patient.clinic, title="Talk only", weeks=12)
        with contextlib.suppress(ValidationError):  # refused when this week is checked in already
            assign_program(episode=patient.current_episode(), program=talk_only, start_date=patient.local_today())
    when = timezone.now() + dt.timedelta(days=days_on)
    expected = page_numbers(patient, when)
    assert sql_numbers(patient, when) == (expected.met, expected.due, expected.band)
