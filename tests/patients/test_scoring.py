from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from patients import scoring
from patients.scoring import (
    ScoringError,
    change_from_baseline,
    meets_worsening,
    odi_band,
    one_decimal,
    score_odi,
    validate_nrs,
)

# DOMAIN.md section 2: the worked examples.
WORKED = [
    ([0] * 10, Fraction(0), Decimal("0.0"), "minimal"),
    ([5] * 10, Fraction(100), Decimal("100.0"), "extreme"),
    ([2, 2, 2, 2, 2, 2, 1, 1, 1, 1], Fraction(32), Decimal("32.0"), "moderate"),
    ([2, 2, 2, 2, 2, 2, 1, 1, 2, None], Fraction(320, 9), Decimal("35.6"), "moderate"),
    ([3] * 8 + [None, None], Fraction(60), Decimal("60.0"), "severe"),
]


@pytest.mark.parametrize(("answers", "exact", "shown", "band"), WORKED)
def test_odi_reproduces_the_worked_examples(answers, exact, shown, band):
    result = score_odi(answers)
    assert result.score == exact
    assert result.shown == shown
    assert result.band == band


def test_one_skipped_section_divides_by_45():
    result = score_odi([2, 2, 2, 2, 2, 2, 1, 1, 2, None])
    assert (result.points, result.answered) == (16, 9)
    assert result.score == Fraction(16 * 100, 45)


@pytest.mark.parametrize("skipped", [0, 1, 2])
def test_odi_is_scored_with_up_to_two_skipped_sections(skipped):
    result = score_odi([1] * (10 - skipped) + [None] * skipped)
    assert result.score == 20


@pytest.mark.parametrize("skipped", range(3, 11))
def test_odi_is_null_when_three_or_more_sections_are_skipped(skipped):
    result = score_odi([5] * (10 - skipped) + [None] * skipped)
    assert result.score is None
    assert result.shown is None
    assert result.band is None


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (Fraction(20), "minimal"),
        (Fraction(205, 10), "moderate"),
        (Fraction(40), "moderate"),
        (Fraction(42), "severe"),
        (Fraction(60), "severe"),
        (Fraction(6025, 100), "very_severe"),
        (Fraction(80), "very_severe"),
        (Fraction(8000001, 100000), "extreme"),
        (Fraction(100), "extreme"),
        (Fraction(0), "minimal"),
    ],
)
def test_band_boundaries_use_the_exact_value(score, band):
    assert odi_band(score) == band


def test_band_of_20_point_something_is_moderate_even_if_it_shows_as_20_0():
    # 20.02 shows as 20.0 but is above 20 exactly: the band follows the exact value.
    assert one_decimal(Fraction(2002, 100)) == Decimal("20.0")
    assert odi_band(Fraction(2002, 100)) == "moderate"


def test_rounding_is_half_up_not_bankers():
    assert one_decimal(Fraction(25, 100)) == Decimal("0.3")
    assert one_decimal(Fraction(45, 1000)) == Decimal("0.0")
    assert one_decimal(Fraction(2225, 100)) == Decimal("22.3")  # round() on floats would give 22.2


def test_two_ninths_scores_round_half_up_to_one_decimal():
    assert score_odi([2] + [1] * 8 + [None]).shown == Decimal("22.2")  # 200/9 = 22.22...
    assert score_odi([4, 4, 4] + [3] * 6 + [None]).shown == Decimal("66.7")  # 600/9 = 66.66...


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ([1] * 9, "odi"),
        ([1] * 11, "odi"),
        ("1111111111", "odi"),
        ([1] * 9 + [6], "odi[9]"),
        ([-1] + [1] * 9, "odi[0]"),
        ([1.5] + [1] * 9, "odi[0]"),
        (["2"] + [1] * 9, "odi[0]"),
        ([True] + [1] * 9, "odi[0]"),
    ],
)
def test_bad_odi_answers_name_the_field(answers, field):
    with pytest.raises(ScoringError) as error:
        score_odi(answers)
    assert error.value.field == field


