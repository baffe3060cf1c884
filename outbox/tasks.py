from celery import shared_task

from outbox import services


@shared_task(name="outbox.drain")
def drain_outbox() -> int:
    return services.drain()
