"""Scoring of the Oswestry Disability Index v2.1a and the pain NRS. Pure Python: no Django import.

Rules (docs/clinical-rules.md: ODI scoring, pain NRS, responders):
- ODI has ten sections in a fixed order, each answered 0-5 or skipped (None).
- Score = points / (5 x sections answered) x 100, kept exact as a Fraction.
- App rule: scored when at most 2 sections are skipped; None (never 0) when 3 or more are skipped.
- Shown to one decimal, rounded half up; bands use the exact value:
  minimal <= 20 < moderate <= 40 < severe <= 60 < very_severe <= 80 < extreme (staff words: `ODI_BAND_WORDS`).
- Pain NRS: an integer 0-10 (average low back pain over the past 7 days).
- Minimal important change (Ostelo 2008): ODI 10 points, NRS 2 points, or 30 % improvement from baseline.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

ODI_SECTIONS: tuple[str, ...] = (
    "Pain intensity",
    "Personal care (washing, dressing etc.)",
    "Lifting",
    "Walking",
    "Sitting",
    "Standing",
    "Sleeping",
    "Sex life (if applicable)",
    "Social life",
    "Travelling",
)
ODI_SECTION_COUNT = len(ODI_SECTIONS)
ODI_MAX_ANSWER = 5
ODI_MAX_SKIPPED = 2
NRS_MIN, NRS_MAX = 0, 10

ODI_MCID_POINTS = 10
NRS_MCID_POINTS = 2
MCID_PERCENT = 30

# (upper bound inclusive, band): docs/clinical-rules.md, ODI scoring, app rule for non-integer values. The codes
# are ours: Fairbank's names for the top two bands are not words to use about a patient (the docs keep them).
ODI_BANDS: tuple[tuple[int, str], ...] = (
    (20, "minimal"),
    (40, "moderate"),
    (60, "severe"),
    (80, "very_severe"),
    (100, "extreme"),
)
# How staff pages and exports name each band.
ODI_BAND_WORDS: dict[str, str] = {
    "minimal": "minimal disability",
    "moderate": "moderate disability",
    "severe": "severe disability",
    "very_severe": "very severe disability",
    "extreme": "extreme disability",
}


class ScoringError(ValueError):
    """Bad answers. `field` names the input at fault, for error messages that name the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class OdiResult:
    points: int
    answered: int
    score: Fraction | None  # None when too many sections are skipped

    @property
    def shown(self) -> Decimal | None:
        return one_decimal(self.score)

    @property
    def band(self) -> str | None:
        return odi_band(self.score)


def validate_odi_answers(answers: Sequence[int | None]) -> list[int | None]:
    """Ten answers, each an integer 0-5 or None. Raises ScoringError naming `odi` or `odi[i]`."""
    if isinstance(answers, (str, bytes)) or not isinstance(answers, Sequence):
        raise ScoringError("odi", "Must be a list of ten answers.")
    if len(answers) != ODI_SECTION_COUNT:
        raise ScoringError("odi", f"Must have exactly {ODI_SECTION_COUNT} answers, got {len(answers)}.")
    cleaned: list[int | None] = []
    for index, answer in enumerate(answers):
        if answer is None:
            cleaned.append(None)
            continue
        if isinstance(answer, bool) or not isinstance(answer, int):
            raise ScoringError(f"odi[{index}]", f"Section {index + 1} must be a whole number 0-5 or empty.")
        if not 0 <= answer <= ODI_MAX_ANSWER:
            raise ScoringError(f"odi[{index}]", f"Section {index + 1} must be between 0 and 5, got {answer}.")
        cleaned.append(answer)
    return cleaned


def score_odi(answers: Sequence[int | None]) -> OdiResult:
    """ODI v2.1a: 20 x points / sections answered, exact; None when more than 2 sections are skipped."""
    cleaned = validate_odi_answers(answers)
    given = [a for a in cleaned if a is not None]
    points, answered = sum(given), len(given)
    if ODI_SECTION_COUNT - answered > ODI_MAX_SKIPPED:
        return OdiResult(points=points, answered=answered, score=None)
    return OdiResult(points=points, answered=answered, score=Fraction(100 * points, ODI_MAX_ANSWER * answered))


def odi_score_from(points: int | None, answered: int | None) -> Fraction | None:
    """The exact score back from stored points and sections answered."""
    if points is None or not answered or ODI_SECTION_COUNT - answered > ODI_MAX_SKIPPED:
        return None
    return Fraction(100 * points, ODI_MAX_ANSWER * answered)


