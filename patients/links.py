"""Signed magic links for patients (Django signing, salted per purpose).

A check-in token identifies one patient and expires (MAGIC_LINK_MAX_AGE_DAYS, default 7). It carries the
patient's link generation: discharging a patient (or revoking links) bumps it, so older links stop working.
A pause token lets a patient pause reminders with one click from an email.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from django.conf import settings
from django.core import signing

from patients.models import Patient

CHECKIN_SALT = "cft.patients.checkin-link"
PAUSE_SALT = "cft.patients.pause-reminders"


class LinkProblem(StrEnum):
    EXPIRED = "expired"
    INVALID = "invalid"  # tampered or malformed
    REVOKED = "revoked"  # discharged, or links revoked since it was sent


class LinkError(Exception):
    def __init__(self, problem: LinkProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def make_token(patient: Patient, salt: str = CHECKIN_SALT) -> str:
    return signing.dumps({"p": str(patient.uuid), "g": patient.link_generation}, salt=salt, compress=True)


def read_token(token: str, salt: str = CHECKIN_SALT, max_age: dt.timedelta | None = None) -> Patient:
    """The patient a token names, or LinkError saying why not (never which patient it was)."""
    if max_age is None:
        max_age = dt.timedelta(days=settings.MAGIC_LINK_MAX_AGE_DAYS)
    try:
        data = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired:
        raise LinkError(LinkProblem.EXPIRED) from None
    except signing.BadSignature:
        raise LinkError(LinkProblem.INVALID) from None
    if not isinstance(data, dict) or "p" not in data or "g" not in data:
        raise LinkError(LinkProblem.INVALID)
    patient = Patient.objects.filter(uuid=data["p"]).select_related("clinic").first()
    if patient is None:
        raise LinkError(LinkProblem.INVALID)
    if patient.status == Patient.Status.DISCHARGED or patient.link_generation != data["g"]:
        raise LinkError(LinkProblem.REVOKED)
    return patient


def checkin_url(patient: Patient) -> str:
    return f"{settings.SITE_URL}/checkin/{make_token(patient)}/"


def pause_url(patient: Patient) -> str:
    return f"{settings.SITE_URL}/reminders/pause/{make_token(patient, PAUSE_SALT)}/"
