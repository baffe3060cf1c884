"""A patient's program content in their language (`Patient.language`): each item of their plan in that language
where the library has it, else in the language it was written in, marked so the page can say so.

A patient's item is a copy of a library component in the component's own language (`Component.language`). Its
text in another language is read from the library when shown: the newest version of the narrative in that
language, a coping strategy's or an activity's translation row. What is returned are display copies, never saved:
the check-in's rules read the patient's own items."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

from patients.models import AssignmentItem
from patients.plans import ActivityQuota, WeekPlan
from programs.models import CopingStrategyTranslation, GradedActivityTranslation, NarrativeVersion

# Language names as they read inside a sentence of the patient's page ("Not yet available in Norwegian").
LANGUAGE_NAMES: dict[str, Promise] = {
    "en-gb": pgettext_lazy("language name inside a sentence", "English"),
    "nb": pgettext_lazy("language name inside a sentence", "Norwegian"),
}
# The HTML lang of text shown in a language other than the page's.
HTML_LANG = {"en-gb": "en-GB", "nb": "nb"}


@dataclass(frozen=True)
class Fallback:
    """An item shown in `shown` because it has no text in `wanted`."""

    wanted: str
    shown: str

    @property
    def wanted_name(self) -> str:
        return str(LANGUAGE_NAMES.get(self.wanted, self.wanted))

    @property
    def shown_name(self) -> str:
        return str(LANGUAGE_NAMES.get(self.shown, self.shown))

    @property
    def shown_lang(self) -> str:
        return HTML_LANG.get(self.shown, self.shown)


def text_language(item: AssignmentItem) -> str:
    """The language of the item's own copy (`plans.with_text_language`; read here when loaded without it)."""
    annotated = getattr(item, "text_language", None)
    if annotated:
        return str(annotated)
    if item.kind == AssignmentItem.Kind.NARRATIVE:
        component = item.narrative_version if item.narrative_version_id else None
    elif item.kind == AssignmentItem.Kind.COPING:
        component = item.coping_strategy if item.coping_strategy_id else None  # type: ignore[assignment]
    else:
        component = item.graded_activity if item.graded_activity_id else None  # type: ignore[assignment]
    return component.language if component is not None else settings.LANGUAGE_CODE


def in_language(items: Iterable[AssignmentItem], language: str) -> list[AssignmentItem]:
    """Display copies of `items` in `language`; an item with no text in it keeps its own, with `fallback` set
    (a `Fallback`, else None). At most one query per kind of item not already in `language`."""
    items = list(items)
    own = [text_language(item) for item in items]
    foreign = [item for item, written_in in zip(items, own, strict=True) if written_in != language]
    narrative_ids = {item.narrative_version.narrative_id for item in foreign if item.narrative_version}
    coping_ids = {item.coping_strategy_id for item in foreign if item.coping_strategy_id}
    activity_ids = {item.graded_activity_id for item in foreign if item.graded_activity_id}
    versions: dict[int, NarrativeVersion] = {}
    if narrative_ids:
        newest_last = NarrativeVersion.objects.filter(narrative_id__in=narrative_ids, language=language)
        versions = {version.narrative_id: version for version in newest_last.order_by("version")}
    coping: dict[int, CopingStrategyTranslation] = {}
    if coping_ids:
        texts = CopingStrategyTranslation.objects.filter(coping_strategy_id__in=coping_ids, language=language)
        coping = {text.coping_strategy_id: text for text in texts}
    activities: dict[int, GradedActivityTranslation] = {}
    if activity_ids:
        words = GradedActivityTranslation.objects.filter(graded_activity_id__in=activity_ids, language=language)
        activities = {text.graded_activity_id: text for text in words}
    shown = []
    for item, written_in in zip(items, own, strict=True):
        item_copy = copy.copy(item)
        item_copy.fallback = None  # type: ignore[attr-defined]
        if written_in != language and not _translate(item_copy, versions, coping, activities):
            item_copy.fallback = Fallback(wanted=language, shown=written_in)  # type: ignore[attr-defined]
        shown.append(item_copy)
    return shown


def _translate(
    item: AssignmentItem,
    versions: dict[int, NarrativeVersion],
    coping: dict[int, CopingStrategyTranslation],
    activities: dict[int, GradedActivityTranslation],
) -> bool:
    """Put the translation's text on the display copy; False when there is none."""
    if item.kind == AssignmentItem.Kind.NARRATIVE:
        version = versions.get(item.narrative_version.narrative_id) if item.narrative_version else None
        if version is None:
            return False
        item.title = version.title or item.title
        item.narrative_version = version
    elif item.kind == AssignmentItem.Kind.COPING:
        text = coping.get(item.coping_strategy_id) if item.coping_strategy_id else None
        if text is None:
            return False
        item.title, item.instructions, item.when_to_use = text.title, text.instructions, text.when_to_use
    else:
        words = activities.get(item.graded_activity_id) if item.graded_activity_id else None
        if words is None:
            return False
        item.title, item.activity = words.title, words.activity
    return True


def plan_in_language(plan: WeekPlan, language: str) -> WeekPlan:
    """The week's plan with its items in `language` (`in_language`), quotas unchanged."""
    shown = iter(in_language([*plan.narratives, *plan.coping, *(q.item for q in plan.activities)], language))
    return WeekPlan(
        week=plan.week,
        narratives=[next(shown) for _ in plan.narratives],
        coping=[next(shown) for _ in plan.coping],
        activities=[ActivityQuota(next(shown), quota.quota) for quota in plan.activities],
    )


def missing_in(items: Sequence[AssignmentItem], language: str) -> list[AssignmentItem]:
    """The items with no text in `language` (the tailoring page warns about them)."""
    return [item for item in in_language(items, language) if item.fallback]  # type: ignore[attr-defined]
