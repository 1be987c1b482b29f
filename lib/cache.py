"""Redis for the cache and counters, when Redis may be down: short timeouts, no retries, a miss.

`ForgivingRedisCache` is Django's `RedisCache` whose reads and stores treat a Redis error as a
miss (get → the default, set/add → not stored), so public pages render from PostgreSQL while
Redis is down. After an error the cache does not ask Redis again for `PAUSE_SECONDS`, so a page
with several cache calls costs one timeout at most, and the log gets one line per pause rather
than one per call. Invalidations (`delete`, `incr`, `clear`) still raise: a version bump or a
rate-limit count that silently failed would serve stale pages or let a form through, so their
callers fail closed (the site-wide 503 in diplomacy/unavailable.py).

`ForgivingRedisCache` is a `OneClientRedisCache`, as is the page cache (lib/page_cache.py):
Django's `RedisCache` builds a new `redis.Redis` client (and its table of ~200 reply handlers)
for every call, which cost a page-cache hit more than its own work; one client per connection
pool is enough (it takes a connection from the pool for each command: as safe to share as the
pool).

`quick_redis(url)` is a plain client with the same short timeouts and no retries, for the
health check and the listing view counts.
"""

from __future__ import annotations

import logging
import time

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)

# Seconds to wait for Redis: it answers in well under a millisecond when it is healthy.
CONNECT_TIMEOUT = 0.5
SOCKET_TIMEOUT = 1.0
# After an error, Redis is not asked again for this long (per process).
PAUSE_SECONDS = 1.0
# The errors that mean "Redis is not there" (not a bug in the caller): refused, reset, timed out,
# still loading its data after a restart.
UNAVAILABLE = (redis.ConnectionError, redis.TimeoutError, OSError)

CACHE_OPTIONS = {
    "socket_connect_timeout": CONNECT_TIMEOUT,
    "socket_timeout": SOCKET_TIMEOUT,
    "retry": Retry(NoBackoff(), 0),
}


def quick_redis(url: str) -> redis.Redis:
    """A Redis client that gives up fast: short timeouts, no retries."""
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=CONNECT_TIMEOUT,
        socket_timeout=SOCKET_TIMEOUT,
        retry=Retry(NoBackoff(), 0),
    )


class OneClientRedisCacheClient(RedisCacheClient):
    """Django's client maker, keeping the client it made for each connection pool."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, redis.Redis] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class OneClientRedisCache(RedisCache):
    """Django's Redis cache with one client per connection pool rather than one per call."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = OneClientRedisCacheClient


class ForgivingRedisCache(OneClientRedisCache):
    """Django's Redis cache for which Redis being down is a miss, never an error."""

    def __init__(self, server, params):
        params = {**params, "OPTIONS": {**CACHE_OPTIONS, **params.get("OPTIONS", {})}}
        super().__init__(server, params)
        self._paused_until = 0.0

    def _available(self) -> bool:
        return time.monotonic() >= self._paused_until

    def _failed(self, operation: str, error: Exception) -> None:
        if self._available():
            logger.warning(
                "Redis cache unavailable (%s: %s); treating it as a miss for %.0f s",
                operation,
                error,
                PAUSE_SECONDS,
            )
        self._paused_until = time.monotonic() + PAUSE_SECONDS

    def _forgiving(self, fallback, method, *args):
        if not self._available():
            return fallback
        try:
            return method(*args)
        except UNAVAILABLE as error:
            self._failed(method.__name__, error)
            return fallback

    def _strict(self, method, *args):
        if not self._available():
            raise redis.ConnectionError("Redis was unreachable moments ago")
        try:
            return method(*args)
        except UNAVAILABLE as error:
            self._failed(method.__name__, error)
            raise

    # Reads and stores: a miss.
    def get(self, key, default=None, version=None):
        return self._forgiving(default, super().get, key, default, version)

    def get_many(self, keys, version=None):
        return self._forgiving({}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._forgiving(False, super().has_key, key, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._forgiving(None, super().set, key, value, timeout, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._forgiving(False, super().add, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._forgiving(list(data), super().set_many, data, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._forgiving(False, super().touch, key, timeout, version)

    # Invalidations and counters: an error, so that callers fail closed.
    def incr(self, key, delta=1, version=None):
        return self._strict(super().incr, key, delta, version)

    def delete(self, key, version=None):
        return self._strict(super().delete, key, version)

    def delete_many(self, keys, version=None):
        return self._strict(super().delete_many, keys, version)

    def clear(self):
        return self._strict(super().clear)