def one_decimal(value: Fraction | Decimal | int | None) -> Decimal | None:
    """Round half up to one decimal (never binary-float round())."""
    if value is None:
        return None
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def four_decimals(value: Fraction | None) -> Decimal | None:
    """Stored form for SQL ordering and averages. Exact scores are multiples of 2, 2.5 or 20/9, so 4 places
    never move a value across a threshold: the nearest distinct values differ by far more than 0.0001."""
    if value is None:
        return None
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def odi_band(score: Fraction | Decimal | int | None) -> str | None:
    if score is None:
        return None
    for upper, band in ODI_BANDS:
        if score <= upper:
            return band
    raise ScoringError("odi", f"ODI score {score} is above 100.")


def odi_band_words(band: str | None) -> str:
    """A band in the words staff pages use ("severe disability"); empty for no band."""
    return ODI_BAND_WORDS.get(band, band) if band else ""


def validate_nrs(value: object, field: str = "pain_nrs") -> int:
    """Pain NRS: a whole number 0-10."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScoringError(field, "Must be a whole number from 0 to 10.")
    if not NRS_MIN <= value <= NRS_MAX:
        raise ScoringError(field, f"Must be between 0 and 10, got {value}.")
    return value


@dataclass(frozen=True)
class Change:
    """Change from baseline for one measure, with the responder flags of docs/clinical-rules.md, responders."""

    improvement: Fraction | int | None  # baseline - follow-up; positive is better
    percent: Fraction | None
    responder_points: bool | None
    responder_percent: bool | None

    @property
    def responder(self) -> bool | None:
        if self.responder_points is None:
            return None
        return bool(self.responder_points or self.responder_percent)


def change_from_baseline(baseline: Fraction | int | None, follow_up: Fraction | int | None, mcid_points: int) -> Change:
    """Responder = improvement >= MCID points, or improvement x 100 >= 30 x baseline (percent undefined at 0).
    A None score makes that measure's flags None."""
    if baseline is None or follow_up is None:
        return Change(None, None, None, None)
    improvement = baseline - follow_up
    if baseline == 0:
        percent, responder_percent = None, None
    else:
        percent = Fraction(improvement) * 100 / Fraction(baseline)
        responder_percent = improvement * 100 >= MCID_PERCENT * baseline
    return Change(
        improvement=improvement,
        percent=percent,
        responder_points=improvement >= mcid_points,
        responder_percent=responder_percent,
    )


@dataclass(frozen=True)
class ChangeWords:
    """The words `describe_change` writes a change in: the therapist's by default; the patient's pages pass
    their own (plain words, in the patient's language) so the direction is decided in one place."""

    no_follow_up: str = "no follow-up yet"
    no_change: str = "no change"
    better: str = "{amount} {unit} better"
    worse: str = "{amount} {unit} worse"
    point: str = "point"
    points: str = "points"
    met: str = " (MCID met)"
    below: str = " (below MCID)"
    number: Callable[[Decimal | int], str] = str


THERAPIST_WORDS = ChangeWords()


def describe_change(change: Change, measure: str, words: ChangeWords = THERAPIST_WORDS) -> str:
    """A change since baseline in words, the direction never left to a sign: "12.0 points better (MCID met)",
    "4.0 points better (below MCID)", "12.0 points worse", "no change". ODI to one decimal, NRS whole points.
    The one formatter every page, email and label uses (docs/clinical-rules.md, describing change)."""
    if change.improvement is None:
        return words.no_follow_up
    if change.improvement == 0:
        return words.no_change
    size: Fraction | int = -change.improvement if change.improvement < 0 else change.improvement
    shown = one_decimal(size) if measure == "odi" else int(size)
    amount = words.number(shown if shown is not None else 0)
    unit = words.point if size == 1 and measure != "odi" else words.points
    text = (words.better if change.improvement > 0 else words.worse).format(amount=amount, unit=unit)
    if change.improvement > 0:
        text += words.met if change.responder else words.below
    return text


def meets_worsening(
    *,
    odi: Fraction | Decimal | None,
    nrs: int | None,
    baseline_odi: Fraction | Decimal | None,
    baseline_nrs: int | None,
) -> bool:
    """A check-in meets the worsening criterion if ODI >= baseline + 10 or NRS >= baseline + 2.
    A None ODI (too many skips) means the week is judged on NRS alone."""
    odi_worse = odi is not None and baseline_odi is not None and odi >= baseline_odi + ODI_MCID_POINTS
    nrs_worse = nrs is not None and baseline_nrs is not None and nrs >= baseline_nrs + NRS_MCID_POINTS
    return bool(odi_worse or nrs_worse)
