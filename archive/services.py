"""Writes for archive: searches (cached, logged), item metadata (cached), and verified, resumable downloads."""
from __future__ import annotations

import datetime as dt
import errno
import hashlib
import logging
import os
import queue
import re
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from common import realtime
from common.exceptions import Conflict, InvalidInput, NotFound, QuotaExceeded, ServiceUnavailable
from common.metrics import metrics
from common.services import search_log_record
from integrations.errors import IntegrationError, PermanentError, TransientError
from integrations.errors import NotFound as UpstreamNotFound
from integrations.internet_archive.client import ETREE_QUERY, SORTS, InternetArchiveClient, download_url
from integrations.internet_archive.errors import InvalidIdentifier
from integrations.internet_archive.parser import (
    AUDIO_FORMATS,
    canonical_format,
    is_valid_identifier,
    safe_relative_path,
)
from integrations.internet_archive.types import ItemFile, ItemMetadata, Review, SearchPage

from . import cache as archive_cache
from .models import Download, ItemSnapshot, SearchHistory

log = logging.getLogger(__name__)

RANGES = {"7d": 7, "30d": 30, "90d": 90, "1y": 365}
_LUCENE_SPECIAL = re.compile(r'([+\-!(){}\[\]^"~*?:\\/]|&&|\|\|)')
_PROGRESS_WRITE_INTERVAL = 0.5
_TRANSFER_ATTEMPTS = 4


# -- search --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SearchParams:
    q: str = ""
    artist: str = ""
    venue: str = ""
    year: int | None = None
    range: str = ""  # 7d, 30d, 90d, 1y: added to the archive recently
    date_from: dt.date | None = None  # concert date
    date_to: dt.date | None = None
    sort: str = "relevance"
    page: int = 1
    rows: int = 25

    def validate(self) -> SearchParams:
        if self.sort not in SORTS:
            raise InvalidInput(f"sort must be one of {', '.join(SORTS)}.", field="sort")
        if self.range and self.range not in RANGES:
            raise InvalidInput(f"range must be one of {', '.join(RANGES)}.", field="range")
        if self.year is not None and not 1900 <= self.year <= 2100:
            raise InvalidInput("year must be between 1900 and 2100.", field="year")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise InvalidInput("date_from must not be after date_to.", field="date_from")
        if self.page < 1 or self.page > 1000:
            raise InvalidInput("page must be between 1 and 1000.", field="page")
        if not 1 <= self.rows <= 100:
            raise InvalidInput("rows must be between 1 and 100.", field="rows")
        for name in ("q", "artist", "venue"):
            if len(getattr(self, name)) > 200:
                raise InvalidInput(f"{name} is too long (200 characters at most).", field=name)
        return self

    @property
    def is_empty(self) -> bool:
        return not any([self.q, self.artist, self.venue, self.year, self.range, self.date_from, self.date_to])

    def summary(self) -> str:
        parts = [f'"{self.q}"'] if self.q else []
        parts += [f"{label}: {value}" for label, value in (
            ("artist", self.artist), ("venue", self.venue), ("year", self.year), ("added", self.range),
            ("from", self.date_from), ("to", self.date_to)) if value]
        if self.sort != "relevance":
            parts.append(f"sorted by {self.sort}")
        return ", ".join(parts) or "everything"

    def as_query(self) -> dict:
        """Query-string parameters that reproduce this search (page excluded)."""
        data = {k: v for k, v in asdict(self).items() if v not in ("", None) and k not in ("page", "rows")}
        if data.get("sort") == "relevance":
            data.pop("sort")
        return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in data.items()}


def lucene_escape(text: str) -> str:
    return _LUCENE_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _phrase(text: str) -> str:
    return '"' + " ".join(text.split()).replace("\\", "\\\\").replace('"', '\\"') + '"'


