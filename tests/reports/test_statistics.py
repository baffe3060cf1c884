"""reports.statistics against independent computations: Python's `statistics` and SciPy."""

import math
import random
import statistics as pystats

import pytest
from scipy import stats as sp

from reports import statistics as st


@pytest.mark.parametrize("df", [1, 2, 3, 4.5, 9, 29, 61, 117.3, 1000, 1e6])
def test_t_critical_matches_scipy(df):
    assert st.t_critical(df) == pytest.approx(sp.t.ppf(0.975, df), rel=1e-9)


@pytest.mark.parametrize("t", [-8.0, -2.1, -0.3, 0.0, 0.7, 1.96, 5.0])
@pytest.mark.parametrize("df", [1, 3.7, 30, 500])
def test_t_cdf_matches_scipy(t, df):
    assert st.t_cdf(t, df) == pytest.approx(sp.t.cdf(t, df), abs=1e-12)


@pytest.mark.parametrize("seed", range(20))
def test_mean_sd_and_ci_of_a_mean_match_python_and_scipy(seed):
    rng = random.Random(seed)
    values = [rng.gauss(30, 12) for _ in range(rng.randint(2, 200))]
    summary = st.summarize(values)
    assert summary.n == len(values)
    assert summary.mean == pytest.approx(pystats.mean(values), rel=1e-12)
    assert summary.sd == pytest.approx(pystats.stdev(values), rel=1e-12)
    low, high = sp.t.interval(0.95, len(values) - 1, loc=pystats.mean(values), scale=sp.sem(values))
    assert summary.ci_low == pytest.approx(low, rel=1e-9)
    assert summary.ci_high == pytest.approx(high, rel=1e-9)


@pytest.mark.parametrize("seed", range(20))
def test_welch_difference_matches_scipy_ttest_ind(seed):
    rng = random.Random(seed)
    a = [rng.gauss(13.7, rng.uniform(5, 15)) for _ in range(rng.randint(2, 120))]
    b = [rng.gauss(5.5, rng.uniform(5, 15)) for _ in range(rng.randint(2, 120))]
    result = st.welch_difference(a, b)
    expected = sp.ttest_ind(a, b, equal_var=False)
    ci = expected.confidence_interval(0.95)
    assert result.difference == pytest.approx(pystats.mean(a) - pystats.mean(b), rel=1e-9, abs=1e-12)
    assert result.df == pytest.approx(expected.df, rel=1e-9)
    assert result.ci_low == pytest.approx(ci.low, rel=1e-9)
    assert result.ci_high == pytest.approx(ci.high, rel=1e-9)


@pytest.mark.parametrize(("k", "n"), [(0, 1), (0, 10), (3, 10), (10, 10), (31, 62), (1, 5), (59, 60), (400, 1000)])
def test_responder_share_wilson_interval_matches_scipy(k, n):
    share = st.wilson_share(k, n)
    ci = sp.binomtest(k, n).proportion_ci(0.95, method="wilson")
    assert share.share == k / n
    assert share.ci_low == pytest.approx(ci.low, abs=1e-12)
    assert share.ci_high == pytest.approx(ci.high, abs=1e-12)


def test_share_of_leaves_unscored_measures_out_of_the_denominator():
    share = st.share_of([True, False, None, True, None])
    assert (share.k, share.n) == (2, 3)


def test_one_value_has_a_mean_but_no_sd_or_ci():
    summary = st.summarize([12])
    assert (summary.n, summary.mean, summary.sd, summary.ci_low) == (1, 12.0, None, None)


def test_no_values_give_an_empty_summary_and_nones_are_ignored():
    assert st.summarize([None, None]) == st.Summary(0, None, None, None, None)
    assert st.summarize([2, None, 4]).mean == 3


def test_difference_without_variance_has_a_zero_width_interval():
    result = st.welch_difference([5, 5, 5], [2, 2])
    assert (result.difference, result.ci_low, result.ci_high) == (3, 3, 3)
    assert not math.isnan(result.difference)


@pytest.mark.parametrize("seed", range(20))
def test_pearson_and_its_fisher_z_interval_match_scipy(seed):
    rng = random.Random(seed)
    n = rng.randint(4, 150)
    x = [rng.gauss(0, 3) for _ in range(n)]
    y = [xi * rng.uniform(-1, 1) + rng.gauss(0, 5) for xi in x]
    result = st.pearson(zip(x, y, strict=True))
    expected = sp.pearsonr(x, y)
    ci = expected.confidence_interval(0.95)  # SciPy's default: the Fisher transformation
    assert result.n == n
    assert result.r == pytest.approx(expected.statistic, rel=1e-9, abs=1e-12)
    assert result.ci_low == pytest.approx(ci.low, rel=1e-9, abs=1e-12)
    assert result.ci_high == pytest.approx(ci.high, rel=1e-9, abs=1e-12)
    # the same interval by hand: tanh(atanh(r) -/+ z(0.975) / sqrt(n - 3))
    half = sp.norm.ppf(0.975) / math.sqrt(n - 3)
    assert result.ci_low == pytest.approx(math.tanh(math.atanh(expected.statistic) - half), rel=1e-9, abs=1e-12)


def test_pearson_needs_four_pairs_for_an_interval_and_three_for_r():
    three = st.pearson([(1, 2), (2, 1), (3, 5)])
    assert three.n == 3 and three.r == pytest.approx(sp.pearsonr([1, 2, 3], [2, 1, 5]).statistic)
    assert three.ci_low is None and three.ci_high is None
    assert st.pearson([(1, 2), (2, 3)]) == st.Correlation(2, None, None, None)
    assert st.pearson([(1, 2), (None, 3), (2, None), (3, 4)]).n == 2  # a pair missing a value is left out


def test_pearson_without_spread_has_no_r_and_a_perfect_line_its_own_interval():
    assert st.pearson([(1, 5), (2, 5), (3, 5), (4, 5)]).r is None
    assert st.pearson([(1, 2), (2, 4), (3, 6), (4, 8), (5, 10)]) == st.Correlation(5, 1.0, 1.0, 1.0)
