from django_celery_beat.models import PeriodicTask

from cft.celery import app


def test_every_scheduled_task_is_a_registered_celery_task(db):
    app.loader.import_default_modules()
    scheduled = set(PeriodicTask.objects.values_list("task", flat=True))
    assert scheduled, "the beat schedule is created by data migrations"
    assert scheduled <= set(app.tasks)


def test_the_periodic_work_is_all_on_the_schedule(db):
    scheduled = set(PeriodicTask.objects.values_list("task", flat=True))
    assert {
        "reminders.dispatch_due_reminders",
        "reminders.dispatch_follow_ups",
        "reminders.send_therapist_digests",
        "outbox.drain",
        "patients.raise_missed_checkin_alerts",
        "reports.delete_expired_exports",
    } <= scheduled
