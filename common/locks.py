"""A lock shared by every worker: cache.add is atomic in Redis and in the memory fallback."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.cache import cache


@contextmanager
def exclusive(name: str, *, ttl: int = 600) -> Iterator[bool]:
    """Yields True to the one holder of `name`; others get False at once and should skip the work."""
    key = f"lock:{name}"
    token = uuid.uuid4().hex
    acquired = cache.add(key, token, timeout=ttl)
    try:
        yield bool(acquired)
    finally:
        if acquired and cache.get(key) == token:
            cache.delete(key)
