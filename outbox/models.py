from django.db import models


class OutboxMessage(models.Model):
    """A Celery task to publish, written in the same transaction as the change that causes it, and kept until the
    task has run.

    If the broker is down when the transaction commits, the row stays unpublished and the beat-driven
    `drain_outbox` task (or the next successful publish) sends it later. A published task carries the row's id in
    its task id; the worker marks the row done when the task succeeds (`outbox.signals`). A row still not done by
    `confirm_by` (its message lost with a broker that restarted empty, or a worker that died) is published again
    by the same drain, so the work is never lost: every task queued here is safe to run twice (each effect has its
    own exactly-once record: the alert's notification, the export job's status, the reminder's claim).
    """

    task_name = models.CharField(max_length=200)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # When the task should have run by: publish time (or a retry's due time) plus OUTBOX_REDELIVER_AFTER_SECONDS.
    confirm_by = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)  # publishes tried, broker outages included
    failures = models.PositiveIntegerField(default=0)  # runs that raised; at OUTBOX_MAX_FAILURES it is given up
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["created_at"], name="outbox_unpublished", condition=models.Q(published_at__isnull=True)
            ),
            models.Index(
                fields=["confirm_by"],
                name="outbox_unconfirmed",
                condition=models.Q(done_at__isnull=True, published_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_name} {self.kwargs}"