def etree_query(*, text: str = "", artist: str = "", venue: str = "", year: int | None = None,
                date_from: dt.date | None = None, date_to: dt.date | None = None,
                added_since: dt.date | None = None) -> str:
    """The Lucene query for etree concerts (stream-only items excluded) with the given filters."""
    parts = [f"({ETREE_QUERY})"]
    if text:
        parts.append(f"({lucene_escape(text)})")
    if artist:
        parts.append(f"creator:{_phrase(artist)}")
    if venue:
        parts.append(f"venue:{_phrase(venue)}")
    if year:
        parts.append(f"year:{int(year)}")
    if date_from or date_to:
        parts.append(f"date:[{date_from.isoformat() if date_from else '*'} TO {date_to.isoformat() if date_to else '*'}]")
    if added_since:
        parts.append(f"addeddate:[{added_since.isoformat()} TO null]")
    return " AND ".join(parts)


def _upstream_error(exc: IntegrationError) -> Exception:
    if isinstance(exc, InvalidIdentifier):
        return InvalidInput(str(exc), field="identifier")
    if isinstance(exc, UpstreamNotFound):
        return NotFound("No such item on the Internet Archive.")
    if isinstance(exc, TransientError):
        return ServiceUnavailable("The Internet Archive is not answering right now; try again shortly.",
                                  retry_after=int(exc.retry_after or 30))
    return ServiceUnavailable(f"The Internet Archive gave an unexpected answer: {exc}", retry_after=60)


def archive_search(*, params: SearchParams, user=None, record: bool = True) -> tuple[SearchPage, bool]:
    """Searches etree (cached 30 min); records the search in the user's history. Returns (page, from_cache)."""
    params.validate()
    added_since = timezone.now().date() - dt.timedelta(days=RANGES[params.range]) if params.range else None
    query = etree_query(text=params.q, artist=params.artist, venue=params.venue, year=params.year,
                        date_from=params.date_from, date_to=params.date_to, added_since=added_since)
    key = archive_cache.make_key("search", {"q": query, "sort": params.sort, "page": params.page, "rows": params.rows})
    page = archive_cache.get(key)
    cached = page is not None
    if page is None:
        start = time.perf_counter()
        try:
            with InternetArchiveClient() as client:
                page = client.search(query=query, page=params.page, rows=params.rows, sort=params.sort)
        except IntegrationError as exc:
            metrics.record_timing(name="archive.search", duration=time.perf_counter() - start, ok=False)
            raise _upstream_error(exc) from exc
        metrics.record_timing(name="archive.search", duration=time.perf_counter() - start)
        archive_cache.put(key, page, ttl=settings.ARCHIVE_SEARCH_CACHE_TTL)
    if record and not params.is_empty:
        search_log_record(section="archive", query=params.summary(), user=user)
        if user is not None and user.is_authenticated and params.page == 1:
            search_history_record(user=user, params=params, results_count=page.total)
    return page, cached


def search_history_record(*, user, params: SearchParams, results_count: int) -> SearchHistory:
    """Keeps the search in the user's history (one row per distinct search, most recent first)."""
    data = params.as_query()
    key = archive_cache.make_key("history", data).rsplit(":", 1)[-1]
    entry, created = SearchHistory.objects.get_or_create(
        user=user, params_key=key,
        defaults={"summary": params.summary()[:300], "params": data, "results_count": results_count},
    )
    if not created:
        SearchHistory.objects.filter(pk=entry.pk).update(uses=entry.uses + 1, results_count=results_count,
                                                         last_used_at=timezone.now())
    return entry


def search_history_clear(*, user) -> int:
    return SearchHistory.objects.filter(user=user).delete()[0]


