"""The tailoring page's forms (the patient page in the admin): one form per item of a patient's assignment, one to
add a component from the library. Saving calls `services.tailor_assignment` once, so a bad value anywhere saves
nothing, and each of its errors lands on the control it names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict

from patients import services
from patients.content import in_language
from patients.models import Assignment, AssignmentItem
from patients.plans import with_text_language
from programs.models import (
    MAX_PROGRAM_WEEKS,
    CopingStrategy,
    FlareResponse,
    GradedActivity,
    IncreaseKind,
    Narrative,
    language_name,
)

LIBRARY = (("narrative", Narrative, "Reassurance narratives"), ("coping", CopingStrategy, "Coping strategies"),
           ("activity", GradedActivity, "Graded activities"))  # fmt: skip


def _week(label: str, *, required: bool = True) -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=1, max_value=MAX_PROGRAM_WEEKS, required=required)


def _number(label: str) -> forms.DecimalField:
    return forms.DecimalField(label=label, max_digits=9, decimal_places=1, min_value=0)


class ItemForm(forms.Form):
    """One item: its weeks, an activity's quota plan, and whether to take it out of the plan."""

    start_week = _week("From week")
    end_week = _week("To week (empty: to the end)", required=False)
    baseline = _number("Week-1 quota")
    increase_kind = forms.ChoiceField(label="Weekly increase in", choices=IncreaseKind.choices)
    increase = _number("Weekly increase")
    goal = _number("Goal")
    flare_margin = forms.IntegerField(label="Flare margin (NRS points)", min_value=1, max_value=10)
    flare_response = forms.ChoiceField(label="After a flare", choices=FlareResponse.choices)
    remove = forms.BooleanField(label="Remove from this patient's plan", required=False)

    def __init__(self, data: QueryDict | None, *, item: AssignmentItem) -> None:
        initial = {name: getattr(item, name) for name in services.TAILORABLE}
        super().__init__(data, initial=initial, prefix=f"item-{item.pk}")
        self.item = item
        if item.kind != AssignmentItem.Kind.ACTIVITY:
            for name in ("baseline", "increase_kind", "increase", "goal", "flare_margin", "flare_response"):
                del self.fields[name]
        else:
            self.fields["baseline"].label = f"Week-1 quota ({item.unit})"

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.changed_data if name != "remove"}


class AddItemForm(forms.Form):
    component = forms.ChoiceField(label="Add from the library", required=False)
    start_week = _week("From week (empty: the next open week)", required=False)
    end_week = _week("To week (empty: to the end)", required=False)

    def __init__(self, data: QueryDict | None, *, user: Any) -> None:
        super().__init__(data, prefix="add")
        self.components: dict[str, Any] = {}
        groups: list[tuple[str, list[tuple[str, str]]]] = []
        for key, model, label in LIBRARY:
            rows = list(model.objects.for_user(user).order_by("title", "pk"))
            self.components.update({f"{key}:{row.pk}": row for row in rows})
            groups.append((label, [(f"{key}:{row.pk}", row.title) for row in rows]))
        self.fields["component"].choices = [("", "Nothing to add"), *groups]  # type: ignore[attr-defined]

    def to_add(self) -> list[services.ItemToAdd]:
        chosen = self.cleaned_data.get("component")
        if not chosen:
            return []
        data = self.cleaned_data
        return [services.ItemToAdd(self.components[chosen], data.get("start_week"), data.get("end_week"))]


@dataclass
class ErrorLine:
    label: str
    message: str
    anchor: str


class TailorPage:
    """The forms of one assignment's tailoring page, bound to a POST or not."""

    def __init__(self, assignment: Assignment, user: Any, data: QueryDict | None) -> None:
        self.assignment = assignment
        items = list(with_text_language(assignment.items.select_related("narrative_version")).order_by("order", "pk"))
        self.item_forms = [ItemForm(data, item=item) for item in items]
        language = assignment.episode.patient.language
        self.language = language_name(language)
        # Items the patient will read in another language than theirs, with the language they are shown in.
        self.untranslated = [
            (item.title, language_name(item.fallback.shown))  # type: ignore[attr-defined]
            for item in in_language(items, language)
            if item.fallback  # type: ignore[attr-defined]
        ]
        self.add_form = AddItemForm(data, user=user)
        self.checked = services.checked_weeks(assignment.episode)
        self.open_week = services.first_open_week(assignment.episode, self.checked)
        self.errors: list[ErrorLine] = []

    def save(self, user: Any) -> bool:
        """Validate every form, then tailor in one service call; False (with `errors`) when anything is wrong."""
        forms_ok = all([form.is_valid() for form in self.item_forms] + [self.add_form.is_valid()])
        if forms_ok:
            changes = {form.item.pk: form.changes() for form in self.item_forms if form.changes()}
            remove = [form.item.pk for form in self.item_forms if form.cleaned_data.get("remove")]
            try:
                self.assignment = services.tailor_assignment(
                    assignment=self.assignment,
                    changes={pk: fields for pk, fields in changes.items() if pk not in remove},
                    remove=remove,
                    add=self.add_form.to_add(),
                    by=user,
                )
            except ValidationError as exc:
                self._place(exc)
            else:
                return True
        self._summarise()
        return False

    def _place(self, error: ValidationError) -> None:
        by_pk = {str(form.item.pk): form for form in self.item_forms}
        for path, messages in error.message_dict.items():
            head, _, field = path.partition(".")
            form: forms.Form = self.add_form
            if head == "items":
                pk, _, field = field.partition(".")
                form = by_pk.get(pk, self.add_form)
            form.add_error(field if field in form.fields else None, messages)

    def _summarise(self) -> None:
        for form in [*self.item_forms, self.add_form]:
            where = f"{form.item.title}, " if isinstance(form, ItemForm) else ""
            for name, messages in form.errors.items():
                bound = form[name] if name in form.fields else None
                label = f"{where}{bound.label}" if bound is not None else where.rstrip(", ")
                anchor = bound.auto_id if bound is not None else ""
                self.errors += [ErrorLine(label, str(m), anchor) for m in messages]
