"""Adherence (`patients.adherence`, docs/clinical-rules.md) read from the database: one episode's weeks for the
patient page, in two queries, and the caseload's counts as SQL annotations, in one more query whatever the number
of patients.

The caseload adds up, per patient's open episode, the activity-weeks due (from the activities' week ranges and the
current program week) and the met counts each check-in stored (`CheckIn.activities_met`). The program week is the
patient's own: today in their time zone, counted from week one. SQL has no portable date difference, so both
days become day numbers (`day_number`, integer arithmetic on year, month and day, the same on every database).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import Combinable
from django.db.models.functions import Cast, Coalesce, ExtractDay, ExtractMonth, ExtractYear, Greatest, Least
from django.db.models.lookups import LessThan
from django.utils import timezone

from patients import adherence
from patients.models import AssignmentItem, CheckIn, Episode, Patient
from patients.plans import activity_quota, items_in_week
from programs.quotas import weekly_target

# --- one episode ----------------------------------------------------------------------------------------------


def episode_adherence(
    episode: Episode, current_week: int | None, *, checkins: Sequence[CheckIn] | None = None
) -> list[adherence.Week]:
    """The episode's due weeks (`adherence.adherence_weeks`): two queries, its tasks and its check-ins; one when
    the caller has read the episode's check-ins already (`checkins`, in any order)."""
    tasks = list(
        AssignmentItem.objects.filter(assignment__episode=episode)
        .exclude(kind=AssignmentItem.Kind.NARRATIVE)
        .select_related("assignment")
        .order_by("assignment__start_date", "order", "pk")
    )
    if checkins is None:
        checkins = list(CheckIn.objects.filter(episode=episode).only("week", "pain_nrs", "activities", "coping"))
    rows = sorted((c.week, c.pain_nrs, c.activities, c.coping) for c in checkins)
    by_id = {item.pk: item for item in tasks}
    nrs = {week: pain for week, pain, _, _ in rows}
    baseline_nrs = rows[0][1] if rows else None
    reports = {}
    for week, _, activities, coping in rows:
        reports[week] = adherence.Reported(
            activities={e["item"]: (Decimal(e["done"]), Decimal(e["quota"])) for e in activities},
            coping=[
                adherence.CopingUse(e["item"], by_id[e["item"]].title, e["used"], e.get("helpful"))
                for e in coping
                if e["item"] in by_id
            ],
        )
    planned = [
        adherence.PlannedActivity(item.pk, item.title, item.unit, item.start_week, item.end_week)
        for item in tasks
        if item.kind == AssignmentItem.Kind.ACTIVITY
    ]

    def planned_target(activity: adherence.PlannedActivity, week: int) -> Decimal:
        # The quota as the plan stands, with the flare rule on the NRS reported before that week.
        return weekly_target(activity_quota(by_id[activity.item], week, baseline_nrs, nrs))

    week_one = episode.week_one_starts_on()
    plans: dict[int, set[int]] = {}

    def in_plan(activity: adherence.PlannedActivity, week: int) -> bool:
        # The week's plan as the check-in asks it (docs/clinical-rules.md, program changes).
        if week not in plans:
            plans[week] = {item.pk for item in items_in_week(tasks, week, week_one)}
        return activity.item in plans[week]

    return adherence.adherence_weeks(planned, reports, current_week, planned_target, in_plan)


# --- the caseload -----------------------------------------------------------------------------------------------


def day_number_of(day: dt.date) -> int:
    """A day's number, counted so that the difference of two is the days between them (`day_number` in SQL):
    days of the proleptic Gregorian calendar with years counted from March, so that a leap day ends a year."""
    march_year, march_month = (day.year - 1, day.month + 9) if day.month <= 2 else (day.year, day.month - 3)
    years = 365 * march_year + march_year // 4 - march_year // 100 + march_year // 400
    return years + (153 * march_month + 2) // 5 + day.day


