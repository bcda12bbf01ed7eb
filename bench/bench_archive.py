"""The verified download against the machine's floor, in one run; then a resume after a kill.

1. Throughput (issue 18 section 2). Measured side by side from one local server process, each ROUNDS
   times in turn (median reported, so a busy neighbour hurts every row alike):
   - the verified download: download_run (stream, ARCHIVE_VERIFY digests, progress, fsync, atomic move);
   - `curl -o /dev/null`: receiving the bytes and nothing else;
   - md5 alone over the same bytes already in memory: the verification and nothing else;
   - httpx, urllib3 and http.client (readinto one reused buffer) streaming, receive only: the Python
     clients, to pick one on evidence (the download uses http.client).
   - the download's own disk writer alone (direct I/O, its periodic fdatasync and the final fsync) writing
     the same bytes from memory to the media disk: what keeping the file durably costs and nothing else.
   floor = the slower of curl and md5-only (issue 18's definition). Target: verified <= 1.15x floor. The
   floor with the disk in it (the slowest of the three) is reported beside it: where the media disk writes
   slower than md5 hashes, no download that has its file on disk when it reports success can reach the
   first floor, and this row says by how much the disk, not the pipeline, sets the pace. Also CPU seconds per GB of
   the verified download (all its threads; the server is another process), and what progress costs:
   the time the receiving thread spends writing and pushing progress, and the number of updates.
   The server runs in its own session: it stands for archive.org's machines, and the kernel shares CPU
   between sessions (autogroup), so in ours it would bill its sending to every row but md5-only.
2. Resume: the download is killed at 50 % and run again; the second request must start exactly at the
   bytes kept on disk, so 0 bytes are fetched twice beyond the resume point. With DATABASE_URL
   (PostgreSQL) the worker is a real process killed with SIGKILL; otherwise (SQLite in memory cannot be
   shared) it is crashed in-process at 50 %.
"""
from __future__ import annotations

import hashlib
import json
import mmap
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _django import ROOT, Timer, setup_django

SIZE = int(os.environ.get("BENCH_ARCHIVE_MB", "200")) * 1024 * 1024
IDENT = "benchitem2001-01-01.sbd"
NAME = "big.flac"
TARGET_RATIO = 1.15  # verified time / floor, at most
ROUNDS = int(os.environ.get("BENCH_ARCHIVE_ROUNDS", "5"))


class Crash(BaseException):
    """Stands for a worker dying mid-transfer: nothing of ours catches it."""


def main() -> int:
    teardown = setup_django()
    workdir = Path(tempfile.mkdtemp(prefix="stylus-bench-archive-"))
    try:
        return run(workdir)
    finally:
        # the files first: hundreds of MB must not stay behind when dropping the database fails
        shutil.rmtree(workdir, ignore_errors=True)
        from django.conf import settings

        if Path(settings.MEDIA_ROOT).name.startswith("stylus-bench-media-"):
            shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)
        teardown()


def _receive_httpx(url: str) -> None:
    import httpx

    with httpx.Client() as client, client.stream("GET", url) as response:
        for _ in response.iter_raw():
            pass


def _receive_urllib3(url: str, block: int) -> None:
    import urllib3

    with urllib3.PoolManager() as pool:
        response = pool.request("GET", url, preload_content=False, decode_content=False)
        while response.read(block, decode_content=False):
            pass
        response.release_conn()


def _receive_http_client(url: str, block: int) -> None:
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port)
    connection.request("GET", parts.path)
    response = connection.getresponse()
    buffer = memoryview(bytearray(block))
    while response.readinto(buffer):
        pass
    connection.close()


def _md5_in_memory(data: bytes, block: int) -> None:
    view = memoryview(data)
    md5 = hashlib.md5()
    for start in range(0, len(data), block):  # the same blocks the download hashes
        md5.update(view[start:start + block])
    md5.hexdigest()


