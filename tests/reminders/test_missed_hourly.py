"""Missed check-ins are flagged within the hour after the patient's program week ends, in their own time zone,
not only by a nightly run (reminders/migrations/0005_missed_checkins_hourly.py)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from celery.schedules import crontab
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from patients import services
from patients.models import Alert
from tests.factories import EpisodeFactory, PatientFactory, builtin_program


def beat_runs(after: dt.datetime, within: dt.timedelta) -> list[dt.datetime]:
    """The times the missed check-in job runs in (after, after + within], from the beat schedule in the database."""
    row = PeriodicTask.objects.get(task="patients.raise_missed_checkin_alerts", enabled=True).crontab
    schedule = crontab(minute=row.minute, hour=row.hour)
    start = after.astimezone(dt.UTC).replace(second=0, microsecond=0)
    minutes = (start + dt.timedelta(minutes=n) for n in range(1, int(within.total_seconds() // 60) + 1))
    return [t for t in minutes if t.minute in schedule.minute and t.hour in schedule.hour]


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Kathmandu", "Europe/Oslo", "Pacific/Auckland"])
def test_two_missed_weeks_are_flagged_within_the_hour_after_the_second_ends(db, zone):
    patient = PatientFactory(time_zone=zone)
    start = timezone.localdate() - dt.timedelta(weeks=2)
    episode = EpisodeFactory(patient=patient, started_on=start)
    services.assign_program(episode=episode, program=builtin_program(), start_date=start)
    week_three = dt.datetime.combine(start + dt.timedelta(weeks=2), dt.time(0), tzinfo=zoneinfo.ZoneInfo(zone))

    assert services.raise_missed_checkin_alerts(now=week_three - dt.timedelta(minutes=1)) == 0  # week 2 not over
    runs = beat_runs(week_three, dt.timedelta(hours=1))
    assert runs, f"no run of the missed check-in job in the hour after {week_three.isoformat()}"
    assert services.raise_missed_checkin_alerts(now=runs[0]) == 1
    assert Alert.objects.get(patient=patient, kind=Alert.Kind.MISSED).weeks == [2]
    assert services.raise_missed_checkin_alerts(now=runs[0] + dt.timedelta(hours=1)) == 0  # hourly, raised once


def test_the_schedule_migration_can_run_again(db):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("reminders.migrations.0005_missed_checkins_hourly")
    migration.hourly(apps, None)
    migration.hourly(apps, None)
    assert PeriodicTask.objects.filter(task="patients.raise_missed_checkin_alerts").count() == 1
