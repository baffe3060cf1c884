"""Graded-activity quota schedule. Pure Python: no Django import.

Rule (docs/clinical-rules.md, graded activity, time-contingent graded activity after Fordyce):
1. Week 1 is the baseline. Each week rises by a percent of the previous *stored, rounded* quota, or by an
   absolute step, capped at the goal.
2. Round half up: one decimal for minutes and metres, whole units for repetitions and steps; if whole-unit
   rounding gives no rise, add one unit.
3. Flare: if week k's check-in NRS >= episode baseline NRS + margin, week k+1 holds at week k's quota (or, with
   the step-back response, returns to the level before it). Rising resumes the week after. A missed check-in
   (no NRS) is not a flare.

Worked example (baseline 10 min, +20 % a week, goal 30, flare margin 2):
    no flare:          10.0 12.0 14.4 17.3 20.8 25.0 30.0 30.0
    flare in week 3:   10.0 12.0 14.4 14.4 17.3 20.8 25.0 30.0
Compounding unrounded values would give 29.9 in week 7, which this rule forbids.
In repetitions the same plan is 10, 12, 14, 17, 20, 24, 29, 30.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

WHOLE_UNITS = frozenset({"repetitions", "steps"})
# The most of each unit a person can report for one week (docs/clinical-rules.md, check-in answers): minutes are
# at most 7 x 24 x 60; the others are generous ceilings (1,000 km, 100,000 repetitions or 1.4 million steps).
WEEKLY_MAXIMUM = {
    "minutes": Decimal(7 * 24 * 60),
    "metres": Decimal(1_000_000),
    "repetitions": Decimal(100_000),
    "steps": Decimal(1_400_000),
}
MOST_IN_A_WEEK = max(WEEKLY_MAXIMUM.values())  # of any unit: the bound the API schema states for what was done
HOLD, STEP_BACK = "hold", "step_back"
PERCENT, ABSOLUTE = "percent", "absolute"
DEFAULT_FLARE_MARGIN = 2  # NRS points above the episode baseline (docs/clinical-rules.md, graded activity)


@dataclass(frozen=True)
class QuotaPlan:
    baseline: Decimal
    increase_kind: str  # PERCENT or ABSOLUTE
    increase: Decimal  # 20 means +20 % (PERCENT) or +20 units (ABSOLUTE)
    goal: Decimal
    unit: str
    flare_margin: int = DEFAULT_FLARE_MARGIN
    flare_response: str = HOLD


def round_quota(value: Decimal, unit: str) -> Decimal:
    step = Decimal("1") if unit in WHOLE_UNITS else Decimal("0.1")
    return value.quantize(step, rounding=ROUND_HALF_UP)


def weekly_target(quota: Decimal) -> Decimal:
    """The week's target in whole units (docs/clinical-rules.md, graded activity, rule 5): what the patient is
    asked to do, what every page and export shows, and what "quota met" compares with."""
    return Decimal(quota).quantize(Decimal("1"), rounding=ROUND_HALF_UP)


def next_quota(plan: QuotaPlan, previous: Decimal) -> Decimal:
    raw = previous * (1 + plan.increase / 100) if plan.increase_kind == PERCENT else previous + plan.increase
    rounded = round_quota(raw, plan.unit)
    if plan.unit in WHOLE_UNITS and rounded <= previous and plan.increase > 0:
        rounded = previous + 1
    return round_quota(min(plan.goal, rounded), plan.unit)


def is_flare(nrs: int | None, baseline_nrs: int | None, margin: int) -> bool:
    return nrs is not None and baseline_nrs is not None and nrs >= baseline_nrs + margin


def quota_schedule(
    plan: QuotaPlan,
    weeks: int,
    *,
    baseline_nrs: int | None = None,
    nrs_by_week: Mapping[int, int] | None = None,
) -> list[Decimal]:
    """Quotas for program weeks 1..weeks (index 0 is week 1). Same inputs, same plan."""
    nrs_by_week = nrs_by_week or {}
    quotas: list[Decimal] = []
    for week in range(1, weeks + 1):
        if week == 1:
            quota = round_quota(min(plan.goal, plan.baseline), plan.unit)
        elif is_flare(nrs_by_week.get(week - 1), baseline_nrs, plan.flare_margin):
            previous = quotas[-1]
            quota = min(previous, quotas[-2]) if plan.flare_response == STEP_BACK and len(quotas) >= 2 else previous
        else:
            quota = next_quota(plan, quotas[-1])
        quotas.append(quota)
    return quotas


def quota_in_week(
    plan: QuotaPlan,
    week: int,
    *,
    start_week: int = 1,
    baseline_nrs: int | None = None,
    nrs_by_week: Mapping[int, int] | None = None,
) -> Decimal:
    """The quota in program week `week` of an activity that starts in `start_week`: that week is its week 1, and
    the NRS history is shifted with it (a program's preview and a patient's plan count the same way)."""
    shifted = {w - start_week + 1: v for w, v in (nrs_by_week or {}).items()}
    return quota_schedule(plan, week - start_week + 1, baseline_nrs=baseline_nrs, nrs_by_week=shifted)[-1]


def validate_plan(plan: QuotaPlan) -> dict[str, str]:
    """Field name -> message for every rule the plan breaks (empty when valid)."""
    errors: dict[str, str] = {}
    if plan.baseline <= 0:
        errors["baseline"] = "The baseline must be above zero."
    if plan.increase < 0:
        errors["increase"] = "The weekly increase cannot be negative."
    if plan.goal < plan.baseline:
        errors["goal"] = "The goal cannot be below the baseline."
    if plan.flare_margin < 1:
        errors["flare_margin"] = "The flare margin must be at least 1 NRS point."
    if plan.increase_kind not in (PERCENT, ABSOLUTE):
        errors["increase_kind"] = "Choose percent or absolute."
    if plan.flare_response not in (HOLD, STEP_BACK):
        errors["flare_response"] = "Choose hold or step back."
    return errors
