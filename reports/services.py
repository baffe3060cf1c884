"""Writes of the reports app: export jobs. Every export is recorded in the audit trail."""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from audit.services import record
from cft.spreadsheets import write_csv
from clinics.admin_scoping import Can, clinics_where
from clinics.models import Clinic
from outbox.services import enqueue
from reports import exports
from reports.models import ExportJob
from reports.selectors import ReportFilter, episode_rows, outcome_report

logger = logging.getLogger(__name__)
EXPORT_TASK = "reports.run_export"


def filter_params(filters: ReportFilter) -> dict[str, Any]:
    return {
        "start": filters.start.isoformat() if filters.start else None,
        "end": filters.end.isoformat() if filters.end else None,
        "program": filters.program_id,
        "therapist": filters.therapist_id,
    }


def filter_from_params(clinic: Clinic, params: dict[str, Any]) -> ReportFilter:
    return ReportFilter(
        clinic=clinic,
        start=dt.date.fromisoformat(params["start"]) if params.get("start") else None,
        end=dt.date.fromisoformat(params["end"]) if params.get("end") else None,
        program_id=params.get("program"),
        therapist_id=params.get("therapist"),
    )


def write_export(
    kind: str,
    *,
    user: Any,
    filters: ReportFilter,
    path: Path,
    progress: exports.Progress,
    compare_programs: tuple[int, int] | None = None,
    compare_at: str = "latest",
) -> int:
    """Write one export to `path` (via a temporary file, so a failed export leaves no partial file).
    Returns the number of check-in rows (entries for FHIR, episodes for the episode CSV). The XLSX summary
    carries the between-program comparison when the report asked for one, as the report page shows it."""
    tmp = path.with_name(path.name + ".part")
    try:
        if kind in (ExportJob.Kind.CSV_CHECKINS, ExportJob.Kind.CSV_EPISODES):
            with tmp.open("w", encoding="utf-8", newline="") as fh:
                if kind == ExportJob.Kind.CSV_CHECKINS:
                    count = write_csv(
                        fh, exports.CHECKIN_HEADERS, exports.checkin_rows(user, filters, progress=progress)
                    )
                else:
                    rows = episode_rows(user, filters)
                    count = write_csv(fh, exports.EPISODE_HEADERS, exports.episode_export_rows(rows, filters.clinic.pk))
        elif kind == ExportJob.Kind.FHIR:
            with tmp.open("w", encoding="utf-8") as fh:
                count = exports.write_fhir_bundle(fh, user, filters, progress)
        elif kind == ExportJob.Kind.XLSX:
            report = outcome_report(
                user, filters, compare_programs=compare_programs, compare_at=compare_at, with_trajectories=False
            )
            with tmp.open("wb") as fh:
                count = exports.write_xlsx(fh, report, user, filters, episode_rows(user, filters), progress)
        elif kind == ExportJob.Kind.RESEARCH:
            with tmp.open("wb") as fh:
                count = exports.write_research_zip(fh, user, filters, episode_rows(user, filters), progress)
        else:
            raise ValueError(f"unknown export kind {kind!r}")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return count


def count_checkins(user: Any, filters: ReportFilter) -> int:
    from reports.selectors import report_checkins

    return report_checkins(user, filters).count()


@transaction.atomic
def request_export(
    *,
    user: Any,
    filters: ReportFilter,
    kind: str,
    compare_programs: tuple[int, int] | None = None,
    compare_at: str = "latest",
) -> ExportJob:
    """Queue an export of the report's patients for a clinic admin; the task runs after commit. The report's
    comparison (two program ids and the timepoint) travels with the job for the XLSX summary."""
    if filters.clinic.pk not in clinics_where(user, Can.VIEW_REPORTS):
        raise PermissionDenied("Exports are for the clinic's admins.")
    if kind not in ExportJob.Kind.values:
        raise ValueError(f"unknown export kind {kind!r}")
    params = filter_params(filters)
    if compare_programs:
        params |= {"compare": list(compare_programs), "at": compare_at}
    job = ExportJob.objects.create(clinic=filters.clinic, requested_by=user, kind=kind, params=params)
    record("export.request", job, user, details={"kind": kind, **params})
    enqueue(EXPORT_TASK, job_id=job.pk)
    return job


def run_export(job_id: int) -> ExportJob:
    """Run a queued export (the Celery task calls this). Progress is saved as it goes, for the page."""
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).update(
        status=ExportJob.Status.RUNNING
    )
    job = ExportJob.objects.select_related("clinic", "requested_by").get(pk=job_id)
    if not claimed:
        return job  # already run (a redelivered message)
    user = job.requested_by
    try:
        if user is None or job.clinic_id not in clinics_where(user, Can.VIEW_REPORTS):
            raise PermissionDenied("The requester is no longer a clinic admin of this clinic.")
        filters = filter_from_params(job.clinic, job.params)
        total = max(count_checkins(user, filters), 1)
        per_row = 3 if job.kind == ExportJob.Kind.FHIR else 1  # FHIR counts up to three entries per check-in

        def progress(done: int) -> None:
            percent = min(99, done * 100 // (total * per_row))
            ExportJob.objects.filter(pk=job_id).update(progress=percent, rows_done=done)

        directory = Path(settings.REPORTS_EXPORT_DIR)
        directory.mkdir(parents=True, exist_ok=True)
        name = f"{job.uuid}.{job.extension}"
        compare = job.params.get("compare")
        count = write_export(
            job.kind,
            user=user,
            filters=filters,
            path=directory / name,
            progress=progress,
            compare_programs=tuple(compare) if compare else None,
            compare_at=job.params.get("at", "latest"),
        )
    except Exception as exc:
        logger.exception("export %s failed", job.pk)
        job.status, job.error, job.finished_at = ExportJob.Status.FAILED, str(exc)[:500], timezone.now()
        job.save(update_fields=["status", "error", "finished_at"])
        return job
    now = timezone.now()
    job.status, job.progress, job.rows_done, job.file_name = ExportJob.Status.DONE, 100, count, name
    job.finished_at, job.expires_at = now, now + dt.timedelta(hours=settings.REPORTS_EXPORT_KEEP_HOURS)
    job.save(update_fields=["status", "progress", "rows_done", "file_name", "finished_at", "expires_at"])
    record(f"export.{job.kind}", job, user, details={"rows": count, **job.params})
    return job


def export_path(job: ExportJob) -> Path:
    return Path(settings.REPORTS_EXPORT_DIR) / job.file_name


def record_download(*, job: ExportJob, user: Any, ip_address: str | None = None) -> None:
    record("export.download", job, user, ip_address=ip_address)


def record_streamed_export(*, kind: str, user: Any, filters: ReportFilter, ip_address: str | None = None) -> None:
    record(
        action=f"export.{kind}",
        actor=user,
        clinic_id=filters.clinic.pk,
        ip_address=ip_address,
        details={"streamed": True, **filter_params(filters)},
    )


def delete_expired_exports(now: dt.datetime | None = None) -> int:
    """Delete the files of exports past their keep time; the job row stays (marked expired) for the record."""
    deleted = 0
    for job in ExportJob.objects.expired(now):
        if job.file_name:
            export_path(job).unlink(missing_ok=True)
        job.status, job.file_name = ExportJob.Status.EXPIRED, ""
        job.save(update_fields=["status", "file_name"])
        deleted += 1
    return deleted
