import os
from typing import Any

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cft.settings")

app = Celery("cft")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.after_setup_logger.connect
@signals.after_setup_task_logger.connect
def redact_worker_logs(logger: Any, **kwargs: Any) -> None:
    """A worker replaces the root logger's handlers (and gives task loggers their own): each gets the filters the
    web's handler has (cft/settings.py LOGGING), so a worker's log holds no link token either."""
    from cft.logs import OneLineClientErrors, RedactLinkTokens

    for handler in logger.handlers:
        for kind in (OneLineClientErrors, RedactLinkTokens):
            if not any(isinstance(existing, kind) for existing in handler.filters):
                handler.addFilter(kind())
