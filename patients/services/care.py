"""Care: patients, episodes, discharge and their links (check-in email, API token). Each raises django
ValidationError with a dict naming the bad field."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from audit.services import record
from clinics.models import is_staff_of
from outbox.services import enqueue
from patients.clinic_setup import check_checkin_link_may_be_sent
from patients.models import (
    DISCHARGE_NOTE_MAX_LENGTH,
    Episode,
    Patient,
    PatientToken,
    validate_time_zone,
)
from patients.summaries import patient_changed, refresh_outcome


def _check_time_zone(value: str) -> None:
    try:
        validate_time_zone(value)
    except ValidationError as exc:
        raise ValidationError({"time_zone": exc.messages}) from None


def check_primary_therapist(therapist: Any, clinic_id: int) -> None:
    """A patient's primary therapist is staff of the patient's clinic (the service and the admin form ask)."""
    if therapist is not None and not is_staff_of(therapist, clinic_id):
        raise ValidationError({"primary_therapist": "The therapist is not staff of this clinic."})


@transaction.atomic
def create_patient(*, clinic: Any, by: Any = None, **fields: Any) -> Patient:
    """Add a patient to the clinic. A language or time zone not given (or empty) is the clinic's default."""
    for name, default in (("language", clinic.default_language), ("time_zone", clinic.default_time_zone)):
        if not fields.get(name):
            fields[name] = default
    _check_time_zone(fields["time_zone"])
    check_primary_therapist(fields.get("primary_therapist"), clinic.pk)
    patient = Patient(clinic=clinic, **fields)
    patient.full_clean()
    patient.save()
    record("patient.create", patient, by)
    return patient


EDITABLE_PATIENT_FIELDS = (
    "first_name",
    "last_name",
    "record_number",
    "email",
    "phone",
    "time_zone",
    "checkin_weekday",
    "checkin_hour",
    "reminder_consent",
    "language",
    "primary_therapist",
)


class StaleRecord(ValidationError):
    """A save made on a copy of the record that someone else has changed since it was read."""

    def __init__(self, message: str, *, current: Patient, fields: list[str]) -> None:
        super().__init__({"version": message})
        self.current, self.fields = current, fields


def changes_since(patient: Patient, version: int) -> tuple[list[str], str, dt.datetime | None]:
    """What was changed in the record after `version` (the fields, by their labels), by whom and when: the audit
    events of the edits since, which carry the version each made."""
    from audit.models import AuditEvent

    events = list(
        AuditEvent.objects.filter(patient_id=patient.pk, action="patient.update", details__version__gt=version)
        .select_related("actor")
        .order_by("at")
    )
    names = sorted({name for event in events for name in event.details.get("fields", [])})
    labels = [str(getattr(Patient._meta.get_field(name), "verbose_name", name)) for name in names]
    last = events[-1] if events else None
    who = (last.actor.get_full_name() or last.actor.get_username()) if last and last.actor else "someone else"
    return labels, who, last.at if last else None


def check_version(patient: Patient, version: int | None) -> None:
    """Refuse a save made on a stale copy (`version` is the one the editor read), naming what changed and who."""
    if version is None or version == patient.version:
        return
    labels, who, when = changes_since(patient, version)
    at = f" at {timezone.localtime(when):%H:%M}" if when else ""
    what = f" ({', '.join(labels)})" if labels else ""
    raise StaleRecord(
        f"{who} changed this patient{what}{at} after you opened it. Nothing you entered was saved: reload the "
        "patient to see the current details, then make your change again.",
        current=patient,
        fields=labels,
    )


