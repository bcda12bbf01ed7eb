"""The verified, resumable transfer of one archive file: receive, hash and write at once, resume, verify.

Three things happen to every byte, each once, in parallel: the receiving thread reads it from the
socket straight into a ring of large page-aligned buffers (http.client's readinto, no copy in between);
a writer thread appends each block to the partial file with direct I/O where the file system allows it
(no page-cache copy); one thread per digest feeds it to hashlib. File writes and hashlib release the
GIL, so on two free cores the download runs at the pace of its slowest stage (md5, on this machine).
On a busy machine the process gets about one core's share however many threads it runs (the kernel
shares CPU between sessions), so there the CPU each byte costs is what counts: that is why nothing is
copied twice. Progress is written and pushed at most every PROGRESS_WRITE_INTERVAL seconds, from the
receiving thread, without waiting for the other stages.

Resume: the partial file is MEDIA_ROOT/downloads/.partial/<id>.part; a later run hashes what it holds
and asks the archive for the rest with Range, so no byte kept on disk is fetched twice.
"""
from __future__ import annotations

import atexit
import copy
import errno
import fcntl
import hashlib
import logging
import mmap
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
from integrations.internet_archive.download import FileStream

from .models import Download

log = logging.getLogger(__name__)

PROGRESS_WRITE_INTERVAL = 0.5
TRANSFER_ATTEMPTS = 4
LOCK_TTL = 60  # seconds; every progress tick renews it, so only a dead transfer's lock runs out
SYNC_EVERY = 32 * 1024 * 1024  # flush to disk as we go, so the final fsync is short
RING_BLOCKS = 4  # receive buffers per transfer: memory is RING_BLOCKS x ARCHIVE_DOWNLOAD_CHUNK_BYTES (16 MB)
ALIGN = 4096  # direct I/O wants buffers, lengths and file offsets in whole blocks of the device


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
    # where the time went: request sent to headers, first to last byte read, waiting after the last read
    # for the hash and write stages to catch up, the final fsync, and the check, move and row update
    open_seconds: float = 0.0
    receive_seconds: float = 0.0
    drain_seconds: float = 0.0
    sync_seconds: float = 0.0
    store_seconds: float = 0.0


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


def publish_now(download: Download) -> None:
    """Sends the bar at once, for the publisher thread: it holds no transaction to wait for, and so it
    opens no database connection of its own (publish() asks the connection whether a commit is pending)."""
    html = realtime.render_progress(dom_id=download.dom_id, done=download.bytes_done, total=download.bytes_total,
                                    label=download.label, status=download.status, message=download.error, oob=True)
    for group in (download.group, download.user_group):
        realtime.send_now(group, {"type": "push.html", "html": html})


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


class _PartWriter:
    """Appends blocks to the partial file. Whole, aligned blocks go with O_DIRECT: the disk reads them
    from our buffer, so the page cache neither copies nor keeps them (the write then costs almost no CPU,
    measured in bench/bench_archive.py). Anything else (the tail, a resume at an odd offset) goes through
    the page cache, as does everything where the file system refuses direct I/O."""

    def __init__(self, fh: IO[bytes], *, offset: int) -> None:
        self.fh = fh
        self.offset = offset
        self.can_direct = bool(settings.ARCHIVE_DIRECT_WRITES) and hasattr(os, "O_DIRECT")
        self.direct = False
        self.unsynced = 0

    def _set_direct(self, on: bool) -> None:
        if on != self.direct:
            flags = fcntl.fcntl(self.fh.fileno(), fcntl.F_GETFL)
            fcntl.fcntl(self.fh.fileno(), fcntl.F_SETFL, (flags | os.O_DIRECT) if on else (flags & ~os.O_DIRECT))
            self.direct = on

    def write(self, block: memoryview) -> None:
        try:
            while block:
                aligned = self.can_direct and self.offset % ALIGN == 0 and len(block) % ALIGN == 0
                try:
                    self._set_direct(aligned)
                    written = self.fh.write(block) or 0
                except OSError as exc:
                    if exc.errno != errno.EINVAL or not aligned:
                        raise
                    self.can_direct = False  # this file system takes no direct I/O: the page cache it is
                    continue
                block = block[written:]
                self.offset += written
                self.unsynced += written
            if self.unsynced >= SYNC_EVERY:  # flushed as we go, so the final fsync is short
                os.fdatasync(self.fh.fileno())
                self.unsynced = 0
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise TransferStopped(Download.Status.FAILED, "The disk is full; the partial file was removed.") from exc
            raise


