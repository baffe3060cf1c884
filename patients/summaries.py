"""Each episode's outcome summary (`EpisodeOutcome`): what the caseload, the digest and the reports read instead of
running correlated subqueries over every check-in (issue 19).

`summarise` is the pure rule: the summary of one episode from its check-ins and open alerts, with the figures of
`patients.outcomes` (baseline = the first check-in, latest = the last, change = baseline - latest of the stored
4-place scores) and the flags of `patients.scoring` (`change_from_baseline`, `meets_worsening`), never a second
copy of a rule. `refresh_outcome(episode)` recomputes and stores one episode's row from its rows; every service
that changes a check-in, an alert or whether the episode is open calls it inside its own transaction.
`rebuild_outcomes` recomputes many in bulk (`manage.py rebuild_outcome_summaries`, `seed_demo`)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import transaction
from django.db.models import QuerySet

from patients import beliefs, scoring
from patients.models import Alert, Assignment, CheckIn, Episode, EpisodeOutcome, Patient
from programs.models import MAX_PROGRAM_WEEKS
from programs.quotas import weekly_target

# The report's follow-up weeks: defined here once, the reports read them (reports depends on patients, not back).
FOLLOW_UP_WEEKS = (4, 8, 12)
TIMEPOINTS = ("week_4", "week_8", "week_12", "latest")
MEASURES = {"odi": scoring.ODI_MCID_POINTS, "nrs": scoring.NRS_MCID_POINTS}
ALERT_FLAGS = {
    Alert.Kind.RED_FLAG: "has_red_flag",
    Alert.Kind.WORSENING: "has_worsening",
    Alert.Kind.MISSED: "has_missed",
    Alert.Kind.FLARE: "has_flare",
}

# The summary's figures of the open alerts (`summarise`), which only a change of the alerts changes.
ALERT_FIELDS = frozenset({"open_alert_count", "has_open_alert", *ALERT_FLAGS.values()})


class Week(NamedTuple):
    """The figures of one check-in a summary reads (`CHECKIN_FIELDS`, in this order)."""

    week: int
    odi_points: int
    odi_answered: int
    odi_score: Decimal | None
    pain_nrs: int
    submitted_at: dt.datetime
    activities: list[dict[str, Any]] | None = None
    beliefs_version: str = ""
    belief_consequences: int | None = None
    belief_personal_control: int | None = None
    belief_treatment_control: int | None = None
    belief_concern: int | None = None


BELIEF_FIELDS = tuple(f"belief_{item}" for item in beliefs.ITEMS)
CHECKIN_FIELDS = (
    "week",
    "odi_points",
    "odi_answered",
    "odi_score",
    "pain_nrs",
    "submitted_at",
    "activities",
    "beliefs_version",
    *BELIEF_FIELDS,
)


@dataclass(frozen=True)
class Summary:
    """One episode's outcomes; the fields of `EpisodeOutcome` other than its keys."""

    checkin_count: int = 0
    weeks_checked_in: int = 0  # program weeks 1 and on with a check-in (week 0 is an intake)
    baseline_week: int | None = None
    baseline_odi: Decimal | None = None
    baseline_odi_points: int | None = None
    baseline_odi_answered: int | None = None
    baseline_nrs: int | None = None
    latest_week: int | None = None
    latest_odi: Decimal | None = None
    latest_odi_points: int | None = None
    latest_odi_answered: int | None = None
    latest_nrs: int | None = None
    odi_change: Decimal | None = None
    nrs_change: int | None = None
    odi_responder: bool | None = None
    nrs_responder: bool | None = None
    any_responder: bool = False
    worsening: bool = False
    week_4_odi_points: int | None = None
    week_4_odi_answered: int | None = None
    week_4_nrs: int | None = None
    week_8_odi_points: int | None = None
    week_8_odi_answered: int | None = None
    week_8_nrs: int | None = None
    week_12_odi_points: int | None = None
    week_12_odi_answered: int | None = None
    week_12_nrs: int | None = None
    week_4_odi_by_points: bool | None = None
    week_4_odi_by_percent: bool | None = None
    week_4_nrs_by_points: bool | None = None
    week_4_nrs_by_percent: bool | None = None
    week_8_odi_by_points: bool | None = None
    week_8_odi_by_percent: bool | None = None
    week_8_nrs_by_points: bool | None = None
    week_8_nrs_by_percent: bool | None = None
    week_12_odi_by_points: bool | None = None
    week_12_odi_by_percent: bool | None = None
    week_12_nrs_by_points: bool | None = None
    week_12_nrs_by_percent: bool | None = None
    latest_odi_by_points: bool | None = None
    latest_odi_by_percent: bool | None = None
    latest_nrs_by_points: bool | None = None
    latest_nrs_by_percent: bool | None = None
    checked_weeks: str = ""
    activity_weeks: int = 0
    activity_quota_met: int = 0
    activity_ratios: int = 0
    activity_ratio_sum: float = 0.0
    activity_ratio_squares: float = 0.0
    open_alert_count: int = 0
    has_open_alert: bool = False
    has_red_flag: bool = False
    has_worsening: bool = False
    has_missed: bool = False
    has_flare: bool = False
    last_checkin_at: dt.datetime | None = None
    # Each belief item's change from intake to the latest belief check-in of the same wording (`beliefs.change`).
    belief_consequences_change: int | None = None
    belief_personal_control_change: int | None = None
    belief_treatment_control_change: int | None = None
    belief_concern_change: int | None = None


