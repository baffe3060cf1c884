"""Reads for outcome reports: which episodes a report covers, their outcomes, and the group summaries.

Scope: every read starts from the episodes' summaries (`EpisodeOutcome.objects.for_user(user)`, or the episodes
through them) narrowed to one clinic, so a report (or an export built on these rows) never reaches another
clinic's data. `user=None` is a trusted system caller (the `export_outcomes` command run by an operator), still
narrowed to the one clinic it names.

Episodes counted: those whose week one (the first assignment's start date; the episode's start date when nothing
was assigned) falls in the date range. An episode's program is its first assignment's program; its therapist is
the patient's primary therapist. Each summary holds these report keys (clinic, therapist, time zone, program,
week one, start and end: `patients.summaries.report_keys`), so the group totals, the weeks due and the
trajectories read one table (`report_outcomes`) instead of joining the patients, episodes and assignments.
A program's group is labelled with the program's title (an episode's row in an export with the title it was
assigned under, which tailoring marks).

Outcomes are each episode's stored summary (`patients.summaries`, `EpisodeOutcome`): baseline, the follow-ups
and latest, the responder flags of `patients.scoring.change_from_baseline` at each (docs/clinical-rules.md,
responders), the program weeks checked in and the graded-activity counts. A follow-up at week k is the check-in
of program week k; "latest" is the last check-in after the baseline.

The report's groups are added up in SQL (`group_totals`): per program and therapist, counts and the sums and
sums of squares of the scores (ODI in whole 1/126 points, so the sums are exact integers), of the changes
(from the products of baseline and follow-up) and responder counts; `reports.statistics.Moments` turns them
into means, SDs and CIs, and only that per-group arithmetic runs in Python. Weeks due depend on today in each
patient's time zone, so completion reads the distinct (time zone, week one, end, program length, weeks checked
in) of the report (`group_totals`). Either way a report is a fixed number of queries whatever the number
of patients, and no check-in is read but the belief check-ins (reports.beliefs) and, for the charts, one
aggregate per program week (`trajectories`). `episode_rows` gives the same figures per episode for exports.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any, cast

from django.db.models import (
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Length, Replace, Substr
from django.utils import timezone

from clinics.models import Clinic
from patients import scoring
from patients.dates import program_week
from patients.models import CheckIn, Episode, EpisodeOutcome
from patients.summaries import FOLLOW_UP_WEEKS, MEASURES, TIMEPOINTS
from reports import statistics as st
from reports.disclosure import too_few

if TYPE_CHECKING:
    from typing import TypedDict

    from django_stubs_ext import WithAnnotations

    from reports.beliefs import BeliefReport, EpisodeBeliefs

    class ReportEpisode(TypedDict):
        """What `report_episodes` adds to each episode."""

        week_one: dt.date | None
        report_program_id: int | None
        report_program_title: str | None
        report_program_weeks: int | None
        report_started: dt.date


# ODI in whole units of 1/126 point: a score is 20 x points / sections answered, and 20 x 126 = 2520 is a
# multiple of every count of sections (1-10), so each score is a whole number of units and SQL sums are exact.
ODI_UNIT = 126
UNITS = {"odi": ODI_UNIT, "nrs": 1}


@dataclass(frozen=True)
class ReportFilter:
    clinic: Clinic
    start: dt.date | None = None
    end: dt.date | None = None
    program_id: int | None = None
    therapist_id: int | None = None


def _scope(filters: ReportFilter, at: str = "") -> Q:
    """The report's episodes as conditions on their summaries' report keys (`EpisodeOutcome`, at `at`)."""
    scope = Q(**{f"{at}clinic": filters.clinic})
    if filters.start:
        scope &= Q(**{f"{at}starts_on__gte": filters.start})
    if filters.end:
        scope &= Q(**{f"{at}starts_on__lte": filters.end})
    if filters.program_id:
        scope &= Q(**{f"{at}program_id": filters.program_id})
    if filters.therapist_id:
        scope &= Q(**{f"{at}therapist_id": filters.therapist_id})
    return scope


def report_outcomes(user: Any, filters: ReportFilter) -> QuerySet[EpisodeOutcome]:
    """The summaries of the report's episodes: what the group totals, the weeks due and the trajectories add up,
    from this one table (its report keys: clinic, therapist, program, week one, dates)."""
    base = EpisodeOutcome.objects.all() if user is None else EpisodeOutcome.objects.for_user(user)
    return base.filter(_scope(filters))


def report_episodes(user: Any, filters: ReportFilter) -> QuerySet[WithAnnotations[Episode, ReportEpisode]]:
    """The report's episodes (those of `report_outcomes`), annotated with week one and program from their
    summaries: the episode's first assignment (`EpisodeOutcome.first_assignment`), joined, not looked up."""
    base = Episode.objects.all() if user is None else Episode.objects.for_user(user)
    qs = base.filter(_scope(filters, "outcome__")).annotate(
        week_one=F("outcome__week_one"),
        report_program_id=F("outcome__program_id"),
        report_program_title=F("outcome__first_assignment__title"),
        report_program_weeks=F("outcome__program__weeks"),
        report_started=F("outcome__starts_on"),
    )
    # The annotations are passed as keywords, which the django-stubs plugin types as Any: say what they hold.
    return cast("QuerySet[WithAnnotations[Episode, ReportEpisode]]", qs)


