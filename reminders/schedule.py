"""When a weekly reminder is due, in the patient's own time zone. Pure: no Django import.

A patient chooses a weekday and an hour. The reminder is *due* at that local wall-clock time, resolved to one
instant, and stays due for `window` (the dispatcher ticks every few minutes inside it; the unique Reminder row
makes every tick after the first a no-op). Daylight-saving changes:

- a chosen hour that does not exist that day (02:00-02:59 on a spring-forward night) resolves with fold=0 to the
  first instant after the gap (03:00 local), so the patient is still reminded once, an hour "late" by the clock;
- a chosen hour that happens twice (autumn) resolves with fold=0 to its first occurrence only.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

UTC = dt.UTC


@dataclass(frozen=True)
class Slot:
    """One (time zone, weekday, hour) choice. Every patient who chose it is due at the same instant."""

    time_zone: str
    weekday: int  # Monday = 0, as datetime.weekday()
    hour: int


@dataclass(frozen=True)
class DueSlot:
    slot: Slot
    local_date: dt.date  # the check-in day in the patient's calendar
    due_at: dt.datetime  # aware, UTC


class HasSlot(Protocol):
    time_zone: str
    checkin_weekday: int
    checkin_hour: int


@lru_cache(maxsize=512)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def due_instant(local_date: dt.date, hour: int, time_zone: str) -> dt.datetime:
    """The UTC instant of `hour`:00 on `local_date` in `time_zone` (fold=0; see the module docstring)."""
    local = dt.datetime.combine(local_date, dt.time(hour), tzinfo=_zone(time_zone))
    # Round-tripping through UTC normalises a non-existent wall time to the real instant after the gap.
    return local.astimezone(UTC)


def due_slots(now: dt.datetime, time_zones: Iterable[str], window: dt.timedelta) -> list[DueSlot]:
    """Every slot whose due instant lies in (now - window, now]: the reminders that go out on this tick."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    earliest = now - window
    found: list[DueSlot] = []
    for name in sorted(set(time_zones)):
        zone = _zone(name)
        first = (earliest - dt.timedelta(days=1)).astimezone(zone).date()
        last = now.astimezone(zone).date()
        day = first
        while day <= last:
            for hour in range(24):
                due_at = due_instant(day, hour, name)
                if earliest < due_at <= now:
                    found.append(DueSlot(Slot(name, day.weekday(), hour), day, due_at))
            day += dt.timedelta(days=1)
    return found


def select_due[P: HasSlot](now: dt.datetime, patients: Iterable[P], window: dt.timedelta) -> list[tuple[P, DueSlot]]:
    """The patients due on this tick, each with its slot. Same rule as the dispatcher's SQL filter, which is
    built from `due_slots`; this form exists so the rule can be tested over whole weeks without a database."""
    patients = list(patients)
    by_slot = {due.slot: due for due in due_slots(now, {p.time_zone for p in patients}, window)}
    chosen = []
    for patient in patients:
        due = by_slot.get(Slot(patient.time_zone, patient.checkin_weekday, patient.checkin_hour))
        if due is not None:
            chosen.append((patient, due))
    return chosen


def backoff_seconds(attempt: int, *, base: float, cap: float, rand: float) -> float:
    """Exponential backoff with "equal" jitter: uniform in [c/2, c] where c = min(cap, base * 2**(attempt-1)) and
    `rand` is in [0, 1). Half is always waited (a refusing server gets real rest); the other half spreads the
    retries of a batch that failed together, so they do not return in lock step."""
    ceiling = min(cap, base * (2 ** max(attempt - 1, 0)))
    return ceiling / 2 + ceiling / 2 * rand
