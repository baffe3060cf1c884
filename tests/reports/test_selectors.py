import datetime as dt

import pytest
from django.utils import timezone

from patients import scoring
from reports import exports
from reports.selectors import ReportFilter, episode_rows, outcome_report
from tests.conftest import LIST_SIZES, count_queries
from tests.factories import checkin, patient_on_program
from tests.reports.conftest import add_patients, build_clinic


def test_report_counts_started_baseline_and_each_follow_up(north):
    report = outcome_report(north.admin, ReportFilter(clinic=north.clinic))
    overall = report.overall
    assert (overall.started, overall.with_baseline) == (6, 6)
    assert overall.with_follow_up == {"week_4": 6, "week_8": 6, "week_12": 6, "latest": 6}


def test_a_patient_without_check_ins_counts_as_started_only(north):
    patient_on_program(clinic=north.clinic, therapist=north.therapist, weeks_ago=2)
    overall = outcome_report(north.admin, ReportFilter(clinic=north.clinic)).overall
    assert (overall.started, overall.with_baseline, overall.with_follow_up["latest"]) == (7, 6, 6)


def test_a_single_check_in_is_a_baseline_without_follow_up(north):
    patient = patient_on_program(clinic=north.clinic, therapist=north.therapist, weeks_ago=2)
    checkin(patient, 1, 2, 5)
    overall = outcome_report(north.admin, ReportFilter(clinic=north.clinic)).overall
    assert (overall.with_baseline, overall.with_follow_up["latest"]) == (7, 6)


def test_mean_change_and_responder_shares_follow_the_scoring_rules(north):
    rows = episode_rows(north.admin, ReportFilter(clinic=north.clinic))
    report = outcome_report(north.admin, ReportFilter(clinic=north.clinic))
    week_12 = report.overall.outcomes["week_12"]
    expected = [
        scoring.change_from_baseline(
            scoring.score_odi([3] * 10).score, scoring.score_odi([3 - (i % 4)] * 10).score, scoring.ODI_MCID_POINTS
        )
        for i in range(6)
    ]
    assert week_12["odi"].change.mean == pytest.approx(float(sum(c.improvement for c in expected) / 6))
    assert week_12["odi"].responders_points.k == sum(1 for c in expected if c.responder_points)
    assert week_12["odi"].responders_percent.k == sum(1 for c in expected if c.responder_percent)
    assert week_12["odi"].responders.k == sum(1 for c in expected if c.responder)
    nrs = [scoring.change_from_baseline(7, 7 - i % 7, scoring.NRS_MCID_POINTS) for i in range(6)]
    assert week_12["nrs"].responders_points.k == sum(1 for c in nrs if c.responder_points)
    assert week_12["nrs"].responders_percent.k == sum(1 for c in nrs if c.responder_percent)
    assert {r.changes["week_12"]["odi"].responder for r in rows} == {c.responder for c in expected}


def test_skipped_section_scores_use_the_exact_odi(north):
    week_8 = outcome_report(north.admin, ReportFilter(clinic=north.clinic)).overall.outcomes["week_8"]["odi"]
    assert week_8.follow_up.mean == pytest.approx(
        float(scoring.four_decimals(scoring.score_odi([3] * 9 + [None]).score))
    )


def test_completion_counts_check_ins_done_of_weeks_due_up_to_program_length(north):
    completion = outcome_report(north.admin, ReportFilter(clinic=north.clinic)).overall.completion
    # 14 weeks elapsed, capped at the 12-week program; weeks 4, 8 and 12 done (the intake is week 0)
    assert (completion.k, completion.n) == (6 * 3, 6 * 12)


def test_activity_adherence_counts_weeks_with_the_quota_met(north):
    overall = outcome_report(north.admin, ReportFilter(clinic=north.clinic)).overall
    assert (overall.quota_met.k, overall.quota_met.n) == (3, 6)
    assert overall.mean_done_of_quota.mean == pytest.approx(0.5)


def test_breakdowns_per_program_and_per_therapist(north):
    other = patient_on_program(clinic=north.clinic, weeks_ago=3)
    checkin(other, 1, 2, 4)
    report = outcome_report(north.admin, ReportFilter(clinic=north.clinic))
    assert sorted(g.started for g in report.by_therapist) == [1, 6]
    assert {g.label for g in report.by_therapist} >= {"Unassigned"}
    assert sum(g.started for g in report.by_program) == 7


def test_date_range_program_and_therapist_filters(north):
    late = patient_on_program(clinic=north.clinic, weeks_ago=1)
    checkin(late, 1, 2, 4)
    today = timezone.localdate()
    recent = ReportFilter(clinic=north.clinic, start=today - dt.timedelta(weeks=2))
    assert outcome_report(north.admin, recent).overall.started == 1
    mine = ReportFilter(clinic=north.clinic, therapist_id=north.therapist.pk)
    assert outcome_report(north.admin, mine).overall.started == 6
    program_id = north.patients[0].episodes.get().assignments.get().program_id
    assert outcome_report(north.admin, ReportFilter(clinic=north.clinic, program_id=program_id)).overall.started == 7


def test_the_report_and_its_csv_exports_cost_the_same_queries_for_10_or_100_patients(db):
    data = build_clinic(0, "Sized")
    filters = ReportFilter(clinic=data.clinic)
    measured = {
        "report": lambda: outcome_report(data.admin, filters),
        "checkin_csv": lambda: list(exports.checkin_rows(data.admin, filters)),
        "episode_csv": lambda: list(exports.episode_export_rows(episode_rows(data.admin, filters), data.clinic.pk)),
    }
    counts: dict[str, list[int]] = {name: [] for name in measured}
    for size in LIST_SIZES:
        add_patients(data, size)
        for name, run in measured.items():
            data.admin.__dict__.pop("_clinic_ids_cache", None)  # as in a new request
            counts[name].append(count_queries(run))
    assert all(first == second for first, second in counts.values()), counts
    # The totals and trajectories each in two halves (first assignments, unassigned episodes), the due figures,
    # the belief check-ins and those episodes' rows.
    assert counts["report"][0] <= 7


def test_clinic_a_admin_never_sees_clinic_b_patients(north, south):
    report = outcome_report(north.admin, ReportFilter(clinic=south.clinic))
    assert report.overall.started == 0
    assert outcome_report(south.admin, ReportFilter(clinic=south.clinic)).overall.started == 5
