"""Check-ins and alerts: a week's answers scored and stored, the alerts they raise, acknowledging them, and
the daily missed check-in job."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext

from audit.services import record
from cft.jobs import JobRun
from outbox.services import enqueue
from patients import adherence, beliefs, scoring
from patients.belief_wording import version_for
from patients.dates import checked_week
from patients.models import (
    ALERT_NOTE_MAX_LENGTH,
    CHECKIN_NOTE_MAX_LENGTH,
    RED_FLAGS,
    Alert,
    AssignmentItem,
    CheckIn,
    CheckInVersion,
    Episode,
    Patient,
)
from patients.plans import activity_quota, episode_tasks, items_in_week
from patients.summaries import refresh_outcome
from programs.quotas import DEFAULT_FLARE_MARGIN, MOST_IN_A_WEEK, WEEKLY_MAXIMUM, is_flare, weekly_target

ALERT_TASK = "reminders.notify_alert"
# A patient may change a week's check-in this many times in all (each change keeps the earlier answers as a
# CheckInVersion, with an audit row): enough to correct a week, not to fill the database. Staff may still
# correct a week past it.
MAX_VERSIONS_A_WEEK = 20


def current_week(patient: Patient, episode: Episode, now: dt.datetime | None = None) -> int | None:
    """The program week today in the patient's own time zone (None before the program starts)."""
    return episode.program_week_on(patient.local_today(now))


@dataclass
class CheckInResult:
    checkin: CheckIn
    created: bool
    alerts: list[Alert]

    @property
    def red_flag_urgency(self) -> str | None:
        """'emergency' or 'urgent' when a red flag was answered yes, for the message the patient sees."""
        urgencies = {RED_FLAGS[key][1] for key in self.checkin.red_flags}
        if not urgencies:
            return None
        return "emergency" if "emergency" in urgencies else "urgent"


@dataclass(frozen=True)
class ActivityAnswer:
    """What was done of one activity of this week's plan, in its unit."""

    item: int
    done: Decimal


@dataclass(frozen=True)
class CopingAnswer:
    """Whether one coping strategy of this week's plan was used, and how helpful it was (0-10)."""

    item: int
    used: bool = False
    helpful: int | None = None


@dataclass(frozen=True)
class CheckInAnswers:
    """One week's answers, as the patient page, the API or staff give them to `submit_checkin`.

    `odi`: the ten ODI answers in section order, None for a skipped section. `red_flags`: {question key: yes}
    or the keys answered yes. The values are checked by `submit_checkin`, which names the bad one."""

    odi: Sequence[int | None]
    pain_nrs: int
    red_flags: Mapping[str, bool] | Sequence[str] | None = None
    activities: Sequence[ActivityAnswer] = ()
    coping: Sequence[CopingAnswer] = ()
    note: str = ""
    # The belief section ({item: 0-10 or None}, `patients.beliefs.ITEMS`), given only in weeks it is due.
    beliefs: Mapping[str, Any] | None = None


def _clean_beliefs(value: Any, week: int, patient: Patient) -> tuple[dict[str, int | None], str]:
    """The belief answers as stored, and the version of the wording they answer ("" when none is answered).
    Given in a week the section is not due (`beliefs.is_due`), they are refused rather than dropped."""
    empty: dict[str, int | None] = dict.fromkeys(beliefs.ITEMS)
    if value is None or (isinstance(value, Mapping) and not value):
        return empty, ""
    if not isinstance(value, Mapping):
        raise ValidationError({"beliefs": "Give the belief answers as an object of item: 0-10."})
    if not beliefs.is_due(week):
        every = beliefs.EVERY_WEEKS
        raise ValidationError(
            {"beliefs": f"The belief questions are asked at intake and every {every} weeks, not in week {week}."}
        )
    cleaned = dict(empty)
    for item, answer in value.items():
        if item not in beliefs.ITEMS:
            raise ValidationError({f"beliefs.{item}": "Unknown question."})
        if answer is not None and (
            isinstance(answer, bool) or not isinstance(answer, int) or not beliefs.LOWEST <= answer <= beliefs.HIGHEST
        ):
            raise ValidationError({f"beliefs.{item}": "Choose a whole number from 0 to 10, or leave it unanswered."})
        cleaned[item] = answer
    if all(answer is None for answer in cleaned.values()):
        return cleaned, ""
    return cleaned, version_for(patient.clinic_id, patient.language)


