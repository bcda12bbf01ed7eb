"""A moving-window rate limiter shared by every worker.

Discogs throttles by source IP over a moving 60-second window: 60 requests a minute with a token,
25 without. Every worker process and thread must therefore draw from one budget, so the window
lives in Redis (a sorted set of request timestamps per key, trimmed and counted atomically by a
Lua script). One request may count against several keys at once: every Discogs request counts
against the shared total (`all`), anonymous API calls also against `anon`.

Embedded mode (no REDIS_URL) has one process, so a process-local window behind a lock is exact
there. If Redis is configured but unreachable we fall back to the local window too, which then only
protects this process: that is logged, and is the documented degraded mode.

Timestamps come from the caller's clock (injectable for tests). Worker clocks on one host agree;
`margin` seconds are added to the window so that request latency jitter can't let a 61st request
land inside the server's own 60-second window.
"""
from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings

log = logging.getLogger(__name__)

# KEYS[1] pause-until, KEYS[2] latest time seen, KEYS[3..] windows; ARGV now, window, member, limits...
# Time never runs backwards inside the limiter: a caller whose clock reading is stale (read, then
# descheduled) is treated as arriving at the latest time already seen.
_LUA = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local member = ARGV[3]
local latest = tonumber(redis.call('GET', KEYS[2]) or '0')
if latest > now then now = latest end
redis.call('SET', KEYS[2], tostring(now), 'PX', math.ceil(window * 1000) + 1000)
local wait = 0
local pause = tonumber(redis.call('GET', KEYS[1]) or '0')
if pause > now then wait = pause - now end
for i = 3, #KEYS do
  local key = KEYS[i]
  local limit = tonumber(ARGV[1 + i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local count = redis.call('ZCARD', key)
  if count >= limit then
    local edge = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
    local w = tonumber(edge[2]) + window - now
    if w > wait then wait = w end
  end
end
if wait > 0 then return {tostring(wait), tostring(now)} end
for i = 3, #KEYS do
  redis.call('ZADD', KEYS[i], now, member)
  redis.call('PEXPIRE', KEYS[i], math.ceil(window * 1000) + 1000)
end
return {'0', tostring(now)}
"""

# Moves a granted slot to the time its response arrived (only if it is still in the window).
_TOUCH = """
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], 'XX', ARGV[1], ARGV[2])
end
return 1
"""


class LocalWindowBackend:
    """Process-local moving windows (embedded mode, or the degraded fallback when Redis is down)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stamps: dict[str, dict[str, float]] = {}  # key -> member -> time
        self._pause_until: dict[str, float] = {}
        self._latest = 0.0

    def try_acquire(self, *, pause_key: str, keys: dict[str, int], now: float, window: float,
                    member: str) -> tuple[float, float]:
        """Records one request and returns (0, time recorded), or (seconds to wait, time) when full."""
        with self._lock:
            now = self._latest = max(now, self._latest)  # time never runs backwards (see _LUA)
            wait = max(0.0, self._pause_until.get(pause_key, 0.0) - now)
            for key, limit in keys.items():
                stamps = self._stamps.setdefault(key, {})
                for old in [m for m, t in stamps.items() if t <= now - window]:
                    del stamps[old]
                if len(stamps) >= limit:
                    times = sorted(stamps.values())
                    wait = max(wait, times[len(times) - limit] + window - now)
            if wait > 0:
                return wait, now
            for key in keys:
                self._stamps[key][member] = now
            return 0.0, now

    def touch(self, *, keys: list[str], member: str, now: float) -> None:
        with self._lock:
            for key in keys:
                stamps = self._stamps.get(key, {})
                if member in stamps:
                    stamps[member] = max(stamps[member], now)

    def pause(self, *, pause_key: str, until: float) -> None:
        with self._lock:
            self._pause_until[pause_key] = max(self._pause_until.get(pause_key, 0.0), until)

    def reset(self) -> None:
        with self._lock:
            self._stamps.clear()
            self._pause_until.clear()
            self._latest = 0.0


class RedisWindowBackend:
    """Moving windows in Redis sorted sets, shared by every process using the same Redis."""

    def __init__(self, client: Any) -> None:
        self.client = client  # a redis.Redis (untyped: redis is an optional dependency here)
        self._script = client.register_script(_LUA)
        self._touch = client.register_script(_TOUCH)

    def try_acquire(self, *, pause_key: str, keys: dict[str, int], now: float, window: float,
                    member: str) -> tuple[float, float]:
        names = list(keys)
        wait, at = self._script(keys=[pause_key, f"{pause_key}:latest", *names],
                                args=[repr(now), repr(window), member, *[keys[n] for n in names]])
        return float(wait), float(at)

    def touch(self, *, keys: list[str], member: str, now: float) -> None:
        self._touch(keys=keys, args=[repr(now), member])

    def pause(self, *, pause_key: str, until: float) -> None:
        current = float(self.client.get(pause_key) or 0)
        if until > current:
            self.client.set(pause_key, repr(until), px=max(1, int((until - time.time()) * 1000) + 1000))

    def reset(self) -> None:
        keys = list(self.client.scan_iter("stylus:discogs:rl:*"))
        if keys:
            self.client.delete(*keys)


