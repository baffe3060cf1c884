"""The patient's weekly check-in form. Its field names are the paths the API and the service use for the same
answers (`odi[3]`, `pain_nrs`, `red_flags.rf_fever`, `activities[0].done`, `coping[1].helpful`, `note`), so a
service ValidationError lands on the control it names. `payload()` gives the `CheckInAnswers` that
`submit_checkin` takes, with the same fields as the API's CheckInInputSerializer."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from patients import beliefs
from patients.belief_wording import BeliefSection
from patients.models import CHECKIN_NOTE_MAX_LENGTH, RED_FLAGS, CheckIn, OdiWording
from patients.plans import WeekPlan
from patients.progress import unit_word
from patients.scoring import ODI_SECTION_COUNT
from patients.services import ActivityAnswer, CheckInAnswers, CopingAnswer

SKIP = "skip"
YES, NO = "yes", "no"


@dataclass(frozen=True)
class OdiSection:
    number: int
    title: str
    options: list[str]


def odi_sections(clinic_id: int | None, language: str) -> list[OdiSection]:
    """The ten sections' wording, each from the first that has it: the clinic's own (licensed) wording in the
    patient's language, the clinic's own in the default language, the placeholder (translated)."""
    rows = OdiWording.objects.filter(
        Q(clinic_id=clinic_id, language__in=[language, settings.LANGUAGE_CODE]) | Q(clinic__isnull=True)
    )

    def preference(row: OdiWording) -> int:
        if row.clinic_id is None:
            return 2
        return 0 if row.language == language else 1

    chosen: dict[int, OdiWording] = {}
    for row in sorted(rows, key=preference):
        chosen.setdefault(row.section, row)
    return [_section(chosen[n]) for n in sorted(chosen)]


def _section(row: OdiWording) -> OdiSection:
    """A clinic's own (licensed) wording is shown as loaded; the built-in placeholder is translated."""
    if row.clinic_id is not None:
        return OdiSection(row.section, row.title, list(row.options))
    return OdiSection(row.section, _(row.title), [_(option) for option in row.options])


def _yes_no(label: str, required: bool, required_message: str = "") -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=[(NO, _("No")), (YES, _("Yes"))],
        widget=forms.RadioSelect,
        required=required,
        error_messages={"required": required_message} if required_message else {},
    )