def report_checkins(user: Any, filters: ReportFilter) -> QuerySet[CheckIn]:
    """Check-ins of the report's episodes (scoped through `CheckIn.objects.for_user` as well)."""
    base = CheckIn.objects.all() if user is None else CheckIn.objects.for_user(user)
    return base.filter(patient__clinic=filters.clinic, episode__in=report_outcomes(user, filters).values("episode"))


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
    done_of_quota: st.Moments = field(default_factory=st.Moments)  # per activity-week, done / target capped at 1
    beliefs: EpisodeBeliefs | None = None  # intake and latest belief answers (reports.beliefs)

    @property
    def has_baseline(self) -> bool:
        return self.baseline_week is not None

    def has_follow_up(self, timepoint: str) -> bool:
        return timepoint in self.values


def therapist_label(ident: int | None, username: str, first_name: str, last_name: str) -> str:
    if ident is None:
        return "Unassigned"
    return f"{first_name} {last_name}".strip() or username


THERAPIST_FIELDS = (
    "patient__primary_therapist_id",
    "patient__primary_therapist__username",
    "patient__primary_therapist__first_name",
    "patient__primary_therapist__last_name",
)
DUE_FIELDS = ("patient__time_zone", "ended_on", "week_one", "report_program_weeks", "checked_weeks")
OUTCOME_DUE_FIELDS = ("time_zone", "ended_on", "week_one", "program__weeks", "checked_weeks")  # the same, summarised
OUTCOME_FIELDS = (
    "baseline_week",
    "baseline_odi_points",
    "baseline_odi_answered",
    "baseline_nrs",
    "latest_week",
    "latest_odi_points",
    "latest_odi_answered",
    "latest_nrs",
    *(f"week_{week}_{name}" for week in FOLLOW_UP_WEEKS for name in ("odi_points", "odi_answered", "nrs")),
    "checked_weeks",
    "activity_weeks",
    "activity_quota_met",
    "activity_ratios",
    "activity_ratio_sum",
    "activity_ratio_squares",
)
EPISODE_FIELDS = (
    "pk",
    "patient_id",
    "patient__uuid",
    "patient__record_number",
    *THERAPIST_FIELDS,
    "week_one",
    "report_started",
    "report_program_id",
    "report_program_title",
    *(name for name in DUE_FIELDS if name not in {"week_one", "checked_weeks"}),
)


def _outcome_columns(names: Iterable[str]) -> dict[str, F]:
    return {name: F(f"outcome__{name}") for name in names}


