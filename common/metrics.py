"""The seed's metrics: requests, per-endpoint hits, response times, cache hits/misses, errors, timings.

Counters are buffered in-process and flushed to one Redis hash at most once a second, so every
process of a multi-worker deployment adds to the same totals without a Redis round trip per
request. Without Redis (embedded mode, or Redis down) the process-local figures are served.
"""
from __future__ import annotations

import threading
import time
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from django.conf import settings

if TYPE_CHECKING:
    import redis

_HASH = "stylus:metrics"
_FLUSH_EVERY = 1.0


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, float] = defaultdict(float)
        self._maxima: dict[str, float] = {}
        self._local: dict[str, float] = defaultdict(float)  # everything ever recorded here
        self._local_max: dict[str, float] = {}
        self._last_flush = time.monotonic()
        self._redis: redis.Redis | None = None
        self._redis_down_until = 0.0

    # -- recording -------------------------------------------------------------------------
    def _add(self, key: str, amount: float = 1.0) -> None:
        self._pending[key] += amount
        self._local[key] += amount

    def _max(self, key: str, value: float) -> None:
        if value > self._maxima.get(key, 0.0):
            self._maxima[key] = value
        if value > self._local_max.get(key, 0.0):
            self._local_max[key] = value

    def record_request(self, *, endpoint: str, status: int, duration: float, error: str | None = None) -> None:
        with self._lock:
            self._add("requests")
            self._add(f"hits:{endpoint}")
            self._add(f"time:{endpoint}", duration)
            self._add("time_total", duration)
            self._max("time_max", duration)
            self._max(f"max:{endpoint}", duration)
            if error:
                self._add(f"errors:{error}")
        self._maybe_flush()

    def record_cache(self, *, hit: bool) -> None:
        with self._lock:
            self._add("cache_hits" if hit else "cache_misses")

    def record_timing(self, *, name: str, duration: float, ok: bool = True) -> None:
        """Times an operation such as a browser page load or an external API call."""
        with self._lock:
            self._add(f"timing_count:{name}")
            self._add(f"timing_total:{name}", duration)
            self._max(f"timing_max:{name}", duration)
            if not ok:
                self._add(f"timing_errors:{name}")

    def record_error(self, *, kind: str) -> None:
        with self._lock:
            self._add(f"errors:{kind}")

    # -- storage ------------------------------------------------------------------------------
    def _client(self) -> redis.Redis | None:
        if not settings.REDIS_URL or time.monotonic() < self._redis_down_until:
            return None
        if self._redis is None:
            import redis

            self._redis = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=0.25, socket_timeout=0.5)
        return self._redis

    def _maybe_flush(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_flush < _FLUSH_EVERY:
            return
        client = self._client()
        if client is None:
            return
        with self._lock:
            pending, maxima = dict(self._pending), dict(self._maxima)
            self._pending.clear()
            self._maxima.clear()
            self._last_flush = now
        if not pending and not maxima:
            return
        try:
            pipe = client.pipeline(transaction=False)
            for key, amount in pending.items():
                pipe.hincrbyfloat(_HASH, key, amount)
            for key in maxima:
                pipe.hget(_HASH, key)
            results = pipe.execute()[len(pending):]
            bigger = {k: v for (k, v), old in zip(maxima.items(), results, strict=True) if v > float(old or 0)}
            if bigger:
                client.hset(_HASH, mapping=dict(bigger))  # type: ignore[arg-type]  # redis-py's stub is invariant in the value type
        except Exception:  # Redis unreachable: keep the counts for the next flush
            self._redis_down_until = time.monotonic() + 5
            with self._lock:
                for key, amount in pending.items():
                    self._pending[key] += amount
                for key, value in maxima.items():
                    self._max(key, value)

    def _raw(self) -> dict[str, float]:
        self._maybe_flush(force=True)
        client = self._client()
        if client is not None:
            try:
                raw = {(k.decode() if isinstance(k, bytes) else k): float(v) for k, v in client.hgetall(_HASH).items()}
                with self._lock:  # counts not yet flushed (Redis hiccup) still show
                    for key, amount in self._pending.items():
                        raw[key] = raw.get(key, 0.0) + amount
                return raw
            except Exception:
                self._redis_down_until = time.monotonic() + 5
        with self._lock:
            raw = dict(self._local)
            raw.update(self._local_max)
            return raw

    def snapshot(self) -> dict[str, Any]:
        raw = self._raw()
        requests = int(raw.get("requests", 0))
        endpoints = {}
        for key, value in raw.items():
            if key.startswith("hits:"):
                name = key[5:]
                total = raw.get(f"time:{name}", 0.0)
                endpoints[name] = {
                    "hits": int(value),
                    "avg_ms": round(total * 1000 / value, 2) if value else 0.0,
                    "max_ms": round(raw.get(f"max:{name}", 0.0) * 1000, 2),
                }
        timings = {}
        for key, value in raw.items():
            if key.startswith("timing_count:"):
                name = key[len("timing_count:"):]
                timings[name] = {
                    "count": int(value),
                    "avg_ms": round(raw.get(f"timing_total:{name}", 0.0) * 1000 / value, 2) if value else 0.0,
                    "max_ms": round(raw.get(f"timing_max:{name}", 0.0) * 1000, 2),
                    "errors": int(raw.get(f"timing_errors:{name}", 0)),
                }
        hits, misses = int(raw.get("cache_hits", 0)), int(raw.get("cache_misses", 0))
        return {
            "total_requests": requests,
            "avg_response_ms": round(raw.get("time_total", 0.0) * 1000 / requests, 2) if requests else 0.0,
            "max_response_ms": round(raw.get("time_max", 0.0) * 1000, 2),
            "cache_hits": hits,
            "cache_misses": misses,
            "cache_hit_rate": round(hits / (hits + misses), 4) if hits + misses else 0.0,
            "errors": {k[7:]: int(v) for k, v in raw.items() if k.startswith("errors:")},
            "endpoints": dict(sorted(endpoints.items(), key=lambda kv: -kv[1]["hits"])),
            "timings": timings,
        }

    def reset(self) -> None:
        with self._lock:
            self._pending.clear()
            self._maxima.clear()
            self._local.clear()
            self._local_max.clear()
        client = self._client()
        if client is not None:
            try:
                client.delete(_HASH)
            except Exception:
                self._redis_down_until = time.monotonic() + 5


metrics = Metrics()
