from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from clinics.models import ClinicScopedQuerySet
from programs import quotas

# The last program week anyone can plan for (two years): weeks beyond it are refused at the edge
# (docs/clinical-rules.md, programs), which also keeps every week inside its small-integer column.
MAX_PROGRAM_WEEKS = 104
WEEK_VALIDATORS = [MinValueValidator(1), MaxValueValidator(MAX_PROGRAM_WEEKS)]


def week_range_errors(start_week: int, end_week: int | None) -> dict[str, str]:
    """What is wrong with a program item's weeks, by field: each within 1..MAX_PROGRAM_WEEKS, end not before start."""
    errors = {}
    for name, week in (("start_week", start_week), ("end_week", end_week)):
        if week is not None and not 1 <= week <= MAX_PROGRAM_WEEKS:
            errors[name] = f"Choose a week from 1 to {MAX_PROGRAM_WEEKS}."
    if not errors and end_week is not None and end_week < start_week:
        errors["end_week"] = "The end week cannot be before the start week."
    return errors


LANGUAGE_HELP = "The language the text above is written in. Add the other languages below."


def language_name(code: str) -> str:
    return dict(settings.LANGUAGES).get(code, code)


class LibraryQuerySet(ClinicScopedQuerySet):
    """Components and programs: a clinic's own plus the built-in library (clinic = NULL)."""

    def for_user(self, user: Any) -> Self:
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self
        from clinics.models import clinic_ids_for

        return self.filter(Q(clinic__isnull=True) | Q(clinic__in=clinic_ids_for(user)))

    def builtin(self) -> Self:
        return self.filter(clinic__isnull=True)


class Component(models.Model):
    clinic = models.ForeignKey(
        "clinics.Clinic", null=True, blank=True, on_delete=models.CASCADE, help_text="Empty for the built-in library."
    )
    title = models.CharField(max_length=200)
    # The language its own text is written in; texts in the other languages are its translations (a narrative's
    # versions in that language, a strategy's or an activity's translation rows).
    language = models.CharField(
        "language", max_length=10, choices=settings.LANGUAGES, default="en-gb", help_text=LANGUAGE_HELP
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LibraryQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class Belief(models.TextChoices):
    """The beliefs a narrative can address: the four belief items of the check-in (`patients.beliefs.ITEMS`, the
    same values, kept equal by tests/programs/test_narrative_beliefs.py; this app cannot import patients)."""

    CONSEQUENCES = "consequences", "Consequences"
    PERSONAL_CONTROL = "personal_control", "Personal control"
    TREATMENT_CONTROL = "treatment_control", "Treatment control"
    CONCERN = "concern", "Concern"


def clean_beliefs(value: Any) -> list[str]:
    """A narrative's belief tags as stored: known items, each once, in `Belief` order; else a ValidationError
    naming the `beliefs` field."""
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        raise ValidationError({"beliefs": "Choose beliefs from the list."})
    unknown = sorted(set(value) - set(Belief.values))
    if unknown:
        raise ValidationError({"beliefs": f"Not a belief item: {', '.join(unknown)}."})
    return [item for item in Belief.values if item in value]


def validate_beliefs(value: Any) -> None:
    """The model field's validator (admin forms, full_clean): the same rule as `clean_beliefs`."""
    try:
        clean_beliefs(value)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict["beliefs"]) from None


class Narrative(Component):
    """A reassurance narrative (CFT pillar: making sense of pain). Its text lives in versions: an edit adds a
    version, so what a patient was shown stays what it was. `beliefs` are the belief items it addresses (a list
    of `Belief` values), which the patient page uses to suggest it for a patient's highest belief needs."""

    beliefs = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_beliefs],
        help_text="The beliefs this narrative addresses: consequences (how much the pain affects life), personal "
        "control (what the patient can do about it), treatment control (whether treatment can help), concern "
        "(worry about the pain). The patient page suggests it to patients whose answers are furthest from "
        "where therapy aims on these.",
    )

    def belief_labels(self) -> list[str]:
        return [Belief(item).label for item in self.beliefs if item in Belief.values]

    def current_version(self, language: str | None = None) -> NarrativeVersion | None:
        """The newest version in `language` (by default the narrative's own: what a patient's plan pins)."""
        language = language or self.language
        # all() so that a prefetch_related("versions") serves it without a query.
        return max((v for v in self.versions.all() if v.language == language), key=lambda v: v.version, default=None)


