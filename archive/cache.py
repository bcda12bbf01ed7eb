"""The archive's response cache: search results (30 min) and item metadata (60 min), with statistics.

Entries live in the platform cache (Redis, or memory when Redis is down). An index of the keys we
wrote, with their sizes and expiry, lets staff see how many entries and bytes are cached and clear
exactly ours, without scanning or flushing anybody else's keys.
"""
from __future__ import annotations

import hashlib
import json
import pickle
import time
from typing import Any

from django.core.cache import cache

PREFIX = "archive:cache:"
_INDEX = PREFIX + "index"
_HITS = PREFIX + "hits"
_MISSES = PREFIX + "misses"
_INDEX_TTL = 24 * 3600


def make_key(kind: str, params: Any) -> str:
    digest = hashlib.sha1(json.dumps(params, sort_keys=True, default=str).encode(), usedforsecurity=False).hexdigest()
    return f"{PREFIX}{kind}:{digest}"


def _count(key: str) -> None:
    try:
        cache.incr(key)
    except ValueError:
        if not cache.add(key, 1, timeout=None):
            try:
                cache.incr(key)
            except ValueError:
                pass


def get(key: str) -> Any:
    """The cached value or None; counts a hit or a miss."""
    value = cache.get(key)
    _count(_HITS if value is not None else _MISSES)
    return value


def contains(key: str) -> bool:
    """Whether the key is cached (no hit or miss counted: nobody is served here)."""
    return cache.get(key) is not None


def put(key: str, value: Any, *, ttl: int) -> None:
    cache.set(key, value, timeout=ttl)
    index = cache.get(_INDEX) or {}
    now = time.time()
    index = {k: v for k, v in index.items() if v[1] > now}
    index[key] = (len(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)), now + ttl)
    cache.set(_INDEX, index, timeout=_INDEX_TTL)


def stats() -> dict:
    """Entries, bytes, hits, misses and hit rate of the archive cache."""
    index = cache.get(_INDEX) or {}
    now = time.time()
    live_keys = [k for k, (_, expires) in index.items() if expires > now]
    present = cache.get_many(live_keys) if live_keys else {}
    by_kind: dict[str, int] = {}
    for key in present:
        kind = key[len(PREFIX):].split(":", 1)[0]
        by_kind[kind] = by_kind.get(kind, 0) + 1
    hits, misses = int(cache.get(_HITS) or 0), int(cache.get(_MISSES) or 0)
    return {
        "entries": len(present),
        "size_bytes": sum(index[k][0] for k in present),
        "hits": hits,
        "misses": misses,
        "hit_rate": round(hits / (hits + misses), 4) if hits + misses else 0.0,
        "by_kind": by_kind,
    }


def clear() -> int:
    """Deletes every archive cache entry and resets the counters; returns how many entries went."""
    index = cache.get(_INDEX) or {}
    present = cache.get_many(list(index)) if index else {}
    cache.delete_many([*index, _INDEX, _HITS, _MISSES])
    return len(present)
