"""The alert workflow on the patient page: the open alerts with a checkbox each, one note of what was done and one
button that acknowledges the chosen ones (`services.acknowledge_alerts`), and the history of acknowledged alerts.

A mixin of `PatientAdmin` (patients/admin.py), kept apart so the patient page's other panels change independently.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import path

from audit.services import client_ip
from patients import services
from patients.models import ALERT_NOTE_MAX_LENGTH, RED_FLAGS, Alert, Patient

# The history shows the latest acknowledged alerts; older ones stay in the audit log and the API.
HISTORY_LIMIT = 50
NOTE_DRAFT_KEY = "cft_alert_note_draft"
DRAFT_KEPT_UP_TO = 20 * ALERT_NOTE_MAX_LENGTH  # a refused note is shown again to shorten, up to this size
FIELD_LABELS = {"alerts": "Alerts", "note": "Note"}


def describe(alert: Alert) -> Alert:
    """Give an alert the red-flag questions in words, for the page."""
    keys = alert.details.get("questions", []) if isinstance(alert.details, dict) else []
    alert.questions = [RED_FLAGS[key][0] for key in keys if key in RED_FLAGS]  # type: ignore[attr-defined]
    return alert


class AlertWorkflowMixin:
    """URLs, view and page context of the alert panels. Expects `_patient_for_change`, `_back` and
    `message_user` of PatientAdmin."""

    def alert_urls(self, wrap: Any) -> list[Any]:
        return [
            path(
                "<path:object_id>/alerts/acknowledge/",
                wrap(self.acknowledge_alerts_view),
                name="patients_patient_acknowledge_alerts",
            )
        ]

    def acknowledge_alerts_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        patient: Patient = self._patient_for_change(request, object_id)  # type: ignore[attr-defined]
        ids = [int(value) for value in request.POST.getlist("alerts") if value.isdigit()]
        chosen = list(Alert.objects.for_user(request.user).filter(patient=patient, pk__in=ids).order_by("pk"))
        note = request.POST.get("note", "")
        try:
            done = services.acknowledge_alerts(alerts=chosen, by=request.user, note=note, ip_address=client_ip(request))
        except ValidationError as exc:
            problems = "; ".join(
                f"{FIELD_LABELS.get(field, field)}: {' '.join(errors)}" for field, errors in exc.message_dict.items()
            )
            # The note comes back whole to be shortened, never cut here; one far beyond any note is not kept.
            kept = len(note) <= DRAFT_KEPT_UP_TO
            request.session[NOTE_DRAFT_KEY] = {"patient": patient.pk, "note": note if kept else ""}
            if not kept:
                problems += " The note was too long to keep: write it again, shorter."
            self.message_user(request, f"Nothing acknowledged. {problems}", messages.ERROR)  # type: ignore[attr-defined]
        else:
            if not done:
                text = "Those alerts were already acknowledged."
            elif len(done) == 1:
                text = f"{done[0]} acknowledged."
            else:
                text = f"{len(done)} alerts acknowledged: {', '.join(str(alert) for alert in done)}."
            self.message_user(request, text, messages.SUCCESS)  # type: ignore[attr-defined]
        return self._back(patient)  # type: ignore[attr-defined]

    def alert_context(self, request: HttpRequest, patient: Patient) -> dict[str, Any]:
        """Two queries: the open alerts and the latest acknowledged ones with who acknowledged them."""
        scoped = Alert.objects.for_user(request.user).filter(patient=patient)
        open_alerts = [describe(alert) for alert in scoped.open().order_by("-urgent", "-updated_at", "-pk")]
        history = [
            describe(alert)
            for alert in scoped.acknowledged()
            .select_related("acknowledged_by")
            .order_by("-acknowledged_at", "-pk")[:HISTORY_LIMIT]
        ]
        draft = request.session.pop(NOTE_DRAFT_KEY, None) if hasattr(request, "session") else None
        return {
            "open_alerts": open_alerts,
            "alert_history": history,
            "alert_history_limit": HISTORY_LIMIT,
            "alert_note_max_length": ALERT_NOTE_MAX_LENGTH,
            "alert_note_limit_text": f"{ALERT_NOTE_MAX_LENGTH:,}",
            "alert_note_draft": draft["note"] if isinstance(draft, dict) and draft.get("patient") == patient.pk else "",
        }
