"""The report's SQL totals against the figures computed one episode at a time (issue 19): random clinics of
patients on two programs with two therapists, random weeks, skipped ODI sections, zero baselines and
activities; every group's counts, means, SDs, responder shares, completion and adherence must equal what
Python's `statistics` makes of `episode_rows` (which apply `scoring.change_from_baseline` per episode)."""

import datetime as dt
import random
import statistics as pystats

import pytest

from programs.models import Program
from reports.selectors import MEASURES, TIMEPOINTS, ReportFilter, episode_rows, outcome_report
from tests.factories import ClinicFactory, make_clinic_admin, make_therapist
from tests.reports.data import bulk_episodes


def _answers(rng):
    answers = [rng.randint(0, 5) for _ in range(10)]
    for index in rng.sample(range(10), rng.choice([0, 0, 0, 1, 2, 3])):  # 3 skipped: no score
        answers[index] = None
    return answers


def _series(rng):
    weeks = sorted(rng.sample(range(0, 15), rng.randint(0, 6)))
    return [(week, _answers(rng), rng.choice([0, rng.randint(0, 10)])) for week in weeks]


def _activities(rng):
    return [
        {"item": 1, "done": rng.choice([0, 5, 10, 12.5, 30]), "quota": rng.choice([0, 10, 12.5, 20])}
        for _ in range(rng.randint(0, 2))
    ]


@pytest.fixture(params=range(3))
def clinic(request, db):
    rng = random.Random(request.param)
    clinic = ClinicFactory()
    therapists = [make_therapist(clinic), None]
    for title in ("Acute", "Persistent"):
        program = Program.objects.create(clinic=clinic, title=title, weeks=rng.choice([8, 12]))
        for therapist in therapists:
            series = [_series(rng) for _ in range(rng.randint(3, 12))]
            bulk_episodes(
                clinic=clinic,
                program=program,
                therapist=therapist,
                series=series,
                weeks_ago=rng.randint(2, 16),
                activities=[_activities(rng) for _ in series],
            )
    return clinic


def _summary(values):
    values = [float(v) for v in values]
    return (
        len(values),
        pystats.fmean(values) if values else None,
        pystats.stdev(values) if len(values) > 1 else None,
    )


def _close(found, expected):
    assert found[0] == expected[0]
    for a, b in zip(found[1:], expected[1:], strict=True):
        assert (a is None and b is None) or a == pytest.approx(b, rel=1e-12, abs=1e-12)


def _check(group, rows):
    assert group.started == len(rows)
    assert group.with_baseline == sum(1 for r in rows if r.has_baseline)
    for measure in MEASURES:
        base = group.baseline[measure]
        _close(
            (base.n, base.mean, base.sd), _summary(r.baseline[measure] for r in rows if r.baseline[measure] is not None)
        )
        for timepoint in TIMEPOINTS:
            assert group.with_follow_up[timepoint] == sum(1 for r in rows if r.has_follow_up(timepoint))
            changes = [
                r.changes[timepoint][measure]
                for r in rows
                if timepoint in r.changes and r.changes[timepoint][measure].improvement is not None
            ]
            at = group.outcomes[timepoint][measure]
            _close((at.change.n, at.change.mean, at.change.sd), _summary(c.improvement for c in changes))
            paired = [
                r for r in rows if timepoint in r.changes and r.changes[timepoint][measure].improvement is not None
            ]
            _close(
                (at.follow_up.n, at.follow_up.mean, at.follow_up.sd),
                _summary(r.values[timepoint][measure] for r in paired),
            )
            assert (at.responders_points.k, at.responders_points.n) == (
                sum(1 for c in changes if c.responder_points),
                len(changes),
            )
            assert (at.responders_percent.k, at.responders_percent.n) == (
                sum(1 for c in changes if c.responder_percent),
                sum(1 for c in changes if c.responder_percent is not None),
            )
            assert at.responders.k == sum(1 for c in changes if c.responder)
    assert (group.completion.k, group.completion.n) == (sum(r.done for r in rows), sum(r.due for r in rows))
    assert (group.quota_met.k, group.quota_met.n) == (
        sum(r.quota_met for r in rows),
        sum(r.activity_weeks for r in rows),
    )
    ratios = sum((r.done_of_quota for r in rows), start=type(rows[0].done_of_quota)())
    assert group.mean_done_of_quota.n == ratios.n
    if ratios.n:
        assert group.mean_done_of_quota.mean == pytest.approx(float(ratios.mean), rel=1e-12)


def test_the_sql_totals_give_the_figures_of_the_episodes_one_by_one(clinic):
    admin = make_clinic_admin(clinic)
    filters = ReportFilter(clinic=clinic)
    report = outcome_report(admin, filters, with_trajectories=False)
    rows = episode_rows(admin, filters)
    _check(report.overall, rows)
    assert [g.label for g in report.by_program] == ["Acute", "Persistent"]
    for group in report.by_program:
        _check(group, [r for r in rows if str(r.program_id) == group.key])
    assert len(report.by_therapist) == 2
    for group in report.by_therapist:
        _check(group, [r for r in rows if (str(r.therapist_id) if r.therapist_id else "none") == group.key])


def test_the_trajectories_are_the_means_of_the_check_ins_of_each_program_week(clinic):
    from patients.models import CheckIn
    from patients.scoring import odi_score_from

    admin = make_clinic_admin(clinic)
    trajectories = outcome_report(admin, ReportFilter(clinic=clinic)).trajectories
    for key, (label, points) in trajectories.items():
        program = Program.objects.get(pk=key)
        assert label == program.title
        checkins = CheckIn.objects.filter(episode__assignments__program=program)
        for point in points:
            week = checkins.filter(week=point.week)
            odi = [odi_score_from(c.odi_points, c.odi_answered) for c in week]
            _close((point.odi.n, point.odi.mean, point.odi.sd), _summary(v for v in odi if v is not None))
            _close((point.nrs.n, point.nrs.mean, point.nrs.sd), _summary(c.pain_nrs for c in week))
        assert [p.week for p in points] == sorted(set(checkins.values_list("week", flat=True)))


def test_the_trajectories_are_read_in_the_users_clinics_only(clinic):
    from reports.selectors import trajectories

    filters = ReportFilter(clinic=clinic)
    assert trajectories(make_clinic_admin(clinic), filters, {})
    assert trajectories(make_clinic_admin(ClinicFactory()), filters, {}) == {}  # another clinic's admin


@pytest.mark.parametrize("days", [-60, -7, 0, 30, 400])
def test_completion_is_the_weeks_done_of_the_weeks_due_of_each_episode_on_any_day(clinic, days):
    """The weeks due are counted in SQL up to the program's length; an episode due fewer weeks than it has checked
    in (a day before some of its check-ins, a program shorter than its weeks) is read one by one. Either way the
    group's completion is the sum of each episode's."""
    from django.utils import timezone

    now = timezone.now() + dt.timedelta(days=days)
    admin = make_clinic_admin(clinic)
    filters = ReportFilter(clinic=clinic)
    report = outcome_report(admin, filters, with_trajectories=False, now=now)
    rows = episode_rows(admin, filters, now)
    for group, members in [
        (report.overall, rows),
        *((g, [r for r in rows if str(r.program_id) == g.key]) for g in report.by_program),
    ]:
        assert (group.completion.k, group.completion.n) == (sum(r.done for r in members), sum(r.due for r in members))
