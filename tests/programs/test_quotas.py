from decimal import Decimal as D

import pytest

from programs.quotas import QuotaPlan, quota_in_week, quota_schedule, validate_plan

WALKING = QuotaPlan(baseline=D("10"), increase_kind="percent", increase=D("20"), goal=D("30"), unit="minutes")


def test_worked_example_without_a_flare():
    """DOMAIN.md section 7: 10 min, +20 % a week, goal 30."""
    expected = ["10.0", "12.0", "14.4", "17.3", "20.8", "25.0", "30.0", "30.0"]
    assert quota_schedule(WALKING, 8) == [D(x) for x in expected]


def test_worked_example_with_a_flare_in_week_3_holds_week_4():
    expected = ["10.0", "12.0", "14.4", "14.4", "17.3", "20.8", "25.0", "30.0"]
    assert quota_schedule(WALKING, 8, baseline_nrs=5, nrs_by_week={3: 7}) == [D(x) for x in expected]


@pytest.mark.parametrize(("nrs", "flare"), [(6, False), (7, True), (8, True)])
def test_flare_rule_at_its_threshold(nrs, flare):
    week4 = quota_schedule(WALKING, 4, baseline_nrs=5, nrs_by_week={3: nrs})[3]
    assert week4 == (D("14.4") if flare else D("17.3"))


def test_compounds_on_the_stored_rounded_quota():
    # Compounding unrounded values would reach 29.9 in week 7.
    plan = QuotaPlan(baseline=D("10"), increase_kind="percent", increase=D("20"), goal=D("100"), unit="minutes")
    assert quota_schedule(plan, 7)[6] == D("30.0")


def test_repetitions_round_to_whole_units():
    plan = QuotaPlan(baseline=D("10"), increase_kind="percent", increase=D("20"), goal=D("30"), unit="repetitions")
    assert quota_schedule(plan, 8) == [D(x) for x in [10, 12, 14, 17, 20, 24, 29, 30]]


def test_whole_unit_rounding_that_gives_no_rise_adds_one_unit():
    plan = QuotaPlan(baseline=D("3"), increase_kind="percent", increase=D("10"), goal=D("10"), unit="steps")
    assert quota_schedule(plan, 4) == [D(3), D(4), D(5), D(6)]


def test_absolute_increase_is_capped_at_the_goal():
    plan = QuotaPlan(baseline=D("30"), increase_kind="absolute", increase=D("15"), goal=D("60"), unit="minutes")
    assert quota_schedule(plan, 4) == [D("30.0"), D("45.0"), D("60.0"), D("60.0")]


def test_missed_check_in_is_not_a_flare():
    assert quota_schedule(WALKING, 4, baseline_nrs=5, nrs_by_week={}) == quota_schedule(WALKING, 4)


def test_step_back_response_returns_to_the_previous_level_and_never_below_it():
    plan = QuotaPlan(**{**WALKING.__dict__, "flare_response": "step_back"})
    assert quota_schedule(plan, 5, baseline_nrs=5, nrs_by_week={3: 7}) == [
        D("10.0"), D("12.0"), D("14.4"), D("12.0"), D("14.4"),
    ]  # fmt: skip


def test_same_inputs_give_the_same_plan():
    args = {"baseline_nrs": 4, "nrs_by_week": {2: 6, 5: 7}}
    assert quota_schedule(WALKING, 12, **args) == quota_schedule(WALKING, 12, **args)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"goal": D("5")}, "goal"),
        ({"increase": D("-1")}, "increase"),
        ({"baseline": D("0")}, "baseline"),
        ({"flare_margin": 0}, "flare_margin"),
        ({"increase_kind": "weekly"}, "increase_kind"),
    ],
)
def test_invalid_plans_name_the_field(changes, field):
    assert field in validate_plan(QuotaPlan(**{**WALKING.__dict__, **changes}))


def test_an_activity_starting_later_counts_its_quota_and_flares_from_its_own_week_one():
    assert quota_in_week(WALKING, 3, start_week=3) == D("10.0")
    assert quota_in_week(WALKING, 5, start_week=3) == D("14.4")
    assert quota_in_week(WALKING, 5, start_week=3, baseline_nrs=4, nrs_by_week={4: 6}) == D("12.0")
