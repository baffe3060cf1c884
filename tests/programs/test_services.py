from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from patients import services as patient_services
from patients.plans import week_plan
from programs import services
from programs.models import Program, ProgramItem
from tests.factories import ClinicFactory, EpisodeFactory, PatientFactory, walking_activity


def test_builtin_library_has_a_program_of_each_typical_kind(db):
    kinds = set(Program.objects.builtin().values_list("kind", flat=True))
    assert {"acute_flare", "persistent", "return_to_work"} <= kinds
    for program in Program.objects.builtin():
        assert program.items.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"goal": "5"}, "goal"), ({"increase": "-5"}, "increase"), ({"baseline": "abc"}, "baseline")],
)
def test_graded_activity_validation_names_the_field(db, changes, field):
    fields = {"baseline": "10", "increase": "20", "goal": "30", **changes}
    with pytest.raises(ValidationError) as error:
        services.create_graded_activity(clinic=None, title="Walk", activity="Walking", unit="minutes", **fields)
    assert field in error.value.message_dict


def test_component_from_another_clinic_cannot_join_a_program(db):
    mine, theirs = ClinicFactory(), ClinicFactory()
    program = Program.objects.create(clinic=mine, title="Mine")
    activity = walking_activity(clinic=theirs)
    with pytest.raises(ValidationError) as error:
        services.add_program_item(program=program, component=activity)
    assert "component" in error.value.message_dict
    assert not ProgramItem.objects.filter(program=program).exists()


def test_editing_a_narrative_adds_a_version(db):
    narrative = services.create_narrative(clinic=None, title="Pain", body="v1 text")
    services.edit_narrative(narrative=narrative, body="v2 text")
    assert [v.body for v in narrative.versions.all()] == ["v1 text", "v2 text"]
    assert narrative.current_version().version == 2


def test_copy_of_a_builtin_program_belongs_to_the_clinic_and_keeps_its_items(db):
    clinic = ClinicFactory()
    builtin = Program.objects.builtin().first()
    copy = services.copy_program_to_clinic(program=builtin, clinic=clinic)
    assert copy.clinic == clinic and copy.copied_from == builtin
    assert copy.items.count() == builtin.items.count()


def test_template_edits_after_assignment_leave_the_assignment_unchanged(db):
    clinic = ClinicFactory()
    program = Program.objects.create(clinic=clinic, title="Custom")
    narrative = services.create_narrative(clinic=clinic, title="Story", body="Original story")
    activity = walking_activity(clinic=clinic)
    services.add_program_item(program=program, component=narrative)
    services.add_program_item(program=program, component=activity)
    patient = PatientFactory(clinic=clinic)
    episode = EpisodeFactory(patient=patient)
    assignment = patient_services.assign_program(episode=episode, program=program, start_date=episode.started_on)

    services.edit_narrative(narrative=narrative, body="Rewritten story")
    activity.goal, activity.baseline = 60, 20
    activity.save()
    ProgramItem.objects.filter(program=program, graded_activity=activity).delete()
    program.title = "Renamed"
    program.save()

    items = {item.kind: item for item in assignment.items.select_related("narrative_version")}
    assert items["narrative"].narrative_version.body == "Original story"
    assert (items["activity"].baseline, items["activity"].goal) == (10, 30)
    assert assignment.title == "Custom"
    plan = week_plan(episode, 3)
    assert [a.quota for a in plan.activities] == [Decimal("14.4")]


def test_tailoring_changes_the_assignment_never_the_template(db):
    clinic = ClinicFactory()
    program = Program.objects.create(clinic=clinic, title="Custom")
    activity = walking_activity(clinic=clinic)
    services.add_program_item(program=program, component=activity)
    episode = EpisodeFactory(patient=PatientFactory(clinic=clinic))
    assignment = patient_services.assign_program(episode=episode, program=program, start_date=episode.started_on)
    item = assignment.items.get()
    patient_services.tailor_item(item=item, baseline=5, goal=20)
    activity.refresh_from_db()
    assert (activity.baseline, activity.goal) == (10, 30)
    assert week_plan(episode, 1).activities[0].quota == 5


def test_tailoring_rejects_a_goal_below_the_baseline(db):
    clinic = ClinicFactory()
    program = Program.objects.create(clinic=clinic, title="Custom")
    services.add_program_item(program=program, component=walking_activity(clinic=clinic))
    episode = EpisodeFactory(patient=PatientFactory(clinic=clinic))
    item = patient_services.assign_program(episode=episode, program=program, start_date=episode.started_on).items.get()
    with pytest.raises(ValidationError) as error:
        patient_services.tailor_item(item=item, goal=5)
    assert "goal" in error.value.message_dict
