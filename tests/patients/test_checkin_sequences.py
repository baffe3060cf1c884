"""Random check-in sequences, in any order and with corrections (the baseline week too), give the alerts,
responders and bands of the pure rules in `patients/scoring.py` on every path (docs/clinical-rules.md).

Alerts are kept once raised, so the expected alerts are the pure rule's on the answers as they stood after
each submission; responders and bands are the pure rule's on the final baseline (earliest week) and latest."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from patients import scoring
from patients.models import Alert
from programs.quotas import DEFAULT_FLARE_MARGIN, is_flare
from tests.factories import ClinicFactory, checkin, make_therapist, patient_on_program
from tests.patients.test_responder_paths import answers, decided, expected

pytestmark = pytest.mark.django_db


def rule_alerts(state: dict[int, tuple[list, int]]) -> set[tuple[str, int]]:
    """The pure rules on one state {week: (ODI answers, NRS)}: worsening in the later of two consecutive weeks
    after the baseline that both meet the criterion; a flare in any week after it with NRS >= baseline + 2."""
    baseline_week = min(state)
    base_odi, base_nrs = scoring.score_odi(state[baseline_week][0]).score, state[baseline_week][1]

    def meets(week: int) -> bool:
        odi, nrs = state[week]
        return scoring.meets_worsening(
            odi=scoring.score_odi(odi).score, nrs=nrs, baseline_odi=base_odi, baseline_nrs=base_nrs
        )

    later = [w for w in state if w > baseline_week]
    worsening = {("worsening", w) for w in later if w - 1 in later and meets(w - 1) and meets(w)}
    flare = {("flare", w) for w in later if is_flare(state[w][1], base_nrs, DEFAULT_FLARE_MARGIN)}
    return worsening | flare


def raised(patient) -> set[tuple[str, int]]:  # type: ignore[no-untyped-def]
    kinds = (Alert.Kind.WORSENING, Alert.Kind.FLARE)
    alerts = Alert.objects.filter(patient=patient, kind__in=kinds)
    assert alerts.count() <= 2  # never acknowledged here: one alert per kind gathers its weeks
    return {(kind, week) for kind, weeks in alerts.values_list("kind", "weeks") for week in weeks}


weeks_answers = st.lists(st.tuples(answers(), st.integers(0, 10)), min_size=2, max_size=6)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    weeks=weeks_answers,
    order=st.randoms(use_true_random=False),
    corrections=st.lists(st.tuples(st.integers(0, 5), answers(), st.integers(0, 10)), max_size=3),
)
@example(  # the baseline arrives last: weeks 2 and 3 worsen against it
    weeks=[([1] * 10, 2), ([2] * 10, 5), ([2] * 10, 5)], order=None, corrections=[]
)
def test_alerts_responders_and_bands_follow_the_pure_rules_whatever_the_order(weeks, order, corrections):
    clinic = ClinicFactory()
    therapist = make_therapist(clinic)
    patient = patient_on_program(clinic=clinic, therapist=therapist, weeks_ago=len(weeks) + 1)
    final = dict(enumerate(weeks, start=1))
    arrival = list(final)
    if order is None:
        arrival = arrival[1:] + arrival[:1]
    else:
        order.shuffle(arrival)
    state: dict[int, tuple[list, int]] = {}
    alerts: set[tuple[str, int]] = set()

    def submit(week: int, odi: list, nrs: int) -> None:
        state[week] = (odi, nrs)
        checkin(patient, week, odi, nrs)
        alerts.update(rule_alerts(state))

    for week in arrival:
        submit(week, *final[week])
    for index, odi, nrs in corrections:
        week = arrival[index % len(arrival)]
        submit(week, odi, nrs)
    assert raised(patient) == alerts
    baseline, latest = state[min(state)], state[max(state)]
    assert decided(patient, therapist) == expected(baseline[0], latest[0], (baseline[1], latest[1]))
