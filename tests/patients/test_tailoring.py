"""Tailoring one patient's plan: quotas and weeks of their copy, items removed or added from the library, never
the clinic's template; all or nothing, each error naming its item and field; recorded in the audit trail."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from patients import services
from patients.models import Assignment, AssignmentItem, Patient
from patients.plans import week_plan
from programs.models import CopingStrategy, GradedActivity, Program
from tests.factories import builtin_program, checkin, patient_on_program, walking_activity

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(db) -> Patient:
    """On the persistent-pain program since four weeks: this is week 5."""
    return patient_on_program(weeks_ago=4, program=builtin_program(Program.Kind.PERSISTENT))


def assignment_of(patient: Patient) -> Assignment:
    return Assignment.objects.get(episode__patient=patient)


def item(patient: Patient, title: str) -> AssignmentItem:
    return assignment_of(patient).items.get(title=title)


def test_tailoring_a_quota_changes_this_patient_only_and_says_so_in_the_title(patient):
    walking = item(patient, "Walking")
    services.tailor_assignment(
        assignment=assignment_of(patient), changes={walking.pk: {"baseline": Decimal("5"), "goal": Decimal("20")}}
    )
    assert week_plan(patient.current_episode(), 1).activities[0].quota == Decimal("5.0")
    template = GradedActivity.objects.get(clinic__isnull=True, title="Walking")
    assert (template.baseline, template.goal) == (Decimal("10.0"), Decimal("30.0"))
    title = assignment_of(patient).title
    assert title == "Persistent pain: make sense of pain and move with confidence (tailored for this patient)"
    event = AuditEvent.objects.get(action="assignment.tailor")
    assert event.patient_id == patient.pk and event.details == {"baseline": "5", "goal": "20"}


def test_the_title_says_tailored_once(patient):
    walking = item(patient, "Walking")
    for baseline in ("6", "7"):
        services.tailor_item(item=walking, baseline=Decimal(baseline))
    assert assignment_of(patient).title.count("(tailored for this patient)") == 1


def test_a_bad_value_names_its_item_and_field_and_saves_nothing(patient):
    walking, sit = item(patient, "Walking"), item(patient, "Sit to stand")
    with pytest.raises(ValidationError) as error:
        services.tailor_assignment(
            assignment=assignment_of(patient),
            changes={walking.pk: {"baseline": Decimal("5")}, sit.pk: {"goal": Decimal("1")}},
            remove=[item(patient, "Relaxed breathing").pk],
        )
    assert error.value.message_dict == {f"items.{sit.pk}.goal": ["The goal cannot be below the baseline."]}
    walking.refresh_from_db()
    assert walking.baseline == Decimal("10.0")
    assert not assignment_of(patient).is_tailored
    assert item(patient, "Relaxed breathing").end_week is None
    assert not AuditEvent.objects.filter(action__startswith="assignment.tailor").exists()


def test_a_quota_is_refused_on_an_item_that_is_no_activity(patient):
    breathing = item(patient, "Relaxed breathing")
    with pytest.raises(ValidationError) as error:
        services.tailor_item(item=breathing, baseline=Decimal("5"))
    assert error.value.message_dict == {"baseline": ["Only a graded activity has a quota."]}


def test_removing_an_item_ends_it_after_the_weeks_already_checked_in(patient):
    checkin(patient, 5, 2, 4)
    breathing = item(patient, "Relaxed breathing")
    services.tailor_assignment(assignment=assignment_of(patient), remove=[breathing.pk])
    breathing.refresh_from_db()
    assert breathing.end_week == 5  # week 5 was answered with it; week 6 on it is gone
    episode = patient.current_episode()
    assert "Relaxed breathing" in [i.title for i in week_plan(episode, 5).coping]
    assert "Relaxed breathing" not in [i.title for i in week_plan(episode, 6).coping]
    assert AuditEvent.objects.filter(action="assignment.remove_item").exists()


def test_removing_an_item_that_never_ran_deletes_it(patient):
    later = services.tailor_item(item=item(patient, "Relaxed bending"), start_week=8)
    services.remove_item(item=later)
    assert not AssignmentItem.objects.filter(pk=later.pk).exists()


def test_adding_a_library_item_starts_it_in_the_first_open_week(patient):
    checkin(patient, 5, 2, 4)
    pacing = CopingStrategy.objects.get(clinic__isnull=True, title="Pacing your day")
    services.tailor_assignment(assignment=assignment_of(patient), add=[services.ItemToAdd(pacing)])
    added = item(patient, "Pacing your day")
    assert added.start_week == 6 and added.coping_strategy == pacing and added.instructions == pacing.instructions
    assert "Pacing your day" not in [i.title for i in week_plan(patient.current_episode(), 5).coping]
    assert AuditEvent.objects.get(action="assignment.add_item").details["start_week"] == 6


def test_adding_an_activity_copies_its_quota_plan(patient):
    own = walking_activity(clinic=patient.clinic, title="Cycling", activity="Cycling", baseline="15")
    services.add_item(assignment=assignment_of(patient), component=own)
    cycling = week_plan(patient.current_episode(), 5).activities[-1]
    assert (cycling.item.title, cycling.quota) == ("Cycling", Decimal("15.0"))


def test_adding_a_component_already_in_the_plan_is_refused(patient):
    walking = GradedActivity.objects.get(clinic__isnull=True, title="Walking")
    with pytest.raises(ValidationError) as error:
        services.tailor_assignment(assignment=assignment_of(patient), add=[services.ItemToAdd(walking)])
    assert "already in this patient's plan" in error.value.message_dict["add.component"][0]


def test_adding_to_a_checked_week_is_refused_naming_the_start_week(patient):
    checkin(patient, 5, 2, 4)
    pacing = CopingStrategy.objects.get(clinic__isnull=True, title="Pacing your day")
    with pytest.raises(ValidationError) as error:
        services.add_item(assignment=assignment_of(patient), component=pacing, start_week=3)
    assert error.value.message_dict == {
        "start_week": ["Choose week 6 or later: earlier weeks are past or already checked in."]
    }


def test_another_clinics_component_is_refused(patient):
    from tests.factories import ClinicFactory

    theirs = walking_activity(clinic=ClinicFactory(), title="Their walking")
    with pytest.raises(ValidationError) as error:
        services.add_item(assignment=assignment_of(patient), component=theirs)
    assert "component" in error.value.message_dict


def test_changing_weeks_may_not_change_a_week_already_checked_in(patient):
    checkin(patient, 2, 2, 4)
    sit = item(patient, "Sit to stand")  # from week 2
    with pytest.raises(ValidationError) as error:
        services.tailor_item(item=sit, start_week=3)
    assert error.value.message_dict == {
        "start_week": ["Week 2 already has a check-in answered with this item's weeks as they were."]
    }
    services.tailor_item(item=sit, end_week=10)  # weeks after the check-ins are free
