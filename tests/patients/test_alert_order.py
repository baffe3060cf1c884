"""Worsening alerts hold whatever order a patient's weeks arrive in (a late week, a correction): the alert is
the later week's of two consecutive weeks that both meet the criterion (patients/scoring.py)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patients import scoring
from patients.models import Alert
from tests.factories import checkin, odi, patient_on_program

pytestmark = pytest.mark.django_db


def worsening_weeks(patient) -> set[int]:  # type: ignore[no-untyped-def]
    """Every week the patient's worsening alerts cover: one open alert gathers the weeks, each week once."""
    alerts = Alert.objects.filter(patient=patient, kind=Alert.Kind.WORSENING)
    assert alerts.open().count() <= 1
    weeks = [week for covered in alerts.values_list("weeks", flat=True) for week in covered]
    assert len(weeks) == len(set(weeks))
    return set(weeks)


def test_a_late_week_that_completes_a_worsening_pair_raises_the_alert():
    patient = patient_on_program(weeks_ago=4)
    checkin(patient, 1, odi(3), 4)  # baseline: ODI 30, NRS 4
    checkin(patient, 3, odi(3), 6)
    assert worsening_weeks(patient) == set()
    checkin(patient, 2, odi(3), 6)  # late: weeks 2 and 3 both NRS >= baseline + 2
    assert worsening_weeks(patient) == {3}


def test_a_correction_of_the_earlier_week_raises_the_alert_of_the_later_one():
    patient = patient_on_program(weeks_ago=4)
    checkin(patient, 1, odi(2), 3)
    checkin(patient, 2, odi(2), 3)
    checkin(patient, 3, odi(2), 5)
    assert worsening_weeks(patient) == set()
    checkin(patient, 2, odi(2), 5)  # the patient corrects week 2
    assert worsening_weeks(patient) == {3}


def expected_worsening(nrs_by_week: dict[int, int], odi_answer: int) -> set[int]:
    """The pure rule on the final answers: week w alerts when w-1 and w both meet it (w-1 not the baseline)."""
    baseline = min(nrs_by_week)
    base_odi = scoring.score_odi(odi(odi_answer)).score

    def meets(week: int) -> bool:
        return scoring.meets_worsening(
            odi=base_odi, nrs=nrs_by_week[week], baseline_odi=base_odi, baseline_nrs=nrs_by_week[baseline]
        )

    return {w for w in nrs_by_week if w - 1 in nrs_by_week and w - 1 != baseline and meets(w - 1) and meets(w)}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    nrs=st.lists(st.integers(0, 10), min_size=2, max_size=7),
    order=st.randoms(use_true_random=False),
    corrections=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 10)), max_size=3),
)
def test_worsening_alerts_do_not_depend_on_the_order_weeks_arrive_in(nrs, order, corrections):
    patient = patient_on_program(weeks_ago=len(nrs) + 1)
    checkin(patient, 1, odi(2), nrs[0])  # the baseline comes first
    final = dict(enumerate(nrs, start=1))
    later = list(final)[1:]
    order.shuffle(later)
    for week in later:
        checkin(patient, week, odi(2), final[week])
    # Corrections of later weeks (a new answer replaces the old): alerts are kept once raised, so the rule is
    # checked on the answers as they stand after every submission.
    expected = expected_worsening(final, 2)
    for index, value in corrections:
        week = later[index % len(later)] if later else None
        if week is None:
            continue
        final[week] = value
        checkin(patient, week, odi(2), value)
        expected |= expected_worsening(final, 2)
    assert worsening_weeks(patient) == expected