def _write_to_disk(data: mmap.mmap, block: int, directory: Path) -> None:
    """The download's writer alone: the same blocks, direct I/O where allowed, the same syncs, then removed."""
    from archive.transfer import _PartWriter

    path = directory / "disk-only.part"
    view = memoryview(data)
    try:
        with path.open("wb", buffering=0) as fh:
            writer = _PartWriter(fh, offset=0)
            for start in range(0, len(data), block):
                writer.write(view[start:start + block])
            os.fsync(fh.fileno())
    finally:
        view.release()
        path.unlink(missing_ok=True)


def _timed(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) for one call."""
    cpu, wall = time.process_time(), time.perf_counter()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def run(workdir: Path) -> int:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.db import connection

    from archive import cache as archive_cache
    from archive import services, transfer
    from archive.models import Download
    from archive.signals import download_verified
    from tests.replay.server import ReplayServer

    # A verified file queues follow-up jobs (concerts' quality analysis); a worker would run them later, but
    # here Celery is eager and would run them inside the timed download. They are not part of the transfer.
    download_verified.disconnect(dispatch_uid="concerts.download_verified")
    # metadata is cached for an hour: a previous run's checksums must not be reused (only our keys: others share Redis)
    archive_cache.clear()
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
    # The download writes to the real disk, as in production, with direct I/O (no page-cache copy; the
    # floor has no disk in it, so the disk must keep up, and curl_to_disk below shows that it can).
    # BENCH_ARCHIVE_MEDIA=/dev/shm writes to memory-backed storage instead: there every written page is
    # allocated and zeroed by the kernel on the download's CPU (measured ~0.5 s/GB here), a cost a disk
    # written with direct I/O does not have.
    media = os.environ.get("BENCH_ARCHIVE_MEDIA") or None
    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="stylus-bench-media-", dir=media) if media else str(workdir / "media")
    print(f"archive.media_root={settings.MEDIA_ROOT}")
    settings.ARCHIVE_MIN_FREE_BYTES = 0
    settings.ARCHIVE_USER_QUOTA_BYTES = 10 * SIZE
    user = get_user_model().objects.create(username="bench")
    url = f"{server.url}/download/{IDENT}/{NAME}"
    ok = True

    # -- 1. throughput against curl ----------------------------------------------------------------
    # The server runs in its own process, so no client shares its interpreter with it. It streams the file
    # from disk with sendfile as it goes, as a real file server does (the replay server reads the whole file
    # into memory before the first byte, which would put a wait into every row but md5-only).
    server_process = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--serve", json.dumps(meta),
                                       str(blob)], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                                      env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True)
    remote = server_process.stdout.readline().strip()
    settings.IA_BASE_URL = remote
    url = f"{remote}/download/{IDENT}/{NAME}"
    curl = shutil.which("curl")
    curl_disk_seconds = 0.0
    if curl:
        subprocess.run([curl, "-s", "-o", "/dev/null", url], check=True)  # warm the page cache
        on_disk = workdir / "curl-reference.bin"  # the real disk, whatever MEDIA_ROOT is
        on_disk.parent.mkdir(parents=True, exist_ok=True)
        with Timer() as t_disk:  # context only: the same transfer written to the media disk and synced
            subprocess.run([curl, "-s", "-o", str(on_disk), url], check=True)
            subprocess.run(["sync", str(on_disk)], check=False)
        curl_disk_seconds = t_disk.seconds
        on_disk.unlink()
    data = blob.read_bytes()
    aligned = mmap.mmap(-1, SIZE)  # page-aligned, as the download's ring buffers are (direct I/O needs it)
    aligned.write(data)
    disk_dir = Path(settings.MEDIA_ROOT) / "downloads" / ".partial"  # where the download's partial file goes
    disk_dir.mkdir(parents=True, exist_ok=True)
    mb = SIZE / 1024 / 1024
    gb = SIZE / 1e9
    rows: dict[str, list[float]] = {name: [] for name in ("verified", "verified_md5_sha1", "curl", "md5_only", "disk_only",
                                                          "httpx_only", "urllib3_only", "http_client_only")}
    cpu: dict[str, list[float]] = {name: [] for name in rows}
    reports = []
    push_costs: list[tuple[int, float]] = []

    def verified(verify: str, row: str) -> None:
        settings.ARCHIVE_VERIFY = verify
        archive_cache.clear()
        downloads, _ = services.download_request(user=user, identifier=IDENT, file=NAME, enqueue=False)
        report = transfer.TransferReport()
        ticks: list[int] = []
        sent, pushing, cpu_before = transfer.publisher.sent, transfer.publisher.cpu_seconds, time.process_time()
        wall, _ = _timed(lambda: services.download_run(download_id=downloads[0].pk, report=report,
                                                       on_progress=lambda d: ticks.append(d.bytes_done)))
        # the final state is pushed in the background once the file is stored: not in the wall time,
        # but its CPU is the download's (process_time counts every thread of the process)
        transfer.publisher.flush()
        used = time.process_time() - cpu_before
        push_costs.append((transfer.publisher.sent - sent, transfer.publisher.cpu_seconds - pushing))
        download = Download.objects.get(pk=downloads[0].pk)
        if download.status != "completed":
            raise SystemExit(f"archive.download_error={download.error!r}")
        rows[row].append(wall)
        cpu[row].append(used)
        if row == "verified":
            reports.append((report, wall))
        services.download_cancel(download=download)  # removes the file for the next round

    block = settings.ARCHIVE_DOWNLOAD_CHUNK_BYTES  # the download's read size, for every row that reads
    for _ in range(ROUNDS):  # interleaved, so a busy spell on the machine hits every row alike
        verified("md5", "verified")
        if curl:
            rows["curl"].append(_timed(lambda: subprocess.run([curl, "-s", "-o", "/dev/null", url], check=True))[0])
        for name, fn in (("md5_only", lambda: _md5_in_memory(data, block)),
                         ("disk_only", lambda: _write_to_disk(aligned, block, disk_dir)), ("httpx_only", lambda: _receive_httpx(url)),
                         ("urllib3_only", lambda: _receive_urllib3(url, block)),
                         ("http_client_only", lambda: _receive_http_client(url, block))):
            wall, used = _timed(fn)
            rows[name].append(wall)
            cpu[name].append(used)
        verified("md5+sha1", "verified_md5_sha1")
    settings.ARCHIVE_VERIFY = "md5"
    med = {name: statistics.median(values) for name, values in rows.items() if values}
    spread = {name: f"{min(values):.2f}-{max(values):.2f}" for name, values in rows.items() if values}
    floor = max(med["md5_only"], med.get("curl", 0.0))
    floor_name = "md5_only" if med["md5_only"] >= med.get("curl", 0.0) else "curl"
    print(f"archive.size_mb={int(mb)} rounds={ROUNDS} (median, range in brackets)")
    for name in ("verified", "curl", "md5_only", "disk_only", "httpx_only", "urllib3_only", "http_client_only",
                 "verified_md5_sha1"):
        if name in med:
            print(f"archive.{name}_seconds={med[name]:.2f} [{spread[name]}] ({mb / med[name]:.0f} MB/s)")
    if curl:
        print(f"archive.curl_to_disk_seconds={curl_disk_seconds:.2f} (context: curl -o file + sync on the media disk)")
    # each round against its own floors: curl and md5-only, then the disk writer too
    round_floors = [max(m, c) for m, c in zip(rows["md5_only"], rows["curl"] or [0.0] * ROUNDS, strict=True)]
    paired = sorted(v / f for v, f in zip(rows["verified"], round_floors, strict=True))
    disk_paired = sorted(v / max(f, d) for v, f, d in zip(rows["verified"], round_floors, rows["disk_only"], strict=True))
    ratio = med["verified"] / floor
    print(f"archive.floor_seconds={floor:.2f} (the slower of curl and md5-only: {floor_name})")
    print(f"archive.verified_vs_floor={ratio:.2f} target<={TARGET_RATIO} {'OK' if ratio <= TARGET_RATIO else 'FAIL'} "
          f"(each round against its own floor: {', '.join(f'{r:.2f}' for r in paired)})")
    print(f"archive.receive_cpu_seconds_per_gb: httpx {statistics.median(cpu['httpx_only']) / gb:.2f}, urllib3 "
          f"{statistics.median(cpu['urllib3_only']) / gb:.2f}, http.client readinto "
          f"{statistics.median(cpu['http_client_only']) / gb:.2f} (the download receives with http.client readinto)")
    cpu_gb = {name: statistics.median(values) / gb for name, values in cpu.items() if values}
    print(f"archive.verified_cpu_seconds_per_gb={cpu_gb['verified']:.2f} (md5) {cpu_gb['verified_md5_sha1']:.2f} "
          f"(md5+sha1); its parts measured alone: md5 {cpu_gb['md5_only']:.2f}, http.client receive "
          f"{cpu_gb['http_client_only']:.2f}")
    parts = cpu_gb["md5_only"] + cpu_gb["http_client_only"]
    print(f"archive.verified_cpu_vs_parts={cpu_gb['verified'] / parts:.2f} (CPU of the verified download against "
          "md5 + receive measured alone: what the pipeline, the write and the progress add)")
    report, wall = sorted(reports, key=lambda pair: pair[1])[len(reports) // 2]  # the median run
    pushes = statistics.median(n for n, _ in push_costs)
    push_cpu = statistics.median(c for _, c in push_costs)
    print(f"archive.progress_updates={report.ticks} progress_seconds={report.progress_seconds:.4f} "
          f"({report.progress_seconds * 100 / wall:.2f}% of the download: the receiving thread recording them, "
          f"throttled to one per {transfer.PROGRESS_WRITE_INTERVAL}s); pushing {pushes:.0f} states to the browser "
          f"took {push_cpu:.3f} CPU seconds in the publisher thread ({push_cpu * 100 / statistics.median(cpu['verified']):.1f}% "
          "of the download's CPU)")
    print(f"archive.verified_phases: request {report.open_seconds:.3f}s, receive {report.receive_seconds:.3f}s, "
          f"hash/write catching up after the last byte {report.drain_seconds:.3f}s, fsync {report.sync_seconds:.3f}s, "
          f"check+move+row {report.store_seconds:.3f}s; outside the transfer (claim, lock) "
          f"{wall - report.open_seconds - report.receive_seconds - report.drain_seconds - report.sync_seconds - report.store_seconds:.3f}s")
    disk_floor = max(floor, med["disk_only"])
    disk_ratio = med["verified"] / disk_floor
    print(f"archive.floor_with_disk_seconds={disk_floor:.2f} (the slowest of curl, md5-only and disk-only: "
          f"{'disk_only' if med['disk_only'] > floor else floor_name}; the media disk writes at "
          f"{mb / med['disk_only']:.0f} MB/s against md5's {mb / med['md5_only']:.0f} MB/s)")
    print(f"archive.verified_vs_floor_with_disk={disk_ratio:.2f} (each round: "
          f"{', '.join(f'{r:.2f}' for r in disk_paired)})")
    ok = ok and ratio <= TARGET_RATIO
    aligned.close()
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


def serve(meta_json: str, path: str) -> None:
    """A minimal file server: /metadata/<id> as JSON, /download/<id>/<name> with Range, via sendfile."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    body = meta_json.encode()
    blob = Path(path)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            if self.path.startswith("/metadata/"):
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            size = blob.stat().st_size
            start = 0
            header = self.headers.get("Range", "")
            if header.startswith("bytes=") and header.endswith("-"):
                start = int(header[6:-1])
            self.send_response(206 if start else 200)
            if start:
                self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
            self.send_header("Content-Length", str(size - start))
            self.send_header("Accept-Ranges", "bytes")
            self.end_headers()
            self.wfile.flush()
            with blob.open("rb") as fh:
                try:
                    self.connection.sendfile(fh, start, size - start)
                except (BrokenPipeError, ConnectionResetError):
                    pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    print(f"http://127.0.0.1:{httpd.server_address[1]}", flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve(sys.argv[2], sys.argv[3])
        sys.exit(0)
    sys.exit(main())
