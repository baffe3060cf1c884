"""The caseload list's rows: patients annotated with their outcomes, current program and open alerts, in a
fixed number of queries whatever the number of patients. Presentation helpers turn one annotated row into what
the admin and the CSV export show, using the scoring rules of `patients.scoring` (never a second copy)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from patients import beliefs, dates, scoring
from patients.adherence_queries import today_numbers, with_adherence
from patients.models import Alert, Assignment, CheckIn, Patient
from patients.outcomes import exact_odi, with_patient_outcomes

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    from patients.outcomes import PatientOutcomes

    class CaseloadAnnotations(PatientOutcomes):
        """What `caseload_queryset` adds to each patient, beyond `with_patient_outcomes`."""

        current_program: str | None
        week_one: dt.date | None
        baseline_week: int | None
        open_alert_count: int | None
        is_responder: bool
        urgency: int
        adherence_met: int  # `adherence_queries.with_adherence`
        adherence_due: int
        beliefs_to_address: bool  # `beliefs_to_address_column`
        open_checkin_count: int | None  # an alias, for `not_yet_responding`: not on the rows
        open_any_responder: bool | None  # an alias, for `responders`: not on the rows

    type CaseloadRow = WithAnnotations[Patient, CaseloadAnnotations]


def _flagged_intakes() -> QuerySet[CheckIn]:
    return CheckIn.objects.filter(
        patient=OuterRef("pk"),
        episode__ended_on__isnull=True,
        week=0,
        belief_consequences__gte=beliefs.FLAG_CONSEQUENCES_AT_LEAST,
        belief_personal_control__lte=beliefs.FLAG_PERSONAL_CONTROL_AT_MOST,
    )


def beliefs_to_address() -> Exists:
    """Whether the patient's open episode has an intake (week 0) whose belief answers meet `beliefs.to_address`:
    consequences 7 or more with personal control 3 or less (docs/clinical-rules.md, beliefs). For filtering."""
    return Exists(_flagged_intakes())


def beliefs_to_address_column() -> Coalesce:
    """`beliefs_to_address` for the rows shown, as a scalar subquery: PostgreSQL runs it for the page's rows only,
    where it read an EXISTS in the select list once for the whole table (every intake: 4 ms a caseload page)."""
    flagged = Subquery(_flagged_intakes().values(flagged=Value(True))[:1])
    return Coalesce(flagged, Value(False), output_field=BooleanField())


def caseload_queryset(
    qs: QuerySet[Patient], *, zones: Sequence[str] | None = None, now: dt.datetime | None = None
) -> QuerySet[CaseloadRow]:
    """`with_patient_outcomes` plus the current program, its week one, the baseline week, the number of open
    alerts, the responder flag (any measure, docs/clinical-rules.md, responders), `urgency`, the rank the
    caseload is ordered by (`URGENCY_ORDERING`), adherence (`adherence_queries.with_adherence`, in `zones`, by
    default those of `qs`) and the beliefs-to-address flag (`beliefs_to_address_column`)."""
    open_assignments = Assignment.objects.filter(episode__patient=OuterRef("pk"), episode__ended_on__isnull=True)
    open_alerts = (
        Alert.objects.filter(patient=OuterRef("pk"), acknowledged_at__isnull=True)
        .order_by()
        .values("patient")
        .annotate(n=Count("pk"))
        .values("n")
    )
    annotated = (
        with_patient_outcomes(qs)
        .annotate(
            current_program=Subquery(open_assignments.order_by("-start_date", "-pk").values("title")[:1]),
            week_one=F("current_outcome__week_one"),
            baseline_week=F("current_outcome__baseline_week"),
            open_alert_count=Subquery(open_alerts[:1]),
            beliefs_to_address=beliefs_to_address_column(),
        )
        .annotate(
            # Stored by `patients.summaries` by the rule `outcomes.any_responder_q` decides in SQL (a property
            # test holds them equal); no summary (no open episode) is no responder.
            is_responder=Coalesce(F("current_outcome__any_responder"), Value(False), output_field=BooleanField()),
            urgency=Case(
                When(has_red_flag=True, then=Value(URGENCY_RED_FLAG)),
                When(has_worsening=True, then=Value(URGENCY_WORSENING)),
                When(has_missed=True, then=Value(URGENCY_MISSED)),
                default=Value(URGENCY_NONE),
                output_field=IntegerField(),
            ),
        )
    )
    annotated = annotated.alias(
        open_checkin_count=F("current_outcome__checkin_count"), open_any_responder=F("current_outcome__any_responder")
    )
    return with_adherence(annotated, zones_of=qs, zones=zones, now=now)


# `caseload_of_every_patient`'s queries, by time zones and today's day number in each.
_BUILT: dict[tuple[tuple[str, ...], tuple[int, ...]], QuerySet[CaseloadRow]] = {}


def caseload_of_every_patient(zones: Sequence[str], now: dt.datetime | None = None) -> QuerySet[CaseloadRow]:
    """`caseload_queryset` of every patient, in `zones` (those of the patients it will be narrowed to, which the
    caller scopes with `for_user`). The annotations depend only on the zones and today's date in each, so they are
    built once and each call gets a copy: built afresh, they took about 10 ms of Python a caseload page, more than
    the database takes to plan the query."""
    now = now or timezone.now()
    key = (tuple(sorted(zones)), today_numbers(zones, now))
    built = _BUILT.get(key)
    if built is None:
        if len(_BUILT) >= 32:  # yesterday's, or zones no longer in use
            _BUILT.clear()
        built = _BUILT[key] = caseload_queryset(Patient.objects.all(), zones=key[0], now=now)
    return built.all()


# The patient columns the list reads (the name, record number, time zone for the local dates, clinic for the
# audit); the others are left out of its query (`PatientAdmin.get_paginator`).
LIST_COLUMNS = ("first_name", "last_name", "record_number", "time_zone", "clinic_id")


# The caseload's default order: who needs the therapist first (an open red flag, then open worsening, then
# missed check-ins), then everyone else; by name within each. `urgency` is annotated by `caseload_queryset`;
# an F() so the order can be set before the annotation is added (ModelAdmin orders, then annotates).
URGENCY_RED_FLAG, URGENCY_WORSENING, URGENCY_MISSED, URGENCY_NONE = 0, 1, 2, 3
URGENCY_ORDERING = (F("urgency").asc(), "last_name", "first_name", "pk")


# The response filters are conditions on the row of the open episode's summary the caseload joins: a condition
# on `current_outcome__...` in a filter() of its own would join the summaries a second time (a reverse relation).
def responders(rows: QuerySet[CaseloadRow]) -> QuerySet[CaseloadRow]:
    """The rows (of `caseload_queryset`) of responders on either measure (`is_responder`). On the stored flag
    itself, not `is_responder`'s Coalesce of it: a condition the database can see rejects a missing summary, so it
    joins the summaries' responders alone (their partial index), not every summary (16 ms to 9 ms to count them at
    10,000 patients)."""
    return rows.filter(open_any_responder=True)


def not_yet_responding(rows: QuerySet[CaseloadRow]) -> QuerySet[CaseloadRow]:
    """The rows (of `caseload_queryset`) with a follow-up (at least two check-ins in the open episode) and not
    responders."""
    return rows.filter(open_checkin_count__gte=2, is_responder=False)


@dataclass(frozen=True)
class MeasureChange:
    """Change of one measure since baseline: `delta` is follow-up - baseline (negative is better)."""

    measure: str
    delta: Decimal | int | None
    change: scoring.Change
    worse: bool  # worse by at least the MCID

    @property
    def status(self) -> str:
        if self.delta is None:
            return "none"
        if self.change.responder:
            return "improved"
        return "worse" if self.worse else "stable"


def has_follow_up(row: CaseloadRow) -> bool:
    return row.latest_week is not None and row.baseline_week is not None and row.latest_week != row.baseline_week


def measure_change(row: CaseloadRow, measure: str) -> MeasureChange:
    if measure == "odi":
        baseline, latest, mcid = exact_odi(row, "baseline"), exact_odi(row, "latest"), scoring.ODI_MCID_POINTS
    else:
        baseline, latest, mcid = row.baseline_nrs, row.latest_nrs, scoring.NRS_MCID_POINTS
    if not has_follow_up(row) or baseline is None or latest is None:
        return MeasureChange(measure, None, scoring.change_from_baseline(None, None, mcid), False)
    change = scoring.change_from_baseline(baseline, latest, mcid)
    worse = (
        scoring.meets_worsening(odi=latest, nrs=None, baseline_odi=baseline, baseline_nrs=None)
        if measure == "odi"
        else scoring.meets_worsening(odi=None, nrs=latest, baseline_odi=None, baseline_nrs=baseline)
    )
    delta = scoring.one_decimal(latest - baseline) if measure == "odi" else latest - baseline
    return MeasureChange(measure, delta, change, worse)


def program_week(row: CaseloadRow, now: dt.datetime | None = None) -> int | None:
    """The program week today in the patient's time zone."""
    return dates.program_week(row.local_today(now), row.week_one)