@pytest.mark.parametrize("value", [-1, 11, 2.5, "3", None, True])
def test_nrs_must_be_a_whole_number_0_to_10(value):
    with pytest.raises(ScoringError) as error:
        validate_nrs(value)
    assert error.value.field == "pain_nrs"


@pytest.mark.parametrize("value", [0, 10])
def test_nrs_accepts_the_ends_of_the_scale(value):
    assert validate_nrs(value) == value


answers_strategy = st.lists(st.one_of(st.none(), st.integers(0, 5)), min_size=10, max_size=10)


@given(answers_strategy)
def test_odi_score_always_lies_in_0_to_100(answers):
    score = score_odi(answers).score
    assert score is None or 0 <= score <= 100


@given(answers_strategy, st.integers(0, 9))
def test_odi_score_is_monotone_in_every_answer(answers, index):
    if answers[index] is None or answers[index] == 5:
        return
    raised = list(answers)
    raised[index] += 1
    before, after = score_odi(answers).score, score_odi(raised).score
    assert before is None or after > before


@given(answers_strategy, st.permutations(range(10)))
def test_odi_score_does_not_depend_on_the_order_answers_are_given(answers, order):
    # The score depends only on the multiset of answers, so any order of saving sections gives the same score.
    shuffled = [answers[i] for i in order]
    assert score_odi(shuffled).score == score_odi(answers).score


# DOMAIN.md section 4: responders at the exact thresholds (one point under, at, one point over).
@pytest.mark.parametrize(("follow_up", "expected"), [(41, False), (40, True), (39, True)])
def test_odi_absolute_responder_at_ten_points(follow_up, expected):
    assert change_from_baseline(50, follow_up, 10).responder_points is expected


@pytest.mark.parametrize(("follow_up", "expected"), [(5, False), (4, True), (3, True)])
def test_nrs_absolute_responder_at_two_points(follow_up, expected):
    assert change_from_baseline(6, follow_up, 2).responder_points is expected


@pytest.mark.parametrize(("follow_up", "expected"), [(15, False), (14, True), (13, True)])
def test_percent_responder_at_thirty_percent(follow_up, expected):
    # baseline 20: 30 % is an improvement of 6 points, below the absolute rule of 10.
    change = change_from_baseline(20, follow_up, 10)
    assert change.responder_percent is expected
    assert change.responder_points is False
    assert change.responder is expected


def test_percent_responder_is_null_when_baseline_is_zero():
    change = change_from_baseline(0, 0, 2)
    assert change.percent is None
    assert change.responder_percent is None
    assert change.responder_points is False
    assert change.responder is False


def test_null_score_makes_the_flags_null():
    change = change_from_baseline(None, 30, 10)
    assert (change.responder_points, change.responder_percent, change.responder) == (None, None, None)


@pytest.mark.parametrize(("odi_value", "expected"), [(39, False), (40, True), (41, True)])
def test_worsening_criterion_on_odi(odi_value, expected):
    assert meets_worsening(odi=Fraction(odi_value), nrs=5, baseline_odi=Fraction(30), baseline_nrs=5) is expected


@pytest.mark.parametrize(("nrs", "expected"), [(6, False), (7, True), (8, True)])
def test_worsening_criterion_on_nrs(nrs, expected):
    assert meets_worsening(odi=None, nrs=nrs, baseline_odi=Fraction(30), baseline_nrs=5) is expected


@pytest.mark.parametrize(
    ("baseline", "follow_up", "measure", "words"),
    [
        (40, 52, "odi", "12.0 points worse"),  # the patient page said "-12.0 points better"
        (52, 40, "odi", "12.0 points better (MCID met)"),
        (60, 52, "odi", "8.0 points better (below MCID)"),
        (6, 5, "nrs", "1 point better (below MCID)"),
        (4, 7, "nrs", "3 points worse"),
        (5, 5, "nrs", "no change"),
        (None, 5, "nrs", "no follow-up yet"),
    ],
)
def test_a_change_is_described_with_its_direction_in_words(baseline, follow_up, measure, words):
    mcid = scoring.ODI_MCID_POINTS if measure == "odi" else scoring.NRS_MCID_POINTS
    assert scoring.describe_change(scoring.change_from_baseline(baseline, follow_up, mcid), measure) == words
