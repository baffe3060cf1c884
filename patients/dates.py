"""Which program dates are plausible: a start date far from today is a typing error (0001-01-02 for 2001-01-02),
and its program week would not fit the check-in's `week` column, so every entry point refuses it."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone

# App rule: a program starts at most five years back (a clinic entering its long-term patients, whose 12-month
# and 3-year follow-ups the report keeps) and at most a year ahead (booked in advance).
STARTED_AT_MOST = dt.timedelta(days=5 * 366)
STARTS_AT_MOST = dt.timedelta(days=366)
# The largest week the `week` columns hold (PositiveSmallIntegerField): a computed week above it is a bad row.
MAX_PROGRAM_WEEK = 32767


def validate_program_start(day: dt.date, *, field: str | None = None, today: dt.date | None = None) -> None:
    """Django validator (forms, DRF fields and the service share it): `day` from STARTED_AT_MOST ago to
    STARTS_AT_MOST ahead of today. With `field`, the error names it (for a service's caller)."""
    today = today or timezone.localdate()
    earliest, latest = today - STARTED_AT_MOST, today + STARTS_AT_MOST
    if not earliest <= day <= latest:
        message = f"Choose a start date from {earliest} (five years ago) to {latest} (a year ahead)."
        raise ValidationError({field: message} if field else message, code="implausible_date")


def program_week(day: dt.date, week_one: dt.date | None) -> int | None:
    """The program week `day` falls in, counted in whole weeks from week one (the episode's first assignment's
    start date, `EpisodeQuerySet.with_week_one`); None before week one or when nothing is assigned."""
    if week_one is None or day < week_one:
        return None
    return (day - week_one).days // 7 + 1


class ProgramWeekOutOfRange(ValueError):
    """A stored start date puts today's program week beyond MAX_PROGRAM_WEEK (a row older than the check)."""


def checked_week(week: int | None) -> int | None:
    if week is not None and week > MAX_PROGRAM_WEEK:
        raise ProgramWeekOutOfRange("program week out of range")
    return week


def next_checkin_day(today: dt.date, weekday: int, *, checked_in: bool) -> dt.date:
    """The day of the patient's next check-in: their check-in weekday (Monday = 0), today included unless this
    week's check-in is already in."""
    days = (weekday - today.weekday()) % 7
    if days == 0 and checked_in:
        days = 7
    return today + dt.timedelta(days=days)
