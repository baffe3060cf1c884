from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from kombu import Connection, Queue


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def broker_ok() -> bool:
    """The broker answers a real operation: declaring the default queue (the worker declares it too). Connecting
    alone proves nothing on kombu's SQLAlchemy transport, which opens its database only when first used."""
    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            with conn.channel() as channel:
                Queue(settings.CELERY_TASK_DEFAULT_QUEUE, durable=True, auto_delete=False).queue_declare(
                    channel=channel
                )
        return True
    except Exception:
        return False


def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the broker both answer; 503 naming the part that does not."""
    parts = {"database": "ok" if database_ok() else "down", "broker": "ok" if broker_ok() else "down"}
    healthy = all(value == "ok" for value in parts.values())
    return JsonResponse({"status": "ok" if healthy else "degraded", **parts}, status=200 if healthy else 503)
