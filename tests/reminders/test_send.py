import datetime as dt
import email
import email.policy
import smtplib
import socket

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives, get_connection

from audit.models import AuditEvent
from outbox.models import OutboxMessage
from patients import services as patient_services
from patients.models import Alert
from reminders import services
from reminders.emails import SUBJECTS
from reminders.models import AlertNotification, DeliveryStatus, Reminder, TherapistDigest
from reminders.services import delivery
from tests.factories import checkin, make_clinic_admin, patient_on_program

pytestmark = pytest.mark.django_db


class CountingConnection:
    """The locmem backend, counting opens; optionally refusing the first `refuse` sends."""

    def __init__(self, refuse: int = 0) -> None:
        self.inner = get_connection("django.core.mail.backends.locmem.EmailBackend")
        self.opens = 0
        self.refuse = refuse
        self.is_open = False

    def open(self) -> bool:
        if not self.is_open:
            self.opens += 1
            self.is_open = True
        return True

    def close(self) -> None:
        self.is_open = False

    def send_messages(self, messages):
        if self.refuse:
            self.refuse -= 1
            raise smtplib.SMTPRecipientsRefused({"x@example.org": (451, b"4.3.0 Try again later")})
        return self.inner.send_messages(messages)


@pytest.fixture
def reminder(due_patient, now):
    due_patient()
    services.dispatch_due_reminders(now=now, publish=False)
    return Reminder.objects.get()


def test_a_reminder_is_sent_once_and_marked_sent(reminder):
    outcome = services.send_one_reminder(reminder.pk)
    assert outcome.status == "sent"
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (DeliveryStatus.SENT, 1)
    assert reminder.sent_at is not None
    assert len(mail.outbox) == 1


def test_a_send_task_delivered_twice_sends_one_email(reminder):
    services.send_one_reminder(reminder.pk)
    assert services.send_one_reminder(reminder.pk).status == "done"
    services.send_reminder_batch([reminder.pk, reminder.pk])
    assert len(mail.outbox) == 1


def test_the_email_has_the_clinic_the_links_and_no_health_data_in_the_subject(reminder):
    services.send_one_reminder(reminder.pk)
    message = mail.outbox[0]
    assert message.subject == "Your weekly check-in"
    for word in ("pain", "back", "odi", "score", "flag", "physio", "fjord"):
        assert word not in message.subject.lower()
    assert message.to == [reminder.patient.email]
    assert "Fjord Physio" in message.body
    assert "/checkin/" in message.body
    assert "/reminders/pause/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "Fjord Physio" in html
    assert "/reminders/pause/" in html
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["Message-ID"].startswith(f"<reminder-{reminder.pk}@")


def test_every_subject_is_free_of_health_data():
    for subject in SUBJECTS.values():
        for word in ("pain", "odi", "nrs", "score", "red flag", "worse", "back", "flare"):
            assert word not in subject.lower()


def test_a_batch_reuses_one_smtp_connection(due_patient, now):
    for _ in range(4):
        due_patient()
    ids = services.dispatch_due_reminders(now=now, publish=False).reminder_ids
    connection = CountingConnection()
    counts = services.send_reminder_batch(ids, connection=connection)
    assert counts == {"sent": 4}
    assert connection.opens == 1
    assert len(mail.outbox) == 4


def test_an_smtp_error_is_retried_later_and_recorded(reminder, monkeypatch):
    queued = []
    monkeypatch.setattr(delivery, "schedule_retry", lambda pk, attempts: queued.append((pk, attempts)))
    counts = services.send_reminder_batch([reminder.pk], connection=CountingConnection(refuse=1))
    assert counts == {"retry": 1}
    assert queued == [(reminder.pk, 1)]
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (DeliveryStatus.PENDING, 1)
    assert "SMTPRecipientsRefused" in reminder.last_error
    assert services.send_one_reminder(reminder.pk, connection=CountingConnection()).status == "sent"
    assert len(mail.outbox) == 1


def test_after_the_last_attempt_the_reminder_is_marked_failed_with_the_error(reminder, settings):
    settings.REMINDER_MAX_ATTEMPTS = 3
    outcomes = [
        services.send_one_reminder(reminder.pk, connection=CountingConnection(refuse=1)).status for _ in range(4)
    ]
    assert outcomes == ["retry", "retry", "failed", "done"]
    reminder.refresh_from_db()
    assert reminder.status == DeliveryStatus.FAILED
    assert reminder.attempts == 3
    assert "451" in reminder.last_error
    assert not mail.outbox


def test_a_patient_paused_after_dispatch_gets_no_email(reminder):
    patient_services.set_reminders_paused(patient=reminder.patient, paused=True)
    assert services.send_one_reminder(reminder.pk).status == "skipped"
    reminder.refresh_from_db()
    assert reminder.status == DeliveryStatus.SKIPPED
    assert not mail.outbox