SUMMARY_FIELDS = tuple(f.name for f in dataclasses.fields(Summary))


def summarise(checkins: Iterable[Week], open_alert_kinds: Iterable[str]) -> Summary:
    """The summary of one episode from its check-ins (any order) and the kinds of its open alerts.

    Responder flags are `scoring.change_from_baseline`'s on the exact scores (points and sections answered), None
    without a follow-up (a check-in after the baseline) or a score; `any_responder` is true when either is, which
    is what `outcomes.any_responder_q` decides in SQL on the same rows. `worsening`: the latest follow-up meets
    the worsening criterion against the baseline (`scoring.meets_worsening`, docs/clinical-rules.md)."""
    rows = sorted(checkins, key=lambda row: row.week)
    kinds = list(open_alert_kinds)
    alerts: dict[str, Any] = {
        "open_alert_count": len(kinds),
        "has_open_alert": bool(kinds),
        **{flag: kind in kinds for kind, flag in ALERT_FLAGS.items()},
    }
    if not rows:
        return Summary(**alerts)
    baseline, latest = rows[0], rows[-1]
    base_odi = scoring.odi_score_from(baseline.odi_points, baseline.odi_answered)
    latest_odi = scoring.odi_score_from(latest.odi_points, latest.odi_answered)
    follow_up = latest.week != baseline.week
    odi = scoring.change_from_baseline(base_odi, latest_odi if follow_up else None, scoring.ODI_MCID_POINTS)
    nrs = scoring.change_from_baseline(
        baseline.pain_nrs, latest.pain_nrs if follow_up else None, scoring.NRS_MCID_POINTS
    )
    by_week = {row.week: row for row in rows}
    follow_ups: dict[str, Any] = {}
    changes = {"latest": {"odi": odi, "nrs": nrs}}
    for week in FOLLOW_UP_WEEKS:
        found = by_week.get(week) if week > baseline.week else None
        follow_ups[f"week_{week}_odi_points"] = found.odi_points if found else None
        follow_ups[f"week_{week}_odi_answered"] = found.odi_answered if found else None
        follow_ups[f"week_{week}_nrs"] = found.pain_nrs if found else None
        changes[f"week_{week}"] = {
            "odi": scoring.change_from_baseline(
                base_odi,
                scoring.odi_score_from(found.odi_points, found.odi_answered) if found else None,
                MEASURES["odi"],
            ),
            "nrs": scoring.change_from_baseline(baseline.pain_nrs, found.pain_nrs if found else None, MEASURES["nrs"]),
        }
    for timepoint, by_measure in changes.items():
        for measure, change in by_measure.items():
            follow_ups[f"{timepoint}_{measure}_by_points"] = change.responder_points
            follow_ups[f"{timepoint}_{measure}_by_percent"] = change.responder_percent
    checked = {row.week for row in rows if 1 <= row.week <= MAX_PROGRAM_WEEKS}
    follow_ups["checked_weeks"] = "".join(
        "1" if week in checked else "0" for week in range(1, max(checked, default=0) + 1)
    )
    follow_ups |= activity_totals(entry for row in rows for entry in row.activities or ())
    follow_ups |= belief_changes(rows)
    return Summary(
        checkin_count=len(rows),
        weeks_checked_in=sum(1 for row in rows if row.week >= 1),
        baseline_week=baseline.week,
        baseline_odi=baseline.odi_score,
        baseline_odi_points=baseline.odi_points,
        baseline_odi_answered=baseline.odi_answered,
        baseline_nrs=baseline.pain_nrs,
        latest_week=latest.week,
        latest_odi=latest.odi_score,
        latest_odi_points=latest.odi_points,
        latest_odi_answered=latest.odi_answered,
        latest_nrs=latest.pain_nrs,
        # As `outcomes._changes`: the stored scores' difference (for sorting); rules read the exact scores.
        odi_change=(
            baseline.odi_score - latest.odi_score
            if baseline.odi_score is not None and latest.odi_score is not None
            else None
        ),
        nrs_change=baseline.pain_nrs - latest.pain_nrs,
        odi_responder=odi.responder,
        nrs_responder=nrs.responder,
        any_responder=bool(odi.responder or nrs.responder),
        worsening=follow_up
        and scoring.meets_worsening(
            odi=latest_odi, nrs=latest.pain_nrs, baseline_odi=base_odi, baseline_nrs=baseline.pain_nrs
        ),
        last_checkin_at=max(row.submitted_at for row in rows),
        **follow_ups,
        **alerts,
    )


