"""API access for patients: a patient token (from a magic link) authenticates as a PatientPrincipal, which
can only ever reach that one patient's own data. Staff keep DRF's own Token and session authentication."""

from __future__ import annotations

import hashlib
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from patients.models import Episode, Patient, PatientToken

PATIENT_TOKEN_PREFIX = "pt_"  # noqa: S105 - a prefix, not a secret


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class PatientPrincipal:
    """`request.user` on a patient's request. Not a Django user: staff querysets (`for_user`) never match it,
    and the patient views read `request.user.patient` only."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False

    def __init__(self, patient: Patient, episode: Episode | None = None) -> None:
        self.patient = patient
        # The open episode, when it was read with the token (`PatientTokenAuthentication(with_open_episode=True)`).
        self.episode = episode
        self.pk = f"patient:{patient.pk}"  # throttles key on it

    def __str__(self) -> str:
        return self.pk


class PatientTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token pt_...`. Keys without the prefix are left to DRF's TokenAuthentication.

    `with_open_episode` (the check-in, `MeCheckInsView.get_authenticators`): the token is read under the same rule
    (`PatientToken.usable`) together with the patient's open episode, its week one annotated as
    `Patient.current_episode` reads it (`PatientPrincipal.episode`): what a check-in reads next, one query instead
    of two. A patient with no open episode is then read as without it (the token, or 401)."""

    keyword = "Token"

    def __init__(self, *, with_open_episode: bool = False) -> None:
        self.with_open_episode = with_open_episode

    def authenticate(self, request: Request) -> tuple[PatientPrincipal, PatientToken | None] | None:
        parts = authentication.get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].decode(errors="replace") != self.keyword:
            return None
        key = parts[1].decode(errors="replace")
        if not key.startswith(PATIENT_TOKEN_PREFIX):
            return None
        digest = token_digest(key)
        if self.with_open_episode:
            episode = (
                Episode.objects.filter(
                    patient__in=PatientToken.objects.usable().filter(digest=digest).values("patient"),
                    ended_on__isnull=True,
                )
                .select_related("patient")
                .with_week_one()
                .order_by("-started_on")
                .first()
            )
            if episode is not None:
                return PatientPrincipal(episode.patient, episode), None
        token = PatientToken.objects.usable().select_related("patient").filter(digest=digest).first()
        if token is None:
            raise exceptions.AuthenticationFailed("This sign-in has expired. Open the link in your latest email.")
        return PatientPrincipal(token.patient), token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class IsPatient(permissions.BasePermission):
    message = "Sign in with the link from your check-in email."

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.user, PatientPrincipal)


class PatientTokenScheme(OpenApiAuthenticationExtension):
    target_class = "patients.authentication.PatientTokenAuthentication"
    name = "patientToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token pt_...`, from POST /api/v1/me/session/ (a magic-link token exchanged).",
        }