class Due:
    """Weeks due and done as of `now`: program weeks elapsed in the patient's time zone (to the end of care),
    up to the program's length (a finished program owes no more), and the weeks of those checked in."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self.days: dict[str, dt.date] = {}  # today per time zone: a report's patients share a few

    def today(self, time_zone: str) -> dt.date:
        if time_zone not in self.days:
            self.days[time_zone] = timezone.localtime(self.now, zoneinfo.ZoneInfo(time_zone)).date()
        return self.days[time_zone]

    def due(self, time_zone: str, ended_on: dt.date | None, week_one: dt.date | None, weeks: int | None) -> int:
        today = self.today(time_zone)
        if ended_on:
            today = min(today, ended_on)
        return min(program_week(today, week_one) or 0, weeks or DEFAULT_PROGRAM_WEEKS)

    def of(
        self, time_zone: str, ended_on: dt.date | None, week_one: dt.date | None, weeks: int | None, checked: str | None
    ) -> tuple[int, int]:
        """(done, due) of an episode: `checked` is its stored `checked_weeks`, `weeks` its program's length."""
        due = self.due(time_zone, ended_on, week_one, weeks)
        return (checked or "")[:due].count("1"), due


DEFAULT_PROGRAM_WEEKS = 12  # the weeks due of an episode whose program is gone


def episode_rows(
    user: Any, filters: ReportFilter, now: dt.datetime | None = None, *, only: QuerySet[Any] | None = None
) -> list[EpisodeRow]:
    """Every episode of the report (`only`: of these episode ids) with its outcomes and belief answers, for the
    exports. Two queries."""
    due_of = Due(now or timezone.now())
    # Scores take a few hundred distinct values, so a report computes each change (and exact score) once.
    change_from_baseline = functools.lru_cache(maxsize=None)(scoring.change_from_baseline)
    odi_score_from = functools.lru_cache(maxsize=None)(scoring.odi_score_from)
    episodes = report_episodes(user, filters)
    if only is not None:
        episodes = episodes.filter(pk__in=only)
    episodes = episodes.order_by("report_started", "pk").values(*EPISODE_FIELDS, **_outcome_columns(OUTCOME_FIELDS))
    result = []
    for e in episodes.iterator(chunk_size=2000):
        done, due = due_of.of(*(e[name] for name in DUE_FIELDS))
        baseline = {
            "odi": odi_score_from(e["baseline_odi_points"], e["baseline_odi_answered"]),
            "nrs": e["baseline_nrs"],
        }
        row = EpisodeRow(
            episode_id=e["pk"],
            patient_id=e["patient_id"],
            patient_uuid=e["patient__uuid"],
            record_number=e["patient__record_number"],
            therapist_id=e["patient__primary_therapist_id"],
            therapist=therapist_label(*(e[name] for name in THERAPIST_FIELDS)),
            program_id=e["report_program_id"],
            program=e["report_program_title"] or "No program",
            week_one=e["week_one"],
            started=e["report_started"],
            baseline_week=e["baseline_week"],
            baseline=baseline,
            latest_week=None,
            values={},
            changes={},
            done=done,
            due=due,
            activity_weeks=e["activity_weeks"] or 0,
            quota_met=e["activity_quota_met"] or 0,
            done_of_quota=st.Moments.of_sums(
                e["activity_ratios"], e["activity_ratio_sum"], e["activity_ratio_squares"]
            ),
        )
        for week in FOLLOW_UP_WEEKS:
            if e[f"week_{week}_nrs"] is not None:  # stored only for a check-in after the baseline
                odi = odi_score_from(e[f"week_{week}_odi_points"], e[f"week_{week}_odi_answered"])
                row.values[f"week_{week}"] = {"odi": odi, "nrs": e[f"week_{week}_nrs"]}
        if e["baseline_week"] is not None and e["latest_week"] != e["baseline_week"]:
            row.latest_week = e["latest_week"]
            latest_odi = odi_score_from(e["latest_odi_points"], e["latest_odi_answered"])
            row.values["latest"] = {"odi": latest_odi, "nrs": e["latest_nrs"]}
        for timepoint, measures in row.values.items():
            row.changes[timepoint] = {
                name: change_from_baseline(row.baseline[name], measures[name], mcid) for name, mcid in MEASURES.items()
            }
        result.append(row)
    if not result:
        return []
    from reports.beliefs import attach_beliefs  # reports.beliefs builds on this module

    attach_beliefs(user, filters, result)
    return result


