"""Adherence to the graded-activity plan: per program week and activity, the week's target against what the
patient reported done, and the share of activity-weeks met. Pure Python: no Django import.

Rule (docs/clinical-rules.md, adherence; an app rule of ours, not a validated cut-off):
1. An activity-week is one activity of the plan in one program week it is active in (its start week to its end
   week). It is *due* when the week has passed (before the current program week) or was checked in.
2. Its target is the week's quota in whole units (`programs.quotas.weekly_target`): the quota the week's check-in
   recorded, else the plan's quota for that week.
3. Checked in: met when what was reported done reaches the target (nothing reported counts as 0, so a target of
   0 is met). Not checked in: not met, whatever the target.
4. Adherence = activity-weeks met / activity-weeks due, exact (a Fraction); shown as a whole percent rounded half
   up. Bands: under 50 %, 50 % to under 80 %, 80 % or more; "no data" when nothing is due yet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from programs.quotas import weekly_target

LOW, HIGH = Fraction(1, 2), Fraction(4, 5)  # the band edges: 50 % and 80 %
NO_DATA, UNDER_50, FROM_50, FROM_80 = "no_data", "under_50", "50_80", "80_plus"
BAND_LABELS = {
    UNDER_50: "under 50 %",
    FROM_50: "50-80 %",
    FROM_80: "80 % or more",
    NO_DATA: "no data",
}


def weeks_due(current_week: int | None, checked_in: Iterable[int]) -> list[int]:
    """Program weeks whose activities are due: every week before the current one, and any week checked in (the
    current week once its check-in is in). Week 0, an intake, has no activities."""
    passed = set(range(1, current_week)) if current_week else set()
    return sorted(passed | {week for week in checked_in if week >= 1})


def is_met(target: Decimal, done: Decimal | None, *, checked_in: bool) -> bool:
    """Rule 3: a checked-in week's activity is met when done (0 if not reported) reaches the target."""
    return checked_in and (done or Decimal(0)) >= target


@dataclass(frozen=True)
class ActivityWeek:
    """One activity in one due week."""

    item: int
    title: str
    unit: str
    week: int
    target: Decimal  # whole units (`programs.quotas.weekly_target`)
    done: Decimal | None  # None: not reported (or no check-in)
    checked_in: bool

    @property
    def met(self) -> bool:
        return is_met(self.target, self.done, checked_in=self.checked_in)


@dataclass(frozen=True)
class CopingUse:
    """A coping strategy of a checked-in week: used or not, and how helpful (0-10) when the patient said."""

    item: int
    title: str
    used: bool
    helpful: int | None


@dataclass
class Week:
    week: int
    checked_in: bool
    activities: list[ActivityWeek] = field(default_factory=list)
    coping: list[CopingUse] = field(default_factory=list)

    @property
    def met(self) -> int:
        return sum(1 for a in self.activities if a.met)


@dataclass(frozen=True)
class Adherence:
    met: int
    due: int

    @property
    def ratio(self) -> Fraction | None:
        return Fraction(self.met, self.due) if self.due else None

    @property
    def percent(self) -> int | None:
        """Whole percent, rounded half up from the exact ratio."""
        if self.ratio is None:
            return None
        return int((Decimal(self.met * 100) / Decimal(self.due)).quantize(Decimal(1), rounding=ROUND_HALF_UP))

    @property
    def band(self) -> str:
        return adherence_band(self.met, self.due)

    @property
    def band_label(self) -> str:
        return BAND_LABELS[self.band]


def adherence_band(met: int, due: int) -> str:
    """Rule 4's bands, decided on the exact ratio (integers only: met x 100 against 50 x due and 80 x due)."""
    if due <= 0:
        return NO_DATA
    ratio = Fraction(met, due)
    if ratio < LOW:
        return UNDER_50
    return FROM_50 if ratio < HIGH else FROM_80


def summarise(weeks: Iterable[Week]) -> Adherence:
    activity_weeks = [a for week in weeks for a in week.activities]
    return Adherence(met=sum(1 for a in activity_weeks if a.met), due=len(activity_weeks))


@dataclass(frozen=True)
class PlannedActivity:
    """What the rule needs of one activity of the plan: its weeks, and its target in any week."""

    item: int
    title: str
    unit: str
    start_week: int
    end_week: int | None

    def is_active_in(self, week: int) -> bool:
        return self.start_week <= week and (self.end_week is None or week <= self.end_week)


@dataclass(frozen=True)
class Reported:
    """A check-in's activity answers, by item: (done, recorded quota)."""

    activities: Mapping[int, tuple[Decimal, Decimal]]
    coping: Sequence[CopingUse] = ()


def adherence_weeks(
    activities: Sequence[PlannedActivity],
    reports: Mapping[int, Reported],
    current_week: int | None,
    planned_target: Callable[[PlannedActivity, int], Decimal],
    in_plan: Callable[[PlannedActivity, int], bool] | None = None,
) -> list[Week]:
    """The due weeks (rule 1), each with its activities' target, done and met, and the coping reported.

    `reports` are the check-ins by week; `planned_target(activity, week)` gives the plan's target of a week with
    no recorded quota; `in_plan(activity, week)`, when given, says whether the activity is in that week's plan
    (a replaced program's items leave it; a component two programs share counts once), else its own weeks do.
    A week with no activity but a check-in is listed (for its coping answers) with nothing due."""
    in_plan = in_plan or PlannedActivity.is_active_in
    weeks = []
    for number in weeks_due(current_week, reports):
        report = reports.get(number)
        week = Week(week=number, checked_in=report is not None, coping=list(report.coping) if report else [])
        for activity in activities:
            if not in_plan(activity, number):
                continue
            answer = report.activities.get(activity.item) if report else None
            if answer is not None:
                done, quota = answer
                target = weekly_target(quota)
            else:
                done, target = None, planned_target(activity, number)
            week.activities.append(
                ActivityWeek(
                    item=activity.item,
                    title=activity.title,
                    unit=activity.unit,
                    week=number,
                    target=target,
                    done=done,
                    checked_in=report is not None,
                )
            )
        weeks.append(week)
    return weeks


def met_in_checkin(targets: Mapping[int, Decimal], done: Mapping[int, Decimal]) -> int:
    """How many of a check-in's activities (item: target) were met (rule 3), stored with the check-in so the
    caseload can add them up in SQL."""
    return sum(1 for item, target in targets.items() if is_met(target, done.get(item), checked_in=True))