def last_checkin_date(row: CaseloadRow) -> dt.date | None:
    """Date of the last check-in in the patient's own time zone."""
    if row.last_checkin_at is None:
        return None
    return row.last_checkin_at.astimezone(row.tz).date()


def latest_odi_shown(row: CaseloadRow) -> tuple[Decimal | None, str | None]:
    latest = exact_odi(row, "latest")
    return scoring.one_decimal(latest), scoring.odi_band(latest)


def _improvement(change: MeasureChange) -> Any:
    if change.delta is None:
        return ""
    return -change.delta


def export_row(row: CaseloadRow) -> dict[str, Any]:
    odi_value, band = latest_odi_shown(row)
    odi_change, nrs_change = measure_change(row, "odi"), measure_change(row, "nrs")
    return {
        "record_number": row.record_number,
        "first_name": row.first_name,
        "last_name": row.last_name,
        "email": row.email,
        "status": row.status,
        "primary_therapist": row.primary_therapist.get_username() if row.primary_therapist else "",
        "program": row.current_program or "",
        "program_week": program_week(row) or "",
        "odi_score": odi_value if odi_value is not None else "",
        "odi_band": scoring.odi_band_words(band),
        "pain_nrs": row.latest_nrs if row.latest_nrs is not None else "",
        # Improvement = baseline - latest (positive is better), as in the reports' exports; then the same in words.
        "odi_improvement": _improvement(odi_change),
        "nrs_improvement": _improvement(nrs_change),
        "odi_change": scoring.describe_change(odi_change.change, "odi") if odi_change.delta is not None else "",
        "nrs_change": scoring.describe_change(nrs_change.change, "nrs") if nrs_change.delta is not None else "",
        "odi_responder": _flag(odi_change.change.responder),
        "nrs_responder": _flag(nrs_change.change.responder),
        "last_checkin": last_checkin_date(row) or "",
        "open_alerts": row.open_alert_count or 0,
    }


EXPORT_COLUMNS = (
    "record_number", "first_name", "last_name", "email", "status", "primary_therapist", "program", "program_week",
    "odi_score", "odi_band", "pain_nrs", "odi_improvement", "nrs_improvement", "odi_change", "nrs_change",
    "odi_responder", "nrs_responder",
    "last_checkin", "open_alerts",
)  # fmt: skip


def _flag(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")
