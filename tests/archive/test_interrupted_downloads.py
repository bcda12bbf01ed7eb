"""Downloads a dead process left behind: re-queued at worker startup and by retry, resumed from the partial file."""
from __future__ import annotations

import pytest
from celery.signals import worker_ready
from django.core.cache import cache

from archive import services, transfer
from archive.models import Download
from common import embedded

from .conftest import ITEM, TRACKS

KEPT = 20000


class Crash(BaseException):
    """Stands for the worker dying mid-transfer: nothing of ours catches it."""


@pytest.fixture
def stuck(owner, ia):
    """TRACKS[2] left `downloading` with KEPT bytes on disk by a worker that died (its lock expired)."""
    ia.serve(TRACKS[2])
    data = (ia.folder / TRACKS[2]).read_bytes()
    listed = next(f for f in ia.metadata()["files"] if f["name"] == TRACKS[2])
    download = Download.objects.create(user=owner, identifier=ITEM, file_name=TRACKS[2], md5=listed["md5"],
                                       sha1=listed["sha1"], bytes_total=len(data), bytes_done=KEPT,
                                       status=Download.Status.DOWNLOADING)
    part = services.partial_path(download)
    part.parent.mkdir(parents=True, exist_ok=True)
    part.write_bytes(data[:KEPT])
    return download, data


def _resumed_from(ia) -> str:
    (request,) = ia.replay.requests_to(ia.file_path(TRACKS[2]))
    return request.headers.get("Range", "")


def test_resume_orphaned_requeues_a_stuck_download_from_its_partial(stuck, ia, django_capture_on_commit_callbacks):
    download, data = stuck
    with django_capture_on_commit_callbacks(execute=True):
        assert services.downloads_resume_orphaned() == 1
    download.refresh_from_db()
    assert download.status == Download.Status.COMPLETED, download.error
    assert _resumed_from(ia) == f"bytes={KEPT}-"
    assert services.final_path(download).read_bytes() == data


def test_resume_orphaned_leaves_a_transfer_a_live_worker_holds(stuck, ia, django_capture_on_commit_callbacks):
    download, _ = stuck
    cache.set(transfer.lock_key(download.pk), "another-worker", timeout=60)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.downloads_resume_orphaned() == 0
    download.refresh_from_db()
    assert download.status == Download.Status.DOWNLOADING
    assert ia.replay.requests_to(ia.file_path(TRACKS[2])) == []


def test_embedded_worker_startup_resumes_stuck_and_pending_downloads(stuck, owner, ia,
                                                                     django_capture_on_commit_callbacks):
    download, _ = stuck
    ia.serve(TRACKS[0])
    pending = Download.objects.create(user=owner, identifier=ITEM, file_name=TRACKS[0],
                                      status=Download.Status.PENDING)  # its task died with the memory broker
    with django_capture_on_commit_callbacks(execute=True):
        embedded.run_startup_hooks()
    download.refresh_from_db()
    pending.refresh_from_db()
    assert download.status == Download.Status.COMPLETED, download.error
    assert pending.status == Download.Status.COMPLETED, pending.error
    assert _resumed_from(ia) == f"bytes={KEPT}-"


def test_production_worker_ready_resumes_stuck_downloads(stuck, ia, django_capture_on_commit_callbacks):
    download, _ = stuck
    with django_capture_on_commit_callbacks(execute=True):
        worker_ready.send(sender=None)
    download.refresh_from_db()
    assert download.status == Download.Status.COMPLETED, download.error
    assert _resumed_from(ia) == f"bytes={KEPT}-"


def test_retry_of_a_stuck_download_resumes_from_the_partial(client, stuck, owner_api, ia,
                                                            django_capture_on_commit_callbacks):
    download, data = stuck
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/downloads/{download.pk}/retry", **owner_api)
    assert response.status_code == 202, response.content
    download.refresh_from_db()
    assert download.status == Download.Status.COMPLETED, download.error
    assert _resumed_from(ia) == f"bytes={KEPT}-"
    assert services.final_path(download).read_bytes() == data


def test_retry_of_a_download_a_live_worker_holds_is_a_conflict(client, stuck, owner_api, ia):
    download, _ = stuck
    cache.set(transfer.lock_key(download.pk), "live-worker", timeout=60)
    response = client.post(f"/api/v1/downloads/{download.pk}/retry", **owner_api)
    assert response.status_code == 409 and "detail" in response.json()
    assert services.partial_path(download).stat().st_size == KEPT


def test_retry_of_a_stuck_download_by_an_outsider_is_404(client, stuck, outsider_api):
    download, _ = stuck
    assert client.post(f"/api/v1/downloads/{download.pk}/retry", **outsider_api).status_code == 404
    download.refresh_from_db()
    assert download.status == Download.Status.DOWNLOADING


def test_resume_after_a_crash_fetches_no_byte_twice(owner, ia, monkeypatch):
    ia.serve(TRACKS[1])
    data = (ia.folder / TRACKS[1]).read_bytes()
    monkeypatch.setattr(transfer, "PROGRESS_WRITE_INTERVAL", 0.0)
    downloads, _ = services.download_request(user=owner, identifier=ITEM, file=TRACKS[1], enqueue=False)
    download = downloads[0]

    def crash(d: Download) -> None:
        if d.bytes_done >= len(data) // 2:
            raise Crash()

    with pytest.raises(Crash):
        services.download_run(download_id=download.pk, on_progress=crash)
    cache.delete(transfer.lock_key(download.pk))  # a dead worker's lock runs out
    kept = services.partial_path(download).stat().st_size
    assert 0 < kept < len(data)
    assert services.download_run(download_id=download.pk) == Download.Status.COMPLETED
    first, second = ia.replay.requests_to(ia.file_path(TRACKS[1]))
    assert "Range" not in first.headers
    assert second.headers["Range"] == f"bytes={kept}-"  # every kept byte is kept: none fetched twice
    assert services.final_path(Download.objects.get(pk=download.pk)).read_bytes() == data
