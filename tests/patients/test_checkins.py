import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from outbox.models import OutboxMessage
from patients import services
from patients.models import Alert, CheckIn, CheckInVersion, EpisodeOutcome
from patients.plans import activity_quota, component_keys, episode_tasks, items_in_week, week_plan
from patients.summaries import compute_outcome, refresh_outcome, summary_of
from tests.factories import answers, checkin, make_therapist, odi, patient_on_program


@pytest.fixture
def patient(db):
    return patient_on_program(weeks_ago=6)  # current program week is 7


def test_checkin_is_scored_and_stored_exactly(patient):
    stored = checkin(patient, 1, [2, 2, 2, 2, 2, 2, 1, 1, 2, None], 6)
    stored.refresh_from_db()
    assert (stored.odi_points, stored.odi_answered) == (16, 9)
    assert stored.odi_score == Decimal("35.5556")
    assert stored.odi_shown == Decimal("35.6")
    assert stored.odi_band == "moderate"


def test_too_many_skips_store_a_null_score_never_zero(patient):
    stored = checkin(patient, 1, [1] * 7 + [None] * 3, 5)
    stored.refresh_from_db()
    assert stored.odi_score is None
    assert stored.odi_band is None


def test_week_defaults_to_the_current_program_week_in_the_patients_time_zone(patient):
    result = services.submit_checkin(patient=patient, answers=answers(odi(1), 4))
    assert result.checkin.week == 7


