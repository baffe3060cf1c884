"""The adherence rule (patients/adherence.py, docs/clinical-rules.md, adherence), on plain values."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from patients import adherence
from patients.adherence import Adherence, CopingUse, PlannedActivity, Reported, adherence_weeks

D = Decimal
WALK = PlannedActivity(1, "Walking", "minutes", 1, None)
STAND = PlannedActivity(2, "Sit to stand", "repetitions", 2, 3)


def flat_target(value: str):  # type: ignore[no-untyped-def]
    return lambda activity, week: D(value)


def test_weeks_due_are_the_weeks_passed_and_any_week_checked_in():
    assert adherence.weeks_due(5, {2}) == [1, 2, 3, 4]
    assert adherence.weeks_due(5, {5}) == [1, 2, 3, 4, 5]
    assert adherence.weeks_due(1, set()) == []
    assert adherence.weeks_due(None, {0}) == []  # a week-0 intake has no activities


@pytest.mark.parametrize(
    ("target", "done", "checked_in", "met"),
    [
        ("14", "14", True, True),
        ("14", "13.9", True, False),
        ("14", None, True, False),  # not reported counts as 0
        ("0", None, True, True),  # a week asking nothing is met once checked in
        ("0", None, False, False),  # and not met when the week went by without a check-in
        ("10", "30", False, False),
    ],
)
def test_an_activity_week_is_met_when_a_check_in_reports_the_target_done(target, done, checked_in, met):
    assert adherence.is_met(D(target), None if done is None else D(done), checked_in=checked_in) is met


@pytest.mark.parametrize(
    ("met", "due", "band"),
    [
        (0, 0, "no_data"),
        (0, 3, "under_50"),
        (49, 100, "under_50"),
        (1, 2, "50_80"),  # exactly 50 % is in the middle band
        (79, 100, "50_80"),
        (4, 5, "80_plus"),  # exactly 80 %
        (3, 3, "80_plus"),
    ],
)
def test_bands_are_decided_on_the_exact_share(met, due, band):
    assert adherence.adherence_band(met, due) == band
    assert Adherence(met, due).band == band


def test_the_share_is_exact_and_shown_as_a_whole_percent_rounded_half_up():
    assert Adherence(2, 3).ratio == Fraction(2, 3)
    assert Adherence(2, 3).percent == 67
    assert Adherence(1, 8).percent == 13  # 12.5
    assert Adherence(5, 8).percent == 63  # 62.5
    assert Adherence(0, 0).ratio is None and Adherence(0, 0).percent is None
    assert Adherence(0, 0).band_label == "no data"


def test_missed_weeks_count_as_due_and_not_met():
    reports = {1: Reported({1: (D("10"), D("10.0"))}), 3: Reported({1: (D("20"), D("14.4")), 2: (D("5"), D("12"))})}
    weeks = adherence_weeks([WALK, STAND], reports, 5, flat_target("12"))
    assert [w.week for w in weeks] == [1, 2, 3, 4]
    table = [(a.week, a.title, a.target, a.done, a.met) for w in weeks for a in w.activities]
    assert table == [
        (1, "Walking", D("10"), D("10"), True),
        (2, "Walking", D("12"), None, False),  # week 2 missed
        (2, "Sit to stand", D("12"), None, False),
        (3, "Walking", D("14"), D("20"), True),  # 14.4 minutes is a target of 14
        (3, "Sit to stand", D("12"), D("5"), False),
        (4, "Walking", D("12"), None, False),  # sit to stand ended in week 3
    ]
    assert adherence.summarise(weeks) == Adherence(met=2, due=6)


def test_a_checked_in_week_uses_the_quota_it_recorded_even_after_the_plan_was_tailored():
    # The plan now asks 30 a week; week 1 recorded the 10 the patient was asked then.
    weeks = adherence_weeks([WALK], {1: Reported({1: (D("10"), D("10"))})}, 2, flat_target("30"))
    assert [(a.target, a.met) for a in weeks[0].activities] == [(D("10"), True)]


def test_a_week_with_a_zero_target_is_met_when_checked_in():
    weeks = adherence_weeks([WALK], {1: Reported({})}, 3, flat_target("0"))
    assert [(a.week, a.target, a.met) for w in weeks for a in w.activities] == [(1, D("0"), True), (2, D("0"), False)]


def test_no_activities_means_nothing_due_but_the_coping_answers_are_kept():
    coping = [CopingUse(7, "Relaxed breathing", True, 8)]
    weeks = adherence_weeks([], {1: Reported({}, coping)}, 3, flat_target("10"))
    assert [w.week for w in weeks] == [1, 2]
    assert weeks[0].coping == coping and weeks[1].coping == []
    assert adherence.summarise(weeks) == Adherence(0, 0)
    assert adherence.summarise(weeks).band == "no_data"


def test_the_stored_met_count_of_a_check_in():
    assert adherence.met_in_checkin({1: D("14"), 2: D("12"), 3: D("0")}, {1: D("14"), 2: D("11")}) == 2