def _clean_red_flags(value: Any) -> list[str]:
    """Accepts {key: bool} or a list of keys answered yes."""
    if value is None:
        return []
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(RED_FLAGS))
        if unknown:
            raise ValidationError({"red_flags": f"Unknown red-flag question(s): {', '.join(unknown)}."})
        for key, answer in value.items():
            if not isinstance(answer, bool):
                raise ValidationError({f"red_flags.{key}": "Answer yes (true) or no (false)."})
        return [key for key in RED_FLAGS if value.get(key)]
    if isinstance(value, (list, tuple)):
        unknown = sorted({str(k) for k in value} - set(RED_FLAGS))
        if unknown:
            raise ValidationError({"red_flags": f"Unknown red-flag question(s): {', '.join(unknown)}."})
        return [key for key in RED_FLAGS if key in value]
    raise ValidationError({"red_flags": "Give the red-flag answers as an object of yes/no answers."})


ONE_DECIMAL = Decimal("0.1")  # what is done is kept to one decimal (minutes, metres), as the page's field


def _clean_activities(
    value: Sequence[ActivityAnswer], items: dict[int, AssignmentItem], quotas: dict[int, Any]
) -> list[dict[str, Any]]:
    from programs.services import to_decimal

    if not isinstance(value, (list, tuple)):
        raise ValidationError({"activities": "Must be a list."})
    cleaned = []
    for index, entry in enumerate(value):
        if not isinstance(entry, ActivityAnswer):
            raise ValidationError({f"activities[{index}]": "Give the activity's item id and what was done."})
        if isinstance(entry.done, bool):
            raise ValidationError({f"activities[{index}].done": "Must be a number."})
        done = to_decimal(entry.done, f"activities[{index}].done")
        if done < 0:
            raise ValidationError({f"activities[{index}].done": "Cannot be negative."})
        item = items.get(entry.item) if isinstance(entry.item, int) and not isinstance(entry.item, bool) else None
        if item is None or item.kind != AssignmentItem.Kind.ACTIVITY:
            raise ValidationError({f"activities[{index}].item": "Not an activity of this week's plan."})
        # Bounded before any arithmetic: rounding 1e30 to one decimal needs more digits than a decimal context
        # holds (decimal.InvalidOperation); comparing never raises.
        most = WEEKLY_MAXIMUM.get(item.unit, MOST_IN_A_WEEK)
        if done > most:
            # In the language active for the caller: the patient's on their pages, English in the API.
            message = gettext("At most %(most)s %(unit)s can be done in a week; check the number.") % {
                "most": number_format(most, force_grouping=True),
                "unit": gettext(item.unit),
            }
            raise ValidationError({f"activities[{index}].done": message})
        if done != done.quantize(ONE_DECIMAL):
            raise ValidationError({f"activities[{index}].done": "Give at most one decimal place."})
        # Stored as written, without an exponent (1E+2 is "100") or a sign on zero (-0.0 is "0.0").
        cleaned.append({"item": item.pk, "done": format(done + 0, "f"), "quota": str(quotas[item.pk])})
    return cleaned