# -- items ------------------------------------------------------------------------------------------
def archive_item_get(*, identifier: str) -> ItemMetadata:
    """An item's metadata (cached 60 min); 422 for a bad identifier, 404 when unavailable."""
    if not is_valid_identifier(identifier):
        raise InvalidInput("Not a valid Internet Archive identifier.", field="identifier")
    key = archive_cache.make_key("metadata", identifier)
    meta = archive_cache.get(key)
    if meta is not None:
        return meta
    pinned = ItemSnapshot.objects.filter(identifier=identifier, pinned=True).first()
    if pinned is not None:
        return item_from_dict(pinned.data)
    start = time.perf_counter()
    try:
        with InternetArchiveClient() as client:
            meta = client.metadata(identifier)
    except IntegrationError as exc:
        metrics.record_timing(name="archive.metadata", duration=time.perf_counter() - start, ok=False)
        if exc.transient:  # offline or the archive is down: the last copy we saw is better than nothing
            snapshot = ItemSnapshot.objects.filter(identifier=identifier).first()
            if snapshot is not None:
                return item_from_dict(snapshot.data)
        raise _upstream_error(exc) from exc
    metrics.record_timing(name="archive.metadata", duration=time.perf_counter() - start)
    archive_cache.put(key, meta, ttl=settings.ARCHIVE_METADATA_CACHE_TTL)
    item_snapshot_save(meta=meta)
    try:
        from concerts.services import recording_enrich

        recording_enrich(meta=meta)
    except Exception:  # enrichment is a bonus; the item page must not depend on it
        log.warning("recording enrichment failed for %s", identifier, exc_info=True)
    return meta


def item_snapshot_save(*, meta: ItemMetadata, pinned: bool = False) -> None:
    """Keeps the item's metadata for offline use (the player and item page work without the archive)."""
    ItemSnapshot.objects.update_or_create(identifier=meta.identifier,
                                          defaults={"data": asdict(meta), "pinned": pinned})


def item_from_dict(data: dict) -> ItemMetadata:
    files = [ItemFile(**f) for f in data.get("files", [])]
    reviews = [Review(**r) for r in data.get("reviews", [])]
    return ItemMetadata(**{**data, "files": files, "reviews": reviews,
                           "collections": tuple(data.get("collections") or ())})


def archive_cache_clear() -> int:
    return archive_cache.clear()


# -- downloads: requests ------------------------------------------------------------------------------
def downloads_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "downloads"


def partial_path(download: Download) -> Path:
    return downloads_root() / ".partial" / f"{download.pk}.part"


def final_path(download: Download) -> Path:
    """MEDIA_ROOT/downloads/<user id>/<identifier>/<file name>, never outside that folder."""
    base = (downloads_root() / str(download.user_id) / download.identifier).resolve()
    target = (base / safe_relative_path(download.file_name)).resolve()
    if base not in target.parents:
        raise InvalidInput("Unsafe file name.", field="file")
    return target


def _quota_used(user) -> int:
    return Download.objects.filter(
        user=user, status__in=[Download.Status.COMPLETED, *Download.ACTIVE]
    ).aggregate(n=Sum("bytes_total"))["n"] or 0


def _enqueue(download: Download) -> None:
    from .tasks import download_file

    download_id = download.pk

    def send() -> None:
        result = download_file.delay(download_id)
        if result is not None and result.id:  # kept so cancel can revoke it
            Download.objects.filter(pk=download_id).update(task_id=result.id)

    transaction.on_commit(send)