# --- Group totals, in SQL ----------------------------------------------------------------------------------


def odi_units(points: str, answered: str) -> ExpressionWrapper:
    """An exact ODI score in whole `ODI_UNIT`s from its points and sections answered: 2520 x points / answered."""
    units = 100 * ODI_UNIT // scoring.ODI_MAX_ANSWER
    return ExpressionWrapper(F(points) * units / F(answered), output_field=IntegerField())


def _score(column: str, measure: str) -> Any:
    """A stored score of the summary in whole units (`UNITS`): NRS as it is, ODI by `odi_units`."""
    if measure == "nrs":
        return F(f"{column}_nrs")
    return odi_units(f"{column}_odi_points", f"{column}_odi_answered")


def _moment_sums(prefix: str, value: Any, when: Q) -> dict[str, Any]:
    return {
        # `value` is never null where `when` holds: counting it counts those rows (from an index alone, too).
        f"{prefix}_n": Count(value, filter=when),
        f"{prefix}_sum": Sum(value, filter=when),
        f"{prefix}_squares": Sum(value * value, filter=when),
    }


def total_aggregates() -> dict[str, Any]:
    """The SQL sums a group's report is made of (`group_report` reads them by these names), over summaries."""
    at = ""

    def count(when: Q | None = None) -> Count:
        return Count("pk", filter=when)

    sums: dict[str, Any] = {
        "started": count(),
        "with_baseline": count(Q(**{f"{at}baseline_week__isnull": False})),
        "activity_weeks": Sum(f"{at}activity_weeks"),
        "with_activity": count(Q(**{f"{at}activity_weeks__gt": 0})),  # the patients the activity figures rest on
        "quota_met": Sum(f"{at}activity_quota_met"),
        # Each episode stores its activity-weeks' count, sum and sum of squares of done / target.
        "done_of_quota_n": Sum(f"{at}activity_ratios"),
        "done_of_quota_sum": Sum(f"{at}activity_ratio_sum"),
        "done_of_quota_squares": Sum(f"{at}activity_ratio_squares"),
    }
    for measure in MEASURES:
        scored = Q(**{f"{at}baseline_{'odi' if measure == 'odi' else 'nrs'}__isnull": False})
        sums |= _moment_sums(f"baseline_{measure}", _score("baseline", measure), scored)
        for timepoint in TIMEPOINTS:
            # Paired (a baseline and this follow-up, both scored) exactly when the points flag is not None.
            by_points = f"{at}{timepoint}_{measure}_by_points"
            by_percent = f"{at}{timepoint}_{measure}_by_percent"
            paired = Q(**{f"{by_points}__isnull": False})
            name = f"{timepoint}_{measure}"
            base, follow_up = _score("baseline", measure), _score(timepoint, measure)
            sums |= _moment_sums(f"{name}_baseline", base, paired)
            sums |= _moment_sums(f"{name}_follow_up", follow_up, paired)
            sums[f"{name}_products"] = Sum(base * follow_up, filter=paired)
            sums[f"{name}_by_points"] = count(Q(**{by_points: True}))
            sums[f"{name}_percent_n"] = count(Q(**{f"{by_percent}__isnull": False}))
            sums[f"{name}_by_percent"] = count(Q(**{by_percent: True}))
            sums[f"{name}_by_either"] = count(Q(**{by_points: True}) | Q(**{by_percent: True}))
    for timepoint in TIMEPOINTS:
        sums[f"{timepoint}_with_follow_up"] = count(Q(**{f"{at}{timepoint}_nrs_by_points__isnull": False}))
    return sums


Totals = dict[str, Any]  # `total_aggregates`' names -> sums (exact: int or Fraction), plus done and due


def add(a: Totals, b: Totals) -> Totals:
    return {name: a.get(name, 0) + b.get(name, 0) for name in a.keys() | b.keys()}


