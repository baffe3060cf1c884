"""Missed check-ins are looked for every hour (at five past), not once a night: a patient's program week turns at
their own midnight, so a week missed is flagged within the hour after it ends in any time zone (UTC+05:45
included), not up to a day later. Re-running is safe: the task row is matched by name and updated."""

from django.db import migrations

NAME = "Raise missed check-in alerts"
TASK = "patients.raise_missed_checkin_alerts"
HOURLY = {"minute": "5", "hour": "*"}
NIGHTLY = {"minute": "30", "hour": "1"}  # 0002_beat_schedule's


def _schedule(apps, times):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        **times, day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
    )
    PeriodicTask.objects.update_or_create(name=NAME, defaults={"task": TASK, "crontab": crontab, "interval": None})


def hourly(apps, schema_editor):
    _schedule(apps, HOURLY)


def nightly(apps, schema_editor):
    _schedule(apps, NIGHTLY)


class Migration(migrations.Migration):
    dependencies = [
        ("reminders", "0004_reminder_claim"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(hourly, nightly)]
