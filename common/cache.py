"""Multi-tier cache from the seed: Redis first, in-process memory while Redis is unreachable.

After a Redis error the cache serves from memory for `retry_after` seconds before trying Redis
again, so an outage costs one short socket timeout per window rather than one per call.
Every get() counts a hit or a miss in common.metrics.

Django builds a cache backend per thread or async context, which under ASGI means once per request.
The Redis client and the outage pause are therefore kept per process (`_Tiers`), shared by every
instance with the same configuration: building a django-redis client took about 0.12 ms of CPU per
request, and a pause that lived only as long as one request would not have spared the next one.
"""
from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Iterable
from typing import Any, overload

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.locmem import LocMemCache
from redis.exceptions import NoScriptError

from .metrics import metrics

log = logging.getLogger(__name__)
_MISSING = object()


# The rate limiter's counters in one command: INCR the current window (setting its expiry when it is
# created: the key names its window, so the first expiry is the only one it needs), and read the previous
# window and one more key (the revocation epoch). Atomic, and one reply to parse instead of four.
_INCR_AND_GET = b"""local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('GET', KEYS[2]) or '', redis.call('GET', KEYS[3]) or ''}"""
_INCR_AND_GET_SHA = hashlib.sha1(_INCR_AND_GET, usedforsecurity=False).hexdigest().encode()  # Redis names scripts by SHA-1


def _command(*parts: bytes) -> bytes:
    """One Redis command in the wire protocol (RESP): redis-py's general packer costs several times more."""
    return b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(part), part) for part in parts)


