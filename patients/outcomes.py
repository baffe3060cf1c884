"""Outcomes per episode: baseline (first check-in of the episode, which may be a week-0 intake), latest,
change and responder status (docs/clinical-rules.md, responders).

Lists of patients join each open episode's stored summary (`EpisodeOutcome`, `with_patient_outcomes`), and so
do the reports (reports.selectors); `with_episode_outcomes` computes the same figures with correlated subqueries
over the check-ins, the independent SQL the summary's tests hold it to. Either way a list of 10 or 10,000 costs
the same number of queries. One episode's detail (series, completion) is computed in
Python from one query.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django.db.models import Exists, F, FilteredRelation, OuterRef, Q, QuerySet, Subquery
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone

from patients import scoring
from patients.models import Alert, CheckIn, Episode, Patient

MEASURES = ("odi_score", "pain_nrs")

if TYPE_CHECKING:
    from typing import TypedDict

    from django_stubs_ext import WithAnnotations

    class PatientOutcomes(TypedDict):
        """What `with_patient_outcomes` adds to each patient (`with_episode_outcomes` to each episode)."""

        baseline_odi: Decimal | None
        baseline_odi_points: int | None
        baseline_odi_answered: int | None
        baseline_nrs: int | None
        latest_odi: Decimal | None
        latest_odi_points: int | None
        latest_odi_answered: int | None
        latest_nrs: int | None
        latest_week: int | None
        last_checkin_at: dt.datetime | None
        has_open_alert: bool
        has_red_flag: bool
        has_worsening: bool
        has_missed: bool
        odi_change: Decimal | None
        nrs_change: int | None


def _first(checkins: QuerySet, order: str, field: str) -> Subquery:
    return Subquery(checkins.order_by(order).values(field)[:1])


def _annotations(checkins: QuerySet, alerts: QuerySet) -> dict[str, Any]:
    # The stored 4-place ODI score is for sorting and display; rules read the exact score, which the points and
    # sections answered give (`exact_odi`, and `responder_q` in integer arithmetic).
    return {
        "baseline_odi": _first(checkins, "week", "odi_score"),
        "baseline_odi_points": _first(checkins, "week", "odi_points"),
        "baseline_odi_answered": _first(checkins, "week", "odi_answered"),
        "baseline_nrs": _first(checkins, "week", "pain_nrs"),
        "latest_odi": _first(checkins, "-week", "odi_score"),
        "latest_odi_points": _first(checkins, "-week", "odi_points"),
        "latest_odi_answered": _first(checkins, "-week", "odi_answered"),
        "latest_nrs": _first(checkins, "-week", "pain_nrs"),
        "latest_week": _first(checkins, "-week", "week"),
        "last_checkin_at": _first(checkins, "-submitted_at", "submitted_at"),
        "has_open_alert": Exists(alerts),
        "has_red_flag": Exists(alerts.filter(kind=Alert.Kind.RED_FLAG)),
        "has_worsening": Exists(alerts.filter(kind=Alert.Kind.WORSENING)),
        "has_missed": Exists(alerts.filter(kind=Alert.Kind.MISSED)),
    }


def _changes(qs: QuerySet) -> QuerySet:
    # improvement = baseline - latest (positive is better)
    return qs.annotate(
        odi_change=F("baseline_odi") - F("latest_odi"),
        nrs_change=F("baseline_nrs") - F("latest_nrs"),
    )


# The check-in figures `with_patient_outcomes` reads from the open episode's `EpisodeOutcome`.
SUMMARY_COLUMNS = (
    "baseline_odi",
    "baseline_odi_points",
    "baseline_odi_answered",
    "baseline_nrs",
    "latest_odi",
    "latest_odi_points",
    "latest_odi_answered",
    "latest_nrs",
    "latest_week",
    "last_checkin_at",
    "odi_change",
    "nrs_change",
)


def with_current_outcome(qs: QuerySet[Patient]) -> QuerySet[Patient]:
    """Join each patient's current episode's stored summary (`EpisodeOutcome.is_current`: the open episode, else a
    discharged patient's last) as `current_outcome`: one LEFT JOIN on its partial index, no subquery over the
    check-ins. A patient without an episode reads NULLs."""
    return qs.annotate(
        current_outcome=FilteredRelation("episode_outcomes", condition=Q(episode_outcomes__is_current=True))
    )


def with_patient_outcomes(qs: QuerySet[Patient]) -> QuerySet[WithAnnotations[Patient, PatientOutcomes]]:
    """Annotate patients with the outcomes of their open episode: the check-in figures from its stored summary
    (`patients.summaries`, kept in the transaction of every change), the open alerts from the alerts themselves
    (an index probe on the partial `alert_open_by_patient`: the few open alerts, as they stand)."""
    alerts = Alert.objects.filter(patient=OuterRef("pk"), acknowledged_at__isnull=True)
    annotated = with_current_outcome(qs).annotate(
        **{name: F(f"current_outcome__{name}") for name in SUMMARY_COLUMNS},
        has_open_alert=Exists(alerts),
        has_red_flag=Exists(alerts.filter(kind=Alert.Kind.RED_FLAG)),
        has_worsening=Exists(alerts.filter(kind=Alert.Kind.WORSENING)),
        has_missed=Exists(alerts.filter(kind=Alert.Kind.MISSED)),
    )
    # The summary's columns are passed as **kwargs, which the django-stubs plugin cannot follow.
    return cast("QuerySet[WithAnnotations[Patient, PatientOutcomes]]", annotated)


def with_episode_outcomes(qs: QuerySet[Episode]) -> QuerySet[WithAnnotations[Episode, PatientOutcomes]]:
    checkins = CheckIn.objects.filter(episode=OuterRef("pk"))
    alerts = Alert.objects.filter(episode=OuterRef("pk"), acknowledged_at__isnull=True)
    return _changes(qs.annotate(**_annotations(checkins, alerts)))


def exact_odi(row: Any, which: str) -> Any:
    """The exact ODI score (a Fraction) of an annotated row's `which` ("baseline" or "latest") check-in."""
    if isinstance(row, dict):
        return scoring.odi_score_from(row[f"{which}_odi_points"], row[f"{which}_odi_answered"])
    return scoring.odi_score_from(getattr(row, f"{which}_odi_points"), getattr(row, f"{which}_odi_answered"))


def responder_q(measure: str) -> Q:
    """`scoring.change_from_baseline`'s responder rule in SQL, on rows annotated with baseline and latest
    (docs/clinical-rules.md, responders). ODI in integer arithmetic on points p and sections answered a, so a
    change of exactly 30 % or 10 points decides as the exact rule does (score = 20 p / a):
      points:  b - l >= M            <=>  (100 / 5) (pb al - pl ab) >= M ab al
      percent: (b - l) 100 >= P b    <=>  (100 - P) pb al >= 100 pl ab, with pb > 0.
    A property test (tests/patients/test_responder_paths.py) holds it to the pure rule on every path."""
    if measure == "nrs":
        change, baseline = F("nrs_change"), F("baseline_nrs")
        percent = Q(baseline_nrs__gt=0) & Q(GreaterThanOrEqual(change * 100, baseline * scoring.MCID_PERCENT))
        return Q(nrs_change__gte=scoring.NRS_MCID_POINTS) | percent
    pb, ab = F("baseline_odi_points"), F("baseline_odi_answered")
    pl, al = F("latest_odi_points"), F("latest_odi_answered")
    scored = Q(baseline_odi__isnull=False, latest_odi__isnull=False)
    per_point = 100 // scoring.ODI_MAX_ANSWER
    points = Q(GreaterThanOrEqual(per_point * (pb * al - pl * ab), scoring.ODI_MCID_POINTS * ab * al))
    percent = Q(baseline_odi_points__gt=0) & Q(
        GreaterThanOrEqual((100 - scoring.MCID_PERCENT) * pb * al, 100 * pl * ab)
    )
    return scored & (points | percent)


def any_responder_q() -> Q:
    return responder_q("odi") | responder_q("nrs")


@dataclass(frozen=True)
class WeekPoint:
    week: int
    odi: Decimal | None  # one decimal, half up
    odi_band: str | None
    pain_nrs: int
    submitted_at: dt.datetime


@dataclass(frozen=True)
class EpisodeOutcome:
    baseline: WeekPoint | None
    latest: WeekPoint | None
    odi: scoring.Change
    nrs: scoring.Change
    series: list[WeekPoint]
    done: int
    due: int

    @property
    def completion(self) -> Decimal | None:
        if not self.due:
            return None
        return (Decimal(self.done) * 100 / self.due).quantize(Decimal("0.1"))


def episode_outcome(episode: Episode, now: dt.datetime | None = None) -> EpisodeOutcome:
    """Baseline, latest, change with responder flags, the weekly series and completion (check-ins done in
    program weeks 1..current / weeks due)."""
    rows = list(
        CheckIn.objects.filter(episode=episode)
        .order_by("week")
        .values("week", "odi_points", "odi_answered", "pain_nrs", "submitted_at")
    )
    series = []
    exact: dict[int, Any] = {}
    for row in rows:
        score = scoring.odi_score_from(row["odi_points"], row["odi_answered"])
        exact[row["week"]] = score
        series.append(
            WeekPoint(
                row["week"], scoring.one_decimal(score), scoring.odi_band(score), row["pain_nrs"], row["submitted_at"]
            )
        )
    baseline, latest = (series[0], series[-1]) if series else (None, None)
    follow_up = latest if latest is not None and baseline is not None and latest.week != baseline.week else None
    odi = scoring.change_from_baseline(
        exact[baseline.week] if baseline else None,
        exact[follow_up.week] if follow_up else None,
        scoring.ODI_MCID_POINTS,
    )
    nrs = scoring.change_from_baseline(
        baseline.pain_nrs if baseline else None, follow_up.pain_nrs if follow_up else None, scoring.NRS_MCID_POINTS
    )
    patient = episode.patient
    today = patient.local_today(now or timezone.now())
    if episode.ended_on:
        today = min(today, episode.ended_on)
    due = episode.program_week_on(today) or 0
    done = sum(1 for point in series if 1 <= point.week <= due)
    return EpisodeOutcome(baseline, latest, odi, nrs, series, done, due)