class _Pipeline:
    """Receives into a ring of page-aligned buffers while a writer thread and one thread per digest consume
    the blocks already received, so every byte is copied once (socket to buffer) and read twice (disk, hash).

    Each stage has RING_BLOCKS permits: the receiving thread takes one from every stage before it reuses a
    slot and each stage gives one back per block done. Stages take blocks in order, so the slot a permit
    frees is the oldest, and no buffer is overwritten before every stage is through with it. File writes
    and hashlib release the GIL, so on two cores the stages run side by side.
    """

    def __init__(self, *, writer: _PartWriter, hashers: dict[str, Any], block_size: int) -> None:
        self._maps = [mmap.mmap(-1, block_size) for _ in range(RING_BLOCKS)]  # anonymous maps: page-aligned
        self._slots = [memoryview(m) for m in self._maps]
        self._next = 0
        self.error: BaseException | None = None
        self._stages: list[tuple[queue.SimpleQueue[memoryview | None], threading.Semaphore, threading.Thread]] = []
        for consume in (writer.write, *(h.update for h in hashers.values())):
            blocks: queue.SimpleQueue[memoryview | None] = queue.SimpleQueue()
            permits = threading.Semaphore(RING_BLOCKS)
            thread = threading.Thread(target=self._run, args=(blocks, permits, consume), daemon=True)
            thread.start()
            self._stages.append((blocks, permits, thread))

    def _run(self, blocks: queue.SimpleQueue[memoryview | None], permits: threading.Semaphore,
             consume: Callable[[memoryview], object]) -> None:
        while (block := blocks.get()) is not None:
            if self.error is None:
                try:
                    consume(block)
                except BaseException as exc:  # surfaced in the receiving thread by receive() or close()
                    self.error = exc
            permits.release()

    def receive(self, response: FileStream, amount: int) -> int:
        """Reads the next block of at most `amount` bytes and hands it to every stage; 0 at the end."""
        if self.error is not None:
            raise self.error
        for _, permits, _ in self._stages:
            permits.acquire()
        n = 0
        try:
            n = response.readinto(self._slots[self._next][:amount])
        finally:
            if not n:  # the end, or the connection broke: the slot stays free
                for _, permits, _ in self._stages:
                    permits.release()
        if not n:
            return 0
        block = self._slots[self._next][:n]
        self._next = (self._next + 1) % RING_BLOCKS
        for blocks, _, _ in self._stages:
            blocks.put(block)
        return n

    def close(self) -> None:
        """Waits until every block is written and hashed; re-raises a stage's error."""
        for blocks, _, thread in self._stages:
            blocks.put(None)
            thread.join()
        self._slots.clear()
        if self.error is not None:
            raise self.error


