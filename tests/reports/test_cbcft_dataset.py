"""A data set built to the published CB-CFT trial figures (Vibe Fersum et al. 2013, DOMAIN.md section 1) gives
back its mean changes, the between-group differences and confidence intervals that agree with SciPy.

Verified figures used: 62 CB-CFT and 59 MT-EX patients, all meeting the entry floors ODI > 14 and NRS > 2;
mean improvement ODI 13.7 vs 5.5 points and NRS 3.2 vs 1.5. Between-group differences: 8.2 ODI, 1.7 NRS.
The follow-up is stored as the program's week-12 check-in (the trial's 12-month point is "latest" here too).
"""

import random

import pytest
from scipy import stats as sp

from programs.models import Program
from reports.selectors import ReportFilter, outcome_report
from tests.factories import ClinicFactory, make_clinic_admin
from tests.reports.data import bulk_episodes, odi_answers_for

pytestmark = pytest.mark.django_db

ARMS = {
    # arm: (patients, mean ODI improvement, mean NRS improvement): verified (DOMAIN.md section 1)
    "CB-CFT": (62, 13.7, 3.2),
    "MT-EX": (59, 5.5, 1.5),
}
ODI_ENTRY_FLOOR, NRS_ENTRY_FLOOR = 14, 2  # entry needed ODI > 14 and NRS > 2

# Not in the abstract: to fill from the paper (results table not checked; DOMAIN.md says unverified).
BASELINE_ODI_MEAN, BASELINE_ODI_SD = 24.0, 8.0  # to fill from the paper
BASELINE_NRS_MEAN, BASELINE_NRS_SD = 5.5, 1.5  # to fill from the paper
CHANGE_ODI_SD, CHANGE_NRS_SD = 9.0, 2.0  # to fill from the paper


def _target_total(n: int, mean: float, step: int) -> int:
    """The reachable total (a multiple of `step`) whose mean is nearest the published mean."""
    return min(range(0, 100 * n, step), key=lambda total: abs(total / n - mean))


def _arm(rng: random.Random, n: int, odi_mean: float, nrs_mean: float) -> list[tuple[int, int, int, int]]:
    """(baseline ODI, follow-up ODI, baseline NRS, follow-up NRS) per patient with the exact target totals."""
    rows = []
    for _ in range(n):
        base_odi = min(98, max(ODI_ENTRY_FLOOR + 2, 2 * round(rng.gauss(BASELINE_ODI_MEAN, BASELINE_ODI_SD) / 2)))
        base_nrs = min(10, max(NRS_ENTRY_FLOOR + 1, round(rng.gauss(BASELINE_NRS_MEAN, BASELINE_NRS_SD))))
        odi_change = max(base_odi - 100, min(base_odi, 2 * round(rng.gauss(odi_mean, CHANGE_ODI_SD) / 2)))
        nrs_change = max(base_nrs - 10, min(base_nrs, round(rng.gauss(nrs_mean, CHANGE_NRS_SD))))
        rows.append([base_odi, odi_change, base_nrs, nrs_change])
    # Nudge random patients' changes by one step until the arm's total hits the target; a follow-up stays
    # on its scale (0 <= baseline - change <= top).
    for index, step, mean, top in ((1, 2, odi_mean, 100), (3, 1, nrs_mean, 10)):
        target = _target_total(n, mean, step)
        while (total := sum(r[index] for r in rows)) != target:
            row = rng.choice(rows)
            moved = row[index] + (step if total < target else -step)
            if row[index - 1] - top <= moved <= row[index - 1]:
                row[index] = moved
    return [(b_odi, b_odi - c_odi, b_nrs, b_nrs - c_nrs) for b_odi, c_odi, b_nrs, c_nrs in rows]


@pytest.fixture
def trial():
    rng = random.Random(2013)
    clinic = ClinicFactory()
    programs, data = {}, {}
    for arm, (n, odi_mean, nrs_mean) in ARMS.items():
        programs[arm] = Program.objects.create(clinic=clinic, title=arm, weeks=12)
        data[arm] = _arm(rng, n, odi_mean, nrs_mean)
        series = [
            [(0, odi_answers_for(b_odi), b_nrs), (12, odi_answers_for(f_odi), f_nrs)]
            for b_odi, f_odi, b_nrs, f_nrs in data[arm]
        ]
        bulk_episodes(clinic=clinic, program=programs[arm], series=series)
    return clinic, programs, data


@pytest.mark.parametrize("timepoint", ["week_12", "latest"])
def test_cbcft_dataset_gives_back_the_published_changes_and_differences(trial, timepoint):
    clinic, programs, data = trial
    admin = make_clinic_admin(clinic)
    report = outcome_report(
        admin,
        ReportFilter(clinic=clinic),
        compare_programs=(programs["CB-CFT"].pk, programs["MT-EX"].pk),
        compare_at=timepoint,
    )
    comparison = report.comparison
    assert (comparison.a.started, comparison.b.started) == (62, 59)
    for arm, group in (("CB-CFT", comparison.a), ("MT-EX", comparison.b)):
        _, odi_mean, nrs_mean = ARMS[arm]
        assert all(b_odi > ODI_ENTRY_FLOOR and b_nrs > NRS_ENTRY_FLOOR for b_odi, _, b_nrs, _ in data[arm])
        assert round(group.outcomes[timepoint]["odi"].change.mean, 1) == odi_mean
        assert round(group.outcomes[timepoint]["nrs"].change.mean, 1) == nrs_mean
    assert comparison.differences["odi"].difference == pytest.approx(8.2, abs=0.05)
    assert comparison.differences["nrs"].difference == pytest.approx(1.7, abs=0.05)


def test_cbcft_dataset_confidence_intervals_agree_with_scipy(trial):
    clinic, programs, data = trial
    report = outcome_report(
        make_clinic_admin(clinic),
        ReportFilter(clinic=clinic),
        compare_programs=(programs["CB-CFT"].pk, programs["MT-EX"].pk),
    )
    comparison = report.comparison
    for measure, (base, follow) in {"odi": (0, 1), "nrs": (2, 3)}.items():
        improvements = {arm: [row[base] - row[follow] for row in rows] for arm, rows in data.items()}
        for arm, group in (("CB-CFT", comparison.a), ("MT-EX", comparison.b)):
            values = improvements[arm]
            low, high = sp.t.interval(0.95, len(values) - 1, loc=sum(values) / len(values), scale=sp.sem(values))
            change = group.outcomes["latest"][measure].change
            assert change.ci_low == pytest.approx(low, rel=1e-9)
            assert change.ci_high == pytest.approx(high, rel=1e-9)
        expected = sp.ttest_ind(improvements["CB-CFT"], improvements["MT-EX"], equal_var=False).confidence_interval()
        difference = comparison.differences[measure]
        assert difference.ci_low == pytest.approx(expected.low, rel=1e-9)
        assert difference.ci_high == pytest.approx(expected.high, rel=1e-9)
        assert difference.ci_low > 0  # the trial's difference is significant on both measures
