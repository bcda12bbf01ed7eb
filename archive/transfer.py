"""The verified, resumable transfer of one archive file: receive, hash and write at once, resume, verify.

Three things happen to every byte, each once, in parallel: the receiving thread reads it from the
socket into one large block; a writer thread appends that block to the partial file; one thread per
digest feeds it to hashlib. Blocks are shared between the threads, never copied, and file writes and
hashlib both release the GIL, so on two cores the download runs at the pace of its slowest stage
(md5, on this machine). Progress is written and pushed at most every PROGRESS_WRITE_INTERVAL seconds,
from the receiving thread, without waiting for the other stages.

Resume: the partial file is MEDIA_ROOT/downloads/.partial/<id>.part; a later run hashes what it holds
and asks the archive for the rest with Range, so no byte kept on disk is fetched twice.
"""
from __future__ import annotations

import copy
import errno
import hashlib
import logging
import os
import queue
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from common import realtime
from common.metrics import metrics
from integrations.errors import PermanentError, TransientError
from integrations.internet_archive.client import InternetArchiveClient

from .models import Download

log = logging.getLogger(__name__)

PROGRESS_WRITE_INTERVAL = 0.5
TRANSFER_ATTEMPTS = 4
LOCK_TTL = 60  # seconds; every progress tick renews it, so only a dead transfer's lock runs out
SYNC_EVERY = 32 * 1024 * 1024  # flush to disk as we go, so the final fsync is short
QUEUE_BLOCKS = 32  # blocks in flight per stage: bounds memory at QUEUE_BLOCKS x the read size


