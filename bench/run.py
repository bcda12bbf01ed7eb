"""`make bench`: runs every bench/bench_*.py in its own process and prints their figures.

BENCH_ARGS="albums recommend" runs only the benchmarks whose names contain those words.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _services_env() -> dict[str, str]:
    """Benchmarks run on PostgreSQL and Redis when they are reachable (as in production), on a
    scratch database; set DATABASE_URL / REDIS_URL to choose others."""
    import shutil

    sys.path.insert(0, str(ROOT / "bench"))
    from _django import reachable

    extra: dict[str, str] = {}
    if "DATABASE_URL" not in os.environ and reachable(5432) and shutil.which("psql"):
        for sql in ("DROP DATABASE IF EXISTS stylus_bench", "CREATE DATABASE stylus_bench"):
            subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], capture_output=True)
        extra["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/stylus_bench"
    if "REDIS_URL" not in os.environ and reachable(6379):
        extra["REDIS_URL"] = "redis://127.0.0.1:6379/7"
    return extra


def main(argv: list[str]) -> int:
    wanted = argv[1:]
    scripts = sorted(p for p in (ROOT / "bench").glob("bench_*.py") if not wanted or any(w in p.stem for w in wanted))
    env = {**os.environ, **_services_env(), "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.test")}
    print(f"services: DATABASE_URL={env.get('DATABASE_URL', '(sqlite)')} REDIS_URL={env.get('REDIS_URL', '(memory)')}")
    failures = 0
    for script in scripts:
        print(f"\n=== {script.stem} ===", flush=True)
        start = time.perf_counter()
        code = subprocess.call([sys.executable, str(script)], cwd=ROOT, env=env)
        print(f"--- {script.stem}: exit {code}, {time.perf_counter() - start:.1f}s", flush=True)
        failures += code != 0
    print(f"\n{len(scripts)} benchmark(s), {failures} failed.")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
