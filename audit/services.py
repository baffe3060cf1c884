from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from audit.models import AuditEvent


def client_ip(request: Any) -> str | None:
    """The requester's address: the one function audit, django-axes (AXES_CLIENT_IP_CALLABLE), alert
    acknowledgements and downloads use.

    Behind TRUSTED_PROXY_COUNT proxies, each appends the address it got the request from to X-Forwarded-For, so
    the client is the entry that many places from the end; whatever the client sent itself sits further left
    and is never trusted. With no trusted proxy, or a header shorter than the chain (a request that bypassed a
    proxy), REMOTE_ADDR."""
    meta = getattr(request, "META", {}) or {}
    remote = meta.get("REMOTE_ADDR") or None
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if count <= 0 or len(forwarded) < count:
        return remote
    candidate = forwarded[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def record_patient_read(request: HttpRequest, patient: Any, what: str) -> AuditEvent:
    """A staff member read a patient's record (`what`: record, checkins, outcomes): the one call every read path
    (admin patient page, API) makes, after the scoped lookup succeeded."""
    return record(
        action=f"patient.read.{what}",
        actor=request.user,
        clinic_id=patient.clinic_id,
        patient_id=patient.pk,
        obj=patient,
        ip_address=client_ip(request),
    )


def record_list_read(request: HttpRequest, what: str, patients: Any) -> list[AuditEvent]:
    """A staff member saw a list of patients' records (`what`: patient_list, caseload, alert_list): one event
    per clinic, naming the patients shown by id and the filters by name (their values can hold names). Nothing
    is written when the list showed nobody."""
    by_clinic: dict[int, list[int]] = {}
    for patient in patients:
        by_clinic.setdefault(patient.clinic_id, []).append(patient.pk)
    filters = sorted(key for key in request.GET if key not in {"page", "p", "o"})
    return [
        record(
            action=f"patient.read.{what}",
            actor=request.user,
            clinic_id=clinic_id,
            ip_address=client_ip(request),
            details={"patients": sorted(set(ids)), "filters": filters},
        )
        for clinic_id, ids in sorted(by_clinic.items())
    ]


def record(
    *,
    action: str,
    actor: Any = None,
    actor_label: str = "",
    clinic_id: int | None = None,
    patient_id: int | None = None,
    obj: Any = None,
    ip_address: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """The one way to write to the audit trail. `details` must never carry health data or names."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        actor_label=actor_label or (actor.get_username() if actor else ""),
        clinic_id=clinic_id,
        patient_id=patient_id,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        ip_address=ip_address,
        details=details or {},
    )
