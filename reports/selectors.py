"""Reads for outcome reports: which episodes a report covers, their outcomes, and the group summaries.

Scope: every read starts from `Patient.objects.for_user(user)` narrowed to one clinic, so a report (or an
export built on these rows) never reaches another clinic's data. `user=None` is a trusted system caller (the
`export_outcomes` command run by an operator), still narrowed to the one clinic it names.

Episodes counted: those whose week one (the first assignment's start date, as `Episode.week_one_starts_on`;
the episode's start date when nothing was assigned) falls in the date range. An episode's program is its
first assignment's program; its therapist is the patient's primary therapist.

Outcomes reuse the patients app: baseline and latest come from `patients.outcomes.with_episode_outcomes`,
change and responder flags from `patients.scoring.change_from_baseline` (docs/clinical-rules.md, responders). A
follow-up at week k is the check-in of program week k; "latest" is the last check-in after the baseline. A report
is a fixed number of queries whatever the number of patients: episodes with outcomes, their check-ins, their
belief check-ins (reports.beliefs), and (when asked) programs.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, cast

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from clinics.models import Clinic
from patients import scoring
from patients.dates import program_week
from patients.models import Assignment, CheckIn, Episode, Patient
from patients.outcomes import exact_odi, with_episode_outcomes
from programs.quotas import weekly_target
from reports import statistics as st

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    from patients.outcomes import PatientOutcomes
    from reports.beliefs import BeliefReport, EpisodeBeliefs

    class ReportEpisode(PatientOutcomes):
        """What `report_episodes` adds to each episode, beyond `with_episode_outcomes`."""

        week_one: dt.date | None
        report_program_id: int | None
        report_program_title: str | None
        report_program_weeks: int | None
        baseline_week: int | None
        report_started: dt.date


FOLLOW_UP_WEEKS = (4, 8, 12)
TIMEPOINTS = ("week_4", "week_8", "week_12", "latest")
MIN_GROUP = 5  # groups smaller than this are "too few" wherever a report leaves the clinic
MEASURES = {"odi": scoring.ODI_MCID_POINTS, "nrs": scoring.NRS_MCID_POINTS}


@dataclass(frozen=True)
class ReportFilter:
    clinic: Clinic
    start: dt.date | None = None
    end: dt.date | None = None
    program_id: int | None = None
    therapist_id: int | None = None


def report_patients(user: Any, clinic: Clinic) -> QuerySet[Patient]:
    base = Patient.objects.all() if user is None else Patient.objects.for_user(user)
    return base.filter(clinic=clinic)


def report_episodes(user: Any, filters: ReportFilter) -> QuerySet[WithAnnotations[Episode, ReportEpisode]]:
    """Episodes of the clinic's patients in scope, annotated with week one, program and outcomes."""
    first = Assignment.objects.filter(episode=OuterRef("pk")).order_by("start_date", "pk")
    qs = Episode.objects.filter(patient__in=report_patients(user, filters.clinic)).with_week_one()
    qs = qs.annotate(
        report_program_id=Subquery(first.values("program_id")[:1]),
        report_program_title=Subquery(first.values("title")[:1]),
        report_program_weeks=Subquery(first.values("program__weeks")[:1]),
        baseline_week=Subquery(CheckIn.objects.filter(episode=OuterRef("pk")).order_by("week").values("week")[:1]),
    )
    qs = qs.annotate(report_started=Coalesce("week_one", "started_on"))
    if filters.start:
        qs = qs.filter(report_started__gte=filters.start)
    if filters.end:
        qs = qs.filter(report_started__lte=filters.end)
    if filters.program_id:
        qs = qs.filter(report_program_id=filters.program_id)
    if filters.therapist_id:
        qs = qs.filter(patient__primary_therapist_id=filters.therapist_id)
    # The outcome annotations are passed as **kwargs, which the django-stubs plugin cannot follow.
    return cast("QuerySet[WithAnnotations[Episode, ReportEpisode]]", with_episode_outcomes(qs))


def report_checkins(user: Any, filters: ReportFilter) -> QuerySet[CheckIn]:
    """Check-ins of the report's episodes (scoped through `CheckIn.objects.for_user` as well)."""
    base = CheckIn.objects.all() if user is None else CheckIn.objects.for_user(user)
    return base.filter(patient__clinic=filters.clinic, episode__in=report_episodes(user, filters).values("pk"))


