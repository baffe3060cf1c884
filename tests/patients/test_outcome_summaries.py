"""The stored outcome summary (`EpisodeOutcome`) equals the one computed from the check-ins and alerts after any
sequence of what changes them: new weeks, resubmissions and corrections (the baseline's too), late weeks, red
flags, missed check-ins, acknowledgements and discharge; and it holds the figures of `patients.outcomes`'s
correlated subqueries (baseline, latest, change, responder by `any_responder_q`, open alerts) exactly. The rebuild
command reproduces the rows written one by one."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.db.models import BooleanField, Case, Value, When
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from patients import services
from patients.models import Alert, Assignment, Episode, EpisodeOutcome, Patient
from patients.outcomes import any_responder_q, with_episode_outcomes
from patients.summaries import compute_outcome, rebuild_outcomes, summarise, summary_of
from tests.factories import ClinicFactory, checkin, make_therapist, odi, patient_on_program
from tests.patients.test_responder_paths import answers

pytestmark = pytest.mark.django_db

WEEKS_AGO = 6  # the current program week is 7

SUBQUERY_FIELDS = (
    "baseline_odi", "baseline_odi_points", "baseline_odi_answered", "baseline_nrs",
    "latest_odi", "latest_odi_points", "latest_odi_answered", "latest_nrs", "latest_week",
    "last_checkin_at", "odi_change", "nrs_change", "has_open_alert", "has_red_flag", "has_worsening", "has_missed",
)  # fmt: skip


def from_subqueries(episode: Episode) -> dict[str, Any]:
    """What `patients.outcomes` computes of the episode today, with `any_responder_q` as the caseload decides it."""
    row = (
        with_episode_outcomes(Episode.objects.filter(pk=episode.pk))
        .annotate(
            any_responder=Case(
                When(any_responder_q(), then=Value(True)), default=Value(False), output_field=BooleanField()
            )
        )
        .values(*SUBQUERY_FIELDS, "any_responder")
        .get()
    )
    if row["odi_change"] is not None:
        # SQLite subtracts two decimals as floats (-0.666699999999999); the column holds four places.
        row["odi_change"] = row["odi_change"].quantize(Decimal("0.0001"))
    return row


def assert_summary_is_current(episode: Episode) -> None:
    episode.refresh_from_db()
    stored = EpisodeOutcome.objects.filter(episode=episode).first()
    if stored is None:  # made by a factory, and nothing has happened to it yet: readers join it as empty
        assert compute_outcome(episode) == summarise([], [])
        return
    assert summary_of(stored) == compute_outcome(episode)
    assert stored.patient_id == episode.patient_id
    expected = from_subqueries(episode)
    assert {name: getattr(stored, name) for name in expected} == expected


submission = st.tuples(
    st.just("submit"),
    st.integers(0, WEEKS_AGO + 1),  # week 0 (an intake, by staff) to the current week
    answers(),
    st.integers(0, 10),
    st.booleans(),  # a red flag answered yes
)
step = st.one_of(
    submission,
    submission,
    submission,
    st.tuples(st.just("acknowledge")),
    st.tuples(st.just("missed")),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=1, max_size=8), discharge=st.booleans())
@example(  # a late baseline, then a correction of it that makes the later weeks worse, then acknowledged
    steps=[
        ("submit", 3, [2] * 10, 3, False),
        ("submit", 4, [4] * 10, 6, False),
        ("submit", 1, [2] * 10, 3, False),
        ("submit", 5, [4] * 10, 6, True),
        ("submit", 1, [0] * 10, 0, False),
        ("acknowledge",),
    ],
    discharge=True,
)
@example(  # 15 of 45 points (33.3333) then 17 of 50 (34.0000): SQLite's change is -0.666699999999999
    steps=[("submit", 1, [3, 3, 3, 3, 3, 0, 0, 0, 0, None], 0, False), ("submit", 2, [2] * 8 + [1, 0], 0, False)],
    discharge=False,
)
def test_the_stored_summary_is_the_one_computed_from_the_check_ins_after_any_sequence(steps, discharge):
    clinic = ClinicFactory()
    therapist = make_therapist(clinic)
    patient = patient_on_program(clinic=clinic, therapist=therapist, weeks_ago=WEEKS_AGO)
    episode = patient.current_episode()
    assert episode is not None
    for action, *args in steps:
        if action == "submit":
            week, odi_answers, nrs, red_flag = args
            flags = {"rf_fever": True} if red_flag else None
            checkin(patient, week, odi_answers, nrs, by=therapist if week == 0 else None, red_flags=flags)
        elif action == "acknowledge":
            open_alerts = Alert.objects.filter(episode=episode, acknowledged_at__isnull=True)
            if open_alerts.exists():
                services.acknowledge_alerts(alerts=open_alerts, by=therapist, note="Called")
        else:
            services.raise_missed_checkin_alerts()
        assert_summary_is_current(episode)
    if discharge:
        services.discharge_patient(patient=patient, by=therapist)
        assert_summary_is_current(episode)
        stored = EpisodeOutcome.objects.get(episode=episode)
        assert stored.ended_on is not None
        assert stored.is_current  # the discharged patient's last episode: still the caseload's row


def test_a_new_episode_has_an_empty_open_summary():
    patient = patient_on_program()
    services.discharge_patient(patient=patient)
    patient.status = Patient.Status.ACTIVE
    patient.save(update_fields=["status"])
    episode = services.open_episode(patient=patient, started_on=patient.local_today())
    assert summary_of(EpisodeOutcome.objects.get(episode=episode)) == summarise([], [])
    current = EpisodeOutcome.objects.filter(patient=patient, is_current=True)
    assert list(current.values_list("episode_id", flat=True)) == [episode.pk]  # the new one, not the last


def test_a_summary_rolls_back_with_a_rejected_submission():
    patient = patient_on_program(weeks_ago=2)
    checkin(patient, 1, 2, 4)
    before = summary_of(EpisodeOutcome.objects.get(patient=patient))
    with pytest.raises(ValidationError):
        checkin(patient, 2, 2, 4, activities=[{"item": 0, "done": "1"}])
    assert summary_of(EpisodeOutcome.objects.get(patient=patient)) == before


def test_the_responder_and_worsening_flags_follow_the_pure_rules():
    patient = patient_on_program(weeks_ago=3)
    checkin(patient, 1, odi(3), 6)  # ODI 60
    checkin(patient, 2, odi(1), 5)  # ODI 20: 40 points better, NRS 1 better (below MCID)
    row = EpisodeOutcome.objects.get(patient=patient)
    assert (row.odi_responder, row.nrs_responder, row.any_responder, row.worsening) == (True, False, True, False)
    checkin(patient, 3, odi(4), 8)  # ODI 80: worse by 20 points and NRS by 2
    row.refresh_from_db()
    assert (row.odi_responder, row.nrs_responder, row.any_responder, row.worsening) == (False, False, False, True)
    assert (row.odi_change, row.nrs_change, row.latest_week, row.weeks_checked_in) == (-20, -2, 3, 3)


def test_follow_ups_are_the_check_ins_of_weeks_4_8_and_12_after_the_baseline():
    patient = patient_on_program(weeks_ago=8)
    for week, answer in ((1, 3), (4, 2), (9, 1)):
        checkin(patient, week, odi(answer), 5)
    row = EpisodeOutcome.objects.get(patient=patient)
    assert (row.week_4_odi_points, row.week_4_odi_answered, row.week_4_nrs) == (20, 10, 5)
    assert (row.week_8_odi_points, row.week_12_nrs) == (None, None)


def test_the_rebuild_command_reproduces_the_rows_written_one_by_one():
    clinic = ClinicFactory()
    therapist = make_therapist(clinic)
    now = timezone.now()
    for n in range(4):
        patient = patient_on_program(clinic=clinic, therapist=therapist, weeks_ago=5)
        for week in range(1, 2 + n):
            checkin(patient, week, odi(min(5, n + week)), min(10, 2 * week), red_flags={"rf_fever": n == 2})
        if n == 3:
            services.discharge_patient(patient=patient, by=therapist)
    other = patient_on_program(weeks_ago=5)  # another clinic's
    checkin(other, 1, 3, 5)
    services.raise_missed_checkin_alerts(now + dt.timedelta(weeks=3))
    written = {row.pk: summary_of(row) for row in EpisodeOutcome.objects.all()}
    assert len(written) == Episode.objects.count() == 5

    EpisodeOutcome.objects.update(latest_odi=None, any_responder=True, open_alert_count=9)
    EpisodeOutcome.objects.filter(patient=other).delete()
    call_command("rebuild_outcome_summaries", batch_size=2, stdout=_Null())
    assert {row.pk: summary_of(row) for row in EpisodeOutcome.objects.all()} == written

    call_command("rebuild_outcome_summaries", batch_size=2, stdout=_Null())  # idempotent
    assert {row.pk: summary_of(row) for row in EpisodeOutcome.objects.all()} == written


def test_the_rebuild_of_one_clinic_leaves_the_others_alone():
    first, second = patient_on_program(weeks_ago=3), patient_on_program(weeks_ago=3)
    for patient in (first, second):
        checkin(patient, 1, 3, 5)
        checkin(patient, 2, 2, 4)
    EpisodeOutcome.objects.update(latest_nrs=None)
    call_command("rebuild_outcome_summaries", clinic=first.clinic.slug, stdout=_Null())
    assert EpisodeOutcome.objects.get(patient=first).latest_nrs == 4
    assert EpisodeOutcome.objects.get(patient=second).latest_nrs is None


def test_the_rebuild_reads_in_batches_not_per_episode(django_assert_max_num_queries):
    for _ in range(6):
        patient = patient_on_program(weeks_ago=3)
        checkin(patient, 1, 3, 5)
    EpisodeOutcome.objects.all().delete()
    # The episodes, then per batch of 3: a savepoint pair, the check-ins, the alerts, the assignments, the patients'
    # episodes (which one is each patient's current) and one upsert.
    with django_assert_max_num_queries(1 + 2 * 7):
        assert rebuild_outcomes(batch_size=3) == 6
    assert EpisodeOutcome.objects.count() == 6


class _Null:
    def write(self, text: str) -> None:
        pass

    def flush(self) -> None:
        pass


def test_the_summary_keeps_the_first_assignment_through_program_changes_check_ins_and_the_rebuild():
    from programs.models import Program
    from tests.factories import EpisodeFactory, PatientFactory, builtin_program

    patient = PatientFactory()
    today = patient.local_today()
    episode = EpisodeFactory(patient=patient, started_on=today - dt.timedelta(weeks=6))
    persistent, acute = builtin_program(), builtin_program(Program.Kind.ACUTE_FLARE)

    def first() -> int | None:
        return EpisodeOutcome.objects.get(episode=episode).first_assignment_id

    later = services.assign_program(episode=episode, program=persistent, start_date=today - dt.timedelta(weeks=2))
    assert first() == later.pk
    # Added alongside from an earlier date (nothing checked in yet): that one is now the first.
    earlier = services.assign_program(
        episode=episode, program=acute, start_date=today - dt.timedelta(weeks=4), alongside=True
    )
    assert first() == earlier.pk
    checkin(patient, 1, 3, 5)  # a check-in's refresh leaves it as it is
    assert first() == earlier.pk
    services.assign_program(episode=episode, program=persistent, start_date=today)  # a change of program
    assert first() == earlier.pk
    EpisodeOutcome.objects.update(first_assignment=None)
    rebuild_outcomes()
    assert first() == earlier.pk


# --- The report's keys --------------------------------------------------------------------------------------


def keys_from_the_rows(episode: Episode) -> dict[str, Any]:
    """What the report's keys must say of the episode as its rows stand: the patient's clinic, primary therapist
    and time zone, week one as `Episode.objects.with_week_one` finds it, the program of the first assignment,
    and the date a report's range reads (week one, else the episode's start)."""
    row = Episode.objects.with_week_one().select_related("patient").get(pk=episode.pk)
    first = Assignment.objects.filter(episode=episode).order_by("start_date", "pk").first()
    return {
        "clinic_id": row.patient.clinic_id,
        "therapist_id": row.patient.primary_therapist_id,
        "time_zone": row.patient.time_zone,
        "first_assignment_id": first.pk if first else None,
        "program_id": first.program_id if first else None,
        "week_one": row.week_one,
        "starts_on": row.week_one or row.started_on,
        "ended_on": row.ended_on,
    }


def stored_keys(episode: Episode) -> dict[str, Any]:
    stored = EpisodeOutcome.objects.get(episode=episode)
    return {name: getattr(stored, name) for name in keys_from_the_rows(episode)}


key_step = st.one_of(
    st.tuples(st.just("therapist"), st.integers(0, 2)),  # the first or second therapist, or none
    st.tuples(st.just("time_zone"), st.sampled_from(["Europe/Oslo", "America/New_York", "Pacific/Auckland"])),
    st.tuples(st.just("assign"), st.integers(0, 6), st.booleans(), st.booleans()),  # weeks ago, alongside, acute
    st.tuples(st.just("submit"), st.integers(1, 7)),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(key_step, min_size=1, max_size=8), discharge=st.booleans())
def test_the_report_keys_follow_the_patient_the_assignments_and_the_discharge(steps, discharge):
    from programs.models import Program
    from tests.factories import builtin_program

    clinic = ClinicFactory()
    therapists = [make_therapist(clinic), make_therapist(clinic), None]
    patient = patient_on_program(clinic=clinic, therapist=therapists[0], weeks_ago=WEEKS_AGO)
    episode = patient.current_episode()
    assert episode is not None
    today = patient.local_today()
    for action, *args in steps:
        try:
            if action == "therapist":
                services.update_patient(patient=patient, primary_therapist=therapists[args[0]])
            elif action == "time_zone":
                services.update_patient(patient=patient, time_zone=args[0])
            elif action == "assign":
                weeks_ago, alongside, acute = args
                program = builtin_program(Program.Kind.ACUTE_FLARE if acute else Program.Kind.PERSISTENT)
                start = max(today - dt.timedelta(weeks=weeks_ago), episode.started_on)
                services.assign_program(episode=episode, program=program, start_date=start, alongside=alongside)
            else:
                checkin(patient, args[0], 3, 5)
        except ValidationError:
            pass  # refused (a week already checked in, say): nothing changed, the keys neither
        assert stored_keys(episode) == keys_from_the_rows(episode)
    if discharge:
        services.discharge_patient(patient=patient, by=therapists[0])
        assert stored_keys(episode) == keys_from_the_rows(episode)
    expected = {row.pk: stored_keys(row) for row in Episode.objects.all()}
    rebuild_outcomes()
    assert {row.pk: stored_keys(row) for row in Episode.objects.all()} == expected


def test_a_summary_written_first_by_a_check_in_has_its_report_keys():
    """An episode whose summary was never written (a bulk load, a row from before the summaries) gets its keys
    with the first one, even from a check-in, which otherwise writes only its figures."""
    patient = patient_on_program(time_zone="Europe/Oslo", weeks_ago=2)
    episode = patient.current_episode()
    assert episode is not None
    EpisodeOutcome.objects.filter(episode=episode).delete()
    checkin(patient, 1, 3, 5)
    assert stored_keys(episode) == keys_from_the_rows(episode)
    assert stored_keys(episode)["clinic_id"] == patient.clinic_id
    assert summary_of(EpisodeOutcome.objects.get(episode=episode)) == compute_outcome(episode)


def test_a_change_of_therapist_is_one_update_of_the_patients_summaries():
    clinic = ClinicFactory()
    first, second = make_therapist(clinic), make_therapist(clinic)
    patient = patient_on_program(clinic=clinic, therapist=first)
    services.discharge_patient(patient=patient, by=first)
    Patient.objects.filter(pk=patient.pk).update(status=Patient.Status.ACTIVE)
    patient.refresh_from_db()
    services.open_episode(patient=patient, started_on=patient.local_today())

    def summaries_written(**changes: Any) -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            services.update_patient(patient=patient, **changes)
        return [q["sql"] for q in queries.captured_queries if "patients_episodeoutcome" in q["sql"]]

    written = summaries_written(primary_therapist=second)
    assert len(written) == 1 and written[0].startswith("UPDATE")
    assert set(EpisodeOutcome.objects.filter(patient=patient).values_list("therapist_id", flat=True)) == {second.pk}
    assert summaries_written(first_name="Ada") == []  # not a key: the summaries are left alone


def test_the_summary_holds_each_belief_items_change_from_intake_as_the_check_ins_give_it():
    therapist = make_therapist(ClinicFactory())
    patient = patient_on_program(clinic=therapist.memberships.first().clinic, therapist=therapist, weeks_ago=9)
    episode = patient.current_episode()
    assert episode is not None
    intake = {"consequences": 8, "personal_control": 2, "treatment_control": 5, "concern": 7}
    checkin(patient, 0, 3, 6, by=therapist, beliefs=intake)
    assert EpisodeOutcome.objects.get(episode=episode).belief_consequences_change is None  # no later answers yet
    checkin(patient, 4, 3, 5, beliefs={**intake, "consequences": 6, "concern": None})
    checkin(patient, 5, 2, 5)  # no belief section: the week-4 answers stay the latest
    row = EpisodeOutcome.objects.get(episode=episode)
    assert (row.belief_consequences_change, row.belief_personal_control_change, row.belief_concern_change) == (
        -2,
        0,
        None,
    )
    checkin(patient, 8, 2, 4, beliefs={**intake, "personal_control": 6})
    row = EpisodeOutcome.objects.get(episode=episode)
    assert (row.belief_consequences_change, row.belief_personal_control_change, row.belief_concern_change) == (0, 4, 0)
    assert summary_of(row) == compute_outcome(episode)