@transaction.atomic
def update_patient(
    *, patient: Patient, by: Any = None, status: str | None = None, version: int | None = None, **changes: Any
) -> Patient:
    """Edit a patient's details. `version`, when given, is the version of the record the editor read: a save
    made on an older copy is refused (`StaleRecord`), so one therapist never silently undoes another's edit. A
    status change goes through its own rule: pause/resume reminders, or discharge (which also closes the episode
    and revokes every link)."""
    unknown = set(changes) - set(EDITABLE_PATIENT_FIELDS)
    if unknown:
        raise ValidationError({name: "This field cannot be changed here." for name in sorted(unknown)})
    if version is not None:
        current = Patient.objects.select_for_update().only("version").get(pk=patient.pk).version
        patient.version = current
        check_version(patient, version)
    if "time_zone" in changes:
        _check_time_zone(changes["time_zone"])
    check_primary_therapist(changes.get("primary_therapist"), patient.clinic_id)
    if changes:
        for name, value in changes.items():
            setattr(patient, name, value)
        patient.full_clean()
        patient.version = F("version") + 1
        patient.save(update_fields=[*changes, "version"])
        patient.refresh_from_db(fields=["version"])
        patient_changed(patient, changes)  # the therapist and time zone the reports read of their episodes
        record("patient.update", patient, by, details={"fields": sorted(changes), "version": patient.version})
    if status is not None and status != patient.status:
        if status == Patient.Status.DISCHARGED:
            discharge_patient(patient=patient, by=by)
        elif patient.status == Patient.Status.DISCHARGED:
            raise ValidationError({"status": "A discharged patient cannot be made active again."})
        else:
            set_reminders_paused(patient=patient, paused=status == Patient.Status.PAUSED, by=by)
    return patient


@transaction.atomic
def open_episode(*, patient: Patient, started_on: dt.date, goals: str = "", by: Any = None) -> Episode:
    if patient.status == Patient.Status.DISCHARGED:
        raise ValidationError(
            {"patient": "This patient has been discharged; make them active again before starting new care."}
        )
    if patient.episodes.filter(ended_on__isnull=True).exists():
        raise ValidationError({"started_on": "This patient already has an open episode; close it first."})
    episode = Episode.objects.create(patient=patient, started_on=started_on, goals=goals)
    refresh_outcome(episode, keys_changed=True)
    record("episode.open", episode, by)
    return episode


@transaction.atomic
def set_reminders_paused(*, patient: Patient, paused: bool, by: Any = None) -> Patient:
    if patient.status == Patient.Status.DISCHARGED:
        raise ValidationError({"status": "A discharged patient gets no reminders."})
    patient.status = Patient.Status.PAUSED if paused else Patient.Status.ACTIVE
    patient.save(update_fields=["status"])
    record("patient.pause" if paused else "patient.resume", patient, by)
    return patient


CHECKIN_LINK_TASK = "reminders.send_checkin_link_now"


@transaction.atomic
def send_checkin_link_now(*, patient: Patient, by: Any = None) -> None:
    """Queue an email with a fresh check-in link now (outside the weekly schedule), through the outbox."""
    if patient.status == Patient.Status.DISCHARGED:
        raise ValidationError({"status": "A discharged patient gets no check-in links."})
    if not patient.email:
        raise ValidationError({"email": "The patient has no email address: add one on their page to send links."})
    if not patient.reminder_consent:
        raise ValidationError({"reminder_consent": "The patient has not agreed to be emailed."})
    check_checkin_link_may_be_sent(patient)  # the program has started; the clinic's licensed ODI wording
    enqueue(CHECKIN_LINK_TASK, patient_id=patient.pk)
    record(action="patient.send_checkin_link", actor=by, clinic_id=patient.clinic_id, patient_id=patient.pk)


@transaction.atomic
def discharge_patient(*, patient: Patient, by: Any = None, on: dt.date | None = None, note: str = "") -> Patient:
    """Discharge: close the open episode on `on` (the patient's today by default; not before the episode began,
    not in the future) with the therapist's note, stop reminders and revoke every magic link. The record and its
    history stay: the patient page shows the last episode, and care can start again (`start_new_episode`)."""
    if patient.status == Patient.Status.DISCHARGED:
        raise ValidationError({"status": "This patient has already been discharged."})
    today = patient.local_today()
    if on is not None and on > today:
        raise ValidationError({"ended_on": f"The discharge date cannot be in the future (today is {today})."})
    check_length("discharge_note", note, DISCHARGE_NOTE_MAX_LENGTH)
    episodes = list(patient.episodes.filter(ended_on__isnull=True))
    for episode in episodes:
        if on is not None and on < episode.started_on:
            raise ValidationError(
                {"ended_on": f"The discharge date cannot be before the episode began ({episode.started_on})."}
            )
    patient.status = Patient.Status.DISCHARGED
    patient.link_generation += 1
    patient.save(update_fields=["status", "link_generation"])
    for episode in episodes:
        # Without a date: today, or the day care was to start for a patient discharged before it did.
        episode.ended_on, episode.discharge_note = on or max(today, episode.started_on), note
        episode.save(update_fields=["ended_on", "discharge_note"])
        refresh_outcome(episode, keys_changed=True)  # no longer the caseload's row; the report's end of care
    record("patient.discharge", patient, by, details={"ended_on": (on or today).isoformat(), "note": bool(note)})
    return patient


