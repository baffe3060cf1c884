from decimal import Decimal

import pytest

from patients.models import Patient
from patients.outcomes import any_responder_q, episode_outcome, responder_q, with_patient_outcomes
from tests.conftest import queries_at_sizes
from tests.factories import ClinicFactory, answers, checkin, patient_on_program


def caseload(clinic):
    return with_patient_outcomes(Patient.objects.filter(clinic=clinic)).order_by("pk")


def test_annotations_give_baseline_latest_and_change(db):
    patient = patient_on_program(weeks_ago=5)
    checkin(patient, 1, 3, 7)  # ODI 60
    checkin(patient, 2, 2, 6)
    checkin(patient, 4, [1] * 9 + [None], 3)  # ODI 20
    row = caseload(patient.clinic).get()
    assert (row.baseline_odi, row.latest_odi) == (Decimal("60"), Decimal("20"))
    assert (row.baseline_nrs, row.latest_nrs, row.latest_week) == (7, 3, 4)
    assert row.odi_change == Decimal("40") and row.nrs_change == 4


def test_caseload_outcomes_cost_the_same_queries_for_any_size(db):
    clinic = ClinicFactory()

    def grow(n: int) -> None:
        for _ in range(Patient.objects.filter(clinic=clinic).count(), n):
            patient = patient_on_program(clinic=clinic, weeks_ago=3)
            checkin(patient, 1, 3, 7)
            checkin(patient, 2, 2, 5)

    listed = []
    assert queries_at_sizes(grow, lambda: listed.append(list(caseload(clinic)))) == [1, 1]
    assert [len(rows) for rows in listed] == [10, 100]
    assert all(row.latest_week == 2 for row in listed[-1])


def answers_for(points):
    """Ten answers adding up to `points` (ODI = 2 x points)."""
    q, r = divmod(points, 10)
    return [q + 1] * r + [q] * (10 - r)


# Responder in SQL must match the rule at its thresholds (one point under, at, one over).
@pytest.mark.parametrize(("follow_up_odi", "responder"), [(72, False), (70, True), (68, True)])
def test_odi_points_responder_in_sql(db, follow_up_odi, responder):
    # Baseline ODI 80: 30 % would be 24 points, so the 10-point rule decides.
    patient = patient_on_program(weeks_ago=3)
    checkin(patient, 1, answers_for(40), 5)
    checkin(patient, 2, answers_for(follow_up_odi // 2), 5)
    assert caseload(patient.clinic).filter(responder_q("odi")).exists() is responder


@pytest.mark.parametrize(("follow_up_odi", "responder"), [(16, False), (14, True), (12, True)])
def test_odi_percent_responder_in_sql_at_thirty_percent(db, follow_up_odi, responder):
    # Baseline ODI 20: 30 % is 6 points, under the 10-point rule, so the percent rule decides.
    patient = patient_on_program(weeks_ago=3)
    checkin(patient, 1, answers_for(10), 5)
    checkin(patient, 2, answers_for(follow_up_odi // 2), 5)
    assert caseload(patient.clinic).filter(responder_q("odi")).exists() is responder


@pytest.mark.parametrize(("follow_up_nrs", "responder"), [(9, False), (8, True), (7, True)])
def test_nrs_points_responder_in_sql(db, follow_up_nrs, responder):
    patient = patient_on_program(weeks_ago=3)
    checkin(patient, 1, 2, 10)
    checkin(patient, 2, 2, follow_up_nrs)
    assert caseload(patient.clinic).filter(responder_q("nrs")).exists() is responder


def test_nrs_percent_responder_undefined_at_zero_baseline(db):
    patient = patient_on_program(weeks_ago=3)
    checkin(patient, 1, 1, 0)
    checkin(patient, 2, 1, 0)
    assert not caseload(patient.clinic).filter(responder_q("nrs")).exists()
    assert not caseload(patient.clinic).filter(any_responder_q()).exists()


def test_episode_outcome_series_changes_and_completion(db):
    patient = patient_on_program(weeks_ago=5)  # current week 6: six weeks due
    checkin(patient, 1, 3, 7)
    checkin(patient, 2, 2, 6)
    checkin(patient, 4, 1, 4)
    outcome = episode_outcome(patient.current_episode())
    assert [p.week for p in outcome.series] == [1, 2, 4]
    assert outcome.baseline.odi == Decimal("60.0") and outcome.latest.odi == Decimal("20.0")
    assert outcome.odi.improvement == 40 and outcome.odi.responder_points and outcome.odi.responder_percent
    assert outcome.nrs.improvement == 3 and outcome.nrs.responder
    assert (outcome.done, outcome.due) == (3, 6)
    assert outcome.completion == Decimal("50.0")


def test_episode_with_only_a_baseline_has_no_change(db):
    patient = patient_on_program(weeks_ago=1)
    checkin(patient, 1, 3, 7)
    outcome = episode_outcome(patient.current_episode())
    assert outcome.odi.responder is None and outcome.nrs.improvement is None


def test_needing_attention_means_an_open_alert_not_merely_no_acknowledged_one(db):
    from patients import services
    from patients.models import Alert

    quiet = patient_on_program(weeks_ago=3)
    flagged = patient_on_program(clinic=quiet.clinic, weeks_ago=3)
    services.submit_checkin(patient=flagged, answers=answers([1] * 10, 3, red_flags=["rf_trauma"]), week=1)
    assert list(Patient.objects.needing_attention()) == [flagged]
    services.acknowledge_alert(alert=Alert.objects.get(), by=None)
    assert not Patient.objects.needing_attention().exists()
