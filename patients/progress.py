"""The patient's progress in plain words, in their language: the same chart and the same change rule as the
therapist's pages (`charts.trend_chart_svg`, `scoring.describe_change`), with words a patient reads without a
glossary. Call these with the patient's language active (the patient views do)."""

from __future__ import annotations

from decimal import Decimal

from django.utils.formats import number_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext

from patients import scoring
from patients.charts import PATIENT_LAYOUT, Labels, trend_chart_svg
from patients.outcomes import EpisodeOutcome

# The units a graded activity is measured in (`programs.models.GradedActivity.Unit`), marked for the catalogue.
UNIT_WORDS = (gettext_noop("minutes"), gettext_noop("metres"), gettext_noop("repetitions"), gettext_noop("steps"))


def unit_word(unit: str) -> str:
    """An activity's unit in the patient's language."""
    return _(unit) if unit in UNIT_WORDS else unit


def _number(value: Decimal | int | float) -> str:
    """A score in the active language's format (35,6 in Norwegian); whole values without a decimal."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return number_format(value, use_l10n=True)


def change_words() -> scoring.ChangeWords:
    return scoring.ChangeWords(
        no_follow_up=_("no second check-in yet to compare with"),
        no_change=_("no change since you started"),
        # Translators: "{amount} {unit}" is e.g. "12.0 points"; keep both placeholders.
        better=_("{amount} {unit} better than when you started"),
        worse=_("{amount} {unit} worse than when you started"),
        point=_("point"),
        points=_("points"),
        met=_(", a change that matters"),
        below=_(", not yet a change that matters"),
        number=_number,
    )


def chart_labels() -> Labels:
    return Labels(
        odi=_("Disability score"),
        nrs=_("Pain"),
        week=pgettext("in the chart's point labels", "week"),
        axis=_("Week of your program"),
        odi_baseline=_("At start: {value}"),
        odi_mcid=_("A change that matters"),
        nrs_baseline=_("At start: {value}"),
        nrs_mcid=_("A change that matters"),
        number=_number,
        value=_number,
    )


def progress_chart(outcome: EpisodeOutcome) -> SafeString:
    return trend_chart_svg(
        [(point.week, point.odi, point.pain_nrs) for point in outcome.series],
        title=_("Your disability score and pain by week"),
        layout=PATIENT_LAYOUT,
        labels=chart_labels(),
    )


def progress_sentences(outcome: EpisodeOutcome) -> dict[str, str]:
    """{"odi": ..., "nrs": ...}: each measure's change since the first check-in, in words."""
    words = change_words()
    return {
        "odi": scoring.describe_change(outcome.odi, "odi", words),
        "nrs": scoring.describe_change(outcome.nrs, "nrs", words),
    }