def download_request(*, user, identifier: str, file: str = "", format: str = "", enqueue: bool = True
                     ) -> tuple[list[Download], bool]:
    """Queues one file, or every audio file of a format, for `user`. Returns (downloads, anything new).

    The same file while in progress is a Conflict ("already in progress"); a completed one is returned
    as it is. Only files listed in the item's metadata and not private can be fetched (no SSRF, no paths).
    """
    if not is_valid_identifier(identifier):
        raise InvalidInput("Not a valid Internet Archive identifier.", field="identifier")
    if bool(file) == bool(format):
        raise InvalidInput("Give either a file or a format.", field="file" if not format else "format")
    meta = archive_item_get(identifier=identifier)
    if file:
        item_file = meta.file(file)
        if item_file is None:
            raise InvalidInput("That file is not in the item's file list.", field="file")
        try:
            safe_relative_path(item_file.name)
        except ValueError as exc:
            raise InvalidInput("Unsafe file name.", field="file") from exc
        if item_file.private:
            raise InvalidInput("The archive does not allow downloading that file (stream only).", field="file")
        files = [item_file]
    else:
        wanted = canonical_format(format)
        files = sorted((f for f in meta.files if f.format == wanted and not f.private),
                       key=lambda f: (f.track is None, f.track or 0, f.name))
        if not files:
            offered = sorted({f.format for f in meta.files if f.format in AUDIO_FORMATS and not f.private})
            raise InvalidInput(f"No downloadable {format!r} files in this item; available: "
                               f"{', '.join(offered) or 'none'}.", field="format")
        for f in files:
            try:
                safe_relative_path(f.name)
            except ValueError as exc:
                raise InvalidInput(f"Unsafe file name in the item: {f.name!r:.80}", field="format") from exc

    with transaction.atomic():
        existing = {d.file_name: d for d in Download.objects.select_for_update()
                    .filter(user=user, identifier=identifier, file_name__in=[f.name for f in files])}
        active = [name for name, d in existing.items() if d.is_active]
        if active and (file or len(active) == len(files)):
            raise Conflict("That download is already in progress." if file else
                           "Those downloads are already in progress.")
        to_queue = []
        for f in files:
            d = existing.get(f.name)
            if d is not None and (d.is_active or (d.status == Download.Status.COMPLETED and d.absolute_path
                                                  and d.absolute_path.exists())):
                continue
            to_queue.append(f)
        needed = sum(f.size or 0 for f in to_queue)
        quota = settings.ARCHIVE_USER_QUOTA_BYTES
        if to_queue and _quota_used(user) + needed > quota:
            raise QuotaExceeded(f"This would take you past your storage quota of {quota // 1024**2} MB.")
        results = []
        created_any = False
        for f in files:
            d = existing.get(f.name)
            if f not in to_queue:
                results.append(d)
                continue
            values = {
                "title": meta.title[:500], "creator": meta.creator[:300], "track_title": f.title[:500],
                "track": f.track, "format": f.format[:64], "length": f.length, "status": Download.Status.PENDING,
                "bytes_done": 0, "bytes_total": f.size or 0, "md5": f.md5[:32], "sha1": f.sha1[:40], "path": "",
                "error": "", "started_at": None, "completed_at": None,
                "source_url": download_url(identifier, f.name)[:2000],
            }
            if d is None:
                try:
                    with transaction.atomic():
                        d = Download.objects.create(user=user, identifier=identifier, file_name=f.name, **values)
                except IntegrityError as exc:  # a concurrent request created it first
                    raise Conflict("That download is already in progress.") from exc
            else:
                for k, v in values.items():
                    setattr(d, k, v)
                d.save()
            created_any = True
            results.append(d)
            if enqueue:
                _enqueue(d)
    return results, created_any


def download_cancel(*, download: Download) -> Download | None:
    """Cancels an active download (the worker stops and cleans up); removes a finished one and its file."""
    with transaction.atomic():
        locked = Download.objects.select_for_update().get(pk=download.pk)
        if locked.is_active:
            locked.status = Download.Status.CANCELLED
            locked.error = "Cancelled."
            locked.save(update_fields=["status", "error", "updated_at"])
            cancelled = True
        else:
            cancelled = False
    if cancelled:
        if locked.task_id:
            try:
                from config.celery import app

                app.control.revoke(locked.task_id)
            except Exception:  # the worker also checks the status between chunks
                pass
        if not _transfer_running(locked.pk):
            partial_path(locked).unlink(missing_ok=True)
        _publish(locked)
        return locked
    path = locked.absolute_path
    if path and path.exists() and path.is_file():
        path.unlink()
    partial_path(locked).unlink(missing_ok=True)
    locked.delete()
    return None


