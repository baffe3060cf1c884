"""This week's plan for a patient: one function for the admin, the patient page and the API."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import QuerySet, Value
from django.db.models.functions import Coalesce

from patients.dates import program_week
from patients.models import AssignmentItem, CheckIn, Episode
from programs import quotas


@dataclass
class ActivityQuota:
    item: AssignmentItem
    quota: Decimal  # the schedule's value (one decimal for minutes and metres)

    @property
    def target(self) -> Decimal:
        """What the patient is asked to do this week, in whole units (`programs.quotas.weekly_target`)."""
        return quotas.weekly_target(self.quota)


@dataclass
class WeekPlan:
    week: int | None
    narratives: list[AssignmentItem] = field(default_factory=list)
    coping: list[AssignmentItem] = field(default_factory=list)
    activities: list[ActivityQuota] = field(default_factory=list)


def with_text_language(items: QuerySet[AssignmentItem]) -> QuerySet[AssignmentItem]:
    """Items annotated with `text_language`, the language of their own copy (the pinned narrative version's, or
    the component's; a component since deleted counts as the default language), read in the same query
    (`patients.content` shows each item in the patient's language)."""
    return items.annotate(
        text_language=Coalesce(
            "narrative_version__language",
            "coping_strategy__language",
            "graded_activity__language",
            Value(settings.LANGUAGE_CODE),
        )
    )


def episode_items(episode: Episode) -> list[AssignmentItem]:
    return list(
        with_text_language(AssignmentItem.objects.filter(assignment__episode=episode))
        .select_related("narrative_version", "assignment")
        .order_by("assignment__start_date", "order", "pk")
    )


# What a check-in reads of its plan's items (`items_in_week`, `component_keys`, `activity_quota`, the activity and
# coping checks and the flare rule) and of their assignments (`Assignment.is_in_week`): a submission reads nothing
# else, so the texts are left in the database.
TASK_FIELDS = (
    "kind", "start_week", "end_week", "title", "coping_strategy_id", "graded_activity_id", "unit", "baseline",
    "increase_kind", "increase", "goal", "flare_margin", "flare_response", "assignment__start_date",
    "assignment__ended_on",
)  # fmt: skip


def episode_tasks(episode: Episode) -> list[AssignmentItem]:
    """The episode's activities and coping strategies (what a check-in answers), in plan order. Lighter than
    `episode_items`: no narratives, only the assignment (its weeks) joined, only `TASK_FIELDS` read."""
    return list(
        AssignmentItem.objects.filter(assignment__episode=episode)
        .exclude(kind=AssignmentItem.Kind.NARRATIVE)
        .select_related("assignment")
        .only(*TASK_FIELDS)
        .order_by("assignment__start_date", "order", "pk")
    )


def nrs_by_week(episode: Episode) -> tuple[int | None, dict[int, int]]:
    """(baseline NRS, {week: NRS}) of an episode: the baseline is its earliest check-in."""
    rows = list(CheckIn.objects.filter(episode=episode).order_by("week").values_list("week", "pain_nrs"))
    baseline = rows[0][1] if rows else None
    return baseline, dict(rows)


def activity_quota(item: AssignmentItem, week: int, baseline_nrs: int | None, nrs: dict[int, int]) -> Decimal:
    """Quota of one of the patient's activities in a program week (`quotas.quota_in_week`)."""
    return quotas.quota_in_week(
        item.quota_plan(), week, start_week=item.start_week, baseline_nrs=baseline_nrs, nrs_by_week=nrs
    )


def reported_done(checkin: CheckIn | None) -> dict[int, Decimal]:
    """What a check-in reported done, by activity item id (none before the week's check-in)."""
    if checkin is None:
        return {}
    return {entry["item"]: Decimal(entry["done"]) for entry in checkin.activities}


def component_keys(item: AssignmentItem) -> set[tuple[str, str, object]]:
    """What makes two items the same question: the same library component, or the same kind and title."""
    keys: set[tuple[str, str, object]] = {(item.kind, "title", " ".join(item.title.casefold().split()))}
    if item.kind == AssignmentItem.Kind.NARRATIVE:
        version = item.narrative_version if item.narrative_version_id else None
        component = version.narrative_id if version is not None else None
    elif item.kind == AssignmentItem.Kind.COPING:
        component = item.coping_strategy_id
    else:
        component = item.graded_activity_id
    if component is not None:
        keys.add((item.kind, "component", component))
    return keys


def items_in_week(items: list[AssignmentItem], week: int, week_one: dt.date | None) -> list[AssignmentItem]:
    """The items in a program week's plan (docs/clinical-rules.md, program changes): of the assignments in that
    week, the items whose weeks hold it, each component once. When two assignments carry the same component,
    the first in plan order (the earlier assignment) is kept, so its quota keeps rising where it was.

    `items` in plan order (`episode_items`, `episode_tasks`), their assignment loaded."""
    chosen: list[AssignmentItem] = []
    seen: set[tuple[str, str, object]] = set()
    for item in items:
        if not item.is_active_in(week) or not item.assignment.is_in_week(week, week_one):
            continue
        keys = component_keys(item)
        if keys & seen:
            continue
        seen |= keys
        chosen.append(item)
    return chosen


def earlier_narratives(week: int, items: list[AssignmentItem], week_one: dt.date | None) -> list[AssignmentItem]:
    """Narratives of earlier weeks' plans no longer due this week, newest first, for the patient to read again."""
    narratives = [item for item in items if item.kind == AssignmentItem.Kind.NARRATIVE]
    now = set().union(*(component_keys(item) for item in items_in_week(narratives, week, week_one)))
    earlier: dict[int, AssignmentItem] = {}
    for past in range(1, week):
        for item in items_in_week(narratives, past, week_one):
            keys = component_keys(item)
            if not keys & now and not any(keys & component_keys(other) for other in earlier.values()):
                earlier[item.pk] = item
    return sorted(earlier.values(), key=lambda item: -item.start_week)


def week_plan(episode: Episode, week: int | None, items: list[AssignmentItem] | None = None) -> WeekPlan:
    """Narratives due, coping strategies and each activity's quota in `week` (`items_in_week`). Two queries
    whatever the size (three when `episode` was read without its week one)."""
    plan = WeekPlan(week=week)
    if week is None or week < 1:
        return plan
    items = episode_items(episode) if items is None else items
    baseline_nrs, nrs = nrs_by_week(episode)
    for item in items_in_week(items, week, episode.week_one_starts_on()):
        if item.kind == AssignmentItem.Kind.NARRATIVE:
            plan.narratives.append(item)
        elif item.kind == AssignmentItem.Kind.COPING:
            plan.coping.append(item)
        else:
            plan.activities.append(ActivityQuota(item, activity_quota(item, week, baseline_nrs, nrs)))
    return plan


def late_start_notice(program: Any, start: dt.date, today: dt.date) -> tuple[int, str] | None:
    """A program given a start date in the past lands the patient in a later week of it today, with that week's
    targets: the week and a sentence saying so, for the therapist to confirm before saving (issue 39). None when
    the program starts this week or later."""
    week = program_week(today, start)
    if week is None or week < 2:
        return None
    targets = [f"{item.graded_activity.title} {target} {item.graded_activity.unit}" for item, target in
               program.activity_targets(week)]  # fmt: skip
    targets_text = f": this week's targets are {', '.join(targets)}" if targets else ""
    return week, (
        f"Starting on {start:%Y-%m-%d}, {program} is in its week {week} today{targets_text}. "
        "If that is right, save again to confirm."
    )
