"""Which program dates are plausible: a start date far from today is a typing error (0001-01-02 for 2001-01-02),
and its program week would not fit the check-in's `week` column, so every entry point refuses it."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone

# App rule: a program starts within a year of today (back-dating a program begun before the app, or booking
# one ahead). The 12-week program and its 26-week booster fit easily.
START_WINDOW = dt.timedelta(days=366)
# The largest week the `week` columns hold (PositiveSmallIntegerField): a computed week above it is a bad row.
MAX_PROGRAM_WEEK = 32767


def validate_program_start(day: dt.date, *, field: str | None = None, today: dt.date | None = None) -> None:
    """Django validator (forms, DRF fields and the service share it): `day` within START_WINDOW of today.
    With `field`, the error names it (for a service's caller)."""
    today = today or timezone.localdate()
    if not today - START_WINDOW <= day <= today + START_WINDOW:
        message = f"Choose a start date within a year of today ({today - START_WINDOW} to {today + START_WINDOW})."
        raise ValidationError({field: message} if field else message, code="implausible_date")


class ProgramWeekOutOfRange(ValueError):
    """A stored start date puts today's program week beyond MAX_PROGRAM_WEEK (a row older than the check)."""


def checked_week(week: int | None) -> int | None:
    if week is not None and week > MAX_PROGRAM_WEEK:
        raise ProgramWeekOutOfRange("program week out of range")
    return week
