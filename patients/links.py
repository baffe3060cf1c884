"""Signed magic links for patients (Django signing, salted per purpose).

A check-in link is read once (docs/security.md, magic links): `issue_token` stores a fresh nonce on the patient
and signs it into the token, so a newer link ends every older one; `redeem` clears the nonce in one conditional
UPDATE, so a link opens at most one session or API token, even when two requests race with it. It also expires
(MAGIC_LINK_MAX_AGE_DAYS, default 7) and carries the patient's link generation, which discharge bumps.
A pause token lets a patient pause reminders from an email; it is not read-once (pausing twice is harmless).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from enum import StrEnum

from django.conf import settings
from django.core import signing
from django.db.models import Case, CharField, Value, When

from patients.models import Patient

CHECKIN_SALT = "cft.patients.checkin-link"
PAUSE_SALT = "cft.patients.pause-reminders"


class LinkProblem(StrEnum):
    EXPIRED = "expired"
    INVALID = "invalid"  # tampered or malformed
    REVOKED = "revoked"  # discharged, or links revoked since it was sent
    USED = "used"  # opened once already, or a newer link was sent since


class LinkError(Exception):
    def __init__(self, problem: LinkProblem, patient_id: int | None = None) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.patient_id = patient_id  # set for USED only: the page lets that patient's own session carry on


def pause_token(patient: Patient) -> str:
    return signing.dumps({"p": str(patient.uuid), "g": patient.link_generation}, salt=PAUSE_SALT, compress=True)


def issue_tokens(patients: Iterable[Patient]) -> dict[int, str]:
    """A new check-in token for each patient, by id, in one UPDATE; every earlier check-in token of theirs
    stops working."""
    by_id = {patient.pk: patient for patient in patients}
    if not by_id:
        return {}
    nonces = {pk: secrets.token_urlsafe(12) for pk in by_id}
    whens = [When(pk=pk, then=Value(nonce)) for pk, nonce in nonces.items()]
    Patient.objects.filter(pk__in=nonces).update(link_nonce=Case(*whens, output_field=CharField()))
    tokens = {}
    for pk, patient in by_id.items():
        patient.link_nonce = nonces[pk]
        data = {"p": str(patient.uuid), "g": patient.link_generation, "n": nonces[pk]}
        tokens[pk] = signing.dumps(data, salt=CHECKIN_SALT, compress=True)
    return tokens


def issue_token(patient: Patient) -> str:
    """A new check-in token for `patient`; every earlier check-in token of theirs stops working."""
    return issue_tokens([patient])[patient.pk]


def _read(token: str, salt: str, max_age: dt.timedelta | None) -> tuple[Patient, dict]:
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
    return patient, data


def read_token(token: str, salt: str = PAUSE_SALT, max_age: dt.timedelta | None = None) -> Patient:
    """The patient a (pause) token names, or LinkError saying why not (never which patient it was)."""
    return _read(token, salt, max_age)[0]


def check_checkin_token(token: str) -> Patient:
    """The patient a check-in token names if it could still be redeemed, without using it up."""
    patient, data = _read(token, CHECKIN_SALT, None)
    if not data.get("n") or data["n"] != patient.link_nonce:
        raise LinkError(LinkProblem.USED, patient.pk)
    return patient


def redeem(token: str) -> Patient:
    """Use a check-in token up: the patient it names, or LinkError (USED when it was opened or replaced)."""
    patient, data = _read(token, CHECKIN_SALT, None)
    nonce = data.get("n")
    if not nonce or Patient.objects.filter(pk=patient.pk, link_nonce=nonce).update(link_nonce="") != 1:
        raise LinkError(LinkProblem.USED, patient.pk)
    patient.link_nonce = ""
    return patient


def checkin_url(patient: Patient, token: str | None = None) -> str:
    """The check-in link of `token`, or of a new token (ending the patient's earlier ones)."""
    return f"{settings.SITE_URL}/checkin/{token or issue_token(patient)}/"


def pause_url(patient: Patient) -> str:
    return f"{settings.SITE_URL}/reminders/pause/{pause_token(patient)}/"
