"""The report in plain words: one sentence per group for a manager who does not read tables of intervals.

Made only of the figures the page's tables show (`selectors.GroupReport` at the latest follow-up), held back by
the same rule (`reports.disclosure.too_few`), so the sentence and the tables never disagree. The wording keeps to
what the figures say: the mean change of those followed up (not of everyone who started), a 95 % CI only where
there is one, "worsened" for a negative mean, and a change that matters is the responder rule of
docs/clinical-rules.md (at least 10 ODI points or 30 % of baseline, `patients.scoring`).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from reports.disclosure import MIN_GROUP, too_few
from reports.selectors import GroupReport


def _rounded(value: float, places: int = 1) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _text(value: Decimal) -> str:
    return str(value).replace("-", "\N{MINUS SIGN}")


def _change_words(mean: float, ci_low: float | None, ci_high: float | None) -> str:
    """ "improved by 13.7 points on average (95 % CI 10.2 to 17.2)", from the mean improvement (baseline minus
    follow-up, positive is better) and its CI. A fall in disability is an improvement, a rise a worsening, with the
    interval turned to match the words."""
    shown = _rounded(mean)
    if shown == 0:
        words, low, high = "did not change on average", ci_low, ci_high
    elif shown > 0:
        words, low, high = f"improved by {_text(shown)} points on average", ci_low, ci_high
    else:
        words = f"worsened by {_text(-shown)} points on average"
        low, high = (None, None) if ci_low is None or ci_high is None else (-ci_high, -ci_low)
    if low is None or high is None:
        return words
    interval = f"95 % CI {_text(_rounded(low))} to {_text(_rounded(high))}"
    if low <= 0 <= high and shown != 0:
        interval += ", which includes no change"
    return f"{words} ({interval})"


def group_sentence(group: GroupReport) -> str:
    """e.g. "62 patients, 50 of them followed up: by their latest check-in, disability (ODI) improved by 13.7 points
    on average (95 % CI 10.2 to 17.2), and 76 % improved by a change that matters (at least 10 points or 30 %)."""
    if group.no_data:
        return "No patients in this period."
    if group.too_few:
        return f"Too few patients to say (under {MIN_GROUP})."
    odi = group.outcomes["latest"]["odi"]
    followed = odi.change.n
    patients = f"{group.started} patients"
    if followed == 0:
        return f"{patients}; none has a check-in after their baseline yet, so there is no change to report."
    if too_few(followed):
        return f"{patients}; too few have a check-in after their baseline to say how they changed (under {MIN_GROUP})."
    who = "all followed up" if followed == group.started else f"{followed} of them followed up"
    sentence = f"{patients}, {who}: by their latest check-in, disability (ODI) "
    sentence += _change_words(odi.change.mean or 0.0, odi.change.ci_low, odi.change.ci_high)
    share = odi.responders.share
    if share is not None:
        sentence += (
            f", and {_text(_rounded(share * 100, 0))} % improved by a change that matters"
            " (at least 10 points or 30 % of their baseline)"
        )
    return sentence + "."
