"""Downloads page, library, player and file serving (HTTP Range), with outsider checks; platform hooks."""
from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings as django_settings

from archive import selectors
from archive.models import Download
from common.selectors import home_cards, staff_statistics

IDENT = "libtest1999-01-01.sbd"


@pytest.fixture
def library(owner, settings):
    """Two completed tracks of one concert on disk for `owner`, plus a failed download."""
    downloads = []
    for number, name in enumerate(["t02.mp3", "t01.mp3"], start=1):
        path = Path(settings.MEDIA_ROOT) / "downloads" / str(owner.pk) / IDENT / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(bytes(range(256)) * 40)
        downloads.append(Download.objects.create(
            user=owner, identifier=IDENT, file_name=name, title="Lib Test Live", creator="Lib Band",
            track=3 - number, track_title=f"Song {3 - number}", status="completed", bytes_total=10240,
            bytes_done=10240, path=str(path.relative_to(settings.MEDIA_ROOT))))
    Download.objects.create(user=owner, identifier=IDENT, file_name="t03.mp3", status="failed", error="boom")
    return downloads


def test_downloads_page_lists_mine_with_status_filter(owner_client, outsider, library):
    Download.objects.create(user=outsider, identifier="theirs", file_name="secret.mp3", status="completed")
    html = owner_client.get("/archive/downloads/").content.decode()
    assert "Song 1" in html and "Song 2" in html and "secret.mp3" not in html
    assert 'ws-connect="/ws/downloads/"' in html
    failed = owner_client.get("/archive/downloads/", {"status": "failed"}).content.decode()
    assert "t03.mp3" in failed and "Song 1" not in failed and "Retry" in failed


def test_downloads_page_htmx_returns_the_table_partial(owner_client, library):
    html = owner_client.get("/archive/downloads/", {"status": "completed"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<table" in html and "<html" not in html


def test_downloads_page_requires_login(client, db):
    assert client.get("/archive/downloads/").status_code == 302


def test_library_page_lists_downloaded_concerts(owner_client, outsider_client, library):
    html = owner_client.get("/archive/library/").content.decode()
    assert "Lib Test Live" in html and f"/archive/library/{IDENT}/" in html
    assert "Lib Test Live" not in outsider_client.get("/archive/library/").content.decode()


def test_player_page_queues_tracks_in_order(owner_client, library):
    html = owner_client.get(f"/archive/library/{IDENT}/").content.decode()
    first, second = library[1], library[0]  # track 1 is t01.mp3
    assert html.index(f"/archive/files/{first.pk}/") < html.index(f"/archive/files/{second.pk}/")
    assert "data-next" in html and "js/archive.js" in html and "<script>" not in html


def test_player_of_another_users_concert_is_404(outsider_client, library):
    assert outsider_client.get(f"/archive/library/{IDENT}/").status_code == 404


def test_file_view_serves_whole_file_and_ranges(owner_client, library):
    download = library[0]
    whole = owner_client.get(f"/archive/files/{download.pk}/")
    assert whole.status_code == 200 and whole["Content-Type"] == "audio/mpeg" and whole["Accept-Ranges"] == "bytes"
    assert b"".join(whole.streaming_content) == bytes(range(256)) * 40
    part = owner_client.get(f"/archive/files/{download.pk}/", HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206 and part["Content-Range"] == "bytes 100-199/10240"
    assert b"".join(part.streaming_content) == (bytes(range(256)) * 40)[100:200]
    tail = owner_client.get(f"/archive/files/{download.pk}/", HTTP_RANGE="bytes=-10")
    assert tail.status_code == 206 and b"".join(tail.streaming_content) == (bytes(range(256)) * 40)[-10:]
    assert owner_client.get(f"/archive/files/{download.pk}/", HTTP_RANGE="bytes=99999-").status_code == 416


def test_file_view_is_not_gzipped_and_keeps_its_length(owner_client, library):
    whole = owner_client.get(f"/archive/files/{library[0].pk}/", HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert "Content-Encoding" not in whole and whole["Content-Length"] == "10240"  # audio never shrinks
    assert b"".join(whole.streaming_content) == bytes(range(256)) * 40
    assert 'filename="t02.mp3"' in whole["Content-Disposition"]


@pytest.mark.django_db(transaction=True)
def test_file_view_streams_asynchronously_under_asgi(owner, library):
    """Under ASGI the body is an async iterator read block by block, not a list of the whole file."""
    import asyncio

    from django.test import AsyncClient

    client = AsyncClient()
    client.force_login(owner)

    async def fetch():
        whole = await client.get(f"/archive/files/{library[0].pk}/")
        body = b"".join([chunk async for chunk in whole.streaming_content])
        part = await client.get(f"/archive/files/{library[0].pk}/", headers={"Range": "bytes=5000-5099"})
        piece = b"".join([chunk async for chunk in part.streaming_content])
        return whole, body, part, piece

    whole, body, part, piece = asyncio.run(fetch())
    assert whole.is_async and whole.status_code == 200 and body == bytes(range(256)) * 40
    assert part.is_async and part.status_code == 206 and piece == (bytes(range(256)) * 40)[5000:5100]


def test_file_view_of_another_users_file_is_404(outsider_client, library):
    assert outsider_client.get(f"/archive/files/{library[0].pk}/").status_code == 404


def test_file_view_of_unfinished_download_is_404(owner_client, owner, library):
    failed = Download.objects.get(user=owner, file_name="t03.mp3")
    assert owner_client.get(f"/archive/files/{failed.pk}/").status_code == 404


def test_file_view_requires_login(client, library):
    assert client.get(f"/archive/files/{library[0].pk}/").status_code == 302


def test_cancel_and_retry_pages_refuse_other_users(outsider_client, owner, library):
    failed = Download.objects.get(user=owner, file_name="t03.mp3")
    assert outsider_client.post(f"/archive/downloads/{failed.pk}/retry/").status_code == 404
    assert outsider_client.post(f"/archive/downloads/{failed.pk}/cancel/").status_code == 404
    failed.refresh_from_db()
    assert failed.status == "failed"


def test_completed_audio_files_lists_only_my_playable_files(owner, outsider, library):
    files = selectors.completed_audio_files(user=owner)
    assert [f["file_name"] for f in files] == ["t01.mp3", "t02.mp3"]
    assert files[0]["path"] == str(Path(django_settings.MEDIA_ROOT) / "downloads" / str(owner.pk) / IDENT / "t01.mp3")
    assert files[0]["title"] == "Song 1" and files[0]["creator"] == "Lib Band" and files[0]["identifier"] == IDENT
    assert selectors.completed_audio_files(user=outsider) == []


def test_stats_and_home_card_report_downloads(owner, outsider, library):
    figures = staff_statistics()["sections"]["downloads"]
    assert figures["count"] == 3 and figures["completed"] == 2 and figures["failed"] == 1
    assert figures["bytes"] == 20480
    cards = {c["name"]: c for c in home_cards(user=owner)}
    assert cards["downloads"]["title"] == "Recent downloads" and len(cards["downloads"]["downloads"]) == 3
    assert "downloads" not in {c["name"] for c in home_cards(user=outsider)}


def test_global_search_finds_only_my_downloads(owner, outsider, library):
    hits = selectors.global_search(user=owner, query="lib band")
    assert hits and hits[0]["url"] == f"/archive/library/{IDENT}/"
    assert selectors.global_search(user=outsider, query="lib band") == []


def test_home_page_renders_the_downloads_card(owner_client, library):
    html = owner_client.get("/").content.decode()
    assert "Recent downloads" in html and "Song 1" in html