@transaction.atomic
def reactivate_patient(*, patient: Patient, by: Any = None) -> Episode:
    """Undo a discharge, where the patient's clinic allows it (`Clinic.allow_reactivation`): the last episode
    opens again and the patient is active. Links sent before the discharge stay revoked (a new one can be sent).
    The discharge's date and note are kept in the audit trail, which records the reopening."""
    if patient.status != Patient.Status.DISCHARGED:
        raise ValidationError({"status": "Only a discharged patient's care can be reopened."})
    if not patient.clinic.allow_reactivation:
        raise ValidationError(
            {"status": f"{patient.clinic} does not reopen discharged care: start a new episode instead."}
        )
    episode = patient.episodes.filter(ended_on__isnull=False).order_by("-started_on", "-pk").first()
    if episode is None:
        raise ValidationError({"status": "This patient has no episode of care to reopen."})
    ended_on, note = episode.ended_on, episode.discharge_note
    episode.ended_on, episode.discharge_note = None, ""
    episode.save(update_fields=["ended_on", "discharge_note"])
    patient.status = Patient.Status.ACTIVE
    patient.save(update_fields=["status"])
    refresh_outcome(episode, keys_changed=True)
    record(
        "patient.reactivate",
        patient,
        by,
        details={"episode": episode.pk, "ended_on": ended_on.isoformat() if ended_on else None, "note": note},
    )
    return episode


@transaction.atomic
def start_new_episode(*, patient: Patient, started_on: dt.date, goals: str = "", by: Any = None) -> Episode:
    """Care starts again for a returning patient: a discharged patient becomes active (reminders resume once a
    program is assigned; links sent before the discharge stay revoked) and a new episode opens on `started_on`,
    which cannot be before the last episode ended. The earlier episodes and their check-ins stay as they were."""
    last_end = patient.episodes.filter(ended_on__isnull=False).order_by("-ended_on").values_list("ended_on", flat=True)
    ended = last_end.first()
    if ended is not None and started_on < ended:
        raise ValidationError({"started_on": f"The new episode cannot start before the last one ended ({ended})."})
    if patient.status == Patient.Status.DISCHARGED:
        patient.status = Patient.Status.ACTIVE
        patient.save(update_fields=["status"])
        record("patient.return", patient, by, details={"started_on": started_on.isoformat()})
    return open_episode(patient=patient, started_on=started_on, goals=goals, by=by)


def check_length(field: str, text: str, limit: int) -> None:
    """Refuse text over its limit, counted, never cut (the limit is the model's validator too)."""
    if len(text) > limit:
        raise ValidationError({field: f"Use at most {limit:,} characters (this has {len(text):,})."})


def issue_patient_token(*, patient: Patient, now: dt.datetime | None = None) -> tuple[str, PatientToken]:
    """An API token for a patient who opened a valid magic link. Returns the key (shown once; only its
    digest is stored) and the row. It stops working when it expires or when the patient's links are revoked."""
    from patients.authentication import PATIENT_TOKEN_PREFIX, token_digest

    now = now or timezone.now()
    key = PATIENT_TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = PatientToken.objects.create(
            patient=patient,
            digest=token_digest(key),
            link_generation=patient.link_generation,
            expires_at=now + dt.timedelta(hours=settings.PATIENT_TOKEN_MAX_AGE_HOURS),
        )
        record("patient.api_session", token, actor_label="patient")
    return key, token
