from django.db import models


class OutboxMessage(models.Model):
    """A Celery task to publish, written in the same transaction as the change that causes it.

    If the broker is down when the transaction commits, the row stays unpublished and the beat-driven
    `drain_outbox` task (or the next successful publish) sends it later: the work is never lost.
    """

    task_name = models.CharField(max_length=200)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["created_at"], name="outbox_unpublished", condition=models.Q(published_at__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return f"{self.task_name} {self.kwargs}"
