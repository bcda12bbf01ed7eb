"""Shared set-up for benchmarks: Django configured, a throwaway database, timing helpers."""
from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")


def setup_django(*, database: bool = True):
    """Configures Django; with database=True, creates a fresh test database and returns a teardown."""
    import django

    django.setup()
    if not database:
        return lambda: None
    from django.test.utils import setup_databases, teardown_databases

    old = setup_databases(verbosity=0, interactive=False)
    return lambda: teardown_databases(old, verbosity=0)


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50/p95/p99 in milliseconds from samples in seconds."""
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return {"p50_ms": round(pick(0.50), 3), "p95_ms": round(pick(0.95), 3), "p99_ms": round(pick(0.99), 3),
            "mean_ms": round(statistics.fmean(ordered) * 1000, 3)}


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def reachable(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something listens on host:port (PostgreSQL, Redis...)."""
    import socket

    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