@dataclass
class EpisodeRow:
    """One patient episode as a report sees it: baseline, follow-ups, changes, completion and adherence."""

    episode_id: int
    patient_id: int
    patient_uuid: Any
    record_number: str
    therapist_id: int | None
    therapist: str
    program_id: int | None
    program: str
    week_one: dt.date | None
    started: dt.date
    baseline_week: int | None
    baseline: dict[str, Fraction | int | None]  # ODI exact (from points and sections answered), NRS
    latest_week: int | None
    values: dict[str, dict[str, Fraction | int | None]]  # timepoint -> measure -> value
    changes: dict[str, dict[str, scoring.Change]]  # timepoint -> measure -> Change
    done: int = 0
    due: int = 0
    activity_weeks: int = 0
    quota_met: int = 0
    done_ratios: list[float] = field(default_factory=list)
    beliefs: EpisodeBeliefs | None = None  # intake and latest belief answers (reports.beliefs)

    @property
    def has_baseline(self) -> bool:
        return self.baseline_week is not None

    def has_follow_up(self, timepoint: str) -> bool:
        return timepoint in self.values


def _therapist_label(row: dict[str, Any]) -> str:
    if row["patient__primary_therapist_id"] is None:
        return "Unassigned"
    full = f"{row['patient__primary_therapist__first_name']} {row['patient__primary_therapist__last_name']}".strip()
    return full or row["patient__primary_therapist__username"]


EPISODE_FIELDS = (
    "pk",
    "patient_id",
    "patient__uuid",
    "patient__record_number",
    "patient__time_zone",
    "patient__primary_therapist_id",
    "patient__primary_therapist__username",
    "patient__primary_therapist__first_name",
    "patient__primary_therapist__last_name",
    "ended_on",
    "week_one",
    "report_started",
    "report_program_id",
    "report_program_title",
    "report_program_weeks",
    "baseline_week",
    "baseline_odi_points",
    "baseline_odi_answered",
    "baseline_nrs",
    "latest_week",
    "latest_odi_points",
    "latest_odi_answered",
    "latest_nrs",
)


def episode_rows(user: Any, filters: ReportFilter, now: dt.datetime | None = None) -> list[EpisodeRow]:
    """Every episode of the report with its outcomes and belief answers. Three queries."""
    now = now or timezone.now()
    # Scores take a few hundred distinct values, so a report computes each change (and exact score) once.
    change_from_baseline = functools.lru_cache(maxsize=None)(scoring.change_from_baseline)
    odi_score_from = functools.lru_cache(maxsize=None)(scoring.odi_score_from)
    episodes = report_episodes(user, filters).order_by("report_started", "pk").values(*EPISODE_FIELDS)
    rows: dict[int, EpisodeRow] = {}
    caps: dict[int, int] = {}
    for e in episodes:
        today = timezone.localtime(now, zoneinfo.ZoneInfo(e["patient__time_zone"])).date()
        if e["ended_on"]:
            today = min(today, e["ended_on"])
        # Weeks due: program weeks elapsed, up to the program's length (a finished program owes no more).
        cap = e["report_program_weeks"] or 12
        due = min(program_week(today, e["week_one"]) or 0, cap)
        caps[e["pk"]] = due
        baseline = {"odi": exact_odi(e, "baseline"), "nrs": e["baseline_nrs"]}
        row = EpisodeRow(
            episode_id=e["pk"],
            patient_id=e["patient_id"],
            patient_uuid=e["patient__uuid"],
            record_number=e["patient__record_number"],
            therapist_id=e["patient__primary_therapist_id"],
            therapist=_therapist_label(e),
            program_id=e["report_program_id"],
            program=e["report_program_title"] or "No program",
            week_one=e["week_one"],
            started=e["report_started"],
            baseline_week=e["baseline_week"],
            baseline=baseline,
            latest_week=None,
            values={},
            changes={},
            due=due,
        )
        if e["baseline_week"] is not None and e["latest_week"] != e["baseline_week"]:
            row.latest_week = e["latest_week"]
            row.values["latest"] = {"odi": exact_odi(e, "latest"), "nrs": e["latest_nrs"]}
        rows[e["pk"]] = row
    if not rows:
        return []
    checkins = (
        report_checkins(user, filters)
        .order_by()
        .values_list("episode_id", "week", "odi_points", "odi_answered", "pain_nrs", "activities")
        .iterator(chunk_size=2000)
    )
    for episode_id, week, odi_points, odi_answered, pain_nrs, activities in checkins:
        found = rows.get(episode_id)
        if found is None:
            continue
        row = found
        if 1 <= week <= caps[episode_id]:
            row.done += 1
        if week in FOLLOW_UP_WEEKS and row.baseline_week is not None and week > row.baseline_week:
            row.values[f"week_{week}"] = {"odi": odi_score_from(odi_points, odi_answered), "nrs": pain_nrs}
        for activity in activities or ():
            _count_activity(row, activity)
    for row in rows.values():
        for timepoint, measures in row.values.items():
            row.changes[timepoint] = {
                name: change_from_baseline(row.baseline[name], measures[name], mcid) for name, mcid in MEASURES.items()
            }
    result = list(rows.values())
    from reports.beliefs import attach_beliefs  # reports.beliefs builds on this module

    attach_beliefs(user, filters, result)
    return result


