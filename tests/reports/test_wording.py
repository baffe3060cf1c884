"""The report's plain-words sentence per group (`reports.wording.group_sentence`)."""

from __future__ import annotations

import pytest

from reports import statistics as st
from reports.selectors import GroupReport, MeasureAt, ReportFilter, outcome_report
from reports.wording import group_sentence

NOBODY = st.Share(0, 0, None, None, None)


def group(started: int, change: st.Summary, responders: st.Share = NOBODY) -> GroupReport:
    at = MeasureAt(change, change, change, responders, responders, responders)
    return GroupReport(
        key="1",
        label="Program",
        started=started,
        with_baseline=started,
        with_follow_up={},
        baseline={},
        outcomes={"latest": {"odi": at, "nrs": at}},
        completion=NOBODY,
        quota_met=NOBODY,
        mean_done_of_quota=change,
    )


def test_the_sentence_gives_the_mean_its_ci_and_the_share_with_a_change_that_matters():
    change = st.Summary(n=50, mean=13.65, sd=9.0, ci_low=10.2, ci_high=17.15)
    sentence = group_sentence(group(62, change, st.Share(38, 50, 0.76, 0.62, 0.86)))
    assert sentence == (
        "62 patients, 50 of them followed up: by their latest check-in, disability (ODI) improved by 13.7 points on "
        "average (95 % CI 10.2 to 17.2), and 76 % improved by a change that matters (at least 10 points or 30 % "
        "of their baseline)."
    )


def test_a_worsening_is_called_one_with_its_interval_turned_to_match():
    change = st.Summary(n=6, mean=-2.0, sd=1.5, ci_low=-3.5, ci_high=-0.5)
    sentence = group_sentence(group(6, change, st.Share(0, 6, 0.0, 0.0, 0.39)))
    assert "6 patients, all followed up" in sentence
    assert "disability (ODI) worsened by 2.0 points on average (95 % CI 0.5 to 3.5)," in sentence
    assert "0 % improved by a change that matters" in sentence


def test_an_interval_across_zero_says_it_includes_no_change():
    sentence = group_sentence(group(8, st.Summary(n=8, mean=1.2, sd=3.0, ci_low=-1.3, ci_high=3.7)))
    assert "improved by 1.2 points on average (95 % CI \N{MINUS SIGN}1.3 to 3.7, which includes no change)" in sentence


def test_a_mean_that_rounds_to_zero_did_not_change():
    sentence = group_sentence(group(8, st.Summary(n=8, mean=-0.04, sd=3.0, ci_low=-2.5, ci_high=2.4)))
    assert "did not change on average (95 % CI \N{MINUS SIGN}2.5 to 2.4)" in sentence


@pytest.mark.parametrize(
    ("started", "followed", "words"),
    [
        (0, 0, "No patients in this period."),
        (2, 2, "Too few patients to say (under 5)."),
        (7, 0, "7 patients; none has a check-in after their baseline yet, so there is no change to report."),
        (7, 3, "7 patients; too few have a check-in after their baseline to say how they changed (under 5)."),
    ],
)
def test_too_few_or_nobody_followed_up_is_said_without_a_figure(started, followed, words):
    change = st.Summary(n=followed, mean=12.0 if followed else None, sd=None, ci_low=None, ci_high=None)
    assert group_sentence(group(started, change)) == words


def test_the_page_says_each_program_in_plain_words(north, client):
    report = outcome_report(north.admin, ReportFilter(clinic=north.clinic))
    client.force_login(north.admin)
    page = client.get("/reports/").content.decode()
    assert "In plain words" in page
    for g in (report.overall, *report.by_program):
        assert f"<strong>{g.label}</strong>: {group_sentence(g)}" in page
    assert "6 patients, all followed up: by their latest check-in, disability (ODI) improved by" in page
