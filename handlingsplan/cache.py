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

Every value is signed with the SECRET_KEY (SignedSerializer): Django's backend stores values
with pickle, and loading a pickle runs whatever code its writer chose, so anyone who could write
to the cache server (a reachable port, a leaked password) could run code in every instance and
put any HTML into the public pages. A value without a valid signature is ignored as a miss and
a WARNING says so; the page is rendered from the database and stored again, signed. The value is
stored together with its own full key (alias prefix, version, key), and read only under that
key: a signed value copied to another key (a signed-in page's part onto a public page's key, one
open data file onto another's) is a miss too.
"""

import logging
import pickle
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from django.utils.crypto import constant_time_compare, salted_hmac
from redis.exceptions import RedisError, ResponseError

logger = logging.getLogger(__name__)

CACHE_RETRY_SECONDS = 10

# The time until which each server (by its URL) is left alone; shared by the aliases that use
# the same server, so one failure is noticed once per process, not once per alias.
_down_until = {}


class ForgedValue(Exception):
    """A value in the cache server that this app did not write (no valid signature)."""


class SignedSerializer:
    """pickle, with each value signed: b"hp1:" + HMAC-SHA256 (32 bytes) + the pickle. Only a
    value whose signature matches is ever unpickled. Integers are signed too, so a forged
    number cannot stand in for a page."""

    PREFIX = b"hp1:"
    raw_integers = False

    def __init__(self, protocol=None):
        self.protocol = pickle.HIGHEST_PROTOCOL if protocol is None else protocol

    @staticmethod
    def _mac(payload):
        return salted_hmac("handlingsplan.cache", payload, algorithm="sha256").digest()

    def dumps(self, obj):
        if self.raw_integers and type(obj) is int:
            return obj
        payload = pickle.dumps(obj, self.protocol)
        return self.PREFIX + self._mac(payload) + payload

    def loads(self, data):
        if self.raw_integers:
            try:
                return int(data)
            except ValueError:
                pass
        start = len(self.PREFIX)
        mac, payload = data[start : start + 32], data[start + 32 :]
        if not data.startswith(self.PREFIX) or not constant_time_compare(mac, self._mac(payload)):
            raise ForgedValue
        return pickle.loads(payload)  # noqa: S301 (signed by this app: see the class)


class CounterSerializer(SignedSerializer):
    """For the counters alias: integers stay plain numbers, as Django's own serializer keeps
    them, so that incr() is one atomic INCR in the server. A forged number can only change a
    count (a flood limit), never run code or stand in for a page."""

    raw_integers = True


# Asked of the server in place of the caller's default, to tell "not there" from a stored None.
_MISSING = object()


class SharedCache(RedisCache):
    # The backend chooses its serializer, so that what is signed and what is stored plain
    # (SharedCounters' integers) is said once, here, not in settings beside it.
    serializer = SignedSerializer

    def __init__(self, server, params):
        super().__init__(server, params)
        self._options = {**self._options, "serializer": self.serializer}

    @property
    def plain_integers(self):
        return self.serializer.raw_integers

    def _seal(self, key, value, version):
        if self.plain_integers and type(value) is int:
            return value
        return (self.make_and_validate_key(key, version=version), value)

    def _unseal(self, key, stored, version, default):
        if self.plain_integers and type(stored) is int:
            return stored
        if (
            type(stored) is tuple
            and len(stored) == 2
            and stored[0] == self.make_and_validate_key(key, version=version)
        ):
            return stored[1]
        self._forged()
        return default

    @staticmethod
    def _forged():
        logger.warning(
            "A value in the cache server has no valid signature or sits under another key than "
            "its own, and was ignored: something other than this app (with this SECRET_KEY) "
            "wrote to the cache server."
        )

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
        except ResponseError as exc:
            # The server answered, with a refusal (an INCR of a value that is no number): not
            # a server that is down.
            logger.warning("The cache server refused %s: %s", method, exc)
            return fallback
        except RedisError as exc:
            self._failed(exc)
            return fallback
        except ForgedValue:
            self._forged()
            return fallback

    @property
    def _server(self):
        return self._servers[0]

    def get(self, key, default=None, version=None):
        stored = self._call("get", _MISSING, key, _MISSING, version)
        if stored is _MISSING:
            return default
        return self._unseal(key, stored, version, default)

    def get_many(self, keys, version=None):
        found = self._call("get_many", {}, keys, version)
        values = {
            key: self._unseal(key, stored, version, _MISSING) for key, stored in found.items()
        }
        return {key: value for key, value in values.items() if value is not _MISSING}

    def has_key(self, key, version=None):
        return self._call("has_key", False, key, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", False, key, self._seal(key, value, version), timeout, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._call("set", None, key, self._seal(key, value, version), timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        sealed = {key: self._seal(key, value, version) for key, value in data.items()}
        return self._call("set_many", [], sealed, timeout, version)

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
            # As for a key that is not there: the caller starts the count again with add(). A
            # value that is no number (not written by this app) goes first, so that add() can.
            self._call("delete", False, key, version)
            raise ValueError(f"Key '{key}' not found.")
        return result


class SharedCounters(SharedCache):
    """The counters alias: plain integers, one atomic INCR each (CounterSerializer)."""

    serializer = CounterSerializer