def test_a_follow_up_is_skipped_when_the_check_in_came_in_the_meantime(reminder):
    follow_up = Reminder.objects.create(
        patient=reminder.patient,
        episode=reminder.episode,
        week=reminder.week,
        kind=Reminder.Kind.FOLLOW_UP,
        due_at=reminder.due_at,
    )
    checkin(reminder.patient, reminder.week, 1, 3)
    assert services.send_one_reminder(follow_up.pk).status == "skipped"
    assert not mail.outbox


def test_resend_requeues_a_failed_reminder_through_the_outbox_and_audits_it(reminder, therapist):
    Reminder.objects.filter(pk=reminder.pk).update(status=DeliveryStatus.FAILED, attempts=5, last_error="boom")
    reminder.refresh_from_db()
    assert services.resend_reminder(reminder=reminder, by=therapist) is True
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (DeliveryStatus.PENDING, 0)
    message = OutboxMessage.objects.get(task_name="reminders.send_reminder")
    assert message.kwargs == {"reminder_id": reminder.pk}
    assert AuditEvent.objects.filter(action="reminder.resend", patient_id=reminder.patient_id).exists()


def test_a_sent_reminder_is_never_resent(reminder, therapist):
    services.send_one_reminder(reminder.pk)
    reminder.refresh_from_db()
    assert services.resend_reminder(reminder=reminder, by=therapist) is False
    assert not OutboxMessage.objects.filter(task_name="reminders.send_reminder").exists()


# --- Alerts ---------------------------------------------------------------------------------------------


def test_a_red_flag_sends_one_urgent_email_to_the_therapist_even_if_notified_twice(due_patient, therapist):
    patient = due_patient()
    checkin(patient, 5, 1, 3, red_flags={"rf_saddle": True})
    alert = Alert.objects.get(kind=Alert.Kind.RED_FLAG)
    assert OutboxMessage.objects.filter(task_name="reminders.notify_alert", kwargs={"alert_id": alert.pk}).exists()
    assert services.notify_alert(alert_id=alert.pk).status == "sent"
    assert services.notify_alert(alert_id=alert.pk).status == "done"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [therapist.email]
    assert message.subject == SUBJECTS["alert"]
    assert "numbness" in message.body  # the question, in the body only
    assert "emergency" in message.body
    assert AlertNotification.objects.get().status == DeliveryStatus.SENT


def deliver_alert_tasks() -> list[str]:
    """Run every queued alert task as the worker would (a task delivered twice included), once each."""
    statuses = []
    for message in OutboxMessage.objects.filter(task_name="reminders.notify_alert").order_by("pk"):
        statuses += [services.notify_alert(**message.kwargs).status for _ in range(2)]
    return statuses


def test_a_resubmission_that_adds_a_red_flag_escalates_the_open_alert_and_notifies_once_more(due_patient):
    patient = due_patient()
    checkin(patient, 5, 1, 3, red_flags={"rf_night_pain": True})
    alert = Alert.objects.get(kind=Alert.Kind.RED_FLAG)
    assert deliver_alert_tasks() == ["sent", "done"]

    checkin(patient, 5, 1, 3, red_flags={"rf_night_pain": True, "rf_bladder_bowel": True})
    alert.refresh_from_db()
    assert alert.details["questions"] == ["rf_bladder_bowel", "rf_night_pain"]  # question order, both kept
    assert alert.details["added"] == ["rf_bladder_bowel"]
    assert (alert.urgent, alert.escalation, alert.acknowledged_at) == (True, 1, None)
    assert deliver_alert_tasks() == ["done", "done", "sent", "done"]
    assert len(mail.outbox) == 2
    first, update = mail.outbox
    assert first.extra_headers["Message-ID"] != update.extra_headers["Message-ID"]  # not folded into one
    assert "UPDATED ALERT" in update.body and "bladder" in update.body and "week 5 check-in" in update.body
    assert "call emergency services or go to an emergency department now" in update.body
    assert AuditEvent.objects.filter(action="alert.escalate", object_id=str(alert.pk)).count() == 1

    # The same answers again, or fewer flags: no new escalation, no new email.
    checkin(patient, 5, 1, 3, red_flags={"rf_night_pain": True, "rf_bladder_bowel": True})
    checkin(patient, 5, 1, 3, red_flags={"rf_bladder_bowel": True})
    alert.refresh_from_db()
    assert alert.escalation == 1
    deliver_alert_tasks()
    assert len(mail.outbox) == 2