class DayNumber(Func):
    """`day_number_of` in SQL, on a date expression: integer arithmetic on its year, month and day. Integer division
    of positive integers truncates alike on SQLite and PostgreSQL.

    One node whose SQL names the year, month and day several times. Built of Django expressions, each of those
    names was a copy of a subtree (Django copies an expression wherever it is referred to): about 65 nodes per day
    number, which took the caseload some 9 ms a page to build and compile, more than the database took to run it."""

    output_field = IntegerField()
    MARCH_YEAR = "({y} - CASE WHEN {m} > 2 THEN 0 ELSE 1 END)"
    MARCH_MONTH = "({m} + CASE WHEN {m} > 2 THEN -3 ELSE 9 END)"
    SQL = "(365 * {a} + {a} / 4 - {a} / 100 + {a} / 400 + (153 * {b} + 2) / 5 + {d})".format(
        a=MARCH_YEAR, b=MARCH_MONTH, d="{d}"
    )
    ORDER = re.findall(r"\{([ymd])\}", SQL)  # where each part's parameters go, in the order they are written

    def __init__(self, date: Combinable) -> None:
        parts = (ExtractYear(date), ExtractMonth(date), ExtractDay(date))
        super().__init__(*(Cast(part, IntegerField()) for part in parts))

    def as_sql(
        self,
        compiler: Any,
        connection: Any,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> tuple[str, tuple[Any, ...]]:
        compiled = dict(zip("ymd", (compiler.compile(part) for part in self.get_source_expressions()), strict=True))
        sql = self.SQL.format(**{name: part_sql for name, (part_sql, _) in compiled.items()})
        return sql, tuple(param for name in self.ORDER for param in compiled[name][1])


def day_number(field: str | Combinable) -> DayNumber:
    """`DayNumber` of a date column (by name) or expression."""
    return DayNumber(F(field) if isinstance(field, str) else field)


def local_today(zones: list[str], now: dt.datetime | None = None) -> Case:
    """Today's date in each patient's time zone (the zones in use, listed by the caller), for SQL comparing a
    patient's own dates: an assignment's end date is a date in the patient's time zone, not the server's."""
    import zoneinfo

    now = now or timezone.now()
    whens = [
        When(time_zone=zone, then=Value(timezone.localtime(now, zoneinfo.ZoneInfo(zone)).date()))
        for zone in sorted(zones)
    ]
    return Case(*whens, default=Value(now.astimezone(dt.UTC).date()), output_field=DateField())


def time_zones_in(qs: QuerySet[Patient]) -> list[str]:
    """The time zones of the patients of `qs` (one query), for `with_adherence` and `local_today`."""
    return list(qs.order_by().values_list("time_zone", flat=True).distinct())


def today_numbers(zones: Sequence[str], now: dt.datetime) -> tuple[int, ...]:
    """Today's day number in each of the zones (sorted), then in UTC: all `with_adherence` reads of `now`."""
    import zoneinfo

    days = [timezone.localtime(now, zoneinfo.ZoneInfo(zone)).date() for zone in sorted(zones)]
    return tuple(day_number_of(day) for day in [*days, now.astimezone(dt.UTC).date()])


def _today_numbers(zones: Sequence[str], now: dt.datetime) -> Case:
    """Today's day number in each patient's time zone (the zones in use, listed by the caller)."""
    *numbers, utc = today_numbers(zones, now)
    whens = [When(time_zone=zone, then=Value(number)) for zone, number in zip(sorted(zones), numbers, strict=True)]
    return Case(*whens, default=Value(utc), output_field=IntegerField())


# Program weeks count from week one by floor division of a day difference that is negative before week one; SQL's
# integer division truncates toward zero, so the difference is shifted by this many weeks first and the weeks
# taken away after (about 190 years: no day in the data is further before its week one).
SHIFT_WEEKS = 10_000

# Stands for "no end week" where the sooner of two weeks is taken (`Least`), so no argument of it is NULL (SQLite's
# MIN of a NULL is NULL, PostgreSQL's LEAST ignores it).
NO_END_WEEK = 1_000_000


def with_adherence(
    qs: QuerySet[Any],
    *,
    now: dt.datetime | None = None,
    zones_of: QuerySet[Patient] | None = None,
    zones: Sequence[str] | None = None,
) -> QuerySet[Any]:
    """Annotate each patient with `adherence_met` and `adherence_due` (activity-weeks of the open episode, rules 1
    and 3 of `patients.adherence`), and alias `adherence_band` for filtering (the page reads the band from the
    two counts, `adherence.Adherence`). Counted in the patients' time zones: `zones`, else one query first lists
    those in use (`time_zones_in` of `zones_of`, by default of `qs`). The patients are joined to their current
    episode's summary as `current_outcome` (`outcomes.with_current_outcome`, as the caseload's rows are), whose
    `week_one` the program weeks count from; only an open episode's activities count (a discharged patient has
    none due).

    Django writes an annotation out in full wherever another refers to it, so each is written to be referred to
    once where it can (`Least`, `Greatest`, `Coalesce` rather than a `Case` naming it in each branch): the query
    stays a few kilobytes of SQL instead of a hundred, which took longer to build and plan than to run."""
    now = now or timezone.now()
    if zones is None:
        zones = time_zones_in(qs if zones_of is None else zones_of)
    # Week one from the joined summary: a column, where a subquery over the open episode's assignments was written
    # out (and planned) again in each of the five places that count from it.
    week_one_number = day_number("current_outcome__week_one")
    activities = AssignmentItem.objects.filter(
        assignment__episode__patient=OuterRef("pk"),
        assignment__episode__ended_on__isnull=True,
        kind=AssignmentItem.Kind.ACTIVITY,
    ).order_by()
    # An activity's last week in the plan: its own end week, or, when its program was replaced, the week before
    # the one holding the program's end date (`Assignment.program_weeks`), whichever is sooner; NULL runs on.
    program_last = ExpressionWrapper(
        (day_number("assignment__ended_on") - OuterRef("adherence_week_one")) / 7, output_field=IntegerField()
    )
    activities = activities.annotate(
        last_week=Case(
            When(assignment__ended_on__isnull=True, then=F("end_week")),
            default=Least(Coalesce(F("end_week"), Value(NO_END_WEEK)), program_last),
            output_field=IntegerField(),
        )
    )
    # The weeks before the current one that each activity is active in: from its start week to its last week or
    # the last week passed, whichever is sooner; none when it starts later or its program ended before it began
    # (the count is then 0 or less). NULL before a week one.
    last_passed = OuterRef("adherence_week") - 1
    passed_weeks = Greatest(
        Value(0),
        Least(Coalesce(F("last_week"), Value(NO_END_WEEK)), last_passed) - F("start_week") + 1,
        output_field=IntegerField(),
    )
    passed = activities.values("assignment__episode__patient").annotate(n=Sum(passed_weeks)).values("n")
    active_now = (
        activities.filter(start_week__lte=OuterRef("adherence_week"))
        .alias(runs_to=Coalesce(F("last_week"), Value(NO_END_WEEK)))
        .filter(runs_to__gte=OuterRef("adherence_week"))
        .values("assignment__episode__patient")
        .annotate(n=Count("pk"))
        .values("n")
    )
    # The open episode's check-ins by its id (one probe of the episode, then its check-ins by episode and week), not
    # a join to the episode from each check-in of the patient.
    open_episodes = Episode.objects.filter(patient=OuterRef(OuterRef("pk")), ended_on__isnull=True).values("pk")
    checkins = CheckIn.objects.filter(patient=OuterRef("pk"), episode__in=open_episodes).order_by()
    met = checkins.filter(week__gte=1).values("patient").annotate(n=Sum("activities_met")).values("n")
    shift = 7 * SHIFT_WEEKS
    annotated = (
        qs.annotate(adherence_week_one=week_one_number)
        .annotate(
            # The current program week, 0 or less before week one (no week is then passed or current).
            adherence_week=ExpressionWrapper(
                (_today_numbers(zones, now) - F("adherence_week_one") + shift) / 7 - SHIFT_WEEKS + 1,
                output_field=IntegerField(),
            )
        )
        .annotate(
            adherence_met=Coalesce(Subquery(met[:1]), 0),
            adherence_due=Coalesce(Subquery(passed[:1]), 0)
            + Case(
                When(
                    Exists(checkins.filter(week=OuterRef("adherence_week"), week__gte=1)),
                    then=Coalesce(Subquery(active_now[:1]), 0),
                ),
                default=Value(0),
                output_field=IntegerField(),
            ),
        )
    )
    return annotated.alias(adherence_band=band_expression())


def band_expression() -> Case:
    """`adherence.adherence_band` in SQL, in integer arithmetic: met x 100 against 50 x due and 80 x due."""
    low = adherence.LOW.numerator * 100 // adherence.LOW.denominator
    high = adherence.HIGH.numerator * 100 // adherence.HIGH.denominator
    return Case(
        When(adherence_due__lte=0, then=Value(adherence.NO_DATA)),
        When(LessThan(F("adherence_met") * 100, F("adherence_due") * low), then=Value(adherence.UNDER_50)),
        When(LessThan(F("adherence_met") * 100, F("adherence_due") * high), then=Value(adherence.FROM_50)),
        default=Value(adherence.FROM_80),
        output_field=CharField(),
    )
