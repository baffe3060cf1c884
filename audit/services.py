from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from audit.models import AuditEvent


def client_ip(request: HttpRequest) -> str | None:
    """The requester's address; the proxy's X-Forwarded-For only when we are configured to sit behind one."""
    if settings.SECURE_PROXY_SSL_HEADER and request.META.get("HTTP_X_FORWARDED_FOR"):
        return request.META["HTTP_X_FORWARDED_FOR"].split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


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