class _Publisher:
    """Pushes live progress from one thread per process: a push renders the bar and crosses the channel
    layer (tens of milliseconds on a busy machine), which no transfer should wait for, not even for its
    final state. Per download only the latest state matters, so a newer one replaces one not sent yet
    (the final state is the last a transfer pushes, so it is never replaced); states go out in the order
    the downloads last changed, at most one per download every PROGRESS_WRITE_INTERVAL while running."""

    def __init__(self) -> None:
        self._pending: dict[int, Download] = {}
        self._sending = False
        self._ready = threading.Condition()
        self._thread: threading.Thread | None = None
        self.sent = 0  # states sent, and the CPU that took, for the benchmark's cost of progress
        self.cpu_seconds = 0.0

    def push(self, download: Download) -> None:
        with self._ready:
            self._pending.pop(download.pk, None)  # re-inserted last: the order downloads last changed in
            self._pending[download.pk] = copy.copy(download)  # a snapshot: the transfer goes on updating its own
            if self._thread is None or not self._thread.is_alive():  # first use, or a forked worker
                self._thread = threading.Thread(target=self._run, daemon=True, name="archive-progress")
                self._thread.start()
            self._ready.notify_all()

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._pending:
                    self._ready.wait()
                batch, self._pending = self._pending, {}
                self._sending = True
            for download in batch.values():
                cpu = time.thread_time()
                try:
                    publish_now(download)
                except Exception:  # a lost progress message must never break a transfer
                    log.warning("progress push failed for download %s", download.pk, exc_info=True)
                self.sent += 1
                self.cpu_seconds += time.thread_time() - cpu
            with self._ready:
                self._sending = False
                self._ready.notify_all()

    def flush(self, timeout: float = 2.0) -> bool:
        """Waits until every pending state is sent (at exit, and in tests); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._ready:
            while self._pending or self._sending:
                left = deadline - time.monotonic()
                if left <= 0 or self._thread is None or not self._thread.is_alive():
                    return False
                self._ready.wait(left)
        return True


publisher = _Publisher()
atexit.register(publisher.flush)  # a command that exits right after its download still sends the final state


def _tick(download: Download, *, token: str) -> None:
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
            opened = time.perf_counter()
            with client.open_file(download.identifier, download.file_name, offset=offset) as response:
                report.open_seconds += time.perf_counter() - opened
                mode = "ab"
                if offset and response.status_code != 206:  # the server ignored Range: start over
                    hashers, done, mode = _new_hashers(names), 0, "wb"
                elif offset and not response.headers.get("Content-Range", "").startswith(f"bytes {offset}-"):
                    raise TransferStopped(Download.Status.FAILED, "The archive resumed at the wrong place "
                                          f"({response.headers.get('Content-Range', '')}).")
                length = int(response.headers.get("Content-Length") or 0)
                if not download.bytes_total and length:
                    download.bytes_total = done + length
                # big reads for speed, small enough that the bar moves for small files too; whole pages,
                # and a first read that brings a resume at an odd offset back onto a page boundary
                read_size = max(ALIGN, min(buffer_size, (download.bytes_total or 0) // 50) // ALIGN * ALIGN)
                amount = read_size - done % ALIGN
                last_tick = time.monotonic()
                with part.open(mode, buffering=0) as fh:
                    pipeline = _Pipeline(writer=_PartWriter(fh, offset=done), hashers=hashers, block_size=read_size)
                    receiving = time.perf_counter()
                    try:
                        while n := pipeline.receive(response, amount):
                            amount = read_size
                            done += n
                            report.received += n
                            if download.bytes_total and done > download.bytes_total:
                                raise TransferStopped(Download.Status.FAILED, "The archive sent more than the "
                                                      f"{download.bytes_total} bytes listed.")
                            now = time.monotonic()
                            if now - last_tick >= PROGRESS_WRITE_INTERVAL:
                                last_tick = now
                                download.bytes_done = done
                                _tick(download, token=token)
                                if on_progress:
                                    on_progress(download)
                                report.ticks += 1
                                report.progress_seconds += time.monotonic() - now
                    finally:
                        draining = time.perf_counter()
                        report.receive_seconds += draining - receiving
                        pipeline.close()  # what arrived before a broken connection is kept, so a resume starts after it
                        report.drain_seconds += time.perf_counter() - draining
                    syncing = time.perf_counter()
                    os.fsync(fh.fileno())
                    report.sync_seconds += time.perf_counter() - syncing
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
    storing = time.perf_counter()
    _verify_and_store(download, part=part, target=target,
                      digests={name: h.hexdigest() for name, h in hashers.items()}, started=started)
    report.store_seconds = time.perf_counter() - storing
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
    if not updated:  # cancelled meanwhile: the row says so, and the library never lists the file
        target.unlink(missing_ok=True)
        raise TransferStopped(Download.Status.CANCELLED, "Cancelled.")
    metrics.record_timing(name="archive.download", duration=time.perf_counter() - started)
    publisher.push(download)
