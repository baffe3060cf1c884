"""The first visit: care starts with a program and the week-0 baseline taken with the patient, all or nothing."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from patients.models import Assignment, Patient
from patients.services.assignments import assign_program_to_patient
from patients.services.care import send_checkin_link_now, start_new_episode, update_patient
from patients.services.checkins import CheckInAnswers, CheckInResult, submit_checkin


@dataclasses.dataclass(frozen=True)
class CareStarted:
    assignment: Assignment
    baseline: CheckInResult
    link_sent: bool
    link_refused: str = ""  # why the link asked for was not sent (the program starts later, ...)


@transaction.atomic
def start_care(
    *,
    patient: Patient,
    program: Any,
    start_date: dt.date,
    baseline: CheckInAnswers,
    goals: str = "",
    reminder_consent: bool,
    send_link: bool,
    by: Any,
) -> CareStarted:
    """Start care at the first visit (a new patient, or one returning after a discharge): a new episode with the
    program from `start_date`, the week-0 intake (ODI, NRS, red flags, beliefs) entered by the therapist with the
    patient, the patient's consent to reminders, and their first check-in link when it may go (`link_refused` says
    why not). Any other error (each naming its field) leaves nothing behind."""
    current = patient.current_episode()
    if current is not None and current.assignments.exists():
        raise ValidationError(
            {"program": "This patient is already in care; change their program on the patient page instead."}
        )
    if current is None and patient.status == Patient.Status.DISCHARGED:
        start_new_episode(patient=patient, started_on=start_date, goals=goals, by=by)
    assignment = assign_program_to_patient(patient=patient, program=program, start_date=start_date, goals=goals, by=by)
    result = submit_checkin(patient=patient, week=0, answers=baseline, by=by)
    if reminder_consent != patient.reminder_consent:
        update_patient(patient=patient, by=by, reminder_consent=reminder_consent)
    refused = ""
    if send_link:
        try:  # its own savepoint: a link that may not go yet takes nothing else back with it
            send_checkin_link_now(patient=patient, by=by)
        except ValidationError as exc:
            refused = " ".join(exc.messages)
    return CareStarted(
        assignment=assignment, baseline=result, link_sent=send_link and not refused, link_refused=refused
    )
