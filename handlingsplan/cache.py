"""The shared cache (CACHE_URL): Django's own Redis backend, which works with Redis and Valkey,
made to forgive an unreachable server.

Everything the app keeps in the cache can be made again: rendered pages and fragments, whose
keys carry the data version, and the accessibility feedback's counters, which only slow a flood.
Django's backend answers a cache server that is down, restarting or hanging with an exception,
which would turn every page into an error page. This one answers as an empty cache that keeps
nothing: the page is rendered from the database as if it had never been cached, and one WARNING
says so. After a failure it leaves the server alone for CACHE_RETRY_SECONDS, so a server that
hangs costs one wait of the socket timeout (CACHE_TIMEOUT), not one per cache call, and a
restarted server is used again after at most that long.
"""

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

CACHE_RETRY_SECONDS = 10

# The time until which each server (by its URL) is left alone; shared by the aliases that use
# the same server, so one failure is noticed once per process, not once per alias.
_down_until = {}


class SharedCache(RedisCache):
    def _server_down(self):
        return _down_until.get(self._server, 0) > time.monotonic()

    def _failed(self, exc):
        _down_until[self._server] = time.monotonic() + CACHE_RETRY_SECONDS
        logger.warning(
            "The cache server does not answer (%s: %s); pages are made without it for %s s.",
            type(exc).__name__,
            exc,
            CACHE_RETRY_SECONDS,
        )

    def _call(self, method, fallback, *args, **kwargs):
        if self._server_down():
            return fallback
        try:
            return getattr(super(), method)(*args, **kwargs)
        except RedisError as exc:
            self._failed(exc)
            return fallback

    @property
    def _server(self):
        return self._servers[0]

    def get(self, key, default=None, version=None):
        return self._call("get", default, key, default, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", {}, keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", False, key, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", False, key, value, timeout, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._call("set", None, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", [], data, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", False, key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", False, key, version)

    def delete_many(self, keys, version=None):
        self._call("delete_many", None, keys, version)

    def clear(self):
        return self._call("clear", False)

    def incr(self, key, delta=1, version=None):
        result = self._call("incr", None, key, delta, version)
        if result is None:
            # As for a key that is not there: the caller starts the count again with add().
            raise ValueError(f"Key '{key}' not found.")
        return result
