import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from audit.models import AuditEvent
from outbox.models import OutboxMessage
from reports import services
from reports.models import ExportJob


@pytest.fixture(autouse=True)
def _export_dir(settings, tmp_path):
    settings.REPORTS_EXPORT_DIR = tmp_path / "exports"


def _request(client, data, kind="csv_checkins"):
    client.force_login(data.admin)
    return client.post("/reports/exports/", {"kind": kind})


def test_export_request_queues_a_task_after_commit(north, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = _request(client, north)
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert (job.status, job.clinic, job.requested_by) == ("queued", north.clinic, north.admin)
    assert OutboxMessage.objects.filter(task_name="reports.run_export", kwargs={"job_id": job.pk}).exists()
    assert len(callbacks) == 1
    assert AuditEvent.objects.filter(action="export.request", clinic=north.clinic).exists()


@pytest.mark.parametrize("kind", ["csv_checkins", "csv_episodes", "xlsx", "fhir", "research"])
def test_export_job_runs_to_a_downloadable_file(north, client, kind):
    _request(client, north, kind)
    job = services.run_export(ExportJob.objects.get().pk)
    assert (job.status, job.progress) == ("done", 100)
    assert services.export_path(job).exists()
    assert job.expires_at > timezone.now()
    assert AuditEvent.objects.filter(action=f"export.{kind}", actor=north.admin, clinic=north.clinic).exists()
    response = client.get(f"/reports/exports/{job.uuid}/download/")
    assert response.status_code == 200
    assert job.download_name in response["Content-Disposition"]
    assert AuditEvent.objects.filter(action="export.download", actor=north.admin).exists()


def test_export_progress_and_download_link_show_on_the_page(north, client):
    _request(client, north)
    job = ExportJob.objects.get()
    page = client.get("/reports/").content.decode()
    assert 'http-equiv="refresh"' in page and "<progress" in page
    services.run_export(job.pk)
    page = client.get("/reports/").content.decode()
    assert f"/reports/exports/{job.uuid}/download/" in page
    assert 'http-equiv="refresh"' not in page


def test_export_is_invisible_to_other_clinics_and_to_therapists(north, south, client):
    _request(client, north)
    job = services.run_export(ExportJob.objects.get().pk)
    for user in (south.admin, north.therapist):
        client.force_login(user)
        assert client.get(f"/reports/exports/{job.uuid}/download/").status_code == 404
    assert not ExportJob.objects.for_user(south.admin).exists()


def test_expired_exports_lose_their_file_and_link(north, client):
    _request(client, north)
    job = services.run_export(ExportJob.objects.get().pk)
    path = services.export_path(job)
    assert services.delete_expired_exports(now=timezone.now() + dt.timedelta(hours=25)) == 1
    job.refresh_from_db()
    assert job.status == "expired" and not path.exists()
    assert client.get(f"/reports/exports/{job.uuid}/download/").status_code == 404


def test_a_second_delivery_of_the_task_does_not_run_the_export_twice(north, client):
    _request(client, north)
    job_id = ExportJob.objects.get().pk
    services.run_export(job_id)
    services.run_export(job_id)
    assert AuditEvent.objects.filter(action="export.csv_checkins").count() == 1


def test_export_fails_cleanly_when_the_requester_is_no_longer_admin(north, client):
    _request(client, north)
    job = ExportJob.objects.get()
    north.admin.memberships.update(role="therapist")
    north.admin.__dict__.pop("_clinic_ids_cache", None)
    job = services.run_export(job.pk)
    assert job.status == "failed" and "no longer" in job.error
    assert not list((services.export_path(job).parent).glob("*"))


def test_report_page_shows_tables_and_charts_to_the_clinic_admin(north, client):
    client.force_login(north.admin)
    response = client.get("/reports/")
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('class="trajectory"') == 2 and "confidence bands" in page
    assert "Persistent pain" in page


def test_report_page_is_for_clinic_admins_of_that_clinic(north, south, client):
    client.force_login(north.therapist)
    assert client.get("/reports/").status_code == 403
    client.force_login(north.admin)
    response = client.get("/reports/", {"clinic": south.clinic.pk})
    assert response.status_code == 400
    assert "South" not in response.content.decode()
    client.logout()
    assert client.get("/reports/").status_code == 302


def test_export_outcomes_command_writes_the_file_and_records_it(north, tmp_path):
    out = tmp_path / "outcomes.csv"
    call_command("export_outcomes", clinic=north.clinic.slug, kind="csv_checkins", output=str(out))
    assert len(out.read_text().splitlines()) == 25
    assert AuditEvent.objects.filter(action="export.csv_checkins", actor_label="manage.py export_outcomes").exists()


def test_export_outcomes_command_names_a_bad_clinic(db, tmp_path):
    with pytest.raises(CommandError, match="--clinic"):
        call_command("export_outcomes", clinic="nope", kind="fhir", output=str(tmp_path / "x.json"))
