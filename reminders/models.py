"""Every email the app sends is first a row here, under a unique constraint. The insert that wins the
constraint owns the send; the send takes the row (a claim on reminders, a row lock on the others,
reminders/services/delivery.py), sends only while it is still pending, and marks it sent right after the SMTP server
accepts it. So a task that runs twice, is retried, or races another worker sends one email."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from clinics.models import ClinicScopedQuerySet


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"  # no longer wanted when its turn came (paused, discharged, checked in)


class Delivery(models.Model):
    """The send state shared by reminders, alert notifications and digests."""

    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class ReminderQuerySet(ClinicScopedQuerySet):
    clinic_field = "patient__clinic"

    def failed(self) -> ReminderQuerySet:
        return self.filter(status=DeliveryStatus.FAILED)


class Reminder(Delivery):
    class Kind(models.TextChoices):
        WEEKLY = "weekly", "Weekly check-in"
        FOLLOW_UP = "follow_up", "Follow-up (no check-in after 48 h)"

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="reminders")
    episode = models.ForeignKey("patients.Episode", on_delete=models.CASCADE, related_name="reminders")
    week = models.PositiveSmallIntegerField(help_text="Program week the reminder is for.")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.WEEKLY)
    due_at = models.DateTimeField(help_text="The patient's chosen local time, as an instant.")
    # Set by the send that holds the row, cleared by its mark; a claim older than services.CLAIM_LEASE is free.
    claimed_at = models.DateTimeField(null=True, blank=True)

    objects = ReminderQuerySet.as_manager()

    class Meta:
        ordering = ["-due_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "episode", "week", "kind"], name="one_reminder_per_week_kind")
        ]
        indexes = [
            models.Index(fields=["patient", "kind", "due_at"]),
            models.Index(fields=["status", "created_at"], name="reminder_open", condition=Q(status="pending")),
            models.Index(fields=["kind", "sent_at"], name="reminder_weekly_sent", condition=Q(kind="weekly")),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} reminder, week {self.week}"


class AlertNotificationQuerySet(ClinicScopedQuerySet):
    clinic_field = "alert__patient__clinic"


class AlertNotification(Delivery):
    """The urgent email to the treating therapist about one alert (red flags): one per alert and escalation
    (a resubmission that adds a red flag escalates the alert, and the therapist hears of it once more)."""

    alert = models.ForeignKey("patients.Alert", on_delete=models.CASCADE, related_name="notifications")
    escalation = models.PositiveSmallIntegerField(default=0)

    objects = AlertNotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["alert", "escalation"], name="one_notification_per_alert_escalation")
        ]

    def __str__(self) -> str:
        return f"Notification of alert {self.alert_id} ({self.escalation})"


class TherapistDigestQuerySet(models.QuerySet):
    def for_user(self, user: object) -> TherapistDigestQuerySet:
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if getattr(user, "is_superuser", False):
            return self
        return self.filter(therapist=user)


class TherapistDigest(Delivery):
    """One daily digest per therapist and local day (TIME_ZONE), listing their patients needing attention."""

    therapist = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    patient_count = models.PositiveIntegerField(default=0)

    objects = TherapistDigestQuerySet.as_manager()

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["therapist", "day"], name="one_digest_per_therapist_day")]

    def __str__(self) -> str:
        return f"Digest for {self.therapist} on {self.day}"