def belief_changes(rows: Iterable[Week]) -> dict[str, int | None]:
    """The `belief_<item>_change` figures of a summary: from the intake to the latest belief check-in of the same
    wording (`patients.beliefs.intake_and_latest`), for each item answered at both."""
    course = beliefs.intake_and_latest(
        (row.week, row.beliefs_version, {item: getattr(row, f"belief_{item}") for item in beliefs.ITEMS})
        for row in rows
        if row.beliefs_version
    )
    intake, latest = course if course else (None, None)
    return {
        f"belief_{item}_change": beliefs.change(intake[2], latest[2] if latest else None, item) if intake else None
        for item in beliefs.ITEMS
    }


def activity_week(entry: dict[str, Any]) -> tuple[bool, float | None] | None:
    """One graded-activity entry of a check-in ({"item", "done", "quota"}) as a report counts it: whether the
    week's whole-unit target was met (docs/clinical-rules.md, graded activity, rule 5, the goal the patient was
    shown) and done / target capped at 1 (None for a target of 0); None for an entry without both numbers."""
    if "done" not in entry or "quota" not in entry:
        return None
    return _activity_figures(str(entry["done"]), str(entry["quota"]))


@functools.lru_cache(maxsize=4096)
def _activity_figures(done_text: str, quota_text: str) -> tuple[bool, float | None] | None:
    # Kept per (done, quota): a summary reads every activity-week of the episode, and they repeat a few values.
    try:
        done, target = Decimal(done_text), weekly_target(Decimal(quota_text))
    except (ArithmeticError, ValueError):
        return None
    return done >= target, (float(min(done / target, Decimal(1))) if target > 0 else None)


