import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.core import signing
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from patients.links import pause_url
from patients.models import Patient
from reminders import services
from reminders.models import DeliveryStatus, Reminder
from tests.factories import ClinicFactory, PatientFactory, patient_on_program

pytestmark = pytest.mark.django_db


def _path(url: str) -> str:
    return urlsplit(url).path


def test_the_pause_link_asks_then_pauses_reminders(client, due_patient):
    patient = due_patient()
    path = _path(pause_url(patient))
    page = client.get(path)
    assert page.status_code == 200
    assert b"Pause my reminders" in page.content
    patient.refresh_from_db()
    assert patient.status == Patient.Status.ACTIVE  # a link scanner's GET pauses nobody
    done = client.post(path)
    assert done.status_code == 200
    assert b"Reminders paused" in done.content
    patient.refresh_from_db()
    assert patient.status == Patient.Status.PAUSED


def test_a_tampered_pause_link_shows_a_clear_page(client, due_patient):
    path = _path(pause_url(due_patient()))
    page = client.post(path[:-3] + "xx/")
    assert page.status_code == 400
    assert b"This pause link is not valid" in page.content


def test_an_expired_pause_link_shows_a_clear_page(client, due_patient, monkeypatch):
    path = _path(pause_url(due_patient()))
    later = dt.datetime.now().timestamp() + 91 * 86400
    monkeypatch.setattr(signing.time, "time", lambda: later)
    page = client.get(path)
    assert page.status_code == 400
    assert b"expired" in page.content


def test_a_check_in_token_does_not_pause(client, due_patient):
    from patients.links import issue_token

    page = client.post(f"/reminders/pause/{issue_token(due_patient())}/")
    assert page.status_code == 400  # signed for another purpose (salt)


@pytest.fixture
def failed_reminder(due_patient, now):
    due_patient()
    services.dispatch_due_reminders(now=now, publish=False)
    Reminder.objects.update(status=DeliveryStatus.FAILED, attempts=5, last_error="SMTPDataError: 554 refused")
    return Reminder.objects.get()


def test_failed_reminders_are_listed_with_their_error_in_the_admin(admin_client, failed_reminder):
    page = admin_client.get("/admin/reminders/reminder/?status__exact=failed")
    assert page.status_code == 200
    assert b"554 refused" in page.content
    assert b"Failed" in page.content


def test_the_admin_shows_only_reminders_of_the_users_clinic(client, failed_reminder, django_user_model):
    from django.contrib.auth.models import Permission

    from tests.factories import make_clinic_admin

    other_clinic = ClinicFactory()
    user = make_clinic_admin(other_clinic)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_reminder", "change_reminder"]))
    client.force_login(user)
    page = client.get("/admin/reminders/reminder/")
    assert page.status_code == 200
    assert b"554 refused" not in page.content
    own = make_clinic_admin(failed_reminder.patient.clinic)
    own.user_permissions.add(*Permission.objects.filter(codename__in=["view_reminder", "change_reminder"]))
    client.force_login(own)
    assert b"554 refused" in client.get("/admin/reminders/reminder/").content


def test_the_resend_action_requeues_failed_reminders(admin_client, failed_reminder):
    page = admin_client.post(
        "/admin/reminders/reminder/",
        {"action": "resend", "_selected_action": [failed_reminder.pk]},
        follow=True,
    )
    assert b"1 reminder(s) queued to be sent again" in page.content
    failed_reminder.refresh_from_db()
    assert failed_reminder.status == DeliveryStatus.PENDING


def test_send_reminders_dry_run_lists_due_patients_and_sends_nothing(due_patient, capsys):
    patient = due_patient("Asia/Tokyo")
    call_command("send_reminders", "--dry-run", "--no-progress")
    out = capsys.readouterr().out
    assert f"patient {patient.pk} <{patient.email}> week 5" in out
    assert "Asia/Tokyo" in out
    assert "1 weekly check-in reminder(s) due; dry run, none sent." in out
    assert not Reminder.objects.exists()


def test_send_reminders_sends_the_due_ones_now(due_patient, mailoutbox, capsys):
    due_patient()
    due_patient("America/New_York")
    PatientFactory()  # no episode: nothing
    call_command("send_reminders", "--no-progress")
    assert len(mailoutbox) == 2
    assert "Done: 2 sent." in capsys.readouterr().out
    call_command("send_reminders", "--no-progress")
    assert len(mailoutbox) == 2


def test_the_beat_schedule_is_in_the_database():
    tasks = dict(PeriodicTask.objects.values_list("task", "enabled"))
    for name in (
        "reminders.dispatch_due_reminders",
        "reminders.dispatch_follow_ups",
        "reminders.send_therapist_digests",
        "outbox.drain",
        "patients.raise_missed_checkin_alerts",
    ):
        assert tasks.get(name) is True, name
    dispatch = PeriodicTask.objects.get(task="reminders.dispatch_due_reminders")
    assert (dispatch.interval.every, dispatch.interval.period) == (5, "minutes")


def test_send_checkin_link_now_sends_a_link_but_never_to_a_discharged_patient(clinic, plan, mailoutbox):
    from django.core.exceptions import ValidationError

    from patients import services as patient_services

    patient = patient_on_program(clinic=clinic, program=plan)
    services.send_checkin_link_now(patient_id=patient.pk)
    assert mailoutbox[0].subject == "Your check-in link"
    patient_services.discharge_patient(patient=patient)
    with pytest.raises(ValidationError):
        services.send_checkin_link_now(patient_id=patient.pk)
    assert len(mailoutbox) == 1
