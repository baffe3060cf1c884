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
