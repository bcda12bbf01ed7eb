"""Multi-tier cache from the seed: Redis first, in-process memory while Redis is unreachable.

After a Redis error the cache serves from memory for `retry_after` seconds before trying Redis
again, so an outage costs one short socket timeout per window rather than one per call.
Every get() counts a hit or a miss in common.metrics.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any, overload

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.locmem import LocMemCache

from .metrics import metrics

log = logging.getLogger(__name__)
_MISSING = object()


class FallbackCache(BaseCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(params)
        options = dict(params.get("OPTIONS") or {})
        self.retry_after = float(options.pop("retry_after", 5.0))
        self._memory = LocMemCache("stylus-fallback", {"TIMEOUT": params.get("TIMEOUT", 300), "OPTIONS": {"MAX_ENTRIES": 20000}})
        self._redis: Any = None  # django_redis's RedisCache (untyped) when a server is configured
        self._down_until = 0.0
        if server:
            from django_redis.cache import RedisCache

            options.setdefault("SOCKET_CONNECT_TIMEOUT", 0.25)
            options.setdefault("SOCKET_TIMEOUT", 0.5)
            self._redis = RedisCache(server, {**params, "OPTIONS": options, "BACKEND": "django_redis.cache.RedisCache"})

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
                made = self._redis.make_key(key)
                pipe = self._redis.client.get_client(write=True).pipeline(transaction=False)
                pipe.incr(made)
                pipe.expire(made, timeout)
                pipe.get(self._redis.make_key(other))
                if also is not None:
                    pipe.get(self._redis.make_key(also))
                count, _, previous, *extra = pipe.execute()
                if also is None:
                    return int(count), int(previous or 0)
                return int(count), int(previous or 0), self._int(extra[0])
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

    def _int(self, raw: bytes | None) -> int:
        # django-redis stores integers as plain numbers (so INCR works) and everything else pickled.
        if raw is None:
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
