"""Download speed and resume: a 200 MB file from a local server, verified, against curl; then a resume.

1. Throughput: our download (HTTP stream, md5 + sha1 verification, progress, fsync, atomic move) against
   `curl -o /dev/null` from the same local server in the same run. Target >= 0.8x curl.
   Two floors are measured in the same run, to show what any download of ours could reach here:
   httpx alone (receive and discard: the transport the issue prescribes) and md5 + sha1 of the same
   bytes already in memory (the verification, with no network and no disk).
2. Resume: the download is killed at 50 % and run again; the second request must start exactly at the
   bytes kept on disk, so 0 bytes are fetched twice beyond the resume point. With DATABASE_URL
   (PostgreSQL) the worker is a real process killed with SIGKILL; otherwise (SQLite in memory cannot be
   shared) it is crashed in-process at 50 %.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _django import ROOT, Timer, setup_django

SIZE = int(os.environ.get("BENCH_ARCHIVE_MB", "200")) * 1024 * 1024
IDENT = "benchitem2001-01-01.sbd"
NAME = "big.flac"
TARGET_RATIO = 0.8


class Crash(BaseException):
    """Stands for a worker dying mid-transfer: nothing of ours catches it."""


def main() -> int:
    teardown = setup_django()
    workdir = Path(tempfile.mkdtemp(prefix="stylus-bench-archive-"))
    try:
        return run(workdir)
    finally:
        teardown()
        shutil.rmtree(workdir, ignore_errors=True)


def _floors(url: str, blob: Path) -> dict[str, float]:
    """What the download could reach at best on this machine, each measured on its own."""
    import httpx

    with httpx.Client() as client, Timer() as receive:
        with client.stream("GET", url) as response:
            for _ in response.iter_bytes():
                pass
    data = blob.read_bytes()
    view = memoryview(data)
    with Timer() as hashing:
        md5, sha1 = hashlib.md5(), hashlib.sha1()
        for start in range(0, len(data), 1024 * 1024):
            md5.update(view[start:start + 1024 * 1024])
            sha1.update(view[start:start + 1024 * 1024])
    with Timer() as md5_only:
        hashlib.md5(data).hexdigest()
    return {"httpx_receive_only": receive.seconds, "md5_sha1_in_memory": hashing.seconds,
            "md5_alone_in_memory": md5_only.seconds}


def run(workdir: Path) -> int:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.db import connection

    from archive import services, transfer
    from archive.models import Download
    from tests.replay.server import ReplayServer

    cache.clear()  # metadata is cached for an hour: a previous run's checksums must not be reused
    blob = workdir / NAME
    chunk = os.urandom(1024 * 1024)
    md5, sha1 = hashlib.md5(), hashlib.sha1()
    with blob.open("wb") as fh:
        for i in range(SIZE // len(chunk)):
            piece = chunk[:8] + i.to_bytes(8, "big") + chunk[16:]
            fh.write(piece)
            md5.update(piece)
            sha1.update(piece)
    meta = {"metadata": {"identifier": IDENT, "title": "Bench", "creator": "Bench Band", "collection": ["etree"]},
            "files": [{"name": NAME, "format": "Flac", "size": str(SIZE), "md5": md5.hexdigest(),
                       "sha1": sha1.hexdigest(), "source": "original"}]}
    server = ReplayServer().start()
    server.add(f"/metadata/{IDENT}", json_body=meta)
    server.add(f"/download/{IDENT}/{NAME}", file=blob)
    settings.IA_BASE_URL = server.url
    settings.IA_MIN_INTERVAL = 0.0
    media = os.environ.get("BENCH_ARCHIVE_MEDIA")  # e.g. /dev/shm to take this machine's disk out of the figure
    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="stylus-bench-media-", dir=media) if media else str(workdir / "media")
    print(f"archive.media_root={settings.MEDIA_ROOT}")
    settings.ARCHIVE_MIN_FREE_BYTES = 0
    settings.ARCHIVE_DOWNLOAD_CHUNK_BYTES = 1024 * 1024
    settings.ARCHIVE_USER_QUOTA_BYTES = 10 * SIZE
    user = get_user_model().objects.create(username="bench")
    url = f"{server.url}/download/{IDENT}/{NAME}"
    ok = True

    # -- 1. throughput against curl ----------------------------------------------------------------
    # the server runs in its own process, so neither client shares its interpreter with it
    serve = ("import sys, json, time; from pathlib import Path; from tests.replay.server import ReplayServer; "
             "s = ReplayServer().start(); meta = json.loads(sys.argv[1]); "
             f"s.add('/metadata/{IDENT}', json_body=meta); s.add('/download/{IDENT}/{NAME}', file=Path(sys.argv[2])); "
             "print(s.url, flush=True); time.sleep(3600)")
    server_process = subprocess.Popen([sys.executable, "-c", serve, json.dumps(meta), str(blob)], cwd=ROOT,
                                      stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    remote = server_process.stdout.readline().strip()
    settings.IA_BASE_URL = remote
    url = f"{remote}/download/{IDENT}/{NAME}"
    curl = shutil.which("curl")
    curl_seconds = None
    if curl:
        subprocess.run([curl, "-s", "-o", "/dev/null", url], check=True)  # warm the page cache
        with Timer() as t:
            subprocess.run([curl, "-s", "-o", "/dev/null", url], check=True)
        curl_seconds = t.seconds
        on_disk = Path(settings.MEDIA_ROOT) / "curl-reference.bin"
        on_disk.parent.mkdir(parents=True, exist_ok=True)
        with Timer() as t_disk:  # context only: the same transfer written to the media disk and synced
            subprocess.run([curl, "-s", "-o", str(on_disk), url], check=True)
            subprocess.run(["sync", str(on_disk)], check=False)
        curl_disk_seconds = t_disk.seconds
        on_disk.unlink()
    floors = _floors(url, blob)
    downloads, _ = services.download_request(user=user, identifier=IDENT, file=NAME, enqueue=False)
    ticks = []
    with Timer() as ours:
        status = services.download_run(download_id=downloads[0].pk, on_progress=lambda d: ticks.append(d.bytes_done))
    mb = SIZE / 1024 / 1024
    print(f"archive.download_{int(mb)}mb_seconds={ours.seconds:.2f} ({mb / ours.seconds:.0f} MB/s, status={status}, "
          f"md5+sha1 verified, {len(ticks)} progress updates)")
    if status != "completed":
        print(f"archive.download_error={Download.objects.get(pk=downloads[0].pk).error!r}")
        ok = False
    if curl_seconds:
        ratio = curl_seconds / ours.seconds
        print(f"archive.curl_{int(mb)}mb_seconds={curl_seconds:.2f} ({mb / curl_seconds:.0f} MB/s)")
        print(f"archive.curl_to_disk_{int(mb)}mb_seconds={curl_disk_seconds:.2f} (context: curl -o file + sync on the "
              f"media disk, {mb / curl_disk_seconds:.0f} MB/s)")
        print(f"archive.download_vs_curl={ratio:.2f} target>={TARGET_RATIO} {'OK' if ratio >= TARGET_RATIO else 'FAIL'}")
        for name, seconds in floors.items():
            print(f"archive.floor_{name}_seconds={seconds:.2f} (as a fraction of curl: {curl_seconds / seconds:.2f})")
        ok = ok and ratio >= TARGET_RATIO
    else:
        print("archive.download_vs_curl=n/a (curl not installed)")
    services.download_cancel(download=Download.objects.get(pk=downloads[0].pk))  # removes the file
    server_process.kill()
    server_process.wait()
    settings.IA_BASE_URL = server.url

    # -- 2. resume after a kill at 50 % ----------------------------------------------------------------
    downloads, _ = services.download_request(user=user, identifier=IDENT, file=NAME, enqueue=False)
    download = downloads[0]
    part = services.partial_path(download)
    server.requests.clear()
    if connection.vendor == "postgresql":
        method = "SIGKILL of a worker process"
        db = connection.settings_dict
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local", "PYTHONPATH": str(ROOT),
               "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
               "MEDIA_ROOT": settings.MEDIA_ROOT, "IA_BASE_URL": server.url, "IA_MIN_INTERVAL": "0",
               "ARCHIVE_MIN_FREE_BYTES": "0", "ARCHIVE_DOWNLOAD_CHUNK_BYTES": str(256 * 1024), "REDIS_URL": ""}
        code = ("import django; django.setup(); from archive.services import download_run; "
                f"download_run(download_id={download.pk})")
        worker = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=ROOT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and worker.poll() is None:
            if part.exists() and part.stat().st_size >= SIZE // 2:
                worker.send_signal(signal.SIGKILL)
                break
            time.sleep(0.002)
        worker.wait()
    else:
        method = "in-process crash (SQLite test database cannot be shared with a worker process)"

        def crash(d):
            if d.bytes_done >= SIZE // 2:
                raise Crash()

        try:
            services.download_run(download_id=download.pk, on_progress=crash)
        except Crash:
            pass
    cache.delete(transfer.lock_key(download.pk))  # a dead worker's transfer lock expires after 60 s
    kept = part.stat().st_size if part.exists() else 0
    served_first = len(server.requests)
    status = services.download_run(download_id=download.pk)
    resumed = server.requests[served_first:]
    range_header = resumed[0].headers.get("Range", "") if resumed else ""
    start = int(range_header.removeprefix("bytes=").rstrip("-") or 0)
    refetched = max(0, kept - start)
    fetched_second = SIZE - start
    final = services.final_path(Download.objects.get(pk=download.pk))
    verified = status == "completed" and final.exists() and final.stat().st_size == SIZE
    print(f"archive.resume_method={method}")
    print(f"archive.resume_kept_bytes={kept} ({kept * 100 // SIZE}%) resumed_with='{range_header}' "
          f"second_request_bytes={fetched_second} status={status}")
    print(f"archive.resume_refetched_beyond_resume_point_bytes={refetched} target=0 "
          f"{'OK' if refetched == 0 and start == kept and verified else 'FAIL'}")
    ok = ok and refetched == 0 and start == kept and verified
    server.stop()
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(json.dumps({"ok": ok}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