def _clean_coping(value: Sequence[CopingAnswer], items: dict[int, AssignmentItem]) -> list[dict[str, Any]]:
    if not isinstance(value, (list, tuple)):
        raise ValidationError({"coping": "Must be a list."})
    cleaned = []
    for index, entry in enumerate(value):
        if not isinstance(entry, CopingAnswer):
            raise ValidationError({f"coping[{index}]": "Give the strategy's item id."})
        item = items.get(entry.item) if isinstance(entry.item, int) else None
        if item is None or item.kind != AssignmentItem.Kind.COPING:
            raise ValidationError({f"coping[{index}].item": "Not a coping strategy of this week's plan."})
        used = entry.used
        if not isinstance(used, bool):
            raise ValidationError({f"coping[{index}].used": "Answer yes (true) or no (false)."})
        helpful: int | None = entry.helpful
        if helpful is not None and not used:
            raise ValidationError(
                {f"coping[{index}].helpful": "Say how helpful the strategy was only if you used it this week."}
            )
        if helpful is not None:
            try:
                helpful = scoring.validate_nrs(helpful, f"coping[{index}].helpful")
            except scoring.ScoringError as exc:
                raise ValidationError({exc.field: exc.message}) from None
        cleaned.append({"item": item.pk, "used": used, "helpful": helpful})
    return cleaned


def submit_checkin(
    *,
    patient: Patient,
    answers: CheckInAnswers,
    week: int | None = None,
    by: Any = None,
    now: dt.datetime | None = None,
    episode: Episode | None = None,
    items: list[AssignmentItem] | None = None,
) -> CheckInResult:
    """Score and store one week's check-in (docs/clinical-rules.md), all or nothing.

    One check-in per episode and program week: a resubmission replaces the answers and keeps the earlier
    version in CheckInVersion. Staff (`by` set) may enter week 0, an intake before the program. Raises the
    red-flag, worsening and flare alerts and queues their notifications after commit.

    A caller that has just read the patient's open episode (`patient.current_episode()`) and its items
    (`episode_items`) may pass them, so they are not read twice.
    """
    now = now or timezone.now()
    staff = by is not None and getattr(by, "is_authenticated", False)
    if patient.status == Patient.Status.DISCHARGED:
        raise ValidationError({"patient": "This patient has been discharged; check-ins are closed."})
    if episode is None or episode.patient_id != patient.pk or episode.ended_on is not None:
        episode = patient.current_episode()
        items = None
    if episode is None:
        raise ValidationError({"patient": "This patient has no open episode of care."})
    today_week = current_week(patient, episode, now)
    if today_week is None and not staff:
        raise ValidationError({"week": "The program has not started yet."})
    if week is None:
        week = today_week
    if isinstance(week, bool) or not isinstance(week, int):
        raise ValidationError({"week": "Must be a whole number."})
    lowest = 0 if staff else 1
    if week < lowest:
        raise ValidationError({"week": "This week is before the program start."})
    if week > (today_week or 0):
        raise ValidationError({"week": "This week is in the future."})
    try:
        odi_result = scoring.score_odi(answers.odi)
        nrs = scoring.validate_nrs(answers.pain_nrs)
    except scoring.ScoringError as exc:
        raise ValidationError({exc.field: exc.message}) from None
    flags = _clean_red_flags(answers.red_flags)
    if not isinstance(answers.note, str):
        raise ValidationError({"note": "Must be text."})
    if len(answers.note) > CHECKIN_NOTE_MAX_LENGTH:  # the rule lives here; the form and the API say it first
        limit, length = CHECKIN_NOTE_MAX_LENGTH, len(answers.note)
        raise ValidationError({"note": f"Keep the note to {limit:,} characters or fewer (it has {length:,})."})
    belief_answers, beliefs_version = _clean_beliefs(answers.beliefs, week, patient)

    # Narratives are never answered: an item id naming one is rejected like any id not in the plan.
    tasks = episode_tasks(episode) if items is None else [i for i in items if i.kind != AssignmentItem.Kind.NARRATIVE]
    # The week's own plan, also for a past week: the programs and items it had, each component once.
    by_id = {item.pk: item for item in items_in_week(tasks, week, episode.week_one_starts_on())}
    user = by if staff else None

    def store() -> CheckInResult:
        with transaction.atomic():
            # One read of the episode's check-ins serves the quotas, the upsert and the alert rules. Locking them
            # makes a patient's concurrent submissions queue up instead of racing.
            rows = {row.week: row for row in CheckIn.objects.select_for_update().filter(episode=episode).order_by()}
            existing = rows.pop(week, None)
            if existing is not None and not staff and existing.version >= MAX_VERSIONS_A_WEEK:
                message = gettext(
                    "This week's check-in has been changed %(most)s times, the most a week allows. "
                    "If something needs correcting, tell your physiotherapist."
                ) % {"most": MAX_VERSIONS_A_WEEK}
                raise ValidationError({"week": message})
            history = {w: row.pain_nrs for w, row in rows.items()}
            baseline_nrs = history[min(history)] if history and min(history) < week else nrs
            history_with_this = {**history, week: nrs}
            quotas = {
                pk: activity_quota(item, week, baseline_nrs, history_with_this)
                for pk, item in by_id.items()
                if item.kind == AssignmentItem.Kind.ACTIVITY
            }
            activities = _clean_activities(answers.activities or [], by_id, quotas)
            stored = {
                "odi": list(answers.odi),
                "pain_nrs": nrs,
                "red_flags": flags,
                "activities": activities,
                "coping": _clean_coping(answers.coping or [], by_id),
                "note": answers.note,
                "beliefs": belief_answers,
                "beliefs_version": beliefs_version,
                # For the caseload's adherence (docs/clinical-rules.md, adherence): every activity due this week.
                "activities_met": adherence.met_in_checkin(
                    {pk: weekly_target(quota) for pk, quota in quotas.items()},
                    {entry["item"]: Decimal(entry["done"]) for entry in activities},
                ),
            }
            checkin, created = _upsert_checkin(patient, episode, week, odi_result, stored, user, now, existing)
            week_one = episode.week_one_starts_on()

            def plan_of(w: int) -> list[AssignmentItem]:
                return list(by_id.values()) if w == week else items_in_week(tasks, w, week_one)

            alerts = _raise_alerts(patient, episode, checkin, plan_of, now, {**rows, week: checkin})
            # The episode's summary commits with the answers and alerts, from the rows already read under lock; with
            # no alert raised, the alert figures it holds stand and are not read again.
            refresh_outcome(episode, checkins=[*rows.values(), checkin], alerts_changed=bool(alerts))
            record(
                "checkin.update" if not created else "checkin.create",
                checkin,
                user,
                actor_label="" if staff else "patient",
                details={"week": week, "version": checkin.version},
            )
        return CheckInResult(checkin=checkin, created=created, alerts=alerts)

    try:
        return store()
    except IntegrityError:
        # Another submission of this week inserted its row after our locked read: the insert failed and its
        # transaction rolled back. Done again, the read finds that row under lock and this becomes a new version
        # of it. (A savepoint around the insert cost two statements on every submission, for a rare race.)
        return store()


