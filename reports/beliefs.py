"""The report's belief figures (docs/reports.md, "Belief figures"): per program and for all patients, each belief
item's mean change from intake with its 95 % t CI, and how that change goes with the ODI change (Pearson's r
with its Fisher z 95 % CI and n).

Per episode (`episode_beliefs`, from the report's own check-ins, one query for the whole report):
- a *belief check-in* is one with a belief section (its wording version, `CheckIn.beliefs_version`, is set);
- **intake** is the week-0 belief check-in, or else the episode's first belief check-in;
- **latest** is the last belief check-in after the intake in the *same wording version* (answers to different
  wordings are never compared: `patients.beliefs`, rule 1);
- an item's **change** is latest minus intake, when the item was answered at both (so for consequences and
  concern a fall is toward where therapy aims, for the two control items a rise).

The ODI change paired with it is the report's own latest ODI minus its baseline ODI (`EpisodeRow`, the negative
of the report's improvement), for the episodes with both.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from patients import beliefs
from programs.models import Belief
from reports import statistics as st
from reports.selectors import MIN_GROUP, EpisodeRow, ReportFilter, report_checkins

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
        if self.latest is None:
            return None
        before, after = self.intake.get(item), self.latest.get(item)
        return None if before is None or after is None else after - before


def episode_beliefs(checkins: Iterable[tuple[Any, ...]]) -> dict[int, EpisodeBeliefs]:
    """(episode_id, week, version, *answers in `ITEMS` order) rows of belief check-ins -> each episode's intake
    and latest (the rules above). Pure."""
    by_episode: dict[int, list[tuple[int, str, dict[str, int | None]]]] = defaultdict(list)
    for episode_id, week, version, *answers in checkins:
        by_episode[episode_id].append((week, version, dict(zip(ITEMS, answers, strict=True))))
    found = {}
    for episode_id, rows in by_episode.items():
        rows.sort(key=lambda row: row[0])
        intake_week, version, intake = next((row for row in rows if row[0] == 0), rows[0])
        later = [row for row in rows if row[0] > intake_week and row[1] == version]
        if later:
            latest_week, _, latest = later[-1]
            found[episode_id] = EpisodeBeliefs(version, intake_week, intake, latest_week, latest)
        else:
            found[episode_id] = EpisodeBeliefs(version, intake_week, intake)
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


def odi_change(row: EpisodeRow) -> float | None:
    """Latest ODI minus baseline ODI (points; negative is better), as the report's rows hold them."""
    change = row.changes.get("latest", {}).get("odi")
    return None if change is None or change.improvement is None else -float(change.improvement)


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


def belief_group(key: str, label: str, rows: Iterable[EpisodeRow]) -> BeliefGroup:
    with_beliefs = [(row.beliefs, odi_change(row)) for row in rows if row.beliefs is not None]
    items = {}
    for item in ITEMS:
        changes = [(b.change(item), odi) for b, odi in with_beliefs if b.change(item) is not None]
        items[item] = ItemFigures(change=st.summarize(change for change, _ in changes), with_odi=st.pearson(changes))
    return BeliefGroup(key, label, items)


def belief_report(rows: list[EpisodeRow], programs: dict[int | None, str] | None = None) -> BeliefReport:
    """The belief figures of the report's rows (`attach_beliefs` done); no query. A group for each of the
    report's `programs` (id -> title; default: the rows' programs), sorted by title as the report's."""
    groups: dict[int | None, list[EpisodeRow]] = defaultdict(list)
    for row in rows:
        groups[row.program_id].append(row)
    labels = {ident: group[0].program for ident, group in groups.items()} | (programs or {})
    return BeliefReport(
        overall=belief_group("all", "All patients", rows),
        by_program=[
            belief_group("none" if ident is None else str(ident), labels[ident], groups.get(ident, []))
            for ident in sorted(labels, key=lambda i: (labels[i].lower(), str(i)))
        ],
    )


def report_beliefs(user: Any, filters: ReportFilter, programs: dict[int | None, str], now: Any = None) -> BeliefReport:
    """The report's belief figures: the rows of the episodes with a belief check-in only (their ODI change is
    part of the figures), grouped by the report's programs."""
    from reports.selectors import episode_rows

    with_beliefs = report_checkins(user, filters).exclude(beliefs_version="").values("episode_id")
    return belief_report(episode_rows(user, filters, now, only=with_beliefs), programs)


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
    from reports.serializers import TOO_FEW, _num

    if public and 0 < c.n < MIN_GROUP:
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
