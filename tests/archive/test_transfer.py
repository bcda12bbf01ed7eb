"""The transfer itself: the ring of receive buffers, direct writes and their fallback, odd resume offsets,
and the archive's redirects to its data nodes."""
from __future__ import annotations

import errno
import hashlib
import os
import threading
from pathlib import Path

import pytest

from archive import services, transfer
from archive.models import Download

ITEM = "ringtest2001-01-01.sbd"
NAME = "t01.flac"
# 1 MB that never repeats, so a block written to the wrong place or twice changes the digest
DATA = b"".join(hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(32768))


@pytest.fixture
def served(replay, settings, db):
    settings.IA_BASE_URL = replay.url
    blob = Path(settings.MEDIA_ROOT).parent / NAME
    blob.parent.mkdir(parents=True, exist_ok=True)
    blob.write_bytes(DATA)
    replay.add(f"/metadata/{ITEM}", json_body={"metadata": {"identifier": ITEM, "title": "Ring"}, "files": [
        {"name": NAME, "format": "Flac", "size": str(len(DATA)), "md5": hashlib.md5(DATA).hexdigest(),
         "sha1": hashlib.sha1(DATA).hexdigest()}]})
    return blob


def _request(owner) -> Download:
    downloads, _ = services.download_request(user=owner, identifier=ITEM, file=NAME, enqueue=False)
    return downloads[0]


@pytest.mark.parametrize("direct", [True, False])
def test_transfer_through_the_ring_keeps_every_byte_in_order(owner, served, replay, settings, direct):
    settings.ARCHIVE_DIRECT_WRITES = direct
    replay.add(f"/download/{ITEM}/{NAME}", file=served)
    download = _request(owner)
    # 4 KB reads: 256 blocks through a ring of 32, so every buffer is reused eight times
    assert len(DATA) // 4096 > 4 * transfer.RING_BLOCKS
    assert services.download_run(download_id=download.pk) == Download.Status.COMPLETED
    assert services.final_path(Download.objects.get(pk=download.pk)).read_bytes() == DATA


@pytest.mark.parametrize("direct", [True, False])
def test_transfer_resume_at_an_odd_offset_fetches_the_rest_once(owner, served, replay, settings, direct):
    settings.ARCHIVE_DIRECT_WRITES = direct
    replay.add(f"/download/{ITEM}/{NAME}", file=served)
    download = _request(owner)
    kept = 123_457  # not on a page boundary: the first write goes through the page cache, then whole pages
    part = services.partial_path(download)
    part.parent.mkdir(parents=True, exist_ok=True)
    part.write_bytes(DATA[:kept])
    assert services.download_run(download_id=download.pk) == Download.Status.COMPLETED
    (request,) = replay.requests_to(f"/download/{ITEM}/{NAME}")
    assert request.headers["Range"] == f"bytes={kept}-"
    assert services.final_path(Download.objects.get(pk=download.pk)).read_bytes() == DATA


def test_transfer_falls_back_to_the_page_cache_where_direct_io_is_refused(owner, served, replay, settings,
                                                                           monkeypatch):
    settings.ARCHIVE_DIRECT_WRITES = True
    replay.add(f"/download/{ITEM}/{NAME}", file=served)
    real_fcntl = transfer.fcntl.fcntl
    refused = []

    def no_direct_io(fd, cmd, arg=0):
        if cmd == transfer.fcntl.F_SETFL and arg & os.O_DIRECT:
            refused.append(fd)
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_fcntl(fd, cmd, arg)

    monkeypatch.setattr(transfer.fcntl, "fcntl", no_direct_io)
    download = _request(owner)
    assert services.download_run(download_id=download.pk) == Download.Status.COMPLETED
    assert len(refused) == 1  # asked once, then the page cache for the rest of the file
    assert services.final_path(Download.objects.get(pk=download.pk)).read_bytes() == DATA


def test_transfer_without_direct_writes_never_asks_for_them(owner, served, replay, settings, monkeypatch):
    settings.ARCHIVE_DIRECT_WRITES = False
    replay.add(f"/download/{ITEM}/{NAME}", file=served)
    real_fcntl = transfer.fcntl.fcntl
    asked = []

    def spy(fd, cmd, arg=0):
        if cmd == transfer.fcntl.F_SETFL and arg & os.O_DIRECT:
            asked.append(fd)
        return real_fcntl(fd, cmd, arg)

    monkeypatch.setattr(transfer.fcntl, "fcntl", spy)
    download = _request(owner)
    assert services.download_run(download_id=download.pk) == Download.Status.COMPLETED
    assert asked == []


def test_transfer_follows_the_archive_redirect_to_a_data_node_keeping_the_range(owner, served, replay, settings):
    node_path = f"/node7/items/{ITEM}/{NAME}"
    replay.add(f"/download/{ITEM}/{NAME}", status=302, headers={"Location": node_path})
    replay.add(node_path, file=served)
    download = _request(owner)
    kept = 4096 * 10
    part = services.partial_path(download)
    part.parent.mkdir(parents=True, exist_ok=True)
    part.write_bytes(DATA[:kept])
    assert services.download_run(download_id=download.pk) == Download.Status.COMPLETED
    (hop,) = replay.requests_to(node_path)
    assert hop.headers["Range"] == f"bytes={kept}-"
    assert hop.headers["User-Agent"] == settings.STYLUS_USER_AGENT
    assert services.final_path(Download.objects.get(pk=download.pk)).read_bytes() == DATA


def test_transfer_redirect_loop_fails_with_a_clear_message(owner, served, replay, settings):
    replay.add(f"/download/{ITEM}/{NAME}", status=302, headers={"Location": f"/download/{ITEM}/{NAME}"})
    download = _request(owner)
    assert services.download_run(download_id=download.pk) == Download.Status.FAILED
    download.refresh_from_db()
    assert "redirects" in download.error


def test_progress_publisher_sends_each_downloads_latest_state_in_order(owner, monkeypatch):
    sent = []
    entered, gate = threading.Event(), threading.Event()

    def slow_publish(download):
        entered.set()
        gate.wait(5)  # holds the first push, so the next ones queue up behind it
        sent.append((download.pk, download.bytes_done, download.status))

    monkeypatch.setattr(transfer, "publish_now", slow_publish)
    publisher = transfer._Publisher()
    first = Download(pk=1, user=owner, identifier=ITEM, file_name=NAME, status="downloading", bytes_done=1)
    other = Download(pk=2, user=owner, identifier=ITEM, file_name="t02.flac", status="downloading", bytes_done=5)
    publisher.push(first)
    assert entered.wait(5)
    first.bytes_done = 2
    publisher.push(first)
    publisher.push(other)
    first.bytes_done, first.status = 3, "completed"
    publisher.push(first)
    first.bytes_done = 4  # the caller's own object changes later: the pushed state is a snapshot
    gate.set()
    assert publisher.flush(timeout=5)
    assert sent == [(1, 1, "downloading"), (2, 5, "downloading"), (1, 3, "completed")]  # (1, 2) was replaced
