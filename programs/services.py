"""Writes to the program library. Each validates first and raises ValidationError naming the field."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from clinics.models import Clinic
from programs import quotas
from programs.models import (
    CopingStrategy,
    GradedActivity,
    Narrative,
    NarrativeVersion,
    Program,
    ProgramItem,
    clean_beliefs,
    language_name,
    week_range_errors,
)


def to_decimal(value: Any, field: str) -> Decimal:
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: "Must be a number."}) from None
    if not result.is_finite():
        raise ValidationError({field: "Must be a number."})
    return result


def validate_activity_plan(plan: quotas.QuotaPlan) -> None:
    errors = quotas.validate_plan(plan)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_narrative(
    *,
    clinic: Clinic | None,
    title: str,
    body: str,
    key_messages: str = "",
    beliefs: Any = (),
    language: str = settings.LANGUAGE_CODE,
) -> Narrative:
    _check_language(language)
    narrative = Narrative.objects.create(clinic=clinic, title=title, beliefs=clean_beliefs(beliefs), language=language)
    NarrativeVersion.objects.create(
        narrative=narrative, version=1, language=language, body=body, key_messages=key_messages
    )
    return narrative


def _next_version(narrative: Narrative) -> int:
    Narrative.objects.select_for_update().filter(pk=narrative.pk).first()
    return (narrative.versions.aggregate(n=Max("version"))["n"] or 0) + 1


@transaction.atomic
def edit_narrative(*, narrative: Narrative, body: str, key_messages: str = "") -> NarrativeVersion:
    """Editing never changes a version a patient may have been shown: it adds the next version."""
    return NarrativeVersion.objects.create(
        narrative=narrative,
        version=_next_version(narrative),
        language=narrative.language,
        body=body,
        key_messages=key_messages,
    )


def _check_language(language: str, *, own: str | None = None) -> None:
    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": "Choose one of the languages offered."})
    if language == own:
        raise ValidationError(
            {"language": f"The text above is in {language_name(own)}: choose another language for a translation."}
        )


@transaction.atomic
def translate_narrative(
    *, narrative: Narrative, language: str, title: str, body: str, key_messages: str = ""
) -> NarrativeVersion:
    """A narrative's text in another language than its own: a new version in that language (the newest one in a
    language is what its patients read), so a text a patient was shown is never changed."""
    _check_language(language, own=narrative.language)
    errors = {}
    if not title.strip():
        errors["title"] = "Give the title in this language."
    if not body.strip():
        errors["body"] = "Write the text in this language."
    if errors:
        raise ValidationError(errors)
    return NarrativeVersion.objects.create(
        narrative=narrative,
        version=_next_version(narrative),
        language=language,
        title=title.strip(),
        body=body,
        key_messages=key_messages,
    )


def set_narrative_beliefs(*, narrative: Narrative, beliefs: Any) -> Narrative:
    """Tag a narrative with the beliefs it addresses (`programs.models.Belief`); the tags are no part of what a
    patient is shown, so they change in place, without a new version."""
    narrative.beliefs = clean_beliefs(beliefs)
    narrative.save(update_fields=["beliefs"])
    return narrative


def create_coping_strategy(
    *,
    clinic: Clinic | None,
    title: str,
    instructions: str,
    when_to_use: str = "",
    language: str = settings.LANGUAGE_CODE,
) -> CopingStrategy:
    if not instructions.strip():
        raise ValidationError({"instructions": "Say what the patient should do."})
    _check_language(language)
    return CopingStrategy.objects.create(
        clinic=clinic, title=title, instructions=instructions, when_to_use=when_to_use, language=language
    )


def create_graded_activity(
    *,
    clinic: Clinic | None,
    title: str,
    activity: str,
    unit: str,
    baseline: Any,
    increase: Any,
    goal: Any,
    increase_kind: str = quotas.PERCENT,
    flare_margin: int = quotas.DEFAULT_FLARE_MARGIN,
    flare_response: str = quotas.HOLD,
    language: str = settings.LANGUAGE_CODE,
) -> GradedActivity:
    plan = quotas.QuotaPlan(
        baseline=to_decimal(baseline, "baseline"),
        increase_kind=increase_kind,
        increase=to_decimal(increase, "increase"),
        goal=to_decimal(goal, "goal"),
        unit=unit,
        flare_margin=flare_margin,
        flare_response=flare_response,
    )
    validate_activity_plan(plan)
    activity_obj = GradedActivity(
        clinic=clinic,
        title=title,
        activity=activity,
        unit=unit,
        baseline=plan.baseline,
        increase_kind=increase_kind,
        increase=plan.increase,
        goal=plan.goal,
        flare_margin=flare_margin,
        flare_response=flare_response,
        language=language,
    )
    activity_obj.full_clean()
    activity_obj.save()
    return activity_obj


def add_program_item(
    *,
    program: Program,
    component: Narrative | CopingStrategy | GradedActivity,
    start_week: int = 1,
    end_week: int | None = None,
    order: int | None = None,
) -> ProgramItem:
    if component.clinic_id is not None and component.clinic_id != program.clinic_id:
        raise ValidationError({"component": "This component belongs to another clinic."})
    errors = week_range_errors(start_week, end_week)
    if errors:
        raise ValidationError(errors)
    field = {Narrative: "narrative", CopingStrategy: "coping_strategy", GradedActivity: "graded_activity"}[
        type(component)
    ]
    if order is None:
        order = (program.items.aggregate(n=Max("order"))["n"] or 0) + 1
    return ProgramItem.objects.create(
        program=program, start_week=start_week, end_week=end_week, order=order, **{field: component}
    )


@transaction.atomic
def copy_program_to_clinic(*, program: Program, clinic: Clinic) -> Program:
    """A clinic's own editable copy of a (built-in) program. Built-in components are shared, not copied."""
    if program.clinic_id is not None and program.clinic_id != clinic.pk:
        raise ValidationError({"program": "This program belongs to another clinic."})
    copy = Program.objects.create(
        clinic=clinic,
        title=program.title,
        kind=program.kind,
        description=program.description,
        weeks=program.weeks,
        copied_from=program,
    )
    ProgramItem.objects.bulk_create(
        ProgramItem(
            program=copy,
            order=item.order,
            start_week=item.start_week,
            end_week=item.end_week,
            narrative_id=item.narrative_id,
            coping_strategy_id=item.coping_strategy_id,
            graded_activity_id=item.graded_activity_id,
        )
        for item in program.items.all()
    )
    return copy


@transaction.atomic
def create_program(
    *,
    clinic: Clinic,
    title: str,
    kind: str = Program.Kind.CUSTOM,
    description: str = "",
    weeks: int = 12,
    items: list[dict[str, Any]] | None = None,
    by: Any = None,
) -> Program:
    """A clinic's own program with its items, all or nothing. Each item dict names one component
    (`component`: a Narrative, CopingStrategy or GradedActivity) and its weeks; errors name `items[i].<field>`."""
    from audit.services import record

    if not title.strip():
        raise ValidationError({"title": "Give the program a title."})
    if weeks < 1:
        raise ValidationError({"weeks": "A program lasts at least one week."})
    program = Program.objects.create(clinic=clinic, title=title, kind=kind, description=description, weeks=weeks)
    for index, item in enumerate(items or []):
        try:
            add_program_item(
                program=program,
                component=item["component"],
                start_week=item.get("start_week", 1),
                end_week=item.get("end_week"),
                order=index + 1,
            )
        except ValidationError as exc:
            raise ValidationError(
                {f"items[{index}].{name}": messages for name, messages in exc.message_dict.items()}
            ) from None
    record("program.create", program, by)
    return program
