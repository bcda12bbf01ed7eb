"""Load test: 50 concurrent users browsing albums, concerts, songs and recommendations for
2 minutes against the production-mode stack: PostgreSQL, Redis, gunicorn with 2 uvicorn workers
under config.settings.production. Prints requests, failures, p50 and p95 (target: 0 errors).

LOAD_USERS / LOAD_SECONDS override the shape (defaults 50 users, 120 s).
"""
from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from _django import free_port, reachable  # noqa: E402

BIN = Path(sys.executable).parent
USERS = int(os.environ.get("LOAD_USERS", "50"))
SECONDS = int(os.environ.get("LOAD_SECONDS", "120"))




def main() -> int:
    if not (reachable(5432) and reachable(6379) and shutil.which("psql")):
        print("load: needs PostgreSQL and Redis on 127.0.0.1 (production-mode stack); skipped")
        return 0
    from cryptography.fernet import Fernet

    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", "DROP DATABASE IF EXISTS stylus_load"], capture_output=True)
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", "CREATE DATABASE stylus_load"], check=True, capture_output=True)
    subprocess.run(["redis-cli", "-n", "6", "flushdb"], capture_output=True)
    tmp = Path(tempfile.mkdtemp(prefix="stylus-load-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="load-test-" + Fernet.generate_key().decode(),
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/stylus_load",
        REDIS_URL="redis://127.0.0.1:6379/6",
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false", SESSION_COOKIE_SECURE="false", CSRF_COOKIE_SECURE="false", SECURE_HSTS_SECONDS="0",
        MEDIA_ROOT=str(tmp / "media"), STATIC_ROOT=str(tmp / "static"), LOG_LEVEL="ERROR",
        API_EXTERNAL_RATE="100000/m", API_DEFAULT_RATE="100000/m",  # one shared demo account; the throttle still runs
        AOTY_FETCHER="http", AOTY_BASE_URL="http://127.0.0.1:9", IA_BASE_URL="http://127.0.0.1:9",
        SPOTIFY_API_URL="http://127.0.0.1:9/v1", SPOTIFY_ACCOUNTS_URL="http://127.0.0.1:9",
        DISCOGS_API_URL="http://127.0.0.1:9", DISCOGS_WEB_URL="http://127.0.0.1:9", EBAY_API_URL="http://127.0.0.1:9",
    )
    py = str(BIN / "python")
    for args in (["migrate", "--noinput", "-v0"], ["load_demo"], ["collectstatic", "--noinput", "-v0"]):
        subprocess.run([py, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True)
    token = subprocess.run(
        [py, "manage.py", "shell", "-c",
         "from django.contrib.auth import get_user_model as g; from accounts.services import api_token_create as c;"
         # production settings verify e-mail before a login; the demo account's address counts as verified here
         "from allauth.account.models import EmailAddress as E; u=g().objects.get(username='demo');"
         "E.objects.update_or_create(user=u, email=u.email, defaults={'verified': True, 'primary': True});"
         "print(c(user=u, name='load')[1])"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    port = free_port()
    server = subprocess.Popen([str(BIN / "gunicorn"), "config.asgi:application", "-k", "uvicorn.workers.UvicornWorker",
                               "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning",
                               # keep-alive longer than any think time, so no request races an idle-close
                               "--keep-alive", "75", "--timeout", "120"], cwd=ROOT, env=env)
    try:
        import httpx

        for _ in range(150):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as warm:  # both workers import and connect first
            for path in ("/albums/", "/concerts/", "/recommend/", "/tracks/") * 4:
                warm.get(path)
        out = tmp / "locust"
        subprocess.run([str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "-u", str(USERS),
                        "-r", "10", "-t", f"{SECONDS}s", "--host", f"http://127.0.0.1:{port}", "--csv", str(out),
                        "--only-summary", "--loglevel", "ERROR"],
                       cwd=ROOT, env={**env, "LOAD_TOKEN": token}, check=False)
    finally:
        server.terminate()
        server.wait(timeout=15)
    rows = list(csv.DictReader(open(f"{out}_stats.csv")))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    print(f"\nload.shape users={USERS} duration={SECONDS}s server=gunicorn+2 uvicorn workers, postgresql, redis, production settings")
    for r in rows:
        if r["Name"] != "Aggregated":
            print(f"load.endpoint {r['Type']} {r['Name']}: n={r['Request Count']} fail={r['Failure Count']} "
                  f"p50={r['50%']}ms p95={r['95%']}ms")
    failures = int(total["Failure Count"])
    print(f"load.requests={total['Request Count']} load.failures={failures} load.rps={float(total['Requests/s']):.1f} "
          f"load.p50_ms={total['50%']} load.p95_ms={total['95%']} target: 0 errors {'OK' if failures == 0 else 'FAILED'}")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
