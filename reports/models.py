from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from clinics.admin_scoping import Can, clinics_where
from clinics.models import ClinicScopedQuerySet


class ExportJobQuerySet(ClinicScopedQuerySet):
    def for_user(self, user: Any) -> ExportJobQuerySet:
        """Exports are visible to the clinic's admins only (not to its therapists)."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(clinic__in=clinics_where(user, Can.VIEW_REPORTS))

    def expired(self, now: Any = None) -> ExportJobQuerySet:
        return self.filter(expires_at__lte=now or timezone.now()).exclude(status=ExportJob.Status.EXPIRED)


class ExportJob(models.Model):
    """One export, run by a Celery task into a private file that is deleted after REPORTS_EXPORT_KEEP_HOURS."""

    class Kind(models.TextChoices):
        CSV_CHECKINS = "csv_checkins", "CSV, one row per check-in"
        CSV_EPISODES = "csv_episodes", "CSV, one row per patient episode"
        XLSX = "xlsx", "Excel workbook (summary, check-ins, episodes)"
        FHIR = "fhir", "FHIR R4 Bundle (JSON)"
        RESEARCH = "research", "De-identified research export (ZIP of two CSVs)"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Expired"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    params = models.JSONField(default=dict, blank=True, help_text="The report filter: start, end, program, therapist.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done.")
    rows_done = models.PositiveIntegerField(default=0)
    file_name = models.CharField(max_length=200, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    objects = ExportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["clinic", "-created_at"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="export_progress_0_100"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"

    @property
    def is_downloadable(self) -> bool:
        return self.status == self.Status.DONE and bool(self.expires_at and self.expires_at > timezone.now())

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def extension(self) -> str:
        return {"xlsx": "xlsx", "fhir": "json", "research": "zip"}.get(self.kind, "csv")

    @property
    def download_name(self) -> str:
        return f"cft-{self.kind.replace('_', '-')}-{self.created_at:%Y%m%d-%H%M}.{self.extension}"