class CheckInForm(forms.Form):
    # Errors come from the server, in words, next to the question: no browser pop-ups that vanish.
    use_required_attribute = False

    def __init__(
        self,
        *args: Any,
        plan: WeekPlan,
        sections: list[OdiSection],
        belief_section: BeliefSection | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.plan = plan
        self.belief_section = belief_section
        for index, section in enumerate(sections):
            self.fields[f"odi[{index}]"] = forms.ChoiceField(
                label=f"{section.number}. {section.title}",
                choices=[(str(value), text) for value, text in enumerate(section.options)]
                + [(SKIP, _("I prefer not to answer, or this does not apply to me"))],
                widget=forms.RadioSelect,
                error_messages={"required": _("Choose the sentence that fits you best, or 'I prefer not to answer'.")},
            )
        self.fields["pain_nrs"] = forms.TypedChoiceField(
            label=_("On average, how bad has your back pain been over the past 7 days?"),
            help_text=_("0 means no pain. 10 means the worst pain imaginable."),
            choices=[(n, str(n)) for n in range(11)],
            coerce=int,
            widget=forms.RadioSelect,
            error_messages={"required": _("Choose a number from 0 (no pain) to 10 (worst pain imaginable).")},
        )
        for asked in belief_section.questions if belief_section else []:
            # help_text, like the pain scale's: screen readers read what 0 and 10 mean with the question.
            self.fields[f"beliefs.{asked.item}"] = forms.TypedChoiceField(
                label=asked.question,
                help_text=_("0 means: %(low)s. 10 means: %(high)s.")
                % {"low": asked.low_label, "high": asked.high_label},
                choices=[(n, str(n)) for n in range(beliefs.LOWEST, beliefs.HIGHEST + 1)],
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
            )
        for key, (question, _urgency) in RED_FLAGS.items():
            self.fields[f"red_flags.{key}"] = _yes_no(_(question), True, _("Answer yes or no."))
        for index, quota in enumerate(plan.activities):
            item = quota.item
            unit = unit_word(item.unit)
            self.fields[f"activities[{index}].done"] = forms.DecimalField(
                label=_("%(title)s: how many %(unit)s did you do this week?") % {"title": item.title, "unit": unit},
                help_text=_("Your goal this week: %(target)s %(unit)s.") % {"target": quota.target, "unit": unit},
                min_value=Decimal("0"),
                max_digits=9,
                decimal_places=1,
                required=False,
                widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.1", "min": "0"}),
            )
        for index, item in enumerate(plan.coping):
            self.fields[f"coping[{index}].used"] = _yes_no(_("Did you use “%s” this week?") % item.title, False)
            self.fields[f"coping[{index}].helpful"] = forms.TypedChoiceField(
                label=_("How helpful was “%s”? (0 not at all, 10 very helpful)") % item.title,
                choices=[("", _("Not used / no answer"))] + [(n, str(n)) for n in range(11)],
                coerce=int,
                empty_value=None,
                required=False,
            )
        self.fields["note"] = forms.CharField(
            label=_("Anything else you want your physiotherapist to know? (optional)"),
            widget=forms.Textarea(attrs={"rows": 4}),
            required=False,
            max_length=CHECKIN_NOTE_MAX_LENGTH,
        )
        # Maps a path in the payload back to its field (blank activities are left out, shifting indices).
        self._paths: dict[str, str] = {}

    # --- grouping for the template -------------------------------------------------------------------------

    def odi_fields(self) -> list[forms.BoundField]:
        return [self[f"odi[{i}]"] for i in range(ODI_SECTION_COUNT) if f"odi[{i}]" in self.fields]

    def belief_fields(self) -> list[forms.BoundField]:
        return [self[f"beliefs.{item}"] for item in beliefs.ITEMS if f"beliefs.{item}" in self.fields]

    def red_flag_fields(self) -> list[forms.BoundField]:
        return [self[f"red_flags.{key}"] for key in RED_FLAGS]

    def activity_fields(self) -> list[tuple[Any, forms.BoundField]]:
        return [(quota, self[f"activities[{i}].done"]) for i, quota in enumerate(self.plan.activities)]

    def coping_fields(self) -> list[tuple[Any, forms.BoundField, forms.BoundField]]:
        return [
            (item, self[f"coping[{i}].used"], self[f"coping[{i}].helpful"]) for i, item in enumerate(self.plan.coping)
        ]

    def error_summary(self) -> list[dict[str, str]]:
        """Each error with the question it belongs to and the id of its first control, for the summary."""
        summary = []
        for name, errors in self.errors.items():
            if name == "__all__":
                summary += [{"label": "", "message": str(m), "anchor": "checkin-form"} for m in errors]
                continue
            bound = self[name]
            anchor = f"{bound.auto_id}_0" if isinstance(bound.field.widget, forms.RadioSelect) else bound.auto_id
            summary += [{"label": str(bound.label), "message": str(m), "anchor": anchor} for m in errors]
        return summary

    # --- to and from the service ---------------------------------------------------------------------------------

    def payload(self) -> CheckInAnswers:
        """The cleaned answers as `submit_checkin` takes them."""
        data = self.cleaned_data
        odi = [None if data[f"odi[{i}]"] == SKIP else int(data[f"odi[{i}]"]) for i in range(ODI_SECTION_COUNT)]
        activities: list[ActivityAnswer] = []
        for index, quota in enumerate(self.plan.activities):
            done = data.get(f"activities[{index}].done")
            if done is not None:
                self._paths[f"activities[{len(activities)}]"] = f"activities[{index}].done"
                activities.append(ActivityAnswer(item=quota.item.pk, done=done))
        coping: list[CopingAnswer] = []
        for index, item in enumerate(self.plan.coping):
            used, helpful = data.get(f"coping[{index}].used"), data.get(f"coping[{index}].helpful")
            if used or helpful is not None:
                self._paths[f"coping[{len(coping)}]"] = f"coping[{index}]"
                coping.append(CopingAnswer(item=item.pk, used=used == YES, helpful=helpful))
        return CheckInAnswers(
            odi=odi,
            pain_nrs=data["pain_nrs"],
            red_flags={key: data[f"red_flags.{key}"] == YES for key in RED_FLAGS},
            activities=activities,
            coping=coping,
            note=data.get("note", ""),
            beliefs={item: data.get(f"beliefs.{item}") for item in beliefs.ITEMS} if self.belief_section else None,
        )

    def add_service_errors(self, error: ValidationError) -> None:
        """Put each of the service's errors on the field its path names (or at the top of the form)."""
        messages = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        for path, texts in messages.items():
            field = self._field_for(path)
            self.add_error(field, texts)

    def _field_for(self, path: str) -> str | None:
        if not path.startswith(("activities[", "coping[")):
            return path if path in self.fields else None
        # Payload indices, not form indices: blank activities and unanswered strategies were left out.
        key, tail = (path.split("].", 1)[0] + "]", path.split("].", 1)[1]) if "]." in path else (path, "")
        mapped = self._paths.get(key)
        if mapped is not None:
            if mapped.startswith("activities"):
                return mapped
            candidate = f"{mapped}.{tail}" if tail in ("used", "helpful") else f"{mapped}.used"
            return candidate if candidate in self.fields else None
        return None

    @staticmethod
    def initial_from(checkin: CheckIn | None, plan: WeekPlan) -> dict[str, Any]:
        """This week's earlier answers, so a patient changing their check-in starts from what they gave."""
        if checkin is None:
            return {}
        initial: dict[str, Any] = {
            f"odi[{i}]": SKIP if answer is None else str(answer) for i, answer in enumerate(checkin.odi_answers)
        }
        initial["pain_nrs"] = checkin.pain_nrs
        initial.update({f"red_flags.{key}": YES if key in checkin.red_flags else NO for key in RED_FLAGS})
        done = {entry["item"]: entry["done"] for entry in checkin.activities}
        for index, quota in enumerate(plan.activities):
            if quota.item.pk in done:
                initial[f"activities[{index}].done"] = done[quota.item.pk]
        coping = {entry["item"]: entry for entry in checkin.coping}
        for index, item in enumerate(plan.coping):
            if item.pk in coping:
                initial[f"coping[{index}].used"] = YES if coping[item.pk]["used"] else NO
                initial[f"coping[{index}].helpful"] = coping[item.pk]["helpful"]
        initial["note"] = checkin.note
        initial.update({f"beliefs.{item}": answer for item, answer in checkin.beliefs.items() if answer is not None})
        return initial