def test_a_flag_added_after_acknowledgement_reopens_as_a_new_alert_and_notifies_once(due_patient, therapist):
    patient = due_patient()
    checkin(patient, 5, 1, 3, red_flags={"rf_night_pain": True})
    first = Alert.objects.get(kind=Alert.Kind.RED_FLAG)
    deliver_alert_tasks()
    patient_services.acknowledge_alert(alert=first, by=therapist, note="Phoned: night pain since a new mattress.")

    checkin(patient, 5, 1, 3, red_flags={"rf_night_pain": True, "rf_bladder_bowel": True})
    reopened = Alert.objects.open().get(kind=Alert.Kind.RED_FLAG)
    assert reopened.pk != first.pk  # the acknowledgement and its note stay in the history
    assert reopened.details["questions"] == ["rf_bladder_bowel", "rf_night_pain"]
    assert reopened.details["added"] == ["rf_bladder_bowel"]
    assert deliver_alert_tasks() == ["done", "done", "sent", "done"]
    assert len(mail.outbox) == 2
    assert "UPDATED ALERT" in mail.outbox[1].body and "bladder" in mail.outbox[1].body
    checkin(patient, 5, 1, 3, red_flags={"rf_night_pain": True, "rf_bladder_bowel": True})
    deliver_alert_tasks()
    assert len(mail.outbox) == 2


def test_a_red_flag_in_a_new_week_reaches_the_therapist_while_the_alert_is_open(due_patient):
    patient = due_patient()
    checkin(patient, 4, 1, 3, red_flags={"rf_night_pain": True})
    checkin(patient, 5, 1, 3, red_flags={"rf_night_pain": True})
    alert = Alert.objects.get(kind=Alert.Kind.RED_FLAG)
    assert (alert.weeks, alert.escalation) == ([4, 5], 1)
    assert deliver_alert_tasks() == ["sent", "done", "sent", "done"]
    assert "week 5 check-in" in mail.outbox[1].body and "weeks 4, 5 check-ins" in mail.outbox[1].body


def test_through_the_api_an_added_flag_reaches_the_therapist_again(due_patient, therapist):
    from tests.api.conftest import patient_client

    patient = due_patient()
    api = patient_client(patient)
    body = {"odi": [1] * 10, "pain_nrs": 3, "red_flags": {"rf_night_pain": True}}
    assert api.post("/api/v1/me/checkins/", body, format="json").status_code == 201
    deliver_alert_tasks()
    body["red_flags"] = {"rf_night_pain": True, "rf_bladder_bowel": True}
    response = api.post("/api/v1/me/checkins/", body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["red_flag_urgency"] == "emergency"
    deliver_alert_tasks()
    assert [m.to for m in mail.outbox] == [[therapist.email], [therapist.email]]
    assert "bladder" in mail.outbox[1].body


def test_alerts_that_are_not_urgent_wait_for_the_digest(due_patient):
    patient = due_patient()
    episode = patient.current_episode()
    alert = Alert.objects.create(
        patient=patient, episode=episode, kind=Alert.Kind.WORSENING, week=5, latest_week=5, weeks=[5]
    )
    assert services.notify_alert(alert_id=alert.pk).status == "skipped"
    assert not mail.outbox


def test_a_red_flag_of_a_patient_without_therapist_goes_to_the_clinic_admins(clinic, plan):
    admin = make_clinic_admin(clinic, user__email="lead@example.org")
    patient = patient_on_program(clinic=clinic, program=plan)
    checkin(patient, 5, 1, 3, red_flags={"rf_fever": True})
    services.notify_alert(alert_id=Alert.objects.get().pk)
    assert mail.outbox[0].to == [admin.email]


def test_a_red_flag_nobody_can_receive_is_marked_failed(clinic, plan):
    patient = patient_on_program(clinic=clinic, program=plan)
    checkin(patient, 5, 1, 3, red_flags={"rf_fever": True})
    assert services.notify_alert(alert_id=Alert.objects.get().pk).status == "failed"
    assert "no primary therapist" in AlertNotification.objects.get().last_error


# --- Digest ---------------------------------------------------------------------------------------------


def test_the_digest_goes_once_a_day_to_each_therapist_with_patients_needing_attention(due_patient, therapist, settings):
    settings.REMINDER_DIGEST_HOUR = 7
    settings.TIME_ZONE = "UTC"
    patient = due_patient()
    Alert.objects.create(
        patient=patient, episode=patient.current_episode(), kind=Alert.Kind.WORSENING, week=5, latest_week=5
    )
    due_patient()  # no alert: not listed
    morning = dt.datetime(2026, 3, 2, 7, 5, tzinfo=dt.UTC)
    assert services.send_therapist_digests(now=morning - dt.timedelta(hours=1)) == {}
    assert services.send_therapist_digests(now=morning) == {"sent": 1}
    assert services.send_therapist_digests(now=morning + dt.timedelta(hours=1)) == {}
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [therapist.email]
    assert message.subject == SUBJECTS["digest"]
    assert f"{patient.first_name} {patient.last_name}: Worsening" in message.body
    digest = TherapistDigest.objects.get()
    assert (digest.day, digest.patient_count) == (dt.date(2026, 3, 2), 1)
    assert services.send_therapist_digests(now=morning + dt.timedelta(days=1)) == {"sent": 1}


def test_no_digest_for_a_therapist_whose_patients_have_no_open_alert(due_patient, therapist):
    patient = due_patient()
    alert = Alert.objects.create(
        patient=patient, episode=patient.current_episode(), kind=Alert.Kind.MISSED, week=4, latest_week=4
    )
    patient_services.acknowledge_alert(alert=alert, by=therapist)
    assert services.send_therapist_digests(now=dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)) == {}
    assert not mail.outbox