class NarrativeVersion(models.Model):
    """One text of a narrative, never changed once written. Versions in the narrative's own language follow each
    other; a version in another language is its translation (the newest one in a language is shown)."""

    narrative = models.ForeignKey(Narrative, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    language = models.CharField("language", max_length=10, choices=settings.LANGUAGES, default="en-gb")
    title = models.CharField(
        "title", max_length=200, blank=True, help_text="The title in this language; empty: the narrative's title."
    )
    body = models.TextField(help_text="Markdown. Raw HTML is removed when shown.")
    key_messages = models.TextField(blank=True, help_text="One key message per line.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["narrative", "version"]
        constraints = [models.UniqueConstraint(fields=["narrative", "version"], name="one_number_per_version")]

    def __str__(self) -> str:
        return f"{self.narrative.title} v{self.version}"


class CopingStrategy(Component):
    """A coping strategy (exposure with control): instructions and when to use it, e.g. a flare-up plan."""

    instructions = models.TextField()
    when_to_use = models.TextField(blank=True)

    class Meta(Component.Meta):
        verbose_name_plural = "coping strategies"


class CopingStrategyTranslation(models.Model):
    """A coping strategy's text in a language other than its own (`Component.language`)."""

    coping_strategy = models.ForeignKey(CopingStrategy, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField("language", max_length=10, choices=settings.LANGUAGES)
    title = models.CharField("title", max_length=200)
    instructions = models.TextField("instructions")
    when_to_use = models.TextField("when to use", blank=True)

    class Meta:
        ordering = ["coping_strategy", "language"]
        constraints = [
            models.UniqueConstraint(fields=["coping_strategy", "language"], name="one_coping_text_per_language")
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.language})"


class Unit(models.TextChoices):
    MINUTES = "minutes", "minutes"
    REPETITIONS = "repetitions", "repetitions"
    METRES = "metres", "metres"
    STEPS = "steps", "steps"


class IncreaseKind(models.TextChoices):
    PERCENT = quotas.PERCENT, "percent"
    ABSOLUTE = quotas.ABSOLUTE, "absolute units"


class FlareResponse(models.TextChoices):
    HOLD = quotas.HOLD, "hold at this week's quota"
    STEP_BACK = quotas.STEP_BACK, "step back one level"


# The fields of a quota plan, named as `quotas.QuotaPlan` names them: copied together from a template to a
# patient's item, and validated together.
PLAN_FIELDS = tuple(field.name for field in dataclasses.fields(quotas.QuotaPlan))


class ActivityPlanFields(models.Model):
    """The quota plan of a graded activity; shared by the template and each patient's tailored copy."""

    unit = models.CharField(max_length=20, choices=Unit.choices)
    baseline = models.DecimalField(max_digits=9, decimal_places=1, validators=[MinValueValidator(Decimal("0.1"))])
    increase_kind = models.CharField(max_length=10, choices=IncreaseKind.choices, default=IncreaseKind.PERCENT)
    increase = models.DecimalField(max_digits=9, decimal_places=1, validators=[MinValueValidator(Decimal("0"))])
    goal = models.DecimalField(max_digits=9, decimal_places=1)
    flare_margin = models.PositiveSmallIntegerField(
        default=quotas.DEFAULT_FLARE_MARGIN, help_text="NRS points above the episode baseline."
    )
    flare_response = models.CharField(max_length=10, choices=FlareResponse.choices, default=FlareResponse.HOLD)

    class Meta:
        abstract = True

    def quota_plan(self) -> quotas.QuotaPlan:
        return quotas.QuotaPlan(
            baseline=Decimal(self.baseline),
            increase_kind=self.increase_kind,
            increase=Decimal(self.increase),
            goal=Decimal(self.goal),
            unit=self.unit,
            flare_margin=self.flare_margin,
            flare_response=self.flare_response,
        )


class GradedActivity(ActivityPlanFields, Component):
    """Graded activity (exposure with control; lifestyle): a valued activity on a time-contingent quota."""

    activity = models.CharField(max_length=200, help_text="What the patient values doing, e.g. walking.")

    class Meta(Component.Meta):
        verbose_name_plural = "graded activities"
        constraints = [
            models.CheckConstraint(
                condition=Q(goal__gte=models.F("baseline")), name="activity_goal_not_below_baseline"
            ),
            models.CheckConstraint(condition=Q(increase__gte=0), name="activity_increase_not_negative"),
        ]


class GradedActivityTranslation(models.Model):
    """A graded activity's words in a language other than its own (`Component.language`); the quota plan is one."""

    graded_activity = models.ForeignKey(GradedActivity, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField("language", max_length=10, choices=settings.LANGUAGES)
    title = models.CharField("title", max_length=200)
    activity = models.CharField("activity", max_length=200, help_text="What the patient values doing, e.g. walking.")

    class Meta:
        ordering = ["graded_activity", "language"]
        constraints = [
            models.UniqueConstraint(fields=["graded_activity", "language"], name="one_activity_text_per_language")
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.language})"


class Program(models.Model):
    class Kind(models.TextChoices):
        ACUTE_FLARE = "acute_flare", "Acute flare"
        PERSISTENT = "persistent", "Persistent pain"
        RETURN_TO_WORK = "return_to_work", "Return to work"
        CUSTOM = "custom", "Custom"

    clinic = models.ForeignKey(
        "clinics.Clinic", null=True, blank=True, on_delete=models.CASCADE, help_text="Empty for the built-in library."
    )
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CUSTOM)
    description = models.TextField(blank=True)
    weeks = models.PositiveSmallIntegerField(default=12, validators=WEEK_VALIDATORS)
    copied_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LibraryQuerySet.as_manager()

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title if self.clinic_id else f"{self.title} (built-in)"

    def activity_targets(self, week: int, items: Iterable[ProgramItem] | None = None) -> list[tuple[ProgramItem, Any]]:
        """Each graded activity due in the program's week `week` with its weekly target, counted from the week the
        item starts, exactly as a patient's plan is (`quotas.quota_in_week`). `items`: the program's, if read."""
        rows = self.items.select_related("graded_activity") if items is None else items
        return [
            (
                item,
                quotas.weekly_target(
                    quotas.quota_in_week(item.graded_activity.quota_plan(), week, start_week=item.start_week)
                ),
            )
            for item in rows
            if item.graded_activity is not None
            and item.start_week <= week
            and (item.end_week is None or week <= item.end_week)
        ]


class ProgramItem(models.Model):
    """One component of a program, active from start_week to end_week (inclusive; open-ended if empty)."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField(default=0)
    start_week = models.PositiveSmallIntegerField(default=1, validators=WEEK_VALIDATORS)
    end_week = models.PositiveSmallIntegerField(null=True, blank=True, validators=WEEK_VALIDATORS)
    narrative = models.ForeignKey(Narrative, null=True, blank=True, on_delete=models.PROTECT)
    coping_strategy = models.ForeignKey(CopingStrategy, null=True, blank=True, on_delete=models.PROTECT)
    graded_activity = models.ForeignKey(GradedActivity, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        ordering = ["program", "order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(narrative__isnull=False, coping_strategy__isnull=True, graded_activity__isnull=True)
                    | Q(narrative__isnull=True, coping_strategy__isnull=False, graded_activity__isnull=True)
                    | Q(narrative__isnull=True, coping_strategy__isnull=True, graded_activity__isnull=False)
                ),
                name="program_item_has_one_component",
            ),
            models.CheckConstraint(
                condition=Q(end_week__isnull=True) | Q(end_week__gte=models.F("start_week")),
                name="program_item_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program}: {self.component} (weeks {self.start_week}-{self.end_week or '...'})"

    @property
    def component(self) -> Narrative | CopingStrategy | GradedActivity:
        return self.narrative or self.coping_strategy or self.graded_activity  # type: ignore[return-value]

    @property
    def kind(self) -> str:
        if self.narrative_id:
            return "narrative"
        if self.coping_strategy_id:
            return "coping"
        return "activity"