def download_retry(*, download: Download) -> Download:
    """Re-queues a failed or cancelled download; a failed one resumes from its partial file."""
    with transaction.atomic():
        locked = Download.objects.select_for_update().get(pk=download.pk)
        if locked.status not in (Download.Status.FAILED, Download.Status.CANCELLED):
            raise Conflict(f"Only failed or cancelled downloads can be retried (this one is {locked.status}).")
        locked.status = Download.Status.PENDING
        locked.error = ""
        locked.completed_at = None
        locked.save(update_fields=["status", "error", "completed_at", "updated_at"])
        _enqueue(locked)
    return locked


# -- downloads: the transfer -----------------------------------------------------------------------
class _Stop(Exception):
    def __init__(self, status: str, message: str, *, keep_partial: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.keep_partial = keep_partial


def _lock_key(download_id: int) -> str:
    return f"archive:download-running:{download_id}"


def _transfer_running(download_id: int) -> bool:
    return cache.get(_lock_key(download_id)) is not None


def _publish(download: Download, *, force: bool = False) -> None:
    realtime.publish_progress(
        groups=[download.group, download.user_group], dom_id=download.dom_id, done=download.bytes_done,
        total=download.bytes_total, label=download.label, status=download.status, message=download.error, force=force,
    )


def _hash_existing(path: Path, hashers: list) -> int:
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1024 * 1024):
            for h in hashers:
                h.update(chunk)
            size += len(chunk)
    return size


def download_run(*, download_id: int, on_progress: Callable[[Download], None] | None = None,
                 client: InternetArchiveClient | None = None) -> str:
    """Runs one download: stream to a partial file with Range resume, verify, move into the library.

    Safe to run twice: a finished, cancelled or concurrently running download is left alone. Returns
    the final status, or "busy" when another worker holds the transfer.
    """
    token = f"{os.getpid()}:{time.monotonic_ns()}"
    if not cache.add(_lock_key(download_id), token, timeout=60):
        return "busy"
    try:
        claimed = Download.objects.filter(pk=download_id, status__in=Download.ACTIVE).update(
            status=Download.Status.DOWNLOADING, updated_at=timezone.now(), error="")
        if not claimed:
            d = Download.objects.filter(pk=download_id).first()
            return d.status if d else "missing"
        download = Download.objects.get(pk=download_id)
        Download.objects.filter(pk=download_id).update(attempts=download.attempts + 1,
                                                       started_at=download.started_at or timezone.now())
        own_client = client is None
        client = client or InternetArchiveClient()
        try:
            _transfer(download, client=client, on_progress=on_progress, token=token)
        except _Stop as stop:
            if not stop.keep_partial:
                partial_path(download).unlink(missing_ok=True)
            download.refresh_from_db(fields=["status"])
            if download.status != Download.Status.CANCELLED:
                download.status = stop.status
                download.error = stop.message[:2000]
                Download.objects.filter(pk=download.pk, status=Download.Status.DOWNLOADING).update(
                    status=stop.status, error=download.error, bytes_done=download.bytes_done,
                    bytes_total=download.bytes_total, updated_at=timezone.now())
            _publish(download, force=True)
            if on_progress:
                on_progress(download)
            metrics.record_timing(name="archive.download", duration=0.0, ok=False)
            return download.status
        finally:
            if own_client:
                client.close()
        return download.status
    finally:
        if cache.get(_lock_key(download_id)) == token:
            cache.delete(_lock_key(download_id))


