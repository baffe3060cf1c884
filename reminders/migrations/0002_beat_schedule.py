"""The beat schedule, in the database (django-celery-beat's DatabaseScheduler), so clinic admins see it in the
admin and can pause a task there. Re-running is safe: rows are matched by name."""

from django.db import migrations

INTERVALS = [
    # name, task, every, period
    ("Dispatch due weekly reminders", "reminders.dispatch_due_reminders", 5, "minutes"),
    ("Dispatch follow-up reminders", "reminders.dispatch_follow_ups", 5, "minutes"),
    ("Drain the outbox", "outbox.drain", 1, "minutes"),
]
CRONTABS = [
    # name, task, minute, hour
    ("Therapists' daily digest", "reminders.send_therapist_digests", "0", "*"),
    ("Raise missed check-in alerts", "patients.raise_missed_checkin_alerts", "30", "1"),
]


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, every, period in INTERVALS:
        interval, _ = IntervalSchedule.objects.get_or_create(every=every, period=period)
        PeriodicTask.objects.update_or_create(name=name, defaults={"task": task, "interval": interval, "crontab": None})
    for name, task, minute, hour in CRONTABS:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute, hour=hour, day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
        )
        PeriodicTask.objects.update_or_create(name=name, defaults={"task": task, "crontab": crontab, "interval": None})


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    names = [row[0] for row in INTERVALS + CRONTABS]
    PeriodicTask.objects.filter(name__in=names).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reminders", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