def _count_activity(row: EpisodeRow, activity: dict[str, Any]) -> None:
    """Graded-activity adherence: each {"item", "done", "quota"} entry is one activity-week; met when done reaches
    the week's whole-unit target (docs/clinical-rules.md, graded activity, rule 5), the goal the patient was shown."""
    try:
        done, target = Decimal(str(activity["done"])), weekly_target(Decimal(str(activity["quota"])))
    except (KeyError, ArithmeticError, ValueError):
        return
    row.activity_weeks += 1
    if done >= target:
        row.quota_met += 1
    if target > 0:
        row.done_ratios.append(float(min(done / target, Decimal(1))))


# --- Group summaries ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasureAt:
    """One measure at one timepoint, over the episodes with both a baseline and that follow-up (paired)."""

    baseline: st.Summary
    follow_up: st.Summary
    change: st.Summary  # improvement = baseline - follow-up; positive is better
    responders_points: st.Share
    responders_percent: st.Share
    responders: st.Share  # points or percent


@dataclass(frozen=True)
class GroupReport:
    key: str
    label: str
    started: int
    with_baseline: int
    with_follow_up: dict[str, int]
    baseline: dict[str, st.Summary]
    outcomes: dict[str, dict[str, MeasureAt]]  # timepoint -> measure -> MeasureAt
    completion: st.Share  # check-ins done of weeks due
    quota_met: st.Share  # activity-weeks with the quota met
    mean_done_of_quota: st.Summary  # per activity-week, done / quota capped at 1

    @property
    def no_data(self) -> bool:
        """Nobody in the group: nothing to show, which is not the same as a small group being held back."""
        return self.started == 0

    @property
    def too_few(self) -> bool:
        return 0 < self.started < MIN_GROUP


def measure_at(rows: Iterable[EpisodeRow], timepoint: str, measure: str) -> MeasureAt:
    paired = [r for r in rows if r.has_follow_up(timepoint) and r.baseline[measure] is not None]
    paired = [r for r in paired if r.values[timepoint][measure] is not None]
    changes = [r.changes[timepoint][measure] for r in paired]
    return MeasureAt(
        baseline=st.summarize(r.baseline[measure] for r in paired),
        follow_up=st.summarize(r.values[timepoint][measure] for r in paired),
        change=st.summarize(c.improvement for c in changes),
        responders_points=st.share_of(c.responder_points for c in changes),
        responders_percent=st.share_of(c.responder_percent for c in changes),
        responders=st.share_of(c.responder for c in changes),
    )


def group_report(key: str, label: str, rows: list[EpisodeRow]) -> GroupReport:
    ratios = [ratio for r in rows for ratio in r.done_ratios]
    return GroupReport(
        key=key,
        label=label,
        started=len(rows),
        with_baseline=sum(1 for r in rows if r.has_baseline),
        with_follow_up={tp: sum(1 for r in rows if r.has_follow_up(tp)) for tp in TIMEPOINTS},
        baseline={m: st.summarize(r.baseline[m] for r in rows if r.has_baseline) for m in MEASURES},
        outcomes={tp: {m: measure_at(rows, tp, m) for m in MEASURES} for tp in TIMEPOINTS},
        completion=st.wilson_share(sum(r.done for r in rows), sum(r.due for r in rows)),
        quota_met=st.wilson_share(sum(r.quota_met for r in rows), sum(r.activity_weeks for r in rows)),
        mean_done_of_quota=st.summarize(ratios),
    )


def _grouped(rows: list[EpisodeRow], key: str) -> Iterator[tuple[str, str, list[EpisodeRow]]]:
    groups: dict[Any, list[EpisodeRow]] = defaultdict(list)
    labels: dict[Any, str] = {}
    for row in rows:
        ident = getattr(row, f"{key}_id")
        groups[ident].append(row)
        labels[ident] = getattr(row, key)
    for ident in sorted(groups, key=lambda i: (labels[i].lower(), str(i))):
        yield ("none" if ident is None else str(ident)), labels[ident], groups[ident]


