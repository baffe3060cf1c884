"""The ODI's wording per clinic and language: a licensed clinic replaces the placeholder with the official text
(© Jeremy Fairbank, licensed through Mapi Research Trust) in each language it holds a licence for. Scoring never
reads the wording, so loading it changes no score."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from audit.services import record
from patients import beliefs
from patients.models import BeliefWording, OdiWording
from patients.scoring import ODI_MAX_ANSWER, ODI_SECTION_COUNT

ODI_OPTION_COUNT = ODI_MAX_ANSWER + 1  # a statement for each answer, 0 to 5


def _text(value: Any, field: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip() or "\x00" in value:
        raise ValidationError({field: "Give a non-empty text."})
    if len(value) > limit:
        raise ValidationError({field: f"At most {limit} characters."})
    return value.strip()


def _checked_sections(sections: Any) -> list[dict[str, Any]]:
    if not isinstance(sections, list) or len(sections) != ODI_SECTION_COUNT:
        raise ValidationError({"sections": f"Give the {ODI_SECTION_COUNT} sections, numbered 1 to 10, as a list."})
    checked: dict[int, dict[str, Any]] = {}
    for index, section in enumerate(sections):
        where = f"sections[{index}]"
        if not isinstance(section, dict) or set(section) != {"section", "title", "options"}:
            raise ValidationError({where: "Give exactly: section, title, options."})
        number = section["section"]
        if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= ODI_SECTION_COUNT:
            raise ValidationError({f"{where}.section": "A section number from 1 to 10."})
        if number in checked:
            raise ValidationError({f"{where}.section": f"Section {number} is given twice."})
        options = section["options"]
        if not isinstance(options, list) or len(options) != ODI_OPTION_COUNT:
            raise ValidationError({f"{where}.options": "Six statements, for answers 0 to 5."})
        checked[number] = {
            "title": _text(section["title"], f"{where}.title", 200),
            "options": [_text(option, f"{where}.options[{i}]", 500) for i, option in enumerate(options)],
        }
    return [{"section": number, **checked[number]} for number in sorted(checked)]


@transaction.atomic
def load_odi_wording(*, clinic: Any, language: str, sections: Any, by: Any = None) -> list[OdiWording]:
    """Replace the clinic's ODI wording in `language` with `sections` (all ten, six statements each), in one
    transaction: a bad file changes nothing."""
    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": f"One of: {', '.join(dict(settings.LANGUAGES))}."})
    rows = _checked_sections(sections)
    OdiWording.objects.filter(clinic=clinic, language=language).delete()
    loaded = OdiWording.objects.bulk_create(
        OdiWording(clinic=clinic, language=language, section=row["section"], title=row["title"], options=row["options"])
        for row in rows
    )
    record(
        "odi_wording.load",
        actor=by,
        actor_label="" if by else "manage.py",
        clinic_id=clinic.pk,
        details={"language": language},
    )
    return loaded


def _checked_belief_items(items: Any) -> list[dict[str, str]]:
    keys = {"item", "question", "low_label", "high_label"}
    if not isinstance(items, list) or len(items) != len(beliefs.ITEMS):
        raise ValidationError({"items": f"Give the {len(beliefs.ITEMS)} items ({', '.join(beliefs.ITEMS)}) as a list."})
    checked: dict[str, dict[str, str]] = {}
    for index, entry in enumerate(items):
        where = f"items[{index}]"
        if not isinstance(entry, dict) or set(entry) != keys:
            raise ValidationError({where: "Give exactly: item, question, low_label, high_label."})
        item = entry["item"]
        if item not in beliefs.ITEMS:
            raise ValidationError({f"{where}.item": f"One of: {', '.join(beliefs.ITEMS)}."})
        if item in checked:
            raise ValidationError({f"{where}.item": f"{item} is given twice."})
        checked[item] = {
            "question": _text(entry["question"], f"{where}.question", 300),
            "low_label": _text(entry["low_label"], f"{where}.low_label", 100),
            "high_label": _text(entry["high_label"], f"{where}.high_label", 100),
        }
    return [{"item": item, **checked[item]} for item in beliefs.ITEMS]


@transaction.atomic
def load_belief_wording(*, clinic: Any, language: str, version: Any, items: Any, by: Any = None) -> list[BeliefWording]:
    """Replace the clinic's belief wording in `language` with a licensed questionnaire's `items` (all four belief
    items, each with its question and what 0 and 10 mean), under `version`, in one transaction: a bad file changes
    nothing. Answers given in it are stored with `version`, so they are never compared with answers to another
    wording."""
    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": f"One of: {', '.join(dict(settings.LANGUAGES))}."})
    version = _text(version, "version", 40)
    if version == beliefs.OURS:
        raise ValidationError({"version": f"{beliefs.OURS} names our own wording: give your wording its own name."})
    rows = _checked_belief_items(items)
    BeliefWording.objects.filter(clinic=clinic, language=language).delete()
    loaded = BeliefWording.objects.bulk_create(
        BeliefWording(clinic=clinic, language=language, version=version, **row) for row in rows
    )
    record(
        "belief_wording.load",
        actor=by,
        actor_label="" if by else "manage.py",
        clinic_id=clinic.pk,
        details={"language": language, "version": version},
    )
    return loaded