class _Tiers:
    """What every FallbackCache instance with one configuration shares within a process."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS") or {})
        self.retry_after = float(options.pop("retry_after", 5.0))
        self.memory = LocMemCache("stylus-fallback", {"TIMEOUT": params.get("TIMEOUT", 300), "OPTIONS": {"MAX_ENTRIES": 20000}})
        self.redis: Any = None  # django_redis's RedisCache (untyped) when a server is configured
        self.down_until = 0.0
        if server:
            from django_redis.cache import RedisCache

            options.setdefault("SOCKET_CONNECT_TIMEOUT", 0.25)
            options.setdefault("SOCKET_TIMEOUT", 0.5)
            self.redis = RedisCache(server, {**params, "OPTIONS": options, "BACKEND": "django_redis.cache.RedisCache"})


_tiers: dict[str, _Tiers] = {}
_tiers_lock = threading.Lock()


class FallbackCache(BaseCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(params)
        key = f"{server}|{params!r}"
        tiers = _tiers.get(key)
        if tiers is None:
            with _tiers_lock:
                tiers = _tiers.get(key) or _tiers.setdefault(key, _Tiers(server, params))
        self._tiers = tiers
        self.retry_after = tiers.retry_after
        self._memory = tiers.memory
        self._redis: Any = tiers.redis

    @property
    def _down_until(self) -> float:
        return self._tiers.down_until

    @_down_until.setter
    def _down_until(self, value: float) -> None:
        self._tiers.down_until = value

    # -- tier selection ---------------------------------------------------------------------
    @property
    def status(self) -> str:
        if self._redis is None:
            return "memory"
        return "memory-fallback" if time.monotonic() < self._down_until else "redis"

    @property
    def _redis_up(self) -> bool:
        """A Redis tier exists and is not in its post-error pause."""
        return self._redis is not None and time.monotonic() >= self._down_until

    def _redis_failed(self, exc: BaseException) -> None:
        log.warning("Redis cache unavailable (%s); serving from memory for %ss", exc.__class__.__name__, self.retry_after)
        self._down_until = time.monotonic() + self.retry_after

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if self._redis_up:
            try:
                return getattr(self._redis, name)(*args, **kwargs)
            except Exception as exc:  # ConnectionError, TimeoutError, ...: fall back
                if isinstance(exc, (ValueError, TypeError)):
                    raise
                self._redis_failed(exc)
        return getattr(self._memory, name)(*args, **kwargs)

    @overload
    def incr_and_get(self, key: str, other: str, *, timeout: int) -> tuple[int, int]: ...

    @overload
    def incr_and_get(self, key: str, other: str, *, timeout: int, also: str) -> tuple[int, int, int]: ...

    def incr_and_get(self, key: str, other: str, *, timeout: int,
                     also: str | None = None) -> tuple[int, int] | tuple[int, int, int]:
        """Adds 1 to the counter at `key` (created to expire after `timeout` seconds) and reads the
        counter at `other` (and the integer at `also`, when given): one Redis round trip, atomic for the
        increment. A rate limiter's hot path; `also` lets it read the revocation epoch on the same trip."""
        if self._redis_up:
            try:
                count, previous, extra = self._redis_incr_and_get(key, other, also, timeout)
                if also is None:
                    return count, self._int(previous)
                return count, self._int(previous), self._int(extra)
            except Exception as exc:
                self._redis_failed(exc)
        self._memory.add(key, 0, timeout)
        try:
            count = self._memory.incr(key)
        except ValueError:  # expired between add() and incr()
            self._memory.set(key, 1, timeout)
            count = 1
        if also is None:
            return count, int(self._memory.get(other) or 0)
        return count, int(self._memory.get(other) or 0), int(self._memory.get(also) or 0)

    def _redis_incr_and_get(self, key: str, other: str, also: str | None, timeout: int) -> tuple[int, bytes, bytes]:
        """The script above, sent by hand on a pooled connection (this runs on every API request; redis-py's
        pipeline and command machinery cost about 50 us of CPU a call, this about 15)."""
        keys = [self._redis.make_key(k).encode() for k in (key, other, also or other)]
        pool = self._redis.client.get_client(write=True).connection_pool
        conn = pool.get_connection()
        try:
            conn.send_packed_command([_command(b"EVALSHA", _INCR_AND_GET_SHA, b"3", *keys, b"%d" % timeout)])
            try:
                reply = conn.read_response()
            except NoScriptError:
                # The server does not know the script yet (or restarted): EVAL sends it and caches it there.
                conn.send_packed_command([_command(b"EVAL", _INCR_AND_GET, b"3", *keys, b"%d" % timeout)])
                reply = conn.read_response()
        except BaseException:
            conn.disconnect()  # a half-read reply must not reach the next caller
            raise
        finally:
            pool.release(conn)
        count, previous, extra = reply
        return int(count), previous, extra

    def _int(self, raw: bytes | None) -> int:
        # django-redis stores integers as plain numbers (so INCR works) and everything else pickled.
        if not raw:
            return 0
        try:
            return int(raw)
        except ValueError:
            return int(self._redis.client.decode(raw))

    def raw_client(self) -> Any:
        """The redis-py client behind the Redis tier (for Lua scripts, sorted sets...), or None in
        memory-only mode. Callers handle redis errors themselves, with their own fallback."""
        return self._redis.client.get_client(write=True) if self._redis is not None else None

    def ping(self) -> bool:
        """True when Redis answers (always False in memory-only mode)."""
        if self._redis is None:
            return False
        try:
            self._redis.client.get_client().ping()
            self._down_until = 0.0
            return True
        except Exception:
            self._down_until = time.monotonic() + self.retry_after
            return False

    # -- the cache API ------------------------------------------------------------------------
    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        value = self._call("get", key, _MISSING, version=version)
        metrics.record_cache(hit=value is not _MISSING)
        return default if value is _MISSING else value

    def add(self, key: str, value: Any, timeout: float | None = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return bool(self._call("add", key, value, timeout=timeout, version=version))

    def set(self, key: str, value: Any, timeout: float | None = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        self._call("set", key, value, timeout=timeout, version=version)

    def touch(self, key: str, timeout: float | None = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return bool(self._call("touch", key, timeout=timeout, version=version))

    def delete(self, key: str, version: int | None = None) -> bool:
        return bool(self._call("delete", key, version=version))

    def get_many(self, keys: Iterable[Any], version: int | None = None) -> dict[str, Any]:
        keys = list(keys)  # read twice below
        found: dict[str, Any] = self._call("get_many", keys, version=version)
        for key in keys:
            metrics.record_cache(hit=key in found)
        return found

    def set_many(self, data: dict[str, Any], timeout: float | None = DEFAULT_TIMEOUT, version: int | None = None) -> list[str]:
        return list(self._call("set_many", data, timeout=timeout, version=version) or [])

    def delete_many(self, keys: Iterable[Any], version: int | None = None) -> None:
        self._call("delete_many", keys, version=version)

    def has_key(self, key: str, version: int | None = None) -> bool:
        return bool(self._call("has_key", key, version=version))

    def incr(self, key: str, delta: int = 1, version: int | None = None) -> int:
        return int(self._call("incr", key, delta, version=version))

    def decr(self, key: str, delta: int = 1, version: int | None = None) -> int:
        return int(self._call("decr", key, delta, version=version))

    def clear(self) -> None:
        self._memory.clear()
        self._call("clear")

    def delete_pattern(self, pattern: str) -> int:
        """Deletes keys matching a glob pattern (Redis), or everything (memory tier)."""
        if self._redis_up:
            try:
                return int(self._redis.delete_pattern(pattern))
            except Exception:
                self._down_until = time.monotonic() + self.retry_after
        self._memory.clear()
        return 0