@dataclass(frozen=True)
class Comparison:
    """Between-group difference in mean improvement (a - b) with Welch's 95 % CI, as the CB-CFT trial reports
    it (13.7 - 5.5 = 8.2 ODI points)."""

    a: GroupReport
    b: GroupReport
    timepoint: str
    differences: dict[str, st.Difference]


def compare(
    a_rows: list[EpisodeRow], b_rows: list[EpisodeRow], a: GroupReport, b: GroupReport, timepoint: str
) -> Comparison:
    def improvements(rows: list[EpisodeRow], measure: str) -> list[Any]:
        return [
            r.changes[timepoint][measure].improvement
            for r in rows
            if timepoint in r.changes and r.changes[timepoint][measure].improvement is not None
        ]

    return Comparison(
        a=a,
        b=b,
        timepoint=timepoint,
        differences={m: st.welch_difference(improvements(a_rows, m), improvements(b_rows, m)) for m in MEASURES},
    )


@dataclass(frozen=True)
class TrajectoryPoint:
    week: int
    odi: st.Summary
    nrs: st.Summary


@dataclass
class OutcomeReport:
    filters: ReportFilter
    overall: GroupReport
    by_program: list[GroupReport]
    by_therapist: list[GroupReport]
    comparison: Comparison | None
    trajectories: dict[str, tuple[str, list[TrajectoryPoint]]]  # program key -> (label, points)
    beliefs: BeliefReport | None = None  # reports.beliefs


def trajectories(user: Any, filters: ReportFilter, rows: list[EpisodeRow]) -> dict[str, tuple[str, list]]:
    """Mean ODI and NRS per program week and program, with 95 % CIs, for the charts. One query."""
    program_of = {r.episode_id: ("none" if r.program_id is None else str(r.program_id), r.program) for r in rows}
    values: dict[str, dict[int, tuple[list, list]]] = defaultdict(lambda: defaultdict(lambda: ([], [])))
    checkins = (
        report_checkins(user, filters)
        .order_by()
        .values_list("episode_id", "week", "odi_score", "pain_nrs")
        .iterator(chunk_size=2000)
    )
    for episode_id, week, odi_score, pain_nrs in checkins:
        if episode_id not in program_of:
            continue
        odi_values, nrs_values = values[program_of[episode_id][0]][week]
        if odi_score is not None:
            odi_values.append(odi_score)
        nrs_values.append(pain_nrs)
    labels = dict(program_of.values())
    return {
        key: (
            labels[key],
            [TrajectoryPoint(w, st.summarize(o), st.summarize(n)) for w, (o, n) in sorted(weeks.items())],
        )
        for key, weeks in sorted(values.items(), key=lambda kv: labels[kv[0]].lower())
    }


def outcome_report(
    user: Any,
    filters: ReportFilter,
    *,
    compare_programs: tuple[int, int] | None = None,
    compare_at: str = "latest",
    with_trajectories: bool = True,
    now: dt.datetime | None = None,
) -> OutcomeReport:
    from reports.beliefs import belief_report

    rows = episode_rows(user, filters, now=now)
    by_program = {key: (label, group) for key, label, group in _grouped(rows, "program")}
    comparison = None
    if compare_programs:
        a_key, b_key = (str(p) for p in compare_programs)
        a_label, a_rows = by_program.get(a_key, (_program_label(filters.clinic, a_key), []))
        b_label, b_rows = by_program.get(b_key, (_program_label(filters.clinic, b_key), []))
        comparison = compare(
            a_rows, b_rows, group_report(a_key, a_label, a_rows), group_report(b_key, b_label, b_rows), compare_at
        )
    return OutcomeReport(
        filters=filters,
        overall=group_report("all", "All patients", rows),
        by_program=[group_report(key, label, group) for key, (label, group) in by_program.items()],
        by_therapist=[group_report(key, label, group) for key, label, group in _grouped(rows, "therapist")],
        comparison=comparison,
        trajectories=trajectories(user, filters, rows) if with_trajectories and rows else {},
        beliefs=belief_report(rows),
    )


def _program_label(clinic: Clinic, key: str) -> str:
    from programs.models import Program

    library = Program.objects.filter(Q(clinic=clinic) | Q(clinic__isnull=True))
    program = library.filter(pk=key).first() if key.isdigit() else None
    return program.title if program else "Unknown program"