def _upsert_checkin(
    patient: Patient,
    episode: Episode,
    week: int,
    odi_result: scoring.OdiResult,
    answers: dict[str, Any],
    user: Any,
    now: dt.datetime,
    existing: CheckIn | None,
) -> tuple[CheckIn, bool]:
    """Create the week's check-in, or make `existing` (read under lock) a new version of it."""
    fields = {
        "patient": patient,
        "odi_answers": answers["odi"],
        "odi_points": odi_result.points,
        "odi_answered": odi_result.answered,
        "odi_score": scoring.four_decimals(odi_result.score),
        "pain_nrs": answers["pain_nrs"],
        "red_flags": answers["red_flags"],
        "activities": answers["activities"],
        "coping": answers["coping"],
        "activities_met": answers["activities_met"],
        "note": answers["note"],
        **{f"belief_{item}": answer for item, answer in answers["beliefs"].items()},
        "beliefs_version": answers["beliefs_version"],
        "entered_by": CheckIn.EnteredBy.STAFF if user else CheckIn.EnteredBy.PATIENT,
        "entered_by_user": user,
        "submitted_at": now,
    }
    if existing is None:
        # A racing insert of the same week fails on the unique constraint; `submit_checkin` then does it again.
        return CheckIn.objects.create(episode=episode, week=week, **fields), True
    CheckInVersion.objects.create(
        checkin=existing,
        version=existing.version,
        answers=_answers_of(existing),
        submitted_at=existing.submitted_at,
    )
    for name, value in fields.items():
        setattr(existing, name, value)
    existing.version += 1
    existing.save()
    return existing, False


