"""`audit.record(action, obj, actor)` takes the event's clinic and patient from the object it is about."""

import ast
from pathlib import Path

import pytest

from audit.models import AuditEvent
from audit.services import record, scope_of
from patients import services
from tests.factories import checkin, make_therapist, patient_on_program


def test_every_record_about_a_patient_carries_its_clinic_and_patient(db):
    patient = patient_on_program(weeks_ago=2)
    episode = patient.current_episode()
    assignment = episode.assignments.get()
    item = assignment.items.first()
    stored = checkin(patient, 1, 2, 9, red_flags={"rf_fever": True})
    alert = stored.episode.alerts.get()
    _, token = services.issue_patient_token(patient=patient)
    for obj in (patient, episode, assignment, item, stored, alert, token):
        assert scope_of(obj) == (patient.clinic_id, patient.pk), type(obj).__name__
    assert scope_of(assignment.program) == (None, None)  # the built-in library belongs to no clinic


def test_the_stored_event_names_the_object_and_its_scope(db):
    patient = patient_on_program(weeks_ago=2)
    therapist = make_therapist(patient.clinic)
    event = record("patient.test", patient.current_episode(), therapist, details={"n": 1})
    event = AuditEvent.objects.get(pk=event.pk)
    assert (event.clinic_id, event.patient_id, event.object_type, event.actor) == (
        patient.clinic_id,
        patient.pk,
        "Episode",
        therapist,
    )


def test_a_clinic_or_patient_is_not_passed_beside_an_object(db):
    patient = patient_on_program(weeks_ago=2)
    with pytest.raises(TypeError):
        record("patient.test", patient, clinic_id=patient.clinic_id)


def test_audit_imports_no_models_of_the_apps_it_records():
    """Audit is a leaf app: it reads the object's `patient` / `clinic_id`, never the patients' or programs'
    models (the clinics import in audit/models.py is the access rule for reading the log)."""
    source = Path(__file__).resolve().parents[2] / "audit" / "services.py"
    imported = {
        node.module
        for node in ast.walk(ast.parse(source.read_text()))
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert not {name for name in imported if name.split(".")[0] in {"patients", "programs", "clinics", "reminders"}}
