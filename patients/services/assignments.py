"""Assignments and tailoring: a program copied onto a patient's episode, a change of program (the current one
ended from a date, kept as history), and one patient's changes to their copy (docs/admin.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q

from audit.services import record
from patients.dates import program_week, validate_program_start
from patients.models import (
    Assignment,
    AssignmentItem,
    Episode,
    Patient,
)
from patients.plans import component_keys, items_in_week
from patients.services.care import open_episode
from patients.services.checkins import current_week
from patients.summaries import refresh_outcome
from programs.models import (
    MAX_PROGRAM_WEEKS,
    PLAN_FIELDS,
    CopingStrategy,
    GradedActivity,
    Narrative,
    Program,
    week_range_errors,
)
from programs.quotas import validate_plan


@transaction.atomic
def assign_program(
    *, episode: Episode, program: Program, start_date: dt.date, alongside: bool = False, by: Any = None
) -> Assignment:
    """Copy the program's items into the episode, pinning each narrative's current version, so that a later
    edit of the template (or of a narrative) never changes what this patient has.

    A change of program: unless `alongside`, the episode's current assignments end on `start_date` (kept as
    history, never deleted), so the check-in asks each question once. Either way the new program starts after
    the last week with a check-in: those weeks keep the plan they were answered with. Its week 1 is the episode's
    program week holding `start_date` (its items' weeks are moved on to there)."""
    patient = episode.patient
    if program.clinic_id is not None and program.clinic_id != patient.clinic_id:
        raise ValidationError({"program": "This program belongs to another clinic."})
    validate_program_start(start_date, field="start_date")
    if start_date < episode.started_on:
        raise ValidationError({"start_date": "The start date cannot be before the episode starts."})
    if episode.ended_on is not None:
        raise ValidationError({"episode": "This episode has ended."})
    current = list(
        episode.assignments.select_for_update()
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=start_date))
        .order_by("start_date", "pk")
    )
    _check_after_checked_weeks(episode, start_date, field="start_date")
    to_end = [] if alongside else current
    later = next((a for a in to_end if a.start_date > start_date), None)
    if later is not None:
        raise ValidationError(
            {
                "start_date": f"{later.title} starts on {later.start_date}, after this date: change from "
                f"{later.start_date} or later, or add the program alongside."
            }
        )
    # A program given later in the episode starts at its own week 1 in the week holding its start date.
    offset = (program_week(start_date, episode.week_one_starts_on()) or 1) - 1
    assignment = Assignment.objects.create(
        episode=episode, program=program, title=program.title, start_date=start_date, assigned_by=by
    )
    items = copy_program_items(
        assignment,
        program.items.select_related("narrative", "coping_strategy", "graded_activity").prefetch_related(
            "narrative__versions"
        ),
        offset=offset,
    )
    AssignmentItem.objects.bulk_create(items)
    record(
        "assignment.create",
        assignment,
        by,
        details={"program_id": program.pk, "alongside": alongside, "replaces": [a.pk for a in to_end]},
    )
    for old in to_end:
        old.ended_on = start_date
        old.save(update_fields=["ended_on"])
        record("assignment.end", old, by, details={"ended_on": start_date.isoformat(), "replaced_by": assignment.pk})
    refresh_outcome(episode, keys_changed=True)  # the first assignment is the reports' program and week one
    return assignment


def _check_after_checked_weeks(episode: Episode, day: dt.date, *, field: str) -> None:
    """A program change takes effect in the week holding `day`; weeks already checked in keep their plan."""
    latest = episode.checkins.filter(week__gte=1).aggregate(latest=Max("week"))["latest"]
    week_one = episode.week_one_starts_on()
    if latest is None or week_one is None:
        return
    earliest = week_one + dt.timedelta(weeks=latest)
    if day < earliest:
        raise ValidationError(
            {
                field: f"Week {latest} already has a check-in, answered with the current program: choose "
                f"{earliest} (the start of week {latest + 1}) or later."
            }
        )


@transaction.atomic
def assign_program_to_patient(
    *,
    patient: Patient,
    program: Program,
    start_date: dt.date,
    goals: str = "",
    alongside: bool = False,
    by: Any = None,
) -> Assignment:
    """Assign to the patient's open episode (replacing its current program unless `alongside`); with none, open
    one that starts with the program (all or nothing, `goals` are the new episode's)."""
    episode = patient.current_episode() or open_episode(patient=patient, started_on=start_date, goals=goals, by=by)
    return assign_program(episode=episode, program=program, start_date=start_date, alongside=alongside, by=by)


def copy_program_items(assignment: Assignment, program_items: Any, *, offset: int = 0) -> list[AssignmentItem]:
    """Unsaved copies of a program's items for one assignment (narratives pinned to their current version), their
    weeks moved `offset` weeks on (a program started in episode week 5 has its week 1 there)."""
    return [
        copy_component(
            assignment,
            item.narrative or item.coping_strategy or item.graded_activity,
            order=item.order,
            start_week=item.start_week + offset,
            end_week=None if item.end_week is None else item.end_week + offset,
        )
        for item in program_items
    ]