def _exact(value: Any) -> int | Fraction:
    if value is None:
        return 0
    return value if isinstance(value, int) else Fraction(value)


@dataclass
class GroupTotals:
    """The report's totals per (program, therapist) pair, with their labels; groups are sums of these."""

    cells: dict[tuple[int | None, int | None], Totals]
    programs: dict[int | None, str]
    therapists: dict[int | None, str]

    def of(self, program: Any = ..., therapist: Any = ...) -> Totals:
        total: Totals = {}
        for (p, t), cell in self.cells.items():
            if program in (..., p) and therapist in (..., t):
                total = add(total, cell)
        return total


def group_totals(user: Any, filters: ReportFilter, now: dt.datetime | None = None) -> GroupTotals:
    """The report's sums per program and therapist over the episodes' summaries: one aggregate query, and one of
    the distinct due figures."""
    outcomes = report_outcomes(user, filters).order_by()
    keys = ("program_id", "therapist_id")
    labels = ("program__title", "therapist__username", "therapist__first_name", "therapist__last_name")
    found = GroupTotals({}, {}, {})
    # Named apart from the summary's columns, which several sums share a name with (`activity_weeks`, the flags).
    sums = {f"total_{name}": aggregate for name, aggregate in total_aggregates().items()}
    for row in outcomes.values(*keys, *labels).annotate(**sums):
        key = (row["program_id"], row["therapist_id"])
        found.cells[key] = {name: _exact(row[f"total_{name}"]) for name in total_aggregates_names()}  # one per key
        found.programs[key[0]] = row["program__title"] or "No program"
        found.therapists[key[1]] = therapist_label(key[1], *(row[name] for name in labels[1:]))
    for key, done, due, with_due in due_totals(outcomes, Due(now or timezone.now())):
        found.cells[key] = add(found.cells[key], {"done": done, "due": due, "with_due": with_due})
    return found


def due_totals(outcomes: QuerySet[EpisodeOutcome], due_of: Due) -> Iterable[tuple[tuple[Any, Any], int, int, int]]:
    """((program, therapist), weeks done, weeks due, episodes with a week due) over the summaries, in a few rows:
    grouped by what the weeks
    due depend on (time zone, end of care, week one, program length), with the weeks checked in counted in SQL up
    to the program's length. That count is the one due unless a group is due fewer weeks than some of its
    episodes have checked in (a check-in later than the end of care, say); only such groups read each episode's
    weeks checked in."""
    program_weeks = Coalesce("program__weeks", DEFAULT_PROGRAM_WEEKS)
    in_program = Substr("checked_weeks", 1, program_weeks)
    keys = ("program_id", "therapist_id", *OUTCOME_DUE_FIELDS[:-1])
    rows = outcomes.values(*keys).annotate(
        episodes=Count("pk"),
        done_in_program=Sum(Length(Replace(in_program, Value("0"), Value("")))),  # its '1's
        longest=Max(Length("checked_weeks")),
    )
    exceptions = Q(pk__in=[])
    for row in rows:
        due = due_of.due(*(row[name] for name in OUTCOME_DUE_FIELDS[:-1]))
        if due < min(row["program__weeks"] or DEFAULT_PROGRAM_WEEKS, row["longest"] or 0):
            exceptions |= Q(**{name: row[name] for name in keys})
            continue
        key = (row["program_id"], row["therapist_id"])
        yield key, row["done_in_program"] or 0, due * row["episodes"], row["episodes"] if due else 0
    for row in outcomes.filter(exceptions).values(*keys, "checked_weeks").annotate(episodes=Count("pk")):
        done, due = due_of.of(*(row[name] for name in OUTCOME_DUE_FIELDS))
        key = (row["program_id"], row["therapist_id"])
        yield key, done * row["episodes"], due * row["episodes"], row["episodes"] if due else 0


