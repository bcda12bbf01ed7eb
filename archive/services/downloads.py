"""Downloads: requests (validated against the item's file list, quota), cancel, retry, the run of one
transfer (row claim and lock), and the re-queue of downloads a dead worker left behind."""
from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from common.exceptions import Conflict, InvalidInput, QuotaExceeded
from common.metrics import metrics
from common.types import AuthUser
from integrations.internet_archive.client import InternetArchiveClient, download_url
from integrations.internet_archive.parser import AUDIO_FORMATS, canonical_format, is_valid_identifier, safe_relative_path
from integrations.internet_archive.types import ItemFile, ItemMetadata

from ..models import Download
from ..signals import download_verified
from ..transfer import TransferReport, TransferStopped, lock_key, publish, publisher, transfer_run, transfer_running
from .items import archive_item_get

log = logging.getLogger(__name__)


# -- where files live ----------------------------------------------------------------------------
def downloads_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "downloads"


def partial_path(download: Download) -> Path:
    """MEDIA_ROOT/downloads/.partial/<id>.part: the bytes received so far, kept for a resume."""
    return downloads_root() / ".partial" / f"{download.pk}.part"


def final_path(download: Download) -> Path:
    """MEDIA_ROOT/downloads/<user id>/<identifier>/<file name>, never outside that folder."""
    base = (downloads_root() / str(download.user_id) / download.identifier).resolve()
    try:
        target = (base / safe_relative_path(download.file_name)).resolve()
    except ValueError as exc:
        raise InvalidInput("Unsafe file name.", field="file") from exc
    if base not in target.parents:
        raise InvalidInput("Unsafe file name.", field="file")
    return target


# -- requests ------------------------------------------------------------------------------------
def _quota_used(user: AuthUser) -> int:
    return Download.objects.filter(
        user=user, status__in=[Download.Status.COMPLETED, *Download.ACTIVE]
    ).aggregate(n=Sum("bytes_total"))["n"] or 0


def _enqueue(download: Download) -> None:
    from ..tasks import download_file

    download_id = download.pk

    def send() -> None:
        result = download_file.delay(download_id)
        if result is not None and result.id:  # kept so cancel can revoke it
            Download.objects.filter(pk=download_id).update(task_id=result.id)

    transaction.on_commit(send)


def _files_wanted(*, identifier: str, file: str, format: str) -> tuple[ItemMetadata, list[ItemFile]]:
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
        return meta, [item_file]
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
    return meta, files


def download_request(*, user: AuthUser, identifier: str, file: str = "", format: str = "", enqueue: bool = True
                     ) -> tuple[list[Download], bool]:
    """Queues one file, or every audio file of a format, for `user`. Returns (downloads, anything new).

    The same file while in progress is a Conflict ("already in progress"); a completed one is returned
    as it is. Only files listed in the item's metadata and not private can be fetched (no SSRF, no paths).
    """
    if not is_valid_identifier(identifier):
        raise InvalidInput("Not a valid Internet Archive identifier.", field="identifier")
    if bool(file) == bool(format):
        raise InvalidInput("Give either a file or a format.", field="file" if not format else "format")
    meta, files = _files_wanted(identifier=identifier, file=file, format=format)

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
        results: list[Download] = []
        created_any = False
        for f in files:
            d = existing.get(f.name)
            if f not in to_queue:
                assert d is not None  # only files already held are left out of to_queue
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
                from celery import current_app

                current_app.control.revoke(locked.task_id)
            except Exception:  # the worker also checks the status between chunks
                pass
        if not transfer_running(locked.pk):
            partial_path(locked).unlink(missing_ok=True)
        publish(locked)
        return locked
    path = locked.absolute_path
    if path and path.exists() and path.is_file():
        path.unlink()
    partial_path(locked).unlink(missing_ok=True)
    locked.delete()
    return None


