"""Reaching the suite's broker from a test: point the Celery app at another broker, and take what waits in the
default queue (on either broker the suite runs: SQLAlchemy transport or Redis)."""

from __future__ import annotations

import contextlib
import queue
from collections.abc import Iterator

import kombu.pools

from cft.celery import app


@contextlib.contextmanager
def broker_at(url: str, settings) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Point Django's setting and the Celery app at `url` (publishing reads `broker_write_url`), dropping pooled
    connections to the old broker; put everything back afterwards."""
    saved = (settings.CELERY_BROKER_URL, app.conf.broker_url, app.conf.broker_write_url)

    def point(django_url: str, broker_url: str, write_url: str) -> None:
        settings.CELERY_BROKER_URL = django_url
        app.conf.update(broker_url=broker_url, broker_write_url=write_url)
        # Celery caches a connection pool and kombu a producer pool per connection: close and forget both, so
        # the next publish connects to `write_url` through fresh pools.
        kombu.pools.reset()
        app._pool = None
        app.amqp._producer_pool = None

    point(url, url, url)
    try:
        yield
    finally:
        point(*saved)


def take_waiting() -> list[tuple[str, dict, str]]:
    """Take every message waiting in Celery's default queue: (task name, kwargs, task id) each (Celery's message
    protocol 2: headers name the task and its id, the body is [args, kwargs, embed])."""
    found = []
    with app.connection_for_write() as connection:
        waiting = connection.SimpleQueue(app.conf.task_default_queue)
        try:
            while True:
                message = waiting.get(block=True, timeout=1)
                message.ack()
                _, kwargs, _ = message.decode()
                found.append((message.headers.get("task"), kwargs, message.headers.get("id")))
        except queue.Empty:
            pass
        finally:
            waiting.close()
    return found
