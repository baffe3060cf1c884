from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import Iterator
from contextvars import ContextVar
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


# The address of the request being served in this thread or task (audit.middleware.ClientAddressMiddleware).
_serving_address: ContextVar[str | None] = ContextVar("audit_serving_address", default=None)


@contextlib.contextmanager
def serving_address(address: str | None) -> Iterator[None]:
    """Every event recorded inside carries `address` unless its caller passes one."""
    token = _serving_address.set(address)
    try:
        yield
    finally:
        _serving_address.reset(token)


def record_patient_read(request: HttpRequest, patient: Any, what: str) -> AuditEvent:
    """A staff member read a patient's record (`what`: record, checkins, outcomes): the one call every read path
    (admin patient page, API) makes, after the scoped lookup succeeded."""
    return record(f"patient.read.{what}", patient, request.user, ip_address=client_ip(request))


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


def scope_of(obj: Any) -> tuple[int | None, int | None]:
    """The clinic and patient an object belongs to, from what it exposes (audit imports no app's models): a
    record about one patient (the patient itself, an episode, a check-in, an alert, ...) exposes `patient`;
    anything else of a clinic (a program, an export) its `clinic_id`."""
    patient = getattr(obj, "patient", None)
    if patient is not None:
        return patient.clinic_id, patient.pk
    return getattr(obj, "clinic_id", None), None


def record(
    action: str,
    obj: Any = None,
    actor: Any = None,
    *,
    actor_label: str = "",
    clinic_id: int | None = None,
    patient_id: int | None = None,
    ip_address: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """The one way to write to the audit trail: `actor` did `action` to `obj`, whose clinic and patient the
    event takes from the object (`scope_of`), as pretix's `log_action` does. `clinic_id` and `patient_id` are
    for events about no one object (a login, a list read, a clinic's export). `ip_address` defaults to the address
    of the request being served, if any (`serving_address`). `details` must never carry health data or names."""
    if obj is not None:
        if clinic_id is not None or patient_id is not None:
            raise TypeError("record() takes the clinic and patient from `obj`; pass them only without one.")
        clinic_id, patient_id = scope_of(obj)
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
        ip_address=ip_address if ip_address is not None else _serving_address.get(),
        details=details or {},
    )