def download_retry(*, download: Download) -> Download:
    """Re-queues a failed, cancelled or stuck download; it resumes from its partial file when one is kept.

    Stuck: left `downloading` (or `pending`) with no live worker holding its transfer, as after a
    crash. One that a live worker is moving is a Conflict.
    """
    with transaction.atomic():
        locked = Download.objects.select_for_update().get(pk=download.pk)
        stuck = locked.is_active and not transfer_running(locked.pk)
        if locked.status not in (Download.Status.FAILED, Download.Status.CANCELLED) and not stuck:
            raise Conflict(f"Only failed, cancelled or stuck downloads can be retried (this one is {locked.status}).")
        locked.status = Download.Status.PENDING
        locked.error = ""
        locked.completed_at = None
        locked.save(update_fields=["status", "error", "completed_at", "updated_at"])
        _enqueue(locked)
    return locked


def downloads_resume_orphaned(*, include_pending: bool = False) -> int:
    """Re-queues downloads that no live worker owns (left `downloading` by a process that died); each
    resumes from its partial file. Run when a worker starts. With include_pending, also those still
    `pending`: an in-memory broker (embedded mode) lost their tasks with the process.

    Safe to run from several workers at once: the task claims its row and takes the transfer lock.
    """
    statuses = [Download.Status.DOWNLOADING, *([Download.Status.PENDING] if include_pending else [])]
    queued = 0
    for download_id in Download.objects.filter(status__in=statuses).values_list("pk", flat=True):
        if transfer_running(download_id):
            continue
        with transaction.atomic():
            download = Download.objects.select_for_update().filter(pk=download_id, status__in=statuses).first()
            if download is None:
                continue
            download.status = Download.Status.PENDING
            download.save(update_fields=["status", "updated_at"])
            _enqueue(download)
        queued += 1
    if queued:
        log.info("Re-queued %s interrupted download(s)", queued)
    return queued


# -- the run of one transfer ---------------------------------------------------------------------
def download_run(*, download_id: int, on_progress: Callable[[Download], None] | None = None,
                 client: InternetArchiveClient | None = None, report: TransferReport | None = None) -> str:
    """Runs one download: stream to a partial file with Range resume, verify, move into the library.

    Safe to run twice: a finished, cancelled or concurrently running download is left alone. Returns
    the final status, or "busy" when another worker holds the transfer.
    """
    token = f"{os.getpid()}:{time.monotonic_ns()}"
    if not cache.add(lock_key(download_id), token, timeout=60):
        return "busy"
    try:
        now = timezone.now()
        claimed = Download.objects.filter(pk=download_id, status__in=Download.ACTIVE).update(  # one round trip
            status=Download.Status.DOWNLOADING, updated_at=now, error="", attempts=F("attempts") + 1,
            started_at=Coalesce("started_at", Value(now)))
        if not claimed:
            d = Download.objects.filter(pk=download_id).first()
            return d.status if d else "missing"
        download = Download.objects.get(pk=download_id)
        own_client = client is None
        client = client or InternetArchiveClient()
        part = partial_path(download)
        try:
            transfer_run(download, part=part, target=final_path(download), client=client, token=token,
                         on_progress=on_progress, report=report)
        except TransferStopped as stop:
            if not stop.keep_partial:
                part.unlink(missing_ok=True)
            download.refresh_from_db(fields=["status"])
            if download.status != Download.Status.CANCELLED:
                download.status = stop.status
                download.error = stop.message[:2000]
                Download.objects.filter(pk=download.pk, status=Download.Status.DOWNLOADING).update(
                    status=stop.status, error=download.error, bytes_done=download.bytes_done,
                    bytes_total=download.bytes_total, updated_at=timezone.now())
            publisher.push(download)  # after any progress state still on its way
            if on_progress:
                on_progress(download)
            metrics.record_timing(name="archive.download", duration=0.0, ok=False)
            return download.status
        finally:
            if own_client:
                client.close()
        verified_id, identifier = download.pk, download.identifier
        transaction.on_commit(lambda: download_verified.send_robust(sender=Download, download_id=verified_id,
                                                                    identifier=identifier))
        return download.status
    finally:
        if cache.get(lock_key(download_id)) == token:
            cache.delete(lock_key(download_id))