def test_resubmission_in_the_same_week_replaces_answers_and_keeps_history(patient):
    first = checkin(patient, 2, 3, 6)
    second = checkin(patient, 2, 1, 3, note="better")
    assert first.pk == second.pk
    assert CheckIn.objects.filter(patient=patient).count() == 1
    second.refresh_from_db()
    assert (second.pain_nrs, second.version, second.note) == (3, 2, "better")
    history = CheckInVersion.objects.get(checkin=second)
    assert history.version == 1
    assert history.answers["pain_nrs"] == 6
    assert history.answers["odi"] == [3] * 10


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"odi": [1] * 9}, "odi"),
        ({"odi": [1] * 9 + [7]}, "odi[9]"),
        ({"odi": ["x"] + [1] * 9}, "odi[0]"),
        ({"pain_nrs": 11}, "pain_nrs"),
        ({"pain_nrs": 2.5}, "pain_nrs"),
        ({"pain_nrs": "5"}, "pain_nrs"),
        ({"week": 0}, "week"),
        ({"week": 8}, "week"),
        ({"red_flags": {"rf_unknown": True}}, "red_flags"),
        ({"red_flags": {"rf_fever": "yes"}}, "red_flags.rf_fever"),
        ({"activities": [{"item": 999999, "done": 5}]}, "activities[0].item"),
        ({"coping": "lots"}, "coping"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(patient, kwargs, field):
    body = {"odi": odi(1), "pain_nrs": 4, "week": 3, **kwargs}
    week, odi_answers, nrs = body.pop("week"), body.pop("odi"), body.pop("pain_nrs")
    with pytest.raises(ValidationError) as error:
        services.submit_checkin(patient=patient, answers=answers(odi_answers, nrs, **body), week=week)
    assert field in error.value.message_dict
    assert not CheckIn.objects.exists()
    assert not Alert.objects.exists()


def test_checkin_for_a_discharged_patient_is_rejected(patient):
    services.discharge_patient(patient=patient)
    with pytest.raises(ValidationError) as error:
        services.submit_checkin(patient=patient, answers=answers(odi(1), 4), week=3)
    assert "patient" in error.value.message_dict
    assert not CheckIn.objects.exists()


def test_staff_may_enter_a_week_zero_intake_that_becomes_the_baseline(patient):
    therapist = make_therapist(patient.clinic)
    result = services.submit_checkin(patient=patient, answers=answers(odi(3), 6), week=0, by=therapist)
    assert result.checkin.entered_by == "staff"
    assert result.checkin.entered_by_user == therapist


def test_activity_done_is_stored_with_the_weeks_quota(patient):
    plan = week_plan(patient.current_episode(), 3)
    activity = plan.activities[0]
    stored = checkin(patient, 3, 1, 4, activities=[{"item": activity.item.pk, "done": "12.5"}])
    assert stored.activities == [{"item": activity.item.pk, "done": "12.5", "quota": str(activity.quota)}]


def test_a_red_flag_raises_one_urgent_alert_and_queues_its_notification(patient, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        result = services.submit_checkin(
            patient=patient, answers=answers(odi(2), 5, red_flags={"rf_saddle": True, "rf_fever": False}), week=2
        )
    assert result.red_flag_urgency == "emergency"
    alert = Alert.objects.get(kind=Alert.Kind.RED_FLAG)
    assert alert.urgent and alert.details == {"questions": ["rf_saddle"], "by_week": {"2": ["rf_saddle"]}}
    assert OutboxMessage.objects.get().kwargs == {"alert_id": alert.pk}
    assert len(callbacks) == 1
    services.submit_checkin(patient=patient, answers=answers(odi(2), 5, red_flags={"rf_saddle": True}), week=2)
    assert Alert.objects.filter(kind=Alert.Kind.RED_FLAG).count() == 1


def test_urgent_but_not_emergency_red_flag(patient):
    result = services.submit_checkin(patient=patient, answers=answers(odi(2), 5, red_flags=["rf_weight_loss"]), week=2)
    assert result.red_flag_urgency == "urgent"


# Worsening (DOMAIN.md section 4): two consecutive weekly check-ins both >= baseline + 10 ODI or + 2 NRS.
@pytest.mark.parametrize(("nrs", "fires"), [(6, False), (7, True), (8, True)])
def test_worsening_on_nrs_at_its_threshold(patient, nrs, fires):
    checkin(patient, 1, 2, 5)
    checkin(patient, 2, 2, nrs)
    checkin(patient, 3, 2, nrs)
    assert Alert.objects.filter(kind=Alert.Kind.WORSENING).exists() is fires


@pytest.mark.parametrize(("points", "fires"), [(14, False), (15, True), (16, True)])
def test_worsening_on_odi_at_its_threshold(patient, points, fires):
    # Baseline ODI 20 (10 points); follow-ups of 14, 15 or 16 points over 10 sections = ODI 28, 30, 32.
    checkin(patient, 1, 1, 5)
    answers = [2] * 5 + [1] * 5
    answers[0] += points - 15
    checkin(patient, 2, answers, 5)
    checkin(patient, 3, answers, 5)
    assert Alert.objects.filter(kind=Alert.Kind.WORSENING).exists() is fires


def test_worsening_needs_two_consecutive_weeks(patient):
    checkin(patient, 1, 2, 4)
    checkin(patient, 2, 2, 7)
    checkin(patient, 4, 2, 7)  # week 3 missed: the run is broken
    assert not Alert.objects.filter(kind=Alert.Kind.WORSENING).exists()


def test_worsening_judges_a_null_odi_week_on_nrs(patient):
    checkin(patient, 1, 2, 4)
    checkin(patient, 2, [5] * 7 + [None] * 3, 6)
    checkin(patient, 3, [5] * 7 + [None] * 3, 6)
    assert Alert.objects.filter(kind=Alert.Kind.WORSENING).exists()


@pytest.mark.parametrize(("nrs", "fires"), [(5, False), (6, True)])
def test_flare_alert_at_the_activity_flare_margin(patient, nrs, fires):
    checkin(patient, 1, 2, 4)
    checkin(patient, 2, 2, nrs)
    assert Alert.objects.filter(kind=Alert.Kind.FLARE).exists() is fires


def test_missed_alert_after_two_program_weeks_without_a_check_in(patient):
    checkin(patient, 1, 2, 4)
    checkin(patient, 4, 2, 4)
    assert services.raise_missed_checkin_alerts() == 1  # weeks 5 and 6 missed, current week 7
    assert Alert.objects.get(kind=Alert.Kind.MISSED).week == 6
    assert services.raise_missed_checkin_alerts() == 0


def test_no_missed_alert_when_one_of_the_two_weeks_has_a_check_in(patient):
    checkin(patient, 5, 2, 4)
    assert services.raise_missed_checkin_alerts() == 0


def test_acknowledging_an_alert_records_who_and_when(patient):
    therapist = make_therapist(patient.clinic)
    services.submit_checkin(patient=patient, answers=answers(odi(2), 5, red_flags=["rf_trauma"]), week=2)
    alert = Alert.objects.get()
    services.acknowledge_alert(alert=alert, by=therapist)
    assert alert.acknowledged_by == therapist and alert.acknowledged_at is not None


def test_week_plan_runs_a_fixed_number_of_queries(patient, django_assert_max_num_queries):
    episode = patient.current_episode()
    with django_assert_max_num_queries(2):
        plan = week_plan(episode, 3)
    assert plan.narratives and plan.coping and plan.activities


def test_the_plan_a_submission_reads_holds_every_field_its_rules_use(patient, django_assert_num_queries):
    # `episode_tasks` reads only `TASK_FIELDS`: the week's plan, each quota, the component keys and the flare
    # margin then cost no further query (a field left out would be read once per item).
    episode = patient.current_episode()
    with django_assert_num_queries(1):
        tasks = episode_tasks(episode)
    with django_assert_num_queries(0):
        week = items_in_week(tasks, 3, episode.week_one_starts_on())
        quotas = [activity_quota(item, 3, 5, {1: 5}) for item in week if item.kind == "activity"]
        keys = [component_keys(item) for item in week]
        margins = [(item.unit, item.flare_margin, item.quota_plan()) for item in week if item.kind == "activity"]
    assert quotas and keys and margins and {item.kind for item in week} == {"activity", "coping"}


def test_future_week_uses_the_patients_local_date(db):
    # Pacific/Kiritimati is UTC+14: its local date can be a day ahead of UTC.
    patient = patient_on_program(weeks_ago=0, time_zone="Pacific/Kiritimati")
    episode = patient.current_episode()
    assert services.current_week(patient, episode) == 1
    assert episode.program_week_on(patient.local_today() - dt.timedelta(days=1)) is None


def test_a_checkin_raising_no_alert_keeps_the_summarys_alert_figures_without_reading_the_alerts(
    patient, django_assert_num_queries
):
    checkin(patient, 1, odi(2), 5)
    checkin(patient, 2, odi(2), 5, red_flags={"rf_fever": True})
    episode = patient.current_episode()
    rows = list(CheckIn.objects.filter(episode=episode))
    with django_assert_num_queries(1) as captured:
        refresh_outcome(episode, checkins=rows, alerts_changed=False)
    assert captured.captured_queries[0]["sql"].startswith("UPDATE")

    checkin(patient, 3, odi(1), 3)
    stored = EpisodeOutcome.objects.get(episode=episode)
    assert summary_of(stored) == compute_outcome(episode)
    assert (stored.latest_week, stored.has_red_flag, stored.open_alert_count) == (3, True, 1)


def test_a_checkin_of_an_episode_with_no_summary_yet_writes_the_whole_row_alerts_included(patient):
    checkin(patient, 1, odi(2), 5, red_flags={"rf_fever": True})
    episode = patient.current_episode()
    EpisodeOutcome.objects.filter(episode=episode).delete()  # as an episode from before the summaries

    checkin(patient, 2, odi(2), 5)
    stored = EpisodeOutcome.objects.get(episode=episode)
    assert summary_of(stored) == compute_outcome(episode)
    assert (stored.latest_week, stored.has_red_flag, stored.has_open_alert) == (2, True, True)


def test_a_week_a_racing_submission_inserted_after_the_locked_read_becomes_a_new_version_of_it(patient, monkeypatch):
    checkin(patient, 1, odi(2), 5)  # the other submission: committed after this one's locked read
    locked_read = CheckIn.objects.select_for_update
    reads = []

    def read_before_the_other_commit():
        reads.append(1)
        return locked_read().exclude(week=1) if len(reads) == 1 else locked_read()

    monkeypatch.setattr(CheckIn.objects, "select_for_update", read_before_the_other_commit)
    stored = checkin(patient, 1, odi(3), 6)  # its insert fails on the constraint; done again, it updates

    assert len(reads) == 2
    assert CheckIn.objects.get(pk=stored.pk).version == 2
    assert CheckIn.objects.filter(episode=stored.episode).count() == 1
    assert [v.answers["pain_nrs"] for v in CheckInVersion.objects.filter(checkin=stored)] == [5]


def test_a_note_over_its_limit_is_refused_by_the_service_itself_and_nothing_is_stored(db):
    from patients.models import CHECKIN_NOTE_MAX_LENGTH

    patient = patient_on_program(weeks_ago=2)
    too_long = answers(odi(1), 4, note="x" * (CHECKIN_NOTE_MAX_LENGTH + 1))
    with pytest.raises(ValidationError) as refused:
        services.submit_checkin(patient=patient, answers=too_long)
    assert refused.value.message_dict["note"] == ["Keep the note to 4,000 characters or fewer (it has 4,001)."]
    assert not CheckIn.objects.filter(patient=patient).exists()
