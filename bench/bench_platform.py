"""Platform benchmark: a cached JSON API endpoint through the full stack (bearer auth, throttle,
metrics, middleware) against a bare JsonResponse view, both served by the same uvicorn process in
the same run. Prints requests/s, p50 and p99 for each, over BENCH_RUNS rounds (5), and the ratio's median and
range (target >= 0.8), plus the Redis commands each API request costs.

Uses PostgreSQL and Redis on 127.0.0.1 when reachable (database stylus_bench_platform, Redis db 7), else
the embedded defaults. Load comes from wrk (Debian package) when installed.
"""
from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from _django import free_port, reachable  # noqa: E402

PY = sys.executable
DURATION = int(os.environ.get("BENCH_SECONDS", "10"))
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
SLICES = int(os.environ.get("BENCH_SLICES", "3"))  # turns the floor and the API take within one round
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))






def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.local", STYLUS_BENCH_VIEWS="1", API_DEFAULT_RATE="1000000000/m",
               LOG_LEVEL="WARNING", MEDIA_ROOT=tempfile.mkdtemp(prefix="stylus-bench-media-"))
    if "DATABASE_URL" not in env and reachable(5432) and shutil.which("psql"):
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", "DROP DATABASE IF EXISTS stylus_bench_platform"], check=False,
                       capture_output=True)
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", "CREATE DATABASE stylus_bench_platform"], check=True,
                       capture_output=True)
        env["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/stylus_bench_platform"
    if "REDIS_URL" not in env and reachable(6379):
        env["REDIS_URL"] = "redis://127.0.0.1:6379/7"
    if "DATABASE_URL" not in env:
        env["SQLITE_PATH"] = str(Path(tempfile.mkdtemp()) / "bench.sqlite3")
    return env


def _to_ms(text: str) -> float:
    match = re.match(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:  # wrk prints "-nan" when a slice completed no request at all (a starved machine)
        return float("nan")
    value, unit = match.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def _slices() -> list[int]:
    """A round's DURATION cut into SLICES turns of whole seconds."""
    each = max(1, DURATION // SLICES)
    return [each] * SLICES


def _combined(parts: list[dict[str, float]]) -> dict[str, float]:
    """One figure from a round's slices: requests/s over the whole time; latencies as the slices' median."""
    return {"rps": statistics.fmean(p["rps"] for p in parts), "p50_ms": statistics.median(p["p50_ms"] for p in parts),
            "p99_ms": max(p["p99_ms"] for p in parts), "non_2xx": sum(p["non_2xx"] for p in parts)}


def _wrk(url: str, headers: dict[str, str], seconds: int = DURATION) -> dict[str, float]:
    args = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", url]
    for k, v in headers.items():
        args[1:1] = ["-H", f"{k}: {v}"]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _to_ms(re.search(r"50%\s+(\S+)", out).group(1))
    p99 = _to_ms(re.search(r"99%\s+(\S+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50_ms": p50, "p99_ms": p99, "non_2xx": int(errors.group(1)) if errors else 0}


def _python_load(url: str, headers: dict[str, str], seconds: int = DURATION) -> dict[str, float]:
    """Fallback load generator (keep-alive, threads) when wrk is missing: slower, so ratios compress."""
    import statistics
    import threading

    import httpx

    samples: list[float] = []
    bad = [0]
    stop = time.monotonic() + seconds

    def worker():
        with httpx.Client(headers=headers) as c:
            while time.monotonic() < stop:
                t = time.perf_counter()
                r = c.get(url)
                samples.append(time.perf_counter() - t)
                bad[0] += r.status_code != 200

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    samples.sort()
    return {"rps": len(samples) / seconds, "p50_ms": statistics.median(samples) * 1000,
            "p99_ms": samples[int(len(samples) * 0.99)] * 1000, "non_2xx": bad[0]}


def main() -> int:
    env = _environment()
    mode = f"db={'postgresql' if 'DATABASE_URL' in env else 'sqlite'} cache={'redis' if 'REDIS_URL' in env else 'memory'}"
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    token = subprocess.run(
        [PY, "manage.py", "shell", "-c",
         "from django.contrib.auth import get_user_model as g; from accounts.services import api_token_create as c;"
         "u,_=g().objects.get_or_create(username='bench'); print(c(user=u, name='bench')[1])"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    port = free_port()
    server = subprocess.Popen([str(Path(PY).parent / "uvicorn"), "config.asgi:application", "--port", str(port),
                               "--no-access-log", "--log-level", "warning", "--lifespan", "on"],
                              cwd=ROOT, env=env)
    try:
        import httpx

        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                httpx.get(base + "/bench/bare")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        auth = {"Authorization": f"Bearer {token}"}
        assert httpx.get(base + "/api/v1/summary", headers=auth).status_code == 200
        load = _wrk if shutil.which("wrk") else _python_load
        load(base + "/bench/bare", {})  # warm up both paths
        load(base + "/api/v1/summary", auth)
        # RUNS rounds; in each, the floor (a bare JsonResponse through the same middleware) and the API take
        # turns in SLICES short slices: on a shared machine the load shifts within seconds, and interleaving
        # makes each ratio compare figures taken under the same conditions.
        rounds = []
        for _ in range(RUNS):
            bare_parts, api_parts = [], []
            for seconds in _slices():
                bare_parts.append(load(base + "/bench/bare", {}, seconds))
                api_parts.append(load(base + "/api/v1/summary", auth, seconds))
            bare, api = _combined(bare_parts), _combined(api_parts)
            rounds.append((bare, api, api["rps"] / bare["rps"]))
        redis_per_request = _redis_commands_per_request(env, base, auth)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"platform.mode {mode} load={'wrk' if shutil.which('wrk') else 'python'} connections={CONNECTIONS} "
          f"duration={DURATION}s per path per round, in {SLICES} alternating slices; runs={RUNS}")
    for i, (bare, api, ratio) in enumerate(rounds, start=1):
        print(f"platform.run{i} floor bare_json rps={bare['rps']:.0f} p50={bare['p50_ms']:.2f}ms p99={bare['p99_ms']:.2f}ms | "
              f"api_cached rps={api['rps']:.0f} p50={api['p50_ms']:.2f}ms p99={api['p99_ms']:.2f}ms | ratio={ratio:.2f}")
    ratios = sorted(r for _, _, r in rounds)
    median = statistics.median(ratios)
    print(f"platform.ratio median={median:.2f} range={ratios[0]:.2f}-{ratios[-1]:.2f} target>=0.8 "
          f"{'OK' if median >= 0.8 else 'BELOW TARGET'}")
    if redis_per_request is not None:
        total, by_command = redis_per_request
        detail = ", ".join(f"{name} {calls:.2f}" for name, calls in by_command.items())
        print(f"platform.redis_commands_per_request={total:.2f} ({detail}; the server counts the commands a script "
              f"runs as well as the script's own call: evalsha is the throttle's one round trip, hincrbyfloat and hget "
              f"the metrics flush, once a second)")
    bad = sum(b["non_2xx"] + a["non_2xx"] for b, a, _ in rounds)
    return 0 if bad == 0 else 1


def _redis_commands_per_request(env: dict[str, str], base: str, auth: dict[str, str]) -> tuple[float, dict[str, float]] | None:
    """Redis commands the server ran per API request, in all and by name (INFO commandstats around 200
    sequential requests; the server counts the commands a script runs as well as the script's own call)."""
    if "REDIS_URL" not in env:
        return None
    import httpx
    import redis

    r = redis.Redis.from_url(env["REDIS_URL"])

    def calls() -> dict[str, int]:
        return {k.removeprefix("cmdstat_"): int(v["calls"]) for k, v in r.info("commandstats").items()}

    with httpx.Client(headers=auth) as client:
        client.get(base + "/api/v1/summary")
        before = calls()
        for _ in range(200):
            client.get(base + "/api/v1/summary")
        after = calls()
    after["info"] = after.get("info", 0) - 1  # less the INFO call itself
    by_command = {name: (n - before.get(name, 0)) / 200 for name, n in sorted(after.items()) if n > before.get(name, 0)}
    return sum(by_command.values()), by_command


if __name__ == "__main__":
    sys.exit(main())
