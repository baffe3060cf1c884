"""The due-time rule as a pure function of (now, patients): whole weeks of dispatcher ticks, no database."""

import datetime as dt
import random
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass

import pytest

from reminders.schedule import backoff_seconds, due_instant, select_due

HOUR = dt.timedelta(hours=1)
TICK = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class P:
    name: str
    time_zone: str
    checkin_weekday: int
    checkin_hour: int


def run_week(patients, zone_name, monday, tick=TICK):
    """Dispatcher ticks every 5 minutes from Monday 00:00 to the next Monday 00:00 local; returns, per patient,
    the local times of the ticks that selected it."""
    zone = zoneinfo.ZoneInfo(zone_name)
    start = dt.datetime.combine(monday, dt.time(0), tzinfo=zone).astimezone(dt.UTC)
    end = dt.datetime.combine(monday + dt.timedelta(days=7), dt.time(0), tzinfo=zone).astimezone(dt.UTC)
    hits = defaultdict(list)
    now = start
    while now < end:
        for patient, _due in select_due(now, patients, HOUR):
            hits[patient].append(now.astimezone(zoneinfo.ZoneInfo(patient.time_zone)))
        now += tick
    return hits


def everyone(zone_name):
    return [P(f"{zone_name}-{d}-{h}", zone_name, d, h) for d in range(7) for h in range(24)]


# (zone, Monday of the week whose Sunday has the change, the hour that is missing or repeated that Sunday)
DST_WEEKS = [
    ("Europe/Oslo", dt.date(2025, 3, 24), "spring", 2),
    ("Europe/Oslo", dt.date(2025, 10, 20), "autumn", 2),
    ("America/New_York", dt.date(2025, 3, 3), "spring", 2),
    ("America/New_York", dt.date(2025, 10, 27), "autumn", 1),
]


@pytest.mark.parametrize(("zone", "monday", "season", "changed_hour"), DST_WEEKS)
def test_each_patient_is_reminded_once_in_a_daylight_saving_week(zone, monday, season, changed_hour):
    patients = everyone(zone)
    hits = run_week(patients, zone, monday)
    for patient in patients:
        # Several ticks fall inside the window; the dispatcher's unique row makes the first one count. What the
        # pure rule must give: every tick that selects a patient is inside one single due window.
        times = hits[patient]
        assert times, f"{patient.name} was never due"
        first = times[0]
        assert all(t.astimezone(dt.UTC) - first.astimezone(dt.UTC) < HOUR for t in times), times
        assert first.weekday() == patient.checkin_weekday
        sunday_gap = season == "spring" and patient.checkin_weekday == 6 and patient.checkin_hour == changed_hour
        expected_hour = changed_hour + 1 if sunday_gap else patient.checkin_hour
        assert first.hour == expected_hour, f"{patient.name} first due at {first}"


def test_a_chosen_hour_that_does_not_exist_is_reminded_once_just_after_the_gap():
    # 2025-03-30 in Oslo: 02:00-02:59 does not exist. A 02:30 tick never happens; 03:00 local is the first instant.
    due = due_instant(dt.date(2025, 3, 30), 2, "Europe/Oslo")
    assert due == dt.datetime(2025, 3, 30, 1, 0, tzinfo=dt.UTC)
    patient = P("gap", "Europe/Oslo", 6, 2)
    hits = run_week([patient], "Europe/Oslo", dt.date(2025, 3, 24))
    assert [t.strftime("%H:%M") for t in hits[patient]][0] == "03:00"
    assert len({t.hour for t in hits[patient]}) == 1


def test_a_chosen_hour_that_happens_twice_is_reminded_only_in_its_first_occurrence():
    # 2025-11-02 in New York: 01:00-01:59 happens twice (EDT, then EST).
    patient = P("twice", "America/New_York", 6, 1)
    hits = run_week([patient], "America/New_York", dt.date(2025, 10, 27))
    offsets = {t.utcoffset() for t in hits[patient]}
    assert offsets == {dt.timedelta(hours=-4)}  # only the EDT pass, not the repeated EST hour
    assert len(hits[patient]) == 12  # every 5-minute tick of that one hour, none of the second


def test_two_hundred_patients_in_five_time_zones_are_each_due_once_at_their_local_hour():
    rng = random.Random(8)
    zones = ["Europe/Oslo", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "America/Los_Angeles"]
    patients = [P(f"p{i}", zones[i % 5], rng.randrange(7), rng.randrange(24)) for i in range(200)]
    # An ordinary week (no change in any of the five zones), ticked in UTC over 8 days to cover every offset.
    start = dt.datetime(2025, 6, 2, tzinfo=dt.UTC)
    hits = defaultdict(list)
    now = start
    while now < start + dt.timedelta(days=8):
        for patient, due in select_due(now, patients, HOUR):
            hits[patient].append(due.due_at)
        now += TICK
    for patient in patients:
        windows = set(hits[patient])
        # Eight days can hold the same weekday twice only when the first lies in the first day.
        assert 1 <= len(windows) <= 2
        for due_at in windows:
            local = due_at.astimezone(zoneinfo.ZoneInfo(patient.time_zone))
            assert (local.weekday(), local.hour, local.minute) == (patient.checkin_weekday, patient.checkin_hour, 0)
        if len(windows) == 2:
            assert max(windows) - min(windows) == dt.timedelta(days=7)


def test_patients_not_at_their_hour_are_not_selected():
    now = dt.datetime(2025, 6, 4, 7, 10, tzinfo=dt.UTC)  # Wednesday 09:10 in Oslo, 03:10 in New York
    due = P("due", "Europe/Oslo", 2, 9)
    others = [P("later", "Europe/Oslo", 2, 10), P("other day", "Europe/Oslo", 3, 9), P("ny", "America/New_York", 2, 9)]
    assert [p for p, _ in select_due(now, [due, *others], HOUR)] == [due]


def test_now_must_be_aware():
    with pytest.raises(ValueError, match="aware"):
        select_due(dt.datetime(2025, 6, 4, 7), [], HOUR)  # noqa: DTZ001


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    assert backoff_seconds(1, base=60, cap=1800, rand=0.0) == 30
    assert backoff_seconds(1, base=60, cap=1800, rand=0.999) == pytest.approx(60, abs=0.1)
    assert backoff_seconds(3, base=60, cap=1800, rand=0.0) == 120
    assert backoff_seconds(10, base=60, cap=1800, rand=0.5) == 1350