_local_backend = LocalWindowBackend()


def redis_client() -> Any:
    """The raw Redis client behind the platform cache, or None in embedded mode."""
    if not settings.REDIS_URL:
        return None
    from django.core.cache import cache

    return cache.raw_client()  # type: ignore[attr-defined]  # django-redis adds raw_client


def default_backend() -> RedisWindowBackend | LocalWindowBackend:
    client = redis_client()
    return RedisWindowBackend(client) if client is not None else _local_backend


class RateLimiter:
    """Blocks until one more request fits every window it counts against."""

    prefix = "stylus:discogs:rl"

    def __init__(self, *, backend: RedisWindowBackend | LocalWindowBackend | None = None, window: float | None = None, limits: dict[str, int] | None = None,
                 margin: float = 0.5, clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep, max_wait: float | None = None) -> None:
        self.backend = backend if backend is not None else default_backend()
        self.window = float(settings.DISCOGS_RATE_WINDOW if window is None else window)
        self.margin = margin
        self.limits = limits or {"all": settings.DISCOGS_RATE_LIMIT_AUTH, "anon": settings.DISCOGS_RATE_LIMIT_ANON}
        self.clock = clock
        self.sleep = sleep
        self.max_wait = max_wait
        self.pause_key = f"{self.prefix}:pause"
        self._granted = threading.local()

    def _keys(self, kind: str) -> dict[str, int]:
        keys = {f"{self.prefix}:all": self.limits["all"]}
        if kind == "anon":
            keys[f"{self.prefix}:anon"] = self.limits["anon"]
        return keys

    def _try(self, kind: str, member: str) -> tuple[float, float]:
        try:
            return self.backend.try_acquire(pause_key=self.pause_key, keys=self._keys(kind), now=self.clock(),
                                            window=self.window + self.margin, member=member)
        except Exception as exc:  # Redis unreachable: degrade to this process's own window
            if self.backend is _local_backend:
                raise
            log.warning("Discogs rate limiter: Redis unavailable (%s); using the process-local window", exc)
            self.backend = _local_backend
            return self._try(kind, member)

    def acquire(self, kind: str = "auth") -> float:
        """Waits for a slot ("auth": API with token, "anon": API without, "web": public pages); returns seconds waited."""
        waited = 0.0
        member = uuid.uuid4().hex
        while True:
            wait, at = self._try(kind, member)
            if wait <= 0:
                self._granted.slot = (kind, member)
                self._granted.at = at
                return waited
            if self.max_wait is not None and waited + wait > self.max_wait:
                from integrations.errors import RateLimited

                raise RateLimited("Discogs rate budget is spent for now", service="discogs", retry_after=wait)
            self.sleep(wait)
            waited += wait

    @property
    def last_granted_at(self) -> float | None:
        """The window time this thread's last request was recorded at."""
        return getattr(self._granted, "at", None)

    def done(self) -> None:
        """Marks this thread's last granted request as answered: its slot now counts from the response.

        The server saw the request somewhere between the grant and the response, so counting the
        slot from the response keeps the server's own 60-second window within the budget even
        when a request was slow to leave or to arrive.
        """
        slot = getattr(self._granted, "slot", None)
        if slot is None:
            return
        self._granted.slot = None
        kind, member = slot
        try:
            self.backend.touch(keys=list(self._keys(kind)), member=member, now=self.clock())
        except Exception:  # best effort: the grant time still bounds the window
            log.warning("Discogs rate limiter: could not record a response time", exc_info=True)

    def pause(self, seconds: float) -> None:
        """Stops every worker for `seconds` (a 429's Retry-After, or Discogs saying 0 remaining)."""
        self.backend.pause(pause_key=self.pause_key, until=self.clock() + max(0.0, seconds))

    def observe_remaining(self, remaining: int | None) -> None:
        """Reads X-Discogs-Ratelimit-Remaining: at 0 someone else spends our IP's budget, so back off."""
        if remaining is not None and remaining <= 0:
            self.pause(settings.DISCOGS_EXHAUSTED_PAUSE)

    def reset(self) -> None:
        self.backend.reset()
