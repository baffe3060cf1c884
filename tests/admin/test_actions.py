"""Actions on selected patients: each goes through a service."""

from __future__ import annotations

import csv
import io

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from outbox.models import OutboxMessage
from patients.models import Assignment, Patient
from patients.services import CHECKIN_LINK_TASK
from tests.admin.conftest import CHANGELIST
from tests.factories import checkin, licensed_odi_wording


@pytest.fixture
def tess_client(client, world):  # type: ignore[no-untyped-def]
    client.force_login(world.tess)
    return client


def act(client, action: str, patients: list, **extra: object):  # type: ignore[no-untyped-def]
    data = {"action": action, "_selected_action": [p.pk for p in patients], **extra}
    return client.post(CHANGELIST + "?caseload=clinic", data, follow=True)


def test_assign_program_action_asks_for_the_program_then_assigns_to_each(tess_client, world):
    form = act(tess_client, "assign_program_action", [world.alice, world.aaron])
    assert "Assign a program" in form.content.decode()
    act(
        tess_client,
        "assign_program_action",
        [world.alice, world.aaron],
        apply="1",
        program=world.alpha_program.pk,
        start_date=timezone.localdate().isoformat(),
    )
    assert Assignment.objects.filter(program=world.alpha_program, assigned_by=world.tess).count() == 2


def test_send_checkin_link_now_queues_the_task_through_the_outbox(tess_client, world):
    licensed_odi_wording(world.alpha)
    act(tess_client, "send_checkin_link_action", [world.alice])
    message = OutboxMessage.objects.get(task_name=CHECKIN_LINK_TASK)
    assert message.kwargs == {"patient_id": world.alice.pk}
    assert AuditEvent.objects.filter(action="patient.send_checkin_link", patient_id=world.alice.pk).exists()


def test_send_checkin_link_is_refused_without_consent(tess_client, world):
    Patient.objects.filter(pk=world.alice.pk).update(reminder_consent=False)
    response = act(tess_client, "send_checkin_link_action", [world.alice])
    assert "Reminder consent: The patient has not agreed to be emailed." in response.content.decode()
    assert not OutboxMessage.objects.filter(task_name=CHECKIN_LINK_TASK).exists()


def test_pause_and_resume_reminders(tess_client, world):
    act(tess_client, "pause_reminders_action", [world.alice, world.aaron])
    assert set(Patient.objects.values_list("status", flat=True).filter(clinic=world.alpha)) == {"paused"}
    act(tess_client, "resume_reminders_action", [world.alice])
    world.alice.refresh_from_db()
    assert world.alice.status == Patient.Status.ACTIVE
    assert AuditEvent.objects.filter(action="patient.pause").count() == 2


def discharge(client, patients: list, **extra: object):  # type: ignore[no-untyped-def]
    """The caseload's Discharge action, confirmed on its page with today's date."""
    return act(client, "discharge_action", patients, apply="1", ended_on=timezone.localdate().isoformat(), **extra)


def test_discharge_asks_first_then_closes_the_episode_with_its_note_and_revokes_links(tess_client, world):
    generation = world.alice.link_generation
    page = act(tess_client, "discharge_action", [world.alice, world.aaron])
    assert "Discharge 2 patients" in page.content.decode() and "Discharge note" in page.content.decode()
    assert Patient.objects.filter(status=Patient.Status.DISCHARGED).count() == 0  # nothing until confirmed

    discharge(tess_client, [world.alice], discharge_note="Goals met; self-managing.")
    world.alice.refresh_from_db()
    assert world.alice.status == Patient.Status.DISCHARGED
    assert world.alice.link_generation == generation + 1
    assert world.alice.current_episode() is None
    assert world.alice.episodes.get().discharge_note == "Goals met; self-managing."
    again = discharge(tess_client, [world.alice])
    assert "This patient has already been discharged." in again.content.decode()


def test_resume_of_a_discharged_patient_is_refused_with_the_field_named(tess_client, world):
    discharge(tess_client, [world.alice])
    response = act(tess_client, "resume_reminders_action", [world.alice])
    assert "Status: A discharged patient gets no reminders." in response.content.decode()


def test_export_the_selection_as_csv(tess_client, world):
    checkin(world.alice, 1, 3, 6)
    checkin(world.alice, 3, 1, 3)
    Patient.objects.filter(pk=world.aaron.pk).update(last_name="=HYPERLINK(1)")
    response = act(tess_client, "export_csv_action", [world.alice, world.aaron])
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    by_name = {row["first_name"]: row for row in rows}
    assert set(by_name) == {"Alice", "Aaron"}
    alice = by_name["Alice"]
    assert alice["odi_score"] == "20.0"
    assert alice["odi_band"] == "minimal disability"
    assert alice["odi_improvement"] == "40.0"
    assert alice["odi_change"] == "40.0 points better (MCID met)"
    assert alice["odi_responder"] == "yes"
    assert alice["nrs_improvement"] == "3"
    assert alice["nrs_change"] == "3 points better (MCID met)"
    assert by_name["Aaron"]["last_name"] == "'=HYPERLINK(1)"
    assert AuditEvent.objects.filter(action="patient.export", clinic=world.alpha).exists()