LibraryComponent = Narrative | CopingStrategy | GradedActivity


def copy_component(
    assignment: Assignment, component: LibraryComponent, *, order: int, start_week: int, end_week: int | None
) -> AssignmentItem:
    """An unsaved copy of one library component as this patient's item."""
    copy = AssignmentItem(assignment=assignment, order=order, start_week=start_week, end_week=end_week)
    copy.title = component.title
    if isinstance(component, Narrative):
        copy.kind = AssignmentItem.Kind.NARRATIVE
        copy.narrative_version = component.current_version()
    elif isinstance(component, CopingStrategy):
        copy.kind = AssignmentItem.Kind.COPING
        copy.coping_strategy = component
        copy.instructions, copy.when_to_use = component.instructions, component.when_to_use
    else:
        copy.kind = AssignmentItem.Kind.ACTIVITY
        copy.graded_activity, copy.activity = component, component.activity
        for name in PLAN_FIELDS:
            setattr(copy, name, getattr(component, name))
    return copy


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


QUOTA_FIELDS = tuple(name for name in TAILORABLE if name not in ("start_week", "end_week"))


def checked_weeks(episode: Episode) -> set[int]:
    """The program weeks of an episode that have a check-in: their plan is what the patient answered."""
    return set(episode.checkins.filter(week__gte=1).values_list("week", flat=True))


def first_open_week(episode: Episode, checked: set[int] | None = None) -> int:
    """The first week a change to a patient's plan may reach: this week, or the next when it is checked in."""
    checked = checked_weeks(episode) if checked is None else checked
    return max(current_week(episode.patient, episode) or 1, max(checked, default=0) + 1)


TITLE_MAX_LENGTH = 200  # Assignment.title


def _mark_tailored(assignment: Assignment) -> None:
    """The assignment's title says it is tailored, so two of the same program can be told apart."""
    if assignment.is_tailored:
        return
    suffix = Assignment.TAILORED_SUFFIX
    assignment.title = assignment.title[: TITLE_MAX_LENGTH - len(suffix)] + suffix
    assignment.save(update_fields=["title"])


@transaction.atomic
def tailor_item(
    *, item: AssignmentItem, by: Any = None, checked: set[int] | None = None, **changes: Any
) -> AssignmentItem:
    """Per-patient tailoring: changes this patient's copy only, never the clinic's template. An activity's quota
    plan and any item's weeks; a week already checked in keeps the items it was answered with."""
    unknown = set(changes) - set(TAILORABLE)
    if unknown:
        raise ValidationError({name: "This field cannot be tailored." for name in unknown})
    if item.kind != AssignmentItem.Kind.ACTIVITY:
        quota = sorted(set(changes) & set(QUOTA_FIELDS))
        if quota:
            raise ValidationError({name: "Only a graded activity has a quota." for name in quota})
    before = {name: getattr(item, name) for name in changes}
    weeks_change = bool({"start_week", "end_week"} & set(changes))
    if weeks_change:
        checked = checked_weeks(item.assignment.episode) if checked is None else checked
    was_in = {w for w in checked or () if item.is_active_in(w)}
    for name, value in changes.items():
        setattr(item, name, value)
    # What the columns can hold first (digits, the small integers' range), naming the field: the rules below
    # compute with these numbers.
    item.clean_fields(exclude=[field.name for field in item._meta.fields if field.name not in changes])
    if item.kind == AssignmentItem.Kind.ACTIVITY:
        errors = validate_plan(item.quota_plan())
        if errors:
            raise ValidationError(errors)
    week_errors = week_range_errors(item.start_week, item.end_week)
    if week_errors:
        raise ValidationError(week_errors)
    if weeks_change:
        moved = sorted(w for w in checked or () if (w in was_in) != item.is_active_in(w))
        if moved:
            field = "start_week" if "start_week" in changes and before["start_week"] != item.start_week else "end_week"
            raise ValidationError(
                {field: f"Week {moved[0]} already has a check-in answered with this item's weeks as they were."}
            )
    changed = {name: value for name, value in changes.items() if before[name] != getattr(item, name)}
    if not changed:
        return item
    item.save(update_fields=list(changed))
    _mark_tailored(item.assignment)
    record("assignment.tailor", item, by, details={name: str(value) for name, value in changed.items()})
    return item


@transaction.atomic
def drop_item(*, item: AssignmentItem, by: Any = None) -> None:
    record("assignment.drop_item", item, by)
    item.delete()


@transaction.atomic
def remove_item(*, item: AssignmentItem, by: Any = None, checked: set[int] | None = None) -> AssignmentItem | None:
    """Take an item out of this patient's plan from the first open week (`first_open_week`). Weeks already
    checked in keep it, so the item stays, ended the week before; an item not yet in any such week goes."""
    assignment = item.assignment
    checked = checked_weeks(assignment.episode) if checked is None else checked
    open_week = first_open_week(assignment.episode, checked)
    _mark_tailored(assignment)
    if item.start_week >= open_week:
        record("assignment.drop_item", item, by)
        item.delete()
        return None
    if item.end_week is not None and item.end_week < open_week:
        raise ValidationError({"end_week": f"This item already ended in week {item.end_week}."})
    item.end_week = open_week - 1
    item.save(update_fields=["end_week"])
    record("assignment.remove_item", item, by, details={"end_week": item.end_week})
    return item