@functools.cache
def total_aggregates_names() -> tuple[str, ...]:
    return tuple(total_aggregates())


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
    totals: Totals = field(default_factory=dict, repr=False, compare=False)
    # The patients the week-counting figures rest on (their n counts weeks): with a week due, with an activity-week.
    with_due: int = 0
    with_activity: int = 0

    @property
    def no_data(self) -> bool:
        """Nobody in the group: nothing to show, which is not the same as a small group being held back."""
        return self.started == 0

    @property
    def too_few(self) -> bool:
        return too_few(self.started)


def _moments(totals: Mapping[str, Any], prefix: str, unit: int = 1) -> st.Moments:
    return st.Moments.of_sums(
        totals.get(f"{prefix}_n", 0), totals.get(f"{prefix}_sum", 0), totals.get(f"{prefix}_squares", 0), unit
    )


def change_moments(totals: Totals, timepoint: str, measure: str) -> st.Moments:
    """Moments of improvement = baseline - follow-up over the paired episodes, from the sums of both and of
    their products: sum (b - f) = sum b - sum f; sum (b - f)^2 = sum b^2 - 2 sum b f + sum f^2."""
    name, unit = f"{timepoint}_{measure}", UNITS[measure]
    base, follow_up = _moments(totals, f"{name}_baseline", unit), _moments(totals, f"{name}_follow_up", unit)
    products = Fraction(totals.get(f"{name}_products", 0)) / (unit * unit)
    return st.Moments(base.n, base.total - follow_up.total, base.squares - 2 * products + follow_up.squares)


def measure_at(totals: Totals, timepoint: str, measure: str) -> MeasureAt:
    name, unit = f"{timepoint}_{measure}", UNITS[measure]
    paired = totals.get(f"{name}_baseline_n", 0)
    return MeasureAt(
        baseline=_moments(totals, f"{name}_baseline", unit).summary(),
        follow_up=_moments(totals, f"{name}_follow_up", unit).summary(),
        change=change_moments(totals, timepoint, measure).summary(),
        responders_points=st.wilson_share(totals.get(f"{name}_by_points", 0), paired),
        responders_percent=st.wilson_share(totals.get(f"{name}_by_percent", 0), totals.get(f"{name}_percent_n", 0)),
        responders=st.wilson_share(totals.get(f"{name}_by_either", 0), paired),
    )


def group_report(key: str, label: str, totals: Totals) -> GroupReport:
    return GroupReport(
        key=key,
        label=label,
        started=totals.get("started", 0),
        with_baseline=totals.get("with_baseline", 0),
        with_follow_up={tp: totals.get(f"{tp}_with_follow_up", 0) for tp in TIMEPOINTS},
        baseline={m: _moments(totals, f"baseline_{m}", UNITS[m]).summary() for m in MEASURES},
        outcomes={tp: {m: measure_at(totals, tp, m) for m in MEASURES} for tp in TIMEPOINTS},
        completion=st.wilson_share(totals.get("done", 0), totals.get("due", 0)),
        quota_met=st.wilson_share(totals.get("quota_met", 0), totals.get("activity_weeks", 0)),
        mean_done_of_quota=_moments(totals, "done_of_quota").summary(),
        totals=totals,
        with_due=totals.get("with_due", 0),
        with_activity=totals.get("with_activity", 0),
    )


def _sorted(labels: dict[Any, str]) -> list[Any]:
    return sorted(labels, key=lambda i: (labels[i].lower(), str(i)))


def _key(ident: Any) -> str:
    return "none" if ident is None else str(ident)


@dataclass(frozen=True)
class Comparison:
    """Between-group difference in mean improvement (a - b) with Welch's 95 % CI, as the CB-CFT trial reports
    it (13.7 - 5.5 = 8.2 ODI points)."""

    a: GroupReport
    b: GroupReport
    timepoint: str
    differences: dict[str, st.Difference]

    def rows(self) -> list[tuple[str, st.Summary, st.Summary, st.Difference]]:
        """Per measure: each program's mean improvement (with its n and 95 % CI) beside their difference."""
        return [
            (m, self.a.outcomes[self.timepoint][m].change, self.b.outcomes[self.timepoint][m].change, d)
            for m, d in self.differences.items()
        ]


