"""Alert emails to the treating therapist (at once, once per escalation) and the therapists' daily digests."""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone

from cft.jobs import JobRun
from clinics.models import StaffMembership, is_staff_of
from patients.models import Alert, Patient
from reminders import emails
from reminders.models import AlertNotification, DeliveryStatus, TherapistDigest
from reminders.services.delivery import Outcome, Undeliverable, _deliver, reset_connection

logger = logging.getLogger(__name__)


# --- Alerts and digests ---------------------------------------------------------------------------------


def alert_recipients(patient: Patient) -> list[str]:
    """The primary therapist; with none (or no email), the clinic's admins, so an alert always reaches someone.
    A therapist who is no longer staff of the patient's clinic (left, or moved to another clinic) gets nothing."""
    therapist = patient.primary_therapist
    if therapist is not None and therapist.email and therapist.is_active and is_staff_of(therapist, patient.clinic_id):
        return [therapist.email]
    User = get_user_model()  # noqa: N806
    admins = User.objects.filter(
        memberships__clinic_id=patient.clinic_id, memberships__role=StaffMembership.Role.CLINIC_ADMIN, is_active=True
    ).exclude(email="")
    return sorted(admins.values_list("email", flat=True))


def notify_alert(*, alert_id: int, escalation: int = 0, connection: Any = None) -> Outcome:
    """The urgent email about an alert. Red flags (urgent alerts) go at once, exactly once per alert and
    escalation (a resubmission that added a flag); other alerts are listed in the therapist's daily digest."""
    alert = Alert.objects.filter(pk=alert_id).first()
    if alert is None:
        return Outcome("done")
    if not alert.urgent:
        return Outcome("skipped")
    AlertNotification.objects.get_or_create(alert=alert, escalation=escalation)
    queryset = AlertNotification.objects.select_related(
        "alert__patient__clinic", "alert__patient__primary_therapist"
    ).filter(alert_id=alert_id, escalation=escalation)
    pk = queryset.values_list("pk", flat=True).get()

    def compose(notification: AlertNotification) -> EmailMessage | None:
        recipients = alert_recipients(notification.alert.patient)
        if not recipients:
            raise Undeliverable("The patient has no primary therapist and the clinic no admin with an email.")
        return emails.alert_message(notification, recipients)

    connection = connection or get_connection()
    try:
        return _deliver(queryset, pk, connection=connection, compose=compose)
    finally:
        reset_connection(connection)


def _open_alert_labels(patient_ids: list[int]) -> dict[int, list[str]]:
    labels: dict[int, list[str]] = {}
    for patient_id, kind in (
        Alert.objects.open().filter(patient_id__in=patient_ids).order_by("kind").values_list("patient_id", "kind")
    ):
        label = Alert.Kind(kind).label
        if label not in labels.setdefault(patient_id, []):
            labels[patient_id].append(label)
    return labels


def _digest_email(digest: TherapistDigest) -> EmailMessage | None:
    patients = list(
        Patient.objects.for_user(digest.therapist)  # their caseload in the clinics they are still staff of
        .caseload_of(digest.therapist)
        .exclude(status=Patient.Status.DISCHARGED)
        .needing_attention()
        .order_by("last_name", "first_name")
    )
    if not patients or not digest.therapist.email:
        return None
    labels = _open_alert_labels([p.pk for p in patients])
    for patient in patients:
        patient.open_alert_labels = labels.get(patient.pk, [])
    digest.patient_count = len(patients)
    digest.save(update_fields=["patient_count"])
    return emails.digest_message(digest, patients)


def send_therapist_digests(*, now: dt.datetime | None = None, connection: Any = None) -> Counter[str]:
    """Once per therapist and local day (TIME_ZONE), from REMINDER_DIGEST_HOUR on: the patients of their caseload
    with open alerts. Run hourly; a failed send is tried again on the next run, up to the attempt limit."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    counts: Counter[str] = Counter()
    if local.hour < settings.REMINDER_DIGEST_HOUR:
        return counts
    day = local.date()
    User = get_user_model()  # noqa: N806
    needing = Alert.objects.open().filter(
        patient__primary_therapist=OuterRef("pk"),
        patient__clinic__memberships__user=OuterRef("pk"),
        patient__status__in=[Patient.Status.ACTIVE, Patient.Status.PAUSED],
    )
    therapists = User.objects.filter(Exists(needing), is_active=True).exclude(email="").values_list("pk", flat=True)
    TherapistDigest.objects.bulk_create(
        [TherapistDigest(therapist_id=pk, day=day) for pk in therapists], ignore_conflicts=True
    )
    queryset = TherapistDigest.objects.select_related("therapist")
    connection = connection or get_connection()
    run = JobRun("send_therapist_digests")  # one therapist's failing digest never holds back the others'
    # Where a failure is reported to the clinic admins: the therapist's first clinic.
    first_clinic = StaffMembership.objects.filter(user=OuterRef("therapist")).order_by("pk").values("clinic_id")[:1]
    pending = TherapistDigest.objects.filter(day=day, status=DeliveryStatus.PENDING).annotate(
        clinic_id=Subquery(first_clinic)
    )
    try:
        for pk, clinic_id in pending.values_list("pk", "clinic_id"):
            failed_before = run.failed
            with run.row(clinic_id=clinic_id, object_type="TherapistDigest", object_id=pk):
                outcome = _deliver(queryset, pk, connection=connection, compose=_digest_email, now=now)
                counts[outcome.status] += 1
            if run.failed > failed_before:
                counts["error"] += 1
                outcome = Outcome("failed")
            if outcome.status in ("retry", "failed"):
                reset_connection(connection)
    finally:
        reset_connection(connection)
    return counts