class TransferStopped(Exception):
    """Ends a transfer with `status`; the partial file is kept for a resume only when keep_partial."""

    def __init__(self, status: str, message: str, *, keep_partial: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.keep_partial = keep_partial


@dataclass
class TransferReport:
    """What one transfer cost, for the benchmark and the logs."""

    received: int = 0
    resumed_from: int = 0
    ticks: int = 0
    progress_seconds: float = 0.0
    digests: tuple[str, ...] = ()


def lock_key(download_id: int) -> str:
    return f"archive:download-running:{download_id}"


def transfer_running(download_id: int) -> bool:
    """Whether a live worker holds the transfer (its lock is renewed at every progress tick)."""
    return cache.get(lock_key(download_id)) is not None


def publish(download: Download, *, force: bool = False) -> None:
    realtime.publish_progress(
        groups=[download.group, download.user_group], dom_id=download.dom_id, done=download.bytes_done,
        total=download.bytes_total, label=download.label, status=download.status, message=download.error, force=force,
    )


def digests_for(download: Download) -> tuple[str, ...]:
    """The digests to check: md5 (listed for every archive file), plus sha1 with ARCHIVE_VERIFY=md5+sha1.

    sha1 stands in when the file list gives no md5, so a listed checksum is never left unchecked.
    """
    wanted = set(settings.ARCHIVE_VERIFY.split("+"))
    names = ["md5"] if download.md5 else []
    if download.sha1 and ("sha1" in wanted or not download.md5):
        names.append("sha1")
    return tuple(names)


def _new_hashers(names: tuple[str, ...]) -> dict[str, Any]:
    # The archive publishes md5/sha1 for integrity, not security: hence usedforsecurity=False.
    return {name: hashlib.new(name, usedforsecurity=False) for name in names}


def _hash_existing(path: Path, hashers: dict[str, Any]) -> int:
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(4 * 1024 * 1024):
            for h in hashers.values():
                h.update(chunk)
            size += len(chunk)
    return size


class _Sink:
    """Writes and hashes the received blocks in background threads, one stage each, so the network read
    never waits for the disk or the digests. Every stage gets the same bytes object (no copies)."""

    def __init__(self, fh: IO[bytes], hashers: dict[str, Any]) -> None:
        self.error: BaseException | None = None
        self.queues: list[queue.Queue[bytes | None]] = []
        self.threads: list[threading.Thread] = []
        for consume in (self._write_to(fh), *(h.update for h in hashers.values())):
            q: queue.Queue[bytes | None] = queue.Queue(maxsize=QUEUE_BLOCKS)
            thread = threading.Thread(target=self._run, args=(q, consume), daemon=True)
            thread.start()
            self.queues.append(q)
            self.threads.append(thread)

    @staticmethod
    def _write_to(fh: IO[bytes]) -> Callable[[bytes], None]:
        unsynced = 0

        def write(chunk: bytes) -> None:
            nonlocal unsynced
            try:
                fh.write(chunk)
                unsynced += len(chunk)
                if unsynced >= SYNC_EVERY:
                    fh.flush()
                    os.fdatasync(fh.fileno())
                    unsynced = 0
            except OSError as exc:
                if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                    raise TransferStopped(Download.Status.FAILED,
                                          "The disk is full; the partial file was removed.") from exc
                raise
        return write

    def _run(self, q: queue.Queue[bytes | None], consume: Callable[[bytes], None]) -> None:
        while True:
            chunk = q.get()
            if chunk is None:
                return
            if self.error is None:
                try:
                    consume(chunk)
                except BaseException as exc:  # surfaced in the receiving thread by put() or close()
                    self.error = exc

    def put(self, chunk: bytes) -> None:
        if self.error is not None:
            raise self.error
        for q in self.queues:
            q.put(chunk)

    def close(self) -> None:
        """Waits until every block is written and hashed; re-raises a stage's error."""
        for q in self.queues:
            q.put(None)
        for thread in self.threads:
            thread.join()
        if self.error is not None:
            raise self.error


class _Publisher:
    """Pushes live progress from its own thread: a push renders the bar and crosses the channel layer,
    which the receiving thread should not wait for. Only the latest state matters, so a newer one
    replaces one not sent yet."""

    def __init__(self) -> None:
        self._latest: Download | None = None
        self._closed = False
        self._ready = threading.Condition()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def push(self, download: Download) -> None:
        with self._ready:
            self._latest = copy.copy(download)  # a snapshot: the receiving thread goes on updating its own
            self._ready.notify()

    def _run(self) -> None:
        while True:
            with self._ready:
                while self._latest is None and not self._closed:
                    self._ready.wait()
                latest, self._latest = self._latest, None
                if latest is None:
                    return
            try:
                publish(latest)
            except Exception:  # a lost progress message must never break the transfer
                log.warning("progress push failed for download %s", latest.pk, exc_info=True)

    def close(self) -> None:
        with self._ready:
            self._closed = True
            self._ready.notify()
        self._thread.join()


def _tick(download: Download, *, token: str, publisher: _Publisher) -> None:
    """Records progress, keeps the transfer lock alive, and stops when the user cancelled.

    One database round trip: the update only matches while the row is still `downloading`, so a cancel
    shows up as 0 rows updated (it runs on the receiving thread, which waits meanwhile).
    """
    cache.set(lock_key(download.pk), token, timeout=LOCK_TTL)
    still_ours = Download.objects.filter(pk=download.pk, status=Download.Status.DOWNLOADING).update(
        bytes_done=download.bytes_done, bytes_total=download.bytes_total, updated_at=timezone.now())
    if not still_ours:
        raise TransferStopped(Download.Status.CANCELLED, "Cancelled.")
    publisher.push(download)


def transfer_run(download: Download, *, part: Path, target: Path, client: InternetArchiveClient, token: str,
                 on_progress: Callable[[Download], None] | None = None,
                 report: TransferReport | None = None) -> None:
    """Streams `download` into `part` (resuming from what it holds), verifies it and moves it to `target`.

    Raises TransferStopped to end the download failed or cancelled.
    """
    report = report if report is not None else TransferReport()
    part.parent.mkdir(parents=True, exist_ok=True)
    buffer_size = settings.ARCHIVE_DOWNLOAD_CHUNK_BYTES
    started = time.perf_counter()
    names = digests_for(download)
    report.digests = names
    hashers = _new_hashers(names)
    done = _hash_existing(part, hashers) if part.exists() else 0
    if download.bytes_total and done > download.bytes_total:
        part.unlink()
        hashers, done = _new_hashers(names), 0
    report.resumed_from = done
    attempt = 0
    while True:
        offset = done
        remaining = (download.bytes_total - offset) if download.bytes_total else 0
        free = shutil.disk_usage(part.parent).free
        if remaining and free - remaining < settings.ARCHIVE_MIN_FREE_BYTES:
            raise TransferStopped(Download.Status.FAILED,
                                  f"Not enough disk space: {remaining} bytes needed, {free} free.", keep_partial=True)
        if download.bytes_total and offset == download.bytes_total:
            break  # the partial file is whole already (a worker died while verifying)
        try:
            with client.open_file(download.identifier, download.file_name, offset=offset) as response:
                mode = "ab"
                if offset and response.status_code != 206:  # the server ignored Range: start over
                    hashers, done, mode = _new_hashers(names), 0, "wb"
                elif offset and not response.headers.get("Content-Range", "").startswith(f"bytes {offset}-"):
                    raise TransferStopped(Download.Status.FAILED, "The archive resumed at the wrong place "
                                          f"({response.headers.get('Content-Range', '')}).")
                length = int(response.headers.get("Content-Length") or 0)
                if not download.bytes_total and length:
                    download.bytes_total = done + length
                # big reads for speed, small enough that the bar moves for small files too
                read_size = max(4096, min(buffer_size, (download.bytes_total or 0) // 50))
                last_tick = time.monotonic()
                with part.open(mode, buffering=buffer_size) as fh:
                    sink = _Sink(fh, hashers)
                    publisher = _Publisher()
                    try:
                        while chunk := response.read(read_size):
                            sink.put(chunk)
                            done += len(chunk)
                            report.received += len(chunk)
                            if download.bytes_total and done > download.bytes_total:
                                raise TransferStopped(Download.Status.FAILED, "The archive sent more than the "
                                                      f"{download.bytes_total} bytes listed.")
                            now = time.monotonic()
                            if now - last_tick >= PROGRESS_WRITE_INTERVAL:
                                last_tick = now
                                download.bytes_done = done
                                _tick(download, token=token, publisher=publisher)
                                if on_progress:
                                    on_progress(download)
                                report.ticks += 1
                                report.progress_seconds += time.monotonic() - now
                    finally:
                        publisher.close()
                        sink.close()  # what arrived before a broken connection is kept, so a resume starts after it
                    fh.flush()
                    os.fsync(fh.fileno())
            download.bytes_done = done
            break
        except TransferStopped:
            raise
        except PermanentError as exc:
            if exc.status == 416 and download.bytes_total and offset == download.bytes_total:
                break
            raise TransferStopped(Download.Status.FAILED, f"The archive refused the file: {exc}") from exc
        except TransientError as exc:
            kept = part.stat().st_size if part.exists() else 0
            if kept != done:  # never trust digests of bytes we cannot account for: hash the file again
                hashers = _new_hashers(names)
                done = _hash_existing(part, hashers) if part.exists() else 0
            download.bytes_done = done
            attempt += 1
            if attempt >= TRANSFER_ATTEMPTS:
                raise TransferStopped(Download.Status.FAILED, f"Transfer failed after {attempt} attempts ({exc}); "
                                      f"{done} bytes kept, retry to resume.", keep_partial=True) from exc
            delay = exc.retry_after if exc.retry_after is not None else settings.INTEGRATION_BACKOFF_BASE * 2 ** attempt
            time.sleep(min(delay, settings.INTEGRATION_MAX_INLINE_WAIT))
    _verify_and_store(download, part=part, target=target,
                      digests={name: h.hexdigest() for name, h in hashers.items()}, started=started)
    if on_progress:
        on_progress(download)


def _verify_and_store(download: Download, *, part: Path, target: Path, digests: dict[str, str],
                      started: float) -> None:
    size = part.stat().st_size
    if download.bytes_total and size != download.bytes_total:
        raise TransferStopped(Download.Status.FAILED,
                              f"Size mismatch: expected {download.bytes_total} bytes, got {size}.")
    for name, got in digests.items():
        expected = getattr(download, name)
        if got != expected:
            raise TransferStopped(Download.Status.FAILED,
                                  f"Checksum mismatch: expected {name} {expected}, got {got}; file removed.")
    status = Download.objects.filter(pk=download.pk).values_list("status", flat=True).first()
    if status != Download.Status.DOWNLOADING:
        raise TransferStopped(Download.Status.CANCELLED, "Cancelled.")
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(part, target)  # same filesystem: atomic, so the library never holds half a file
    download.status = Download.Status.COMPLETED
    download.bytes_done = download.bytes_total = size
    download.path = str(target.relative_to(Path(settings.MEDIA_ROOT).resolve()))
    download.completed_at = timezone.now()
    download.error = ""
    updated = Download.objects.filter(pk=download.pk, status=Download.Status.DOWNLOADING).update(
        status=download.status, bytes_done=size, bytes_total=size, path=download.path,
        completed_at=download.completed_at, error="", updated_at=timezone.now())
    if not updated:  # cancelled in the last instant
        target.unlink(missing_ok=True)
        raise TransferStopped(Download.Status.CANCELLED, "Cancelled.")
    metrics.record_timing(name="archive.download", duration=time.perf_counter() - started)
    publish(download, force=True)