# --- The fast send path ---------------------------------------------------------------------------------


class RecordingSink:
    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.received.append((envelope.rcpt_tos, envelope.content))
        return "250 OK"

    def __init__(self) -> None:
        self.received: list[tuple[list[str], bytes]] = []


@pytest.fixture
def smtp_sink():
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = RecordingSink()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def smtp_connection(port: int):
    return get_connection("django.core.mail.backends.smtp.EmailBackend", host="127.0.0.1", port=port)


def test_over_smtp_a_reminder_arrives_as_a_two_part_email_without_djangos_slow_serializer(
    reminder, smtp_sink, monkeypatch
):
    handler, port = smtp_sink

    def slow_path(*args, **kwargs):
        raise AssertionError("the reminder went through EmailMessage.message()")

    monkeypatch.setattr(EmailMultiAlternatives, "message", slow_path)
    assert services.send_reminder_batch([reminder.pk], connection=smtp_connection(port)) == {"sent": 1}
    [(recipients, data)] = handler.received
    assert recipients == [reminder.patient.email]
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert message["Subject"] == "Your weekly check-in"
    assert message["Message-ID"].startswith(f"<reminder-{reminder.pk}@")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Fjord Physio" in text and "/checkin/" in text and "/reminders/pause/" in text
    assert "Fjord Physio" in html and "/reminders/pause/" in html


def test_a_batch_costs_one_query_per_email_plus_three_on_every_database(
    due_patient, now, django_assert_max_num_queries
):
    for _ in range(5):
        due_patient()
    ids = services.dispatch_due_reminders(now=now, publish=False).reminder_ids
    connection = CountingConnection()
    # claim (one conditional UPDATE ... RETURNING for the batch), load, the batch's new check-in links (one
    # UPDATE), then one UPDATE per email
    with django_assert_max_num_queries(len(ids) + 3) as queries:
        assert services.send_reminder_batch(ids, connection=connection) == {"sent": 5}
    assert sum(1 for q in queries.captured_queries if q["sql"].startswith("UPDATE")) == len(ids) + 2
    assert len(mail.outbox) == 5
    assert set(Reminder.objects.values_list("status", "claimed_at")) == {(DeliveryStatus.SENT, None)}
    # The same batch again (a redelivered task): every row is already marked, nothing goes out twice.
    with django_assert_max_num_queries(1):  # the claim takes nothing, so there is nothing to load
        assert services.send_reminder_batch(ids, connection=connection) == {"done": 5}
    assert len(mail.outbox) == 5


def test_more_reminders_than_a_batch_are_claimed_a_batch_at_a_time(
    due_patient, now, settings, django_assert_max_num_queries
):
    for _ in range(5):
        due_patient()
    ids = services.dispatch_due_reminders(now=now, publish=False).reminder_ids
    settings.REMINDER_BATCH_SIZE = 2  # as `send_reminders` passes a whole tick's reminders at once
    with django_assert_max_num_queries(3 * 3 + len(ids)) as queries:
        assert services.send_reminder_batch(ids, connection=CountingConnection()) == {"sent": 5}
    claims = [q["sql"] for q in queries.captured_queries if "RETURNING" in q["sql"]]
    assert len(claims) == 3
    assert len(mail.outbox) == 5


def test_each_reminder_of_a_batch_carries_a_working_link_and_a_skipped_one_ends_no_link(due_patient, now):
    from django.test import Client

    from patients import links
    from patients.models import Patient

    emailed, paused = due_patient(), due_patient()
    earlier = links.issue_token(paused)  # the link the paused patient already holds
    ids = services.dispatch_due_reminders(now=now, publish=False).reminder_ids
    Patient.objects.filter(pk=paused.pk).update(status=Patient.Status.PAUSED)
    assert services.send_reminder_batch(ids, connection=CountingConnection()) == {"sent": 1, "skipped": 1}
    [message] = mail.outbox
    token = message.body.split("/checkin/")[1].split("/")[0]
    assert links.redeem(token) == emailed
    assert Client().post(f"/checkin/{earlier}/").status_code == 302  # still the paused patient's live link