def activity_totals(entries: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The `activity_*` figures of a summary from the activity entries of an episode's check-ins (week order)."""
    counted = [found for found in map(activity_week, entries) if found is not None]
    ratios = [ratio for _, ratio in counted if ratio is not None]
    return {
        "activity_weeks": len(counted),
        "activity_quota_met": sum(1 for met, _ in counted if met),
        "activity_ratios": len(ratios),
        "activity_ratio_sum": math.fsum(ratios),
        "activity_ratio_squares": math.fsum(ratio * ratio for ratio in ratios),
    }


def summary_of(row: EpisodeOutcome) -> Summary:
    """What a stored row says, to compare with `summarise` (the property test, the rebuild's idempotence)."""
    return Summary(**{name: getattr(row, name) for name in SUMMARY_FIELDS})


def _outcome(episode_id: int, patient_id: int, summary: Summary, keys: dict[str, Any] | None = None) -> EpisodeOutcome:
    return EpisodeOutcome(episode_id=episode_id, patient_id=patient_id, **dataclasses.asdict(summary), **(keys or {}))


# The report's keys of a summary (`report_keys`), written only by those who computed them.
KEY_FIELDS = (
    "clinic", "therapist", "time_zone", "first_assignment", "program", "week_one", "starts_on", "ended_on",
    "is_current",
)  # fmt: skip


def _upsert(outcomes: Sequence[EpisodeOutcome], *, with_keys: bool = False) -> None:
    # One INSERT ... ON CONFLICT DO UPDATE (PostgreSQL and SQLite): no read of the old row, and two writers of a
    # new row never fail on its primary key.
    EpisodeOutcome.objects.bulk_create(
        outcomes,
        update_conflicts=True,
        unique_fields=["episode"],
        update_fields=["patient", *SUMMARY_FIELDS, *(KEY_FIELDS if with_keys else ())],
    )


class FirstAssignment(NamedTuple):
    pk: int
    program_id: int | None
    start_date: dt.date


def first_assignments(episode_ids: Iterable[int]) -> dict[int, FirstAssignment]:
    """episode id -> its first assignment (earliest start date, then the lowest id). One query."""
    found: dict[int, FirstAssignment] = {}
    rows = Assignment.objects.filter(episode_id__in=list(episode_ids)).order_by("episode_id", "start_date", "pk")
    for episode_id, pk, program_id, start_date in rows.values_list("episode_id", "pk", "program_id", "start_date"):
        found.setdefault(episode_id, FirstAssignment(pk, program_id, start_date))
    return found


def report_keys(
    *,
    clinic_id: int,
    therapist_id: int | None,
    time_zone: str,
    started_on: dt.date,
    ended_on: dt.date | None,
    first: FirstAssignment | None,
    is_current: bool,
) -> dict[str, Any]:
    """What a report groups and filters an episode by, kept on its summary: the patient's clinic, primary therapist
    and time zone (today, for the weeks due), the first assignment (its program is the episode's in reports, its
    start week one), the date a report's range reads (week one, or the episode's start when nothing was assigned),
    the end of care, and whether it is the patient's current episode (`current_episodes`: the row the caseload and
    the patient's list read)."""
    return {
        "clinic_id": clinic_id,
        "therapist_id": therapist_id,
        "time_zone": time_zone,
        "first_assignment_id": first.pk if first else None,
        "program_id": first.program_id if first else None,
        "week_one": first.start_date if first else None,
        "starts_on": first.start_date if first else started_on,
        "ended_on": ended_on,
        "is_current": is_current,
    }


def current_episodes(episodes: Iterable[tuple[int, int, dt.date, dt.date | None]]) -> set[int]:
    """Of (id, patient id, started on, ended on) rows, the ids of each patient's current episode: the open one,
    else the one that began last (a discharged patient's last episode of care), the latest id on a tie."""
    best: dict[int, tuple[bool, dt.date, int]] = {}
    for pk, patient_id, started_on, ended_on in episodes:
        rank = (ended_on is None, started_on, pk)
        if patient_id not in best or rank > best[patient_id]:
            best[patient_id] = rank
    return {rank[2] for rank in best.values()}


def episode_keys(episode: Episode) -> dict[str, Any]:
    """`report_keys` of one episode (one query for its first assignment, one for the patient's episodes, one for
    its patient unless loaded)."""
    patient = episode.patient
    siblings = Episode.objects.filter(patient_id=episode.patient_id).values_list(
        "pk", "patient_id", "started_on", "ended_on"
    )
    return report_keys(
        clinic_id=patient.clinic_id,
        therapist_id=patient.primary_therapist_id,
        time_zone=patient.time_zone,
        started_on=episode.started_on,
        ended_on=episode.ended_on,
        first=first_assignments([episode.pk]).get(episode.pk),
        is_current=episode.pk in current_episodes(siblings),
    )


def patient_changed(patient: Patient, fields: Iterable[str]) -> None:
    """Carry a change of the patient's primary therapist or time zone to the report's keys of their episodes'
    summaries (`update_patient`, in its transaction). One UPDATE, or none for other fields."""
    fields = set(fields)
    changed: dict[str, Any] = {}
    if "primary_therapist" in fields:
        changed["therapist_id"] = patient.primary_therapist_id
    if "time_zone" in fields:
        changed["time_zone"] = patient.time_zone
    if changed:
        EpisodeOutcome.objects.filter(patient=patient).update(**changed)


def _weeks(episode: Episode, checkins: Iterable[CheckIn] | None) -> list[Week]:
    if checkins is None:
        return [Week(*row) for row in CheckIn.objects.filter(episode=episode).order_by().values_list(*CHECKIN_FIELDS)]
    return [Week(*(getattr(row, name) for name in CHECKIN_FIELDS)) for row in checkins]


def compute_outcome(episode: Episode, checkins: Iterable[CheckIn] | None = None) -> Summary:
    """The summary of one episode from its rows as they stand (two queries; one when the caller passes every
    check-in of the episode)."""
    kinds = Alert.objects.filter(episode=episode, acknowledged_at__isnull=True).values_list("kind", flat=True)
    return summarise(_weeks(episode, checkins), kinds)


def refresh_outcome(
    episode: Episode,
    *,
    checkins: Iterable[CheckIn] | None = None,
    keys_changed: bool = False,
    alerts_changed: bool = True,
) -> None:
    """Recompute and store one episode's summary from its check-ins and alerts. Call it inside the transaction
    that changed them, after the change, so the summary commits (or rolls back) with it. `checkins`: all of the
    episode's, as saved, when the caller holds them (`submit_checkin`, under its lock). Two statements: a read of
    the open alerts' kinds and one UPDATE of the row. (One UPDATE with the alert columns as subqueries saved a
    statement but cost more: Django built six subqueries per check-in, about a sixth of the submission's time.)
    A row not written yet (an episode made before the summaries, or by a bulk load) is inserted whole, with the
    report's keys.

    `alerts_changed=False` (`submit_checkin` when it raised no alert): the alert figures the row holds were written
    by the last change of the episode's alerts, which refreshed it, so they still hold; only the check-in figures
    are written, in one UPDATE with no read of the alerts (the usual check-in: a statement less, a sixth of the
    summary's cost).

    `submit_checkin`'s lock covers the check-ins that exist: two submissions of different new weeks of one
    episode at the same instant can each miss the other's week (as its alert rules can), and the later commit's
    summary stands until the next change; `rebuild_outcome_summaries` repairs it.

    `keys_changed` (`open_episode`, `assign_program`, discharge): also write the report's keys (`episode_keys`:
    the first assignment found again, one query), in one upsert. The patient's own keys follow `update_patient`
    (`patient_changed`)."""
    if alerts_changed or keys_changed:
        summary = compute_outcome(episode, checkins)
    else:
        summary = summarise(_weeks(episode, checkins), ())
    if not keys_changed:
        figures = dataclasses.asdict(summary)
        if not alerts_changed:
            figures = {name: value for name, value in figures.items() if name not in ALERT_FIELDS}
        if EpisodeOutcome.objects.filter(episode_id=episode.pk).update(**figures):
            return
        if not alerts_changed:
            summary = compute_outcome(episode, checkins)  # a row not written yet needs its alert figures too
    # A new row, or new keys: the whole summary with the report's keys.
    keys = episode_keys(episode)
    _upsert([_outcome(episode.pk, episode.patient_id, summary, keys)], with_keys=True)
    if keys["is_current"]:  # a new episode: the one before is no longer the patient's current
        EpisodeOutcome.objects.filter(patient_id=episode.patient_id, is_current=True).exclude(
            episode_id=episode.pk
        ).update(is_current=False)


def rebuild_outcomes(episodes: QuerySet[Episode] | None = None, *, batch_size: int = 2000) -> int:
    """Recompute the summaries of `episodes` (default: all) set-based: per batch of episodes, one read of their
    check-ins, one of their open alerts, one of their assignments and one upsert, in a transaction of its own.
    Idempotent; returns the number of episodes."""
    episodes = Episode.objects.all() if episodes is None else episodes
    done = 0
    batch: list[EpisodeRow] = []
    rows = episodes.order_by("pk").values_list(*EpisodeRow._fields).iterator(chunk_size=batch_size)
    for row in rows:
        batch.append(EpisodeRow(*row))
        if len(batch) >= batch_size:
            done += _rebuild_batch(batch)
            batch = []
    if batch:
        done += _rebuild_batch(batch)
    return done


class EpisodeRow(NamedTuple):
    """What the rebuild reads of an episode and its patient (the names are `Episode` lookups)."""

    pk: int
    patient_id: int
    started_on: dt.date
    ended_on: dt.date | None
    patient__clinic_id: int
    patient__primary_therapist_id: int | None
    patient__time_zone: str


@transaction.atomic
def _rebuild_batch(batch: list[EpisodeRow]) -> int:
    # The check-ins and alerts read are locked as `submit_checkin` locks them, so a submission meanwhile waits
    # and then refreshes its episode after this batch, never overwritten by it.
    ids = [episode.pk for episode in batch]
    weeks: dict[int, list[Week]] = defaultdict(list)
    checkins = CheckIn.objects.select_for_update().filter(episode_id__in=ids).order_by()
    for episode_id, *fields in checkins.values_list("episode_id", *CHECKIN_FIELDS):
        weeks[episode_id].append(Week(*fields))
    kinds: dict[int, list[str]] = defaultdict(list)
    alerts = Alert.objects.select_for_update().filter(episode_id__in=ids, acknowledged_at__isnull=True).order_by()
    for episode_id, kind in alerts.values_list("episode_id", "kind"):
        kinds[episode_id].append(kind)
    firsts = first_assignments(ids)
    siblings = Episode.objects.filter(patient_id__in={episode.patient_id for episode in batch}).order_by()
    current = current_episodes(siblings.values_list("pk", "patient_id", "started_on", "ended_on"))
    outcomes = []
    for episode in batch:
        summary = summarise(weeks[episode.pk], kinds[episode.pk])
        keys = report_keys(
            clinic_id=episode.patient__clinic_id,
            therapist_id=episode.patient__primary_therapist_id,
            time_zone=episode.patient__time_zone,
            started_on=episode.started_on,
            ended_on=episode.ended_on,
            first=firsts.get(episode.pk),
            is_current=episode.pk in current,
        )
        outcomes.append(_outcome(episode.pk, episode.patient_id, summary, keys))
    _upsert(outcomes, with_keys=True)
    return len(batch)
