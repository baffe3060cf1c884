"""The report's belief figures (docs/reports.md, "Belief figures"): per program and for all patients, each belief
item's mean change from intake with its 95 % t CI, and how that change goes with the ODI change (Pearson's r
with its Fisher z 95 % CI and n).

Per episode (`patients.beliefs.intake_and_latest`, the rules of patients.beliefs):
- a *belief check-in* is one with a belief section (its wording version, `CheckIn.beliefs_version`, is set);
- **intake** is the week-0 belief check-in, or else the episode's first belief check-in;
- **latest** is the last belief check-in after the intake in the *same wording version* (answers to different
  wordings are never compared: `patients.beliefs`, rule 1);
- an item's **change** is latest minus intake, when the item was answered at both (so for consequences and
  concern a fall is toward where therapy aims, for the two control items a rise).

The ODI change paired with it is the report's own latest ODI minus its baseline ODI, for the episodes with both.
Each episode's summary holds its items' changes (`EpisodeOutcome.belief_<item>_change`), so the groups are added
up in SQL (`report_beliefs`: moments of the changes, co-moments with the exact ODI change); the exports' rows get
each episode's answers from its belief check-ins (`attach_beliefs`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, Sum

from patients import beliefs
from programs.models import Belief
from reports import statistics as st
from reports.disclosure import TOO_FEW, too_few
from reports.selectors import (
    ODI_UNIT,
    EpisodeRow,
    ReportFilter,
    odi_units,
    report_checkins,
    report_outcomes,
)

ITEMS = beliefs.ITEMS
ANSWER_FIELDS = tuple(f"belief_{item}" for item in ITEMS)


@dataclass(frozen=True)
class EpisodeBeliefs:
    """One episode's belief answers at intake and at its latest belief check-in of the same version."""

    version: str
    intake_week: int
    intake: dict[str, int | None]
    latest_week: int | None = None
    latest: dict[str, int | None] | None = None

    def change(self, item: str) -> int | None:
        return beliefs.change(self.intake, self.latest, item)


def episode_beliefs(checkins: Iterable[tuple[Any, ...]]) -> dict[int, EpisodeBeliefs]:
    """(episode_id, week, version, *answers in `ITEMS` order) rows of belief check-ins -> each episode's intake
    and latest (the rules above, `patients.beliefs.intake_and_latest`). Pure."""
    by_episode: dict[int, list[beliefs.Course]] = defaultdict(list)
    for episode_id, week, version, *answers in checkins:
        by_episode[episode_id].append((week, version, dict(zip(ITEMS, answers, strict=True))))
    found = {}
    for episode_id, rows in by_episode.items():
        course = beliefs.intake_and_latest(rows)
        if course is None:
            continue
        (intake_week, version, intake), latest = course
        if latest is None:
            found[episode_id] = EpisodeBeliefs(version, intake_week, dict(intake))
        else:
            found[episode_id] = EpisodeBeliefs(version, intake_week, dict(intake), latest[0], dict(latest[2]))
    return found


def attach_beliefs(user: Any, filters: ReportFilter, rows: list[EpisodeRow]) -> None:
    """Give each report row its `beliefs` (None without a belief check-in). One query: the report's belief
    check-ins, in the same scope as its other check-ins."""
    checkins = (
        report_checkins(user, filters)
        .exclude(beliefs_version="")
        .order_by()
        .values_list("episode_id", "week", "beliefs_version", *ANSWER_FIELDS)
        .iterator(chunk_size=2000)
    )
    found = episode_beliefs(checkins)
    for row in rows:
        row.beliefs = found.get(row.episode_id)


@dataclass(frozen=True)
class ItemFigures:
    change: st.Summary  # latest minus intake, over the episodes with both
    with_odi: st.Correlation  # that change against the ODI change, over the episodes with both


@dataclass(frozen=True)
class BeliefGroup:
    key: str
    label: str
    items: dict[str, ItemFigures]


@dataclass(frozen=True)
class BeliefReport:
    overall: BeliefGroup
    by_program: list[BeliefGroup]