def _answers_of(checkin: CheckIn) -> dict[str, Any]:
    return {
        "odi": checkin.odi_answers,
        "odi_score": str(checkin.odi_score) if checkin.odi_score is not None else None,
        "pain_nrs": checkin.pain_nrs,
        "red_flags": checkin.red_flags,
        "activities": checkin.activities,
        "coping": checkin.coping,
        "note": checkin.note,
        "beliefs": checkin.beliefs,
        "beliefs_version": checkin.beliefs_version,
        "entered_by": checkin.entered_by,
        "entered_by_user_id": checkin.entered_by_user_id,
    }


def _raise_alerts(
    patient: Patient,
    episode: Episode,
    checkin: CheckIn,
    plan_of: Callable[[int], list[AssignmentItem]],
    now: dt.datetime,
    rows: dict[int, CheckIn],
) -> list[Alert]:
    """Red flag (any yes, urgent), worsening (two consecutive weeks meeting the criterion, whichever of them
    arrives last), flare (an activity's flare rule triggered). Each week is recorded once per episode and kind, in
    the one open alert of that kind (`_raise`); a red flag escalates (`_raise_red_flag`). `rows` are the
    episode's check-ins by week, this one included; `plan_of(week)` is that week's plan (`items_in_week`), so a
    week judged again is judged against its own program's flare rules, also after a program change."""
    raised: list[Alert] = []
    week = checkin.week
    if checkin.red_flags:
        raised += _raise_red_flag(patient, episode, week, checkin.red_flags, now)
    baseline_week = min(rows)
    # A week after the baseline pairs with the week before and the week after: a late or corrected week can
    # complete a pair either way, and the alert is the pair's later week's. A new or corrected baseline changes
    # what every later week is measured against, so then each later week is judged again. Either way the alerts
    # are the rules' on the answers as they stand, in whatever order the weeks arrive.
    judged = [w for w in rows if w > baseline_week] if week == baseline_week else [week]
    if judged:
        base = rows[baseline_week]
        base_odi = base.odi_exact

        def meets(row: CheckIn) -> bool:
            return scoring.meets_worsening(
                odi=row.odi_exact, nrs=row.pain_nrs, baseline_odi=base_odi, baseline_nrs=base.pain_nrs
            )

        for later in sorted({w for j in judged for w in (j, j + 1)}):
            earlier = rows.get(later - 1)
            if earlier is None or later - 1 == baseline_week or later not in rows:
                continue
            if meets(earlier) and meets(rows[later]):
                raised += _raise(patient, episode, Alert.Kind.WORSENING, later, False, {}, now)
        for w in sorted(judged):
            activities = [item for item in plan_of(w) if item.kind == AssignmentItem.Kind.ACTIVITY]
            flared = next(
                (
                    item
                    for item in activities
                    if is_flare(rows[w].pain_nrs, base.pain_nrs, item.flare_margin or DEFAULT_FLARE_MARGIN)
                ),
                None,
            )
            if flared is not None:
                raised += _raise(patient, episode, Alert.Kind.FLARE, w, False, {"item": flared.pk}, now)
    return raised


def _lock_open_alert(episode: Episode, kind: str) -> Alert | None:
    """The episode's open alert of this kind, locked: concurrent submissions of one patient update it in turn."""
    return Alert.objects.select_for_update().filter(episode=episode, kind=kind, acknowledged_at__isnull=True).first()


def _lock_alerts(episode: Episode, kind: str) -> tuple[Alert | None, list[Alert]]:
    """The episode's open alert of this kind and its acknowledged ones, in one locked read."""
    rows = list(Alert.objects.select_for_update().filter(episode=episode, kind=kind).order_by("pk"))
    return next((row for row in rows if row.acknowledged_at is None), None), [
        row for row in rows if row.acknowledged_at is not None
    ]