def _transfer(download: Download, *, client: InternetArchiveClient, on_progress, token: str) -> None:
    part = partial_path(download)
    part.parent.mkdir(parents=True, exist_ok=True)
    target = final_path(download)
    buffer_size = settings.ARCHIVE_DOWNLOAD_CHUNK_BYTES
    started = time.perf_counter()
    attempt = 0
    while True:
        # The archive publishes md5/sha1 for integrity checks, not security: hence usedforsecurity=False.
        md5, sha1 = hashlib.md5(usedforsecurity=False), hashlib.sha1(usedforsecurity=False)
        offset = _hash_existing(part, [md5, sha1]) if part.exists() else 0
        if download.bytes_total and offset > download.bytes_total:
            part.unlink()
            md5, sha1, offset = hashlib.md5(usedforsecurity=False), hashlib.sha1(usedforsecurity=False), 0
        remaining = (download.bytes_total - offset) if download.bytes_total else 0
        free = shutil.disk_usage(part.parent).free
        if remaining and free - remaining < settings.ARCHIVE_MIN_FREE_BYTES:
            raise _Stop(Download.Status.FAILED, f"Not enough disk space: {remaining} bytes needed, {free} free.",
                        keep_partial=True)
        done = offset
        try:
            if download.bytes_total and offset == download.bytes_total:
                break  # the partial file is whole already (a worker died while verifying)
            with client.open_file(download.identifier, download.file_name, offset=offset) as response:
                if offset and response.status_code != 206:
                    # the server ignored Range: start over
                    md5, sha1, done = hashlib.md5(usedforsecurity=False), hashlib.sha1(usedforsecurity=False), 0
                    mode = "wb"
                else:
                    mode = "ab"
                    content_range = response.headers.get("Content-Range", "")
                    if offset and not content_range.startswith(f"bytes {offset}-"):
                        raise _Stop(Download.Status.FAILED, f"The archive resumed at the wrong place ({content_range}).")
                length = int(response.headers.get("Content-Length") or 0)
                if not download.bytes_total and length:
                    download.bytes_total = done + length
                last_tick = 0.0
                with part.open(mode, buffering=buffer_size) as fh:
                    sink = _Sink(fh, md5, sha1)
                    try:
                        # big blocks for speed, small enough that the bar moves for small files too
                        block = max(4096, min(buffer_size, (download.bytes_total or 0) // 50))
                        for chunk in _batched(response.iter_bytes(), block):
                            sink.put(chunk)
                            done += len(chunk)
                            if download.bytes_total and done > download.bytes_total:
                                raise _Stop(Download.Status.FAILED,
                                            f"The archive sent more than the {download.bytes_total} bytes listed.")
                            now = time.monotonic()
                            if now - last_tick >= _PROGRESS_WRITE_INTERVAL:
                                last_tick = now
                                sink.drain()
                                fh.flush()
                                download.bytes_done = done
                                _tick(download, token=token)
                                if on_progress:
                                    on_progress(download)
                    finally:
                        sink.close()
                    fh.flush()
                    os.fsync(fh.fileno())
            download.bytes_done = done
            break
        except _Stop:
            raise
        except PermanentError as exc:
            if exc.status == 416 and download.bytes_total and offset == download.bytes_total:
                break
            raise _Stop(Download.Status.FAILED, f"The archive refused the file: {exc}") from exc
        except TransientError as exc:
            download.bytes_done = part.stat().st_size if part.exists() else 0
            attempt += 1
            if attempt >= _TRANSFER_ATTEMPTS:
                raise _Stop(Download.Status.FAILED, f"Transfer failed after {attempt} attempts ({exc}); "
                            f"{download.bytes_done} bytes kept, retry to resume.", keep_partial=True) from exc
            delay = exc.retry_after if exc.retry_after is not None else settings.INTEGRATION_BACKOFF_BASE * 2 ** attempt
            time.sleep(min(delay, settings.INTEGRATION_MAX_INLINE_WAIT))
            continue
    _verify_and_store(download, part=part, target=target, md5=md5.hexdigest(), sha1=sha1.hexdigest(),
                      started=started, token=token)
    if on_progress:
        on_progress(download)


def _batched(chunks, size: int):
    """Joins the network's small chunks into blocks of about `size` bytes (fewer hand-offs to the sink)."""
    pending: list[bytes] = []
    held = 0
    try:
        for chunk in chunks:
            pending.append(chunk)
            held += len(chunk)
            if held >= size:
                yield b"".join(pending)
                pending, held = [], 0
    except Exception:
        if pending:  # keep what arrived before the connection broke, so a resume starts after it
            yield b"".join(pending)
        raise
    if pending:
        yield b"".join(pending)


class _Sink:
    """Writes and hashes the received bytes in background threads, so the network read never waits
    for the disk or the digests (file writes and hashlib both release the GIL)."""

    def __init__(self, fh, md5, sha1) -> None:
        self.error: BaseException | None = None
        self.queues = []
        self.threads = []
        for consume in (self._write_to(fh), md5.update, sha1.update):
            q: queue.Queue = queue.Queue(maxsize=64)
            thread = threading.Thread(target=self._run, args=(q, consume), daemon=True)
            thread.start()
            self.queues.append(q)
            self.threads.append(thread)

    SYNC_EVERY = 32 * 1024 * 1024

    @staticmethod
    def _write_to(fh):
        unsynced = 0

        def write(chunk: bytes) -> None:
            nonlocal unsynced
            try:
                fh.write(chunk)
                unsynced += len(chunk)
                if unsynced >= _Sink.SYNC_EVERY:  # flush to disk as we go, so the final fsync is short
                    fh.flush()
                    os.fdatasync(fh.fileno())
                    unsynced = 0
            except OSError as exc:
                if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                    raise _Stop(Download.Status.FAILED, "The disk is full; the partial file was removed.") from exc
                raise
        return write

    def _run(self, q: queue.Queue, consume) -> None:
        while True:
            chunk = q.get()
            try:
                if chunk is None:
                    return
                if self.error is None:
                    consume(chunk)
            except BaseException as exc:  # surfaced in the downloading thread by _raise()
                self.error = exc
            finally:
                q.task_done()

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error

    def put(self, chunk: bytes) -> None:
        self._raise()
        for q in self.queues:
            q.put(chunk)

    def drain(self) -> None:
        """Waits until everything received so far is written and hashed."""
        for q in self.queues:
            q.join()
        self._raise()

    def close(self) -> None:
        for q in self.queues:
            q.put(None)
        for thread in self.threads:
            thread.join()
        self._raise()


def _tick(download: Download, *, token: str) -> None:
    """Records progress, keeps the transfer lock alive, and stops when the user cancelled."""
    cache.set(_lock_key(download.pk), token, timeout=60)
    status = Download.objects.filter(pk=download.pk).values_list("status", flat=True).first()
    if status != Download.Status.DOWNLOADING:
        raise _Stop(Download.Status.CANCELLED, "Cancelled.")
    Download.objects.filter(pk=download.pk).update(bytes_done=download.bytes_done, bytes_total=download.bytes_total,
                                                   updated_at=timezone.now())
    _publish(download)


def _verify_and_store(download: Download, *, part: Path, target: Path, md5: str, sha1: str, started: float,
                      token: str) -> None:
    size = part.stat().st_size
    if download.bytes_total and size != download.bytes_total:
        raise _Stop(Download.Status.FAILED, f"Size mismatch: expected {download.bytes_total} bytes, got {size}.")
    if download.md5 and md5 != download.md5:
        raise _Stop(Download.Status.FAILED, f"Checksum mismatch: expected md5 {download.md5}, got {md5}; file removed.")
    if download.sha1 and sha1 != download.sha1:
        raise _Stop(Download.Status.FAILED, f"Checksum mismatch: expected sha1 {download.sha1}, got {sha1}; file removed.")
    status = Download.objects.filter(pk=download.pk).values_list("status", flat=True).first()
    if status != Download.Status.DOWNLOADING:
        raise _Stop(Download.Status.CANCELLED, "Cancelled.")
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
        raise _Stop(Download.Status.CANCELLED, "Cancelled.")
    metrics.record_timing(name="archive.download", duration=time.perf_counter() - started)
    _publish(download, force=True)