def _belief_sums() -> dict[str, Any]:
    """Per item, over the report's summaries: the moments of its change from intake, and the co-moments of that
    change with the ODI change (latest minus baseline, in whole `ODI_UNIT`s) where the episode has both."""
    odi_change = odi_units("latest_odi_points", "latest_odi_answered") - odi_units(
        "baseline_odi_points", "baseline_odi_answered"
    )
    with_odi_change = Q(latest_odi_by_points__isnull=False)  # a latest ODI after the baseline, both scored
    sums: dict[str, Any] = {}
    for item in ITEMS:
        change = F(f"belief_{item}_change")
        changed = Q(**{f"belief_{item}_change__isnull": False})
        both = changed & with_odi_change
        sums |= {
            f"{item}_n": Count(change, filter=changed),
            f"{item}_sum": Sum(change, filter=changed),
            f"{item}_squares": Sum(change * change, filter=changed),
            f"{item}_pairs": Count(change, filter=both),
            f"{item}_x": Sum(change, filter=both),
            f"{item}_y": Sum(odi_change, filter=both),
            f"{item}_xx": Sum(change * change, filter=both),
            f"{item}_yy": Sum(odi_change * odi_change, filter=both),
            f"{item}_xy": Sum(change * odi_change, filter=both),
        }
    return sums


def belief_group(key: str, label: str, totals: dict[str, Any]) -> BeliefGroup:
    items = {}
    for item in ITEMS:
        moments = st.Moments.of_sums(totals.get(f"{item}_n"), totals.get(f"{item}_sum"), totals.get(f"{item}_squares"))
        pairs = st.CoMoments.of_sums(
            *(totals.get(f"{item}_{name}") for name in ("pairs", "x", "y", "xx", "yy", "xy")), y_unit=ODI_UNIT
        )
        items[item] = ItemFigures(change=moments.summary(), with_odi=pairs.correlation())
    return BeliefGroup(key, label, items)


def report_beliefs(user: Any, filters: ReportFilter, programs: dict[int | None, str], now: Any = None) -> BeliefReport:
    """The report's belief figures, added up in SQL per program over the episodes' summaries (each holds its
    items' changes from intake: `patients.summaries.belief_changes`); one query. A group for each of the report's
    `programs` (id -> title), sorted by title as the report's."""
    sums = {f"total_{name}": aggregate for name, aggregate in _belief_sums().items()}
    by_program: dict[int | None, dict[str, Any]] = {}
    for row in report_outcomes(user, filters).order_by().values("program_id").annotate(**sums):
        by_program[row["program_id"]] = {name[len("total_") :]: value for name, value in row.items() if name in sums}
    overall = {name: sum(totals.get(name) or 0 for totals in by_program.values()) for name in _belief_sums()}
    labels = {ident: programs.get(ident, "No program") for ident in by_program} | programs
    return BeliefReport(
        overall=belief_group("all", "All patients", overall),
        by_program=[
            belief_group("none" if ident is None else str(ident), labels[ident], by_program.get(ident, {}))
            for ident in sorted(labels, key=lambda i: (labels[i].lower(), str(i)))
        ],
    )


@dataclass(frozen=True)
class PageRow:
    group: str
    first: bool  # the group's first row: the page names the group there
    belief: str
    figures: ItemFigures


def page_rows(report: BeliefReport | None) -> list[PageRow]:
    """The report page's belief table: every group's items, all patients first, then by program; none while no
    episode has a belief change."""
    if report is None or not any(f.change.n for f in report.overall.items.values()):
        return []
    return [
        PageRow(g.label, i == 0, Belief(item).label, figures)
        for g in (report.overall, *report.by_program)
        for i, (item, figures) in enumerate(g.items.items())
    ]


# --- The public form (API, exports' summary) ---------------------------------------------------------------


def correlation_data(c: st.Correlation, public: bool) -> dict[str, Any] | str:
    from reports.serializers import _num

    if public and too_few(c.n):
        return TOO_FEW
    return {
        "n": c.n,
        "r": _num(c.r),
        "ci_low": _num(c.ci_low),
        "ci_high": _num(c.ci_high),
        "method": "Pearson, Fisher z 95 % CI",
    }


def beliefs_data(report: BeliefReport, public: bool) -> dict[str, Any]:
    """Each group's items: `change` (latest minus intake: n, mean, SD, 95 % CI) and `with_odi_change`, statistics
    on 1 to MIN_GROUP - 1 patients shown as "too few" in the public form."""
    from reports.serializers import summary_data

    def group(g: BeliefGroup) -> dict[str, Any]:
        return {
            "key": g.key,
            "label": g.label,
            "items": {
                item: {
                    "change": summary_data(f.change, public),
                    "with_odi_change": correlation_data(f.with_odi, public),
                }
                for item, f in g.items.items()
            },
        }

    return {
        "change": "latest minus intake (0-10 points)",
        "odi_change": "latest minus baseline (ODI points)",
        "overall": group(report.overall),
        "by_program": [group(g) for g in report.by_program],
    }
