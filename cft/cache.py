"""Django's Redis cache, made safe to share a Redis database with the Celery broker (settings.CACHES).

- Django's `RedisCache.clear()` empties the whole Redis database (FLUSHDB): on the broker's database that would
  drop every queued task, an urgent alert email among them. This `clear()` deletes only the cache's own keys, those
  under its KEY_PREFIX (the test suite's prefix is per run, so a test run never touches another's keys either).
- The cache holds only throttle counts. While Redis cannot be reached, reads find nothing and writes are dropped
  (logged), so a Redis outage suspends the limits for its duration instead of failing every API request: a
  patient's check-in is still saved (the outbox keeps its tasks), and repeated failed passwords are still locked
  out by django-axes, which counts in the database."""

from __future__ import annotations

import logging
import re
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError)
_GLOB_SPECIALS = re.compile(r"([*?\[\]\\])")


class PrefixedRedisCache(RedisCache):
    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        try:
            return super().get(key, default, version)
        except UNREACHABLE as exc:
            logger.warning("Cache unreachable, read nothing (limits suspended): %s", type(exc).__name__)
            return default

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> None:
        try:
            super().set(key, value, timeout, version)
        except UNREACHABLE as exc:
            logger.warning("Cache unreachable, wrote nothing (limits suspended): %s", type(exc).__name__)

    def clear(self) -> None:
        client = self._cache.get_client(None, write=True)
        pattern = _GLOB_SPECIALS.sub(r"\\\1", self.key_prefix) + ":*"  # keys are "<prefix>:<version>:<key>"
        batch: list[bytes] = []
        for key in client.scan_iter(match=pattern, count=1000):
            batch.append(key)
            if len(batch) == 1000:
                client.delete(*batch)
                batch = []
        if batch:
            client.delete(*batch)