def _open_alert(
    patient: Patient,
    episode: Episode,
    kind: str,
    week: int,
    *,
    urgent: bool,
    details: dict[str, Any],
    now: dt.datetime,
) -> tuple[Alert, bool]:
    """Open the episode's alert of this kind for `week`, or, when a concurrent submission opened it first (the
    database holds one open alert per episode and kind), lock and return that one: the patient never sees the
    race."""
    fields = {
        "week": week,
        "latest_week": week,
        "weeks": [week],
        "urgent": urgent,
        "details": details,
        "raised_at": now,
        "updated_at": now,
    }
    try:
        with transaction.atomic():
            return Alert.objects.create(patient=patient, episode=episode, kind=kind, **fields), True
    except IntegrityError:
        alert = _lock_open_alert(episode, kind)
        if alert is None:  # acknowledged in between: open ours
            return Alert.objects.create(patient=patient, episode=episode, kind=kind, **fields), True
        return alert, False


def _add_week(alert: Alert, week: int, now: dt.datetime) -> list[str]:
    """Add a week to an open alert; the fields to save."""
    alert.weeks = sorted({*alert.weeks, week})
    alert.week, alert.latest_week = alert.weeks[0], alert.weeks[-1]
    alert.updated_at = now
    return ["weeks", "week", "latest_week", "updated_at"]


def _raise_red_flag(patient: Patient, episode: Episode, week: int, flags: list[str], now: dt.datetime) -> list[Alert]:
    """Red flags (docs/clinical-rules.md): the episode's one open red-flag alert lists every flag answered yes, by
    week. A flag not yet reported for its week (a resubmission adding one, or a red flag in another week while the
    alert is open) escalates it and notifies the therapist again, once per escalation; with no alert open, it opens
    one, notified at once. A resubmission repeating flags already reported (even in an acknowledged alert) raises
    nothing."""
    alert, acknowledged = _lock_alerts(episode, Alert.Kind.RED_FLAG)
    reported = {key for earlier in acknowledged for key in _flags_by_week(earlier.details).get(str(week), [])}
    if alert is None:
        added = [key for key in flags if key not in reported]
        if not added:
            return []
        details: dict[str, Any] = {"questions": flags, "by_week": {str(week): flags}}
        if reported:  # the week was reported and acknowledged before: the therapist hears what is new
            details.update(added=added, added_week=week)
        alert, created = _open_alert(patient, episode, Alert.Kind.RED_FLAG, week, urgent=True, details=details, now=now)
        if created:
            enqueue(ALERT_TASK, alert_id=alert.pk)
            return [alert]
    alert.patient = patient  # the one in hand: the audit record reads it without a query
    by_week = _flags_by_week(alert.details)
    known = set(by_week.get(str(week), [])) | reported
    added = [key for key in flags if key not in known]
    if not added:
        return []
    by_week[str(week)] = [key for key in RED_FLAGS if key in known or key in flags]
    questions = {key for keys in by_week.values() for key in keys}
    alert.details = {
        **alert.details,
        "questions": [key for key in RED_FLAGS if key in questions],
        "by_week": dict(sorted(by_week.items(), key=lambda item: int(item[0]))),
        "added": added,
        "added_week": week,
    }
    alert.urgent = True
    alert.escalation += 1
    fields = _add_week(alert, week, now)
    alert.save(update_fields=[*fields, "details", "urgent", "escalation"])
    record(
        "alert.escalate",
        alert,
        None,
        actor_label="patient",
        details={"week": week, "added": added, "escalation": alert.escalation},
    )
    enqueue(ALERT_TASK, alert_id=alert.pk, escalation=alert.escalation)
    return [alert]


def _flags_by_week(details: Any) -> dict[str, list[str]]:
    if not isinstance(details, dict):
        return {}
    return {str(week): list(keys) for week, keys in (details.get("by_week") or {}).items()}


