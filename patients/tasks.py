from celery import shared_task

from patients import services


@shared_task(name="patients.raise_missed_checkin_alerts")
def raise_missed_checkin_alerts() -> int:
    return services.raise_missed_checkin_alerts()
