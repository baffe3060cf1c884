"""The belief section's wording: a clinic's licensed wording in the patient's language when it loaded one
(`BeliefWording`, `manage.py load_belief_wording`), else ours (version `beliefs.OURS`, translated through the
catalogue). Ours is plain language written for this app, not a published questionnaire's items."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from patients import beliefs
from patients.models import BeliefWording


@dataclass(frozen=True)
class BeliefQuestion:
    item: str
    question: str
    low_label: str  # what 0 means
    high_label: str  # what 10 means


@dataclass(frozen=True)
class BeliefSection:
    version: str
    questions: list[BeliefQuestion]


OUR_WORDING = {
    beliefs.CONSEQUENCES: (
        gettext_noop("How much does your back pain affect your life?"),
        gettext_noop("Not at all"),
        gettext_noop("It severely affects my life"),
    ),
    beliefs.PERSONAL_CONTROL: (
        gettext_noop("How much control do you feel you have over your back pain?"),
        gettext_noop("No control at all"),
        gettext_noop("A great deal of control"),
    ),
    beliefs.TREATMENT_CONTROL: (
        gettext_noop("How much do you believe treatment can help your back pain?"),
        gettext_noop("Not at all"),
        gettext_noop("It can help a great deal"),
    ),
    beliefs.CONCERN: (
        gettext_noop("How worried are you about your back pain?"),
        gettext_noop("Not at all worried"),
        gettext_noop("Extremely worried"),
    ),
}


def ours() -> BeliefSection:
    """Our own wording, in the active language."""
    return BeliefSection(
        beliefs.OURS,
        [BeliefQuestion(item, _(q), _(low), _(high)) for item, (q, low, high) in OUR_WORDING.items()],
    )


def belief_section(clinic_id: int | None, language: str) -> BeliefSection:
    """The wording a patient of the clinic is asked in: the clinic's loaded wording in their language, else in the
    default language, else ours. One query (none for no clinic)."""
    if clinic_id is None:
        return ours()
    rows = list(BeliefWording.objects.filter(clinic_id=clinic_id, language__in=[language, settings.LANGUAGE_CODE]))
    for wanted in (language, settings.LANGUAGE_CODE):
        chosen = {row.item: row for row in rows if row.language == wanted}
        if len(chosen) == len(beliefs.ITEMS):
            return BeliefSection(
                chosen[beliefs.ITEMS[0]].version,
                [
                    BeliefQuestion(item, chosen[item].question, chosen[item].low_label, chosen[item].high_label)
                    for item in beliefs.ITEMS
                ],
            )
    return ours()


def version_for(clinic_id: int | None, language: str) -> str:
    """The version of the wording `belief_section` would show."""
    return belief_section(clinic_id, language).version