def _raise(
    patient: Patient, episode: Episode, kind: str, week: int, urgent: bool, details: dict[str, Any], now: dt.datetime
) -> list[Alert]:
    """A week meeting the rule of `kind` (worsening, flare, missed): added to the episode's open alert of that kind,
    or opening one when none is open (its notification queued). A week an alert of that kind already covers, open
    or acknowledged, raises nothing again: a corrected week does not re-open what the therapist has dealt with."""
    alert, acknowledged = _lock_alerts(episode, kind)
    if any(week in earlier.weeks for earlier in [*acknowledged, *([alert] if alert else [])]):
        return []
    if alert is None:
        alert, created = _open_alert(patient, episode, kind, week, urgent=urgent, details=details, now=now)
        if created:
            enqueue(ALERT_TASK, alert_id=alert.pk)
            return [alert]
        if week in alert.weeks:
            return []
    alert.save(update_fields=_add_week(alert, week, now))
    return [alert]


def acknowledge_alerts(
    *, alerts: Iterable[Alert] | QuerySet[Alert], by: Any, note: Any = "", ip_address: str | None = None
) -> list[Alert]:
    """Acknowledge several alerts at once with one note of what was done, all or nothing: each gets the same time,
    actor and note, and an audit record. Alerts already acknowledged (by someone else meanwhile) are left as they
    are. Raises ValidationError naming `alerts` (none chosen) or `note` (not text, or too long)."""
    ids = sorted({alert.pk for alert in alerts})
    if not ids:
        raise ValidationError({"alerts": "Choose at least one alert to acknowledge."})
    if not isinstance(note, str):
        raise ValidationError({"note": "Must be text."})
    note = note.strip()
    if len(note) > ALERT_NOTE_MAX_LENGTH:
        raise ValidationError(
            {"note": f"Keep the note to {ALERT_NOTE_MAX_LENGTH:,} characters or fewer (it has {len(note):,})."}
        )
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            Alert.objects.select_for_update()
            .filter(pk__in=ids, acknowledged_at__isnull=True)
            .select_related("patient")
            .order_by("pk")
        )
        for alert in rows:
            alert.acknowledged_at, alert.acknowledged_by, alert.note = now, by, note
        Alert.objects.bulk_update(rows, ["acknowledged_at", "acknowledged_by", "note"])
        for episode in Episode.objects.filter(pk__in={alert.episode_id for alert in rows}):
            refresh_outcome(episode)  # their open alerts changed
        for alert in rows:
            record(
                "alert.acknowledge",
                alert,
                by,
                ip_address=ip_address,
                # The note's length, not its text: the audit log is append-only and an erasure must reach
                # free text about the patient (patients.privacy.erase_patient blanks the note on the alert).
                details={"kind": alert.kind, "weeks": alert.weeks, "note_length": len(note)},
            )
    return rows


def acknowledge_alert(*, alert: Alert, by: Any, note: Any = "", ip_address: str | None = None) -> Alert:
    """One alert (`acknowledge_alerts`); acknowledging an acknowledged alert changes nothing."""
    acknowledge_alerts(alerts=[alert], by=by, note=note, ip_address=ip_address)
    alert.refresh_from_db()
    return alert


def raise_missed_checkin_alerts(now: dt.datetime | None = None) -> int:
    """Missed: no check-in for two program weeks in a row (the two weeks before the current one)."""
    now = now or timezone.now()
    raised = 0
    episodes = (
        Episode.objects.filter(ended_on__isnull=True, patient__status=Patient.Status.ACTIVE)
        .with_week_one()
        .filter(week_one__isnull=False)
        .select_related("patient")
    )
    run = JobRun("raise_missed_checkin_alerts")
    for episode in episodes.iterator(chunk_size=500):
        with run.row(clinic_id=episode.patient.clinic_id, object_type="Episode", object_id=episode.pk):
            week = checked_week(current_week(episode.patient, episode, now))
            if week is None or week < 3:
                continue
            done = set(episode.checkins.filter(week__in=[week - 1, week - 2]).values_list("week", flat=True))
            if not done:
                opened = _raise(episode.patient, episode, Alert.Kind.MISSED, week - 1, False, {}, now)
                if opened:  # in the row's transaction (`run.row`)
                    refresh_outcome(episode)
                raised += len(opened)
    return raised
