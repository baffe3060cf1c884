"""The program week, counted once (patients.dates.program_week) for episodes, the caseload, reminders and reports."""

import datetime as dt

from patients.dates import program_week


def test_program_week_counts_from_the_first_assignment():
    start = dt.date(2025, 6, 2)
    assert program_week(dt.date(2025, 6, 1), start) is None
    assert program_week(start, start) == 1
    assert program_week(dt.date(2025, 6, 8), start) == 1
    assert program_week(dt.date(2025, 6, 9), start) == 2
    assert program_week(start, None) is None
