"""The emails: plain text and HTML from templates/reminders/. Subjects are fixed phrases with no health data
(no scores, no alert kinds, no clinic speciality): a subject line shows on lock screens and in previews."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from patients.links import checkin_url, pause_url
from patients.models import RED_FLAGS, Alert, Patient
from reminders.models import AlertNotification, Reminder, TherapistDigest

SUBJECTS = {
    # The patient's subjects are translated into the patient's language when the email is built.
    Reminder.Kind.WEEKLY: gettext_noop("Your weekly check-in"),
    Reminder.Kind.FOLLOW_UP: gettext_noop("A gentle reminder: your weekly check-in"),
    "link": gettext_noop("Your check-in link"),
    "alert": "Urgent: please review a patient in CFT Tracker",
    "digest": "Your daily CFT Tracker digest",
}


def _domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def _message(
    *, subject: str, template: str, context: dict[str, Any], to: list[str], message_id: str, headers: dict[str, str]
) -> EmailMultiAlternatives:
    context = {**context, "site_url": settings.SITE_URL}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"reminders/email/{template}.txt", context),
        to=to,
        # A fixed Message-ID per row: were a crash ever to resend a message the server had already accepted,
        # mail clients would show the two copies as one.
        headers={"Message-ID": f"<{message_id}@{_domain()}>", **headers},
    )
    message.attach_alternative(render_to_string(f"reminders/email/{template}.html", context), "text/html")
    return message


def _patient_headers(patient: Patient, pause: str) -> dict[str, str]:
    # RFC 8058 one-click: mail clients show "unsubscribe" and POST to the pause link.
    return {"List-Unsubscribe": f"<{pause}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def patient_link_message(
    patient: Patient, kind: str, message_id: str, token: str | None = None
) -> EmailMultiAlternatives:
    """A check-in email to a patient: `kind` is a Reminder.Kind or "link" (sent now at the clinic's request).
    It carries a new check-in link (`token`, when the caller issued a batch's at once), ending the older ones,
    twice: to the check-in, and to the program page (`?next=program`); whichever the patient opens first uses it.
    Written in the patient's language."""
    pause = pause_url(patient)
    link = checkin_url(patient, token)
    context = {
        "patient": patient,
        "clinic_name": patient.clinic.name,
        "checkin_url": link,
        "program_url": f"{link}?next=program",
        "pause_url": pause,
        "kind": kind,
        "follow_up": kind == Reminder.Kind.FOLLOW_UP,
    }
    with translation.override(patient.language):
        return _message(
            subject=gettext(SUBJECTS[kind]),
            template="checkin",
            context=context,
            to=[patient.email],
            message_id=message_id,
            headers=_patient_headers(patient, pause),
        )


def reminder_message(reminder: Reminder, token: str | None = None) -> EmailMultiAlternatives:
    return patient_link_message(reminder.patient, reminder.kind, f"reminder-{reminder.pk}", token)


def alert_message(notification: AlertNotification, recipients: list[str]) -> EmailMultiAlternatives:
    alert: Alert = notification.alert
    patient = alert.patient
    questions = [RED_FLAGS[key][0] for key in alert.details.get("questions", []) if key in RED_FLAGS]
    context = {
        "patient": patient,
        "clinic_name": patient.clinic.name,
        "alert": alert,
        "questions": questions,
        "emergency": any(RED_FLAGS[key][1] == "emergency" for key in alert.details.get("questions", [])),
        "updated": notification.escalation > 0 or bool(alert.details.get("added")),
        "added_week": alert.details.get("added_week", alert.latest_week),
        "added": [RED_FLAGS[key][0] for key in alert.details.get("added", []) if key in RED_FLAGS],
        "patient_url": f"{settings.SITE_URL}/admin/patients/patient/{patient.pk}/change/",
    }
    return _message(
        subject=SUBJECTS["alert"],
        template="alert",
        context=context,
        to=recipients,
        # One Message-ID per escalation: mail clients fold copies with the same id into one message.
        message_id=f"alert-{alert.pk}" + (f"-{notification.escalation}" if notification.escalation else ""),
        headers={},
    )


def digest_message(digest: TherapistDigest, patients: list[Patient]) -> EmailMultiAlternatives:
    context = {
        "therapist": digest.therapist,
        "day": digest.day,
        "patients": patients,
        "admin_url": f"{settings.SITE_URL}/admin/",
    }
    return _message(
        subject=SUBJECTS["digest"],
        template="digest",
        context=context,
        to=[digest.therapist.email],
        message_id=f"digest-{digest.pk}",
        headers={},
    )
