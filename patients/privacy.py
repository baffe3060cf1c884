"""Patient data rights: everything about one patient as JSON (an access request), and erasure on request.

Erasure removes or anonymises personal data (names, contacts, record number, free text, goals) and revokes
links, while the outcome numbers stay, now anonymous, so clinic statistics keep their history. The erasure is
itself recorded in the audit log (without any of the erased data)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.services import record
from patients.models import Alert, CheckIn, CheckInVersion, Patient
from patients.services import discharge_patient


def export_patient_data(patient: Patient, *, by: Any = None) -> dict[str, Any]:
    episodes = []
    for episode in patient.episodes.prefetch_related("assignments__items", "alerts").order_by("started_on"):
        episodes.append(
            {
                "started_on": episode.started_on.isoformat(),
                "ended_on": episode.ended_on.isoformat() if episode.ended_on else None,
                "goals": episode.goals,
                "assignments": [
                    {
                        "title": a.title,
                        "start_date": a.start_date.isoformat(),
                        "ended_on": a.ended_on.isoformat() if a.ended_on else None,
                        "items": [
                            {"kind": i.kind, "title": i.title, "start_week": i.start_week} for i in a.items.all()
                        ],
                    }
                    for a in episode.assignments.all()
                ],
                "alerts": [
                    {
                        "kind": al.kind,
                        "week": al.week,
                        "weeks": al.weeks or [al.week],
                        "raised_at": al.raised_at.isoformat(),
                        "acknowledged_at": al.acknowledged_at.isoformat() if al.acknowledged_at else None,
                        "note": al.note,
                    }
                    for al in episode.alerts.all()
                ],
            }
        )
    checkins = [
        {
            "week": c.week,
            "submitted_at": c.submitted_at.isoformat(),
            "odi": c.odi_answers,
            "odi_score": str(c.odi_shown) if c.odi_shown is not None else None,
            "pain_nrs": c.pain_nrs,
            "red_flags": c.red_flags,
            "activities": c.activities,
            "coping": c.coping,
            "note": c.note,
            "earlier_versions": [v.answers for v in c.versions.all()],
        }
        for c in patient.checkins.prefetch_related("versions").order_by("episode__started_on", "week")
    ]
    record("patient.export_data", patient, by)
    return {
        "exported_at": timezone.now().isoformat(),
        "patient": {
            "id": str(patient.uuid),
            "first_name": patient.first_name,
            "last_name": patient.last_name,
            "record_number": patient.record_number,
            "email": patient.email,
            "phone": str(patient.phone or ""),
            "time_zone": patient.time_zone,
            "checkin_weekday": patient.checkin_weekday,
            "checkin_hour": patient.checkin_hour,
            "reminder_consent": patient.reminder_consent,
            "status": patient.status,
            "clinic": patient.clinic.name,
        },
        "episodes": episodes,
        "checkins": checkins,
    }


@transaction.atomic
def erase_patient(*, patient: Patient, by: Any = None) -> Patient:
    if patient.status != Patient.Status.DISCHARGED:
        discharge_patient(patient=patient, by=by)
    patient.first_name = "Erased"
    patient.last_name = f"patient {patient.pk}"
    patient.email = f"erased-{patient.pk}@invalid.example"
    patient.phone = ""
    patient.record_number = ""
    patient.reminder_consent = False
    patient.save()
    patient.episodes.update(goals="")
    CheckIn.objects.filter(patient=patient).update(note="")
    Alert.objects.filter(patient=patient).update(note="")  # what was done, in the therapist's words
    for version in CheckInVersion.objects.filter(checkin__patient=patient):
        version.answers = {**version.answers, "note": ""}
        version.save(update_fields=["answers"])
    if hasattr(patient, "api_tokens"):
        patient.api_tokens.all().delete()
    record("patient.erase", patient, by)
    return patient