@transaction.atomic
def add_item(
    *,
    assignment: Assignment,
    component: LibraryComponent,
    start_week: int | None = None,
    end_week: int | None = None,
    by: Any = None,
    checked: set[int] | None = None,
) -> AssignmentItem:
    """Add a component of the clinic's library (or the built-in one) to this patient's assignment only, from the
    first open week unless a later `start_week` is given."""
    episode = assignment.episode
    if component.clinic_id is not None and component.clinic_id != episode.patient.clinic_id:
        raise ValidationError({"component": "This component belongs to another clinic."})
    if assignment.ended_on is not None:
        raise ValidationError({"assignment": "This program has ended: add to the current one."})
    checked = checked_weeks(episode) if checked is None else checked
    open_week = first_open_week(episode, checked)
    start_week = open_week if start_week is None else start_week
    errors = week_range_errors(start_week, end_week)
    if errors:
        raise ValidationError(errors)
    if start_week < open_week:
        raise ValidationError(
            {"start_week": f"Choose week {open_week} or later: earlier weeks are past or already checked in."}
        )
    order = (assignment.items.aggregate(n=Max("order"))["n"] or 0) + 1
    item = copy_component(assignment, component, order=order, start_week=start_week, end_week=end_week)
    week_one = episode.week_one_starts_on()
    plan = list(
        AssignmentItem.objects.filter(assignment__episode=episode)
        .select_related("assignment", "narrative_version")
        .order_by("assignment__start_date", "order", "pk")
    )
    keys = component_keys(item)
    for week in range(start_week, (end_week or MAX_PROGRAM_WEEKS) + 1):
        if any(keys & component_keys(other) for other in items_in_week(plan, week, week_one)):
            raise ValidationError({"component": f"{component.title} is already in this patient's plan in week {week}."})
    item.save()
    _mark_tailored(assignment)
    record("assignment.add_item", item, by, details={"component": component.title, "start_week": start_week})
    return item


@transaction.atomic
def add_narrative_to_plan(*, patient: Patient, narrative: Narrative, by: Any = None) -> AssignmentItem:
    """One click from the patient page's belief suggestions: the narrative joins the current program of the
    patient's open episode (the latest started, when programs run alongside) from the first open week, through
    `add_item` (same clinic, not already in the plan, audited as `assignment.add_item`)."""
    episode = patient.current_episode()
    current = None
    if episode is not None:
        current = episode.assignments.filter(ended_on__isnull=True).order_by("-start_date", "-pk").first()
    if current is None:
        raise ValidationError({"assignment": "There is no current program to add to: assign a program first."})
    return add_item(assignment=current, component=narrative, by=by)


@dataclass(frozen=True)
class ItemToAdd:
    component: LibraryComponent
    start_week: int | None = None
    end_week: int | None = None


@transaction.atomic
def tailor_assignment(
    *,
    assignment: Assignment,
    changes: Mapping[int, Mapping[str, Any]] | None = None,
    remove: Iterable[int] = (),
    add: Iterable[ItemToAdd] = (),
    by: Any = None,
) -> Assignment:
    """One patient's plan tailored in one go, all or nothing: `changes` by item id (`tailor_item`), items to
    `remove` (`remove_item`) and components to `add` (`add_item`). Errors are keyed `items.<id>.<field>` or
    `add.<field>`, so the page can show each beside its control."""
    items = {item.pk: item for item in assignment.items.all()}
    for item in items.values():
        item.assignment = assignment  # one instance: marked tailored once
    checked = checked_weeks(assignment.episode)
    for pk, fields in (changes or {}).items():
        if pk not in items:
            raise ValidationError({f"items.{pk}": "Not an item of this program."})
        try:
            tailor_item(item=items[pk], by=by, checked=checked, **fields)
        except ValidationError as exc:
            raise ValidationError({f"items.{pk}.{name}": msgs for name, msgs in exc.message_dict.items()}) from None
    for pk in remove:
        if pk not in items:
            raise ValidationError({f"items.{pk}": "Not an item of this program."})
        try:
            remove_item(item=items[pk], by=by, checked=checked)
        except ValidationError as exc:
            raise ValidationError({f"items.{pk}.{name}": msgs for name, msgs in exc.message_dict.items()}) from None
    for entry in add:
        try:
            add_item(
                assignment=assignment,
                component=entry.component,
                start_week=entry.start_week,
                end_week=entry.end_week,
                by=by,
                checked=checked,
            )
        except ValidationError as exc:
            raise ValidationError({f"add.{name}": msgs for name, msgs in exc.message_dict.items()}) from None
    return assignment
