"""The patient's beliefs about their back pain: four items of our own, each 0-10, asked at intake (week 0) and every
4 program weeks, and the "beliefs to address" flag. Pure Python: no Django import.

Rules (docs/clinical-rules.md, beliefs; app rules of ours, not a validated questionnaire or cut-off):
1. The items: consequences (how much the back pain affects the patient's life), personal control (how much
   control they feel they have over it), treatment control (how much they believe treatment can help) and
   concern (how worried they are about it). Each is a whole number 0-10 with labelled ends; an item may be left
   unanswered (None). Answers are stored with the version of the wording they were given in
   (`OURS`, or a clinic's licensed instrument), and answers of different versions are never compared.
2. The section is due at intake (week 0) and in every program week that is a multiple of 4 (4, 8, 12, ...).
3. The flag: at intake, consequences 7 or more with personal control 3 or less marks the patient "beliefs to
   address". It is a prompt for the conversation, shown to staff only, never to the patient as a risk label.
4. Which beliefs to meet first: each item's *need* on one 0-10 scale where more is further from where therapy
   aims (consequences and concern as answered; the two control items reversed, 10 minus the answer). The
   beliefs with the highest need come first; a need of 0 is nothing to address.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

CONSEQUENCES = "consequences"
PERSONAL_CONTROL = "personal_control"
TREATMENT_CONTROL = "treatment_control"
CONCERN = "concern"
ITEMS = (CONSEQUENCES, PERSONAL_CONTROL, TREATMENT_CONTROL, CONCERN)
# Items where a higher answer is where therapy aims (more control); their need is 10 minus the answer.
REVERSED = frozenset({PERSONAL_CONTROL, TREATMENT_CONTROL})

LOWEST, HIGHEST = 0, 10
OURS = "cft-beliefs-1"  # the version of our own wording; a new wording gets a new version
EVERY_WEEKS = 4
FLAG_CONSEQUENCES_AT_LEAST = 7
FLAG_PERSONAL_CONTROL_AT_MOST = 3

Answers = Mapping[str, int | None]


def is_due(week: int) -> bool:
    """Rule 2: the belief section is asked at intake and every 4 program weeks."""
    return week == 0 or (week > 0 and week % EVERY_WEEKS == 0)


def to_address(answers: Answers) -> bool:
    """Rule 3, on the intake's answers: high consequences with low personal control."""
    consequences, control = answers.get(CONSEQUENCES), answers.get(PERSONAL_CONTROL)
    if consequences is None or control is None:
        return False
    return consequences >= FLAG_CONSEQUENCES_AT_LEAST and control <= FLAG_PERSONAL_CONTROL_AT_MOST


def need(item: str, answer: int) -> int:
    """Rule 4: how far one answer is from where therapy aims, 0-10."""
    return HIGHEST - answer if item in REVERSED else answer


def highest_needs(answers: Answers) -> list[str]:
    """Rule 4: the answered items with the highest need above 0 (all of them on a tie), in `ITEMS` order."""
    needs = {item: need(item, answer) for item, answer in answers.items() if item in ITEMS and answer is not None}
    top = max(needs.values(), default=0)
    if top == 0:
        return []
    return [item for item in ITEMS if needs.get(item) == top]


Course = tuple[int, str, Answers]  # one belief check-in: (program week, wording version, answers by item)


def intake_and_latest(rows: Iterable[Course]) -> tuple[Course, Course | None] | None:
    """An episode's belief check-ins (any order) -> its intake, the week-0 one or else the first, and its latest,
    the last after the intake in the same wording version (rule 1: answers to different wordings are never
    compared), or None after the intake; None without any belief check-in."""
    ordered = sorted(rows, key=lambda row: row[0])
    if not ordered:
        return None
    intake = next((row for row in ordered if row[0] == 0), ordered[0])
    later = [row for row in ordered if row[0] > intake[0] and row[1] == intake[1]]
    return intake, (later[-1] if later else None)


def change(intake: Answers, latest: Answers | None, item: str) -> int | None:
    """An item's change from intake, latest minus intake, when it was answered at both (so for consequences and
    concern a fall is toward where therapy aims, for the two control items a rise)."""
    if latest is None:
        return None
    before, after = intake.get(item), latest.get(item)
    return None if before is None or after is None else after - before