def compare(a: GroupReport, b: GroupReport, timepoint: str) -> Comparison:
    return Comparison(
        a=a,
        b=b,
        timepoint=timepoint,
        differences={
            m: st.welch(change_moments(a.totals, timepoint, m), change_moments(b.totals, timepoint, m))
            for m in MEASURES
        },
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


def _trajectory_sums(prefix: str = "") -> dict[str, Any]:
    """Per program week: moments of the exact ODI (in `ODI_UNIT`s) and of the NRS of check-ins at `prefix`."""
    odi = odi_units(f"{prefix}odi_points", f"{prefix}odi_answered")
    return {
        **_moment_sums("odi", odi, Q(**{f"{prefix}odi_score__isnull": False})),
        **_moment_sums("nrs", F(f"{prefix}pain_nrs"), Q(**{f"{prefix}pain_nrs__isnull": False})),
    }


def trajectories(
    user: Any, filters: ReportFilter, programs: dict[int | None, str]
) -> dict[str, tuple[str, list[TrajectoryPoint]]]:
    """Mean ODI and NRS per program week and program (`programs`: the report's, id -> title), with 95 % CIs, for
    the charts. One aggregate query over the check-ins of the report's episodes."""
    # From the check-ins to their episodes' summaries (`CheckIn.outcome`: one join, and on PostgreSQL an index-only
    # scan of `checkin_trajectory`), scoped as `report_outcomes`.
    base = CheckIn.objects.all() if user is None else CheckIn.objects.for_user_through(user, "outcome__clinic")
    rows = (
        base.filter(_scope(filters, "outcome__"))
        .order_by()
        .values("week", program_id=F("outcome__program_id"))
        .annotate(**_trajectory_sums())
    )
    series: dict[Any, list[TrajectoryPoint]] = defaultdict(list)
    for row in sorted(rows, key=lambda row: row["week"]):
        odi_moments, nrs_moments = _moments(row, "odi", ODI_UNIT), _moments(row, "nrs")
        series[row["program_id"]].append(TrajectoryPoint(row["week"], odi_moments.summary(), nrs_moments.summary()))
    labels = {ident: programs.get(ident, "No program" if ident is None else "Unknown program") for ident in series}
    return {_key(ident): (labels[ident], series[ident]) for ident in _sorted(labels)}


def outcome_report(
    user: Any,
    filters: ReportFilter,
    *,
    compare_programs: tuple[int, int] | None = None,
    compare_at: str = "latest",
    with_trajectories: bool = True,
    now: dt.datetime | None = None,
) -> OutcomeReport:
    from reports.beliefs import report_beliefs

    totals = group_totals(user, filters, now=now)
    by_program = {
        _key(ident): group_report(_key(ident), totals.programs[ident], totals.of(program=ident))
        for ident in _sorted(totals.programs)
    }
    comparison = None
    if compare_programs:
        a_key, b_key = (str(p) for p in compare_programs)
        a = by_program.get(a_key) or group_report(a_key, _program_label(filters.clinic, a_key), {})
        b = by_program.get(b_key) or group_report(b_key, _program_label(filters.clinic, b_key), {})
        comparison = compare(a, b, compare_at)
    return OutcomeReport(
        filters=filters,
        overall=group_report("all", "All patients", totals.of()),
        by_program=list(by_program.values()),
        by_therapist=[
            group_report(_key(ident), totals.therapists[ident], totals.of(therapist=ident))
            for ident in _sorted(totals.therapists)
        ],
        comparison=comparison,
        trajectories=trajectories(user, filters, totals.programs) if with_trajectories and totals.cells else {},
        beliefs=report_beliefs(user, filters, totals.programs, now=now),
    )


def _program_label(clinic: Clinic, key: str) -> str:
    from programs.models import Program

    library = Program.objects.filter(Q(clinic=clinic) | Q(clinic__isnull=True))
    program = library.filter(pk=key).first() if key.isdigit() else None
    return program.title if program else "Unknown program"
