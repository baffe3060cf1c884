from celery import shared_task

from reports import services


@shared_task(name="reports.run_export")
def run_export(job_id: int) -> str:
    return services.run_export(job_id).status


@shared_task(name="reports.delete_expired_exports")
def delete_expired_exports() -> int:
    return services.delete_expired_exports()
