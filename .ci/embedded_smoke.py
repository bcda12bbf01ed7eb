"""Embedded-mode smoke test: the real `manage.py serve` process with no DATABASE_URL/REDIS_URL.

Fresh SQLite database, migrate, demo content, collectstatic, then the server: health, every
section, login, and a background job started by a real request that finishes while the request
itself returned at once, watched over a real WebSocket.
"""
from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import websockets

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="stylus-smoke-"))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    # /health gives its per-check details only to staff or a scraper holding METRICS_TOKEN.
    metrics_token = "smoke-" + os.urandom(16).hex()
    env.update(SQLITE_PATH=str(tmp / "smoke.sqlite3"), MEDIA_ROOT=str(tmp / "media"), STATIC_ROOT=str(tmp / "static"),
               METRICS_TOKEN=metrics_token)
    for args in (["migrate", "--noinput", "-v0"], ["load_demo"], ["collectstatic", "--noinput", "-v0"]):
        subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env["PORT"] = str(port)
    server = subprocess.Popen([PY, "manage.py", "serve"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        first = server.stdout.readline()
        assert f"http://127.0.0.1:{port}" in first, f"serve did not print its URL: {first!r}"
        with httpx.Client(base_url=base, timeout=10, follow_redirects=False) as client:
            for _ in range(100):
                try:
                    if client.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            assert set(client.get("/health").json()) == {"status"}  # anonymous: the status only
            health = client.get("/health", headers={"Authorization": f"Bearer {metrics_token}"}).json()
            assert health["status"] == "ok", health
            assert health["checks"]["broker"]["worker"] is True, health
            for path in ("/", "/albums/", "/recommend/", "/digger/", "/archive/", "/concerts/",
                         "/api/v1/openapi.json", "/static/vendor/htmx-2.0.11.min.js"):
                code = client.get(path).status_code
                assert code == 200, f"{path} -> {code}"
            assert client.get("/tracks/").status_code == 302  # private section: to the login page
            assert client.get("/no-such-page/").status_code == 404

            login = client.get("/accounts/login/")
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
            done = client.post("/accounts/login/", data={"login": "demo", "password": "stylus-demo-2026",
                                                          "csrfmiddlewaretoken": token}, headers={"Referer": base + "/accounts/login/"})
            assert done.status_code == 302, f"login failed: {done.status_code}"
            # Logged in, every section has demo content to show.
            for path in ("/", "/albums/", "/recommend/", "/digger/", "/archive/", "/archive/library/", "/concerts/",
                         "/tracks/", "/tracks/songs/", "/account/"):
                code = client.get(path).status_code
                assert code == 200, f"{path} (logged in) -> {code}"
            csrf = client.cookies.get("csrftoken")
            started = time.perf_counter()
            export = client.post("/account/export/", headers={"X-CSRFToken": csrf, "Referer": base + "/account/"})
            elapsed = time.perf_counter() - started
            assert export.status_code == 302, export.status_code
            job_url = export.headers["Location"]
            job_id = re.search(r"/jobs/(\d+)/", job_url).group(1)
            print(f"export job {job_id} enqueued in {elapsed * 1000:.0f} ms")

            cookie = f"sessionid={client.cookies.get('sessionid')}"

            async def watch() -> str:
                async with websockets.connect(f"ws://127.0.0.1:{port}/ws/progress/job/{job_id}/",
                                              additional_headers={"Cookie": cookie, "Origin": base}) as ws:
                    deadline = time.monotonic() + 20
                    last = ""
                    while time.monotonic() < deadline:
                        last = await asyncio.wait_for(ws.recv(), timeout=deadline - time.monotonic())
                        if 'data-status="succeeded"' in last:
                            return last
                    return last

            final = asyncio.run(watch())
            assert 'data-status="succeeded"' in final, final[:300]
            page = client.get(job_url)
            assert 'data-status="succeeded"' in page.text
        print("embedded smoke test passed")
        return 0
    except Exception:
        server.terminate()
        print("---- server output ----")
        print(server.stdout.read()[-5000:])
        raise
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    sys.exit(main())
