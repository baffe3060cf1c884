"""Assignments and tailoring: a program copied onto a patient's episode, and one patient's changes to it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from audit.services import record
from patients.dates import validate_program_start
from patients.models import (
    Assignment,
    AssignmentItem,
    Episode,
    Patient,
)
from patients.services.care import open_episode
from programs.models import PLAN_FIELDS, Program, week_range_errors
from programs.quotas import validate_plan


@transaction.atomic
def assign_program(*, episode: Episode, program: Program, start_date: dt.date, by: Any = None) -> Assignment:
    """Copy the program's items into the episode, pinning each narrative's current version, so that a later
    edit of the template (or of a narrative) never changes what this patient has."""
    patient = episode.patient
    if program.clinic_id is not None and program.clinic_id != patient.clinic_id:
        raise ValidationError({"program": "This program belongs to another clinic."})
    validate_program_start(start_date, field="start_date")
    if start_date < episode.started_on:
        raise ValidationError({"start_date": "The start date cannot be before the episode starts."})
    if episode.ended_on is not None:
        raise ValidationError({"episode": "This episode has ended."})
    assignment = Assignment.objects.create(
        episode=episode, program=program, title=program.title, start_date=start_date, assigned_by=by
    )
    items = copy_program_items(
        assignment,
        program.items.select_related("narrative", "coping_strategy", "graded_activity").prefetch_related(
            "narrative__versions"
        ),
    )
    AssignmentItem.objects.bulk_create(items)
    record("assignment.create", assignment, by, details={"program_id": program.pk})
    return assignment


@transaction.atomic
def assign_program_to_patient(
    *, patient: Patient, program: Program, start_date: dt.date, goals: str = "", by: Any = None
) -> Assignment:
    """Assign to the patient's open episode; with none, open one that starts with the program (all or nothing,
    `goals` are the new episode's)."""
    episode = patient.current_episode() or open_episode(patient=patient, started_on=start_date, goals=goals, by=by)
    return assign_program(episode=episode, program=program, start_date=start_date, by=by)


def copy_program_items(assignment: Assignment, program_items: Any) -> list[AssignmentItem]:
    """Unsaved copies of a program's items for one assignment (narratives pinned to their current version)."""
    items = []
    for item in program_items:
        copy = AssignmentItem(
            assignment=assignment, order=item.order, start_week=item.start_week, end_week=item.end_week
        )
        if item.narrative_id:
            copy.kind = AssignmentItem.Kind.NARRATIVE
            copy.title = item.narrative.title
            copy.narrative_version = item.narrative.current_version()
        elif item.coping_strategy_id:
            strategy = item.coping_strategy
            copy.kind = AssignmentItem.Kind.COPING
            copy.title, copy.coping_strategy = strategy.title, strategy
            copy.instructions, copy.when_to_use = strategy.instructions, strategy.when_to_use
        else:
            activity = item.graded_activity
            copy.kind = AssignmentItem.Kind.ACTIVITY
            copy.title, copy.graded_activity, copy.activity = activity.title, activity, activity.activity
            for name in PLAN_FIELDS:
                setattr(copy, name, getattr(activity, name))
        items.append(copy)
    return items


TAILORABLE = (
    "baseline",
    "goal",
    "increase",
    "increase_kind",
    "flare_margin",
    "flare_response",
    "start_week",
    "end_week",
)


@transaction.atomic
def tailor_item(*, item: AssignmentItem, by: Any = None, **changes: Any) -> AssignmentItem:
    """Per-patient tailoring: changes this patient's copy only, never the clinic's template."""
    unknown = set(changes) - set(TAILORABLE)
    if unknown:
        raise ValidationError({name: "This field cannot be tailored." for name in unknown})
    for name, value in changes.items():
        setattr(item, name, value)
    if item.kind == AssignmentItem.Kind.ACTIVITY:
        errors = validate_plan(item.quota_plan())
        if errors:
            raise ValidationError(errors)
    week_errors = week_range_errors(item.start_week, item.end_week)
    if week_errors:
        raise ValidationError(week_errors)
    item.save()
    record("assignment.tailor", item, by)
    return item


@transaction.atomic
def drop_item(*, item: AssignmentItem, by: Any = None) -> None:
    record("assignment.drop_item", item, by)
    item.delete()
