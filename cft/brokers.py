"""The Celery transport options each broker accepts.

Transports take their options from one dict, and some hand it on: kombu's SQLAlchemy transport passes every
option it does not know to SQLAlchemy's `create_engine`, which refuses the rest (`visibility_timeout` made the
worker die at start). So each transport gets only the options it understands.
"""

from __future__ import annotations

from typing import Any

# A request must never hang on a down broker: publishing gives up fast and the outbox keeps the work.
# kombu reads these retry options on every transport (the SQLAlchemy one removes them before create_engine).
PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}

# Transports with a visibility timeout: how long an unacknowledged task (its worker killed outright) waits
# before another worker gets it. The SQLAlchemy transport has none (docs/reminders.md: the stale sweep).
VISIBILITY_TIMEOUT_SCHEMES = {"redis", "rediss", "sqs"}


def scheme(broker_url: str) -> str:
    """The transport's name: `sqla+sqlite:///x` -> `sqla`, `redis://h` -> `redis`."""
    return broker_url.split(":", 1)[0].split("+", 1)[0].lower()


def broker_transport_options(broker_url: str, *, visibility_timeout: int) -> dict[str, Any]:
    options: dict[str, Any] = dict(PUBLISH_RETRY)
    if scheme(broker_url) in VISIBILITY_TIMEOUT_SCHEMES:
        options["visibility_timeout"] = visibility_timeout
    return options
