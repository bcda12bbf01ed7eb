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


def main(argv: list[str]) -> int:
    wanted = argv[1:]
    scripts = sorted(p for p in (ROOT / "bench").glob("bench_*.py") if not wanted or any(w in p.stem for w in wanted))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.test")}
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
