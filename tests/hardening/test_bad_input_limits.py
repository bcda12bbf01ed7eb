"""Input no database, decoder or HTTP client can take gets a clear 4xx, never a 500; upstream waits are
capped inside web requests."""
from __future__ import annotations

import io
import struct
import time
import zlib

import pytest
from ninja import NinjaAPI
from ninja.testing import TestClient

from common.api import install_exception_handlers
from integrations.errors import InvalidRequest, RateLimited
from integrations.http import HttpClient, inline_wait_cap

pytestmark = pytest.mark.django_db


# -- page numbers ------------------------------------------------------------------------------------
@pytest.mark.parametrize("page", [2**63, 2**63 + 1, 10**30, 2**62])
def test_api_page_beyond_any_offset_is_422_naming_page(client, page):
    response = client.get("/api/v1/concerts", {"page": page, "page_size": 100})
    assert response.status_code == 422, response.content
    assert response.json()["detail"][0]["loc"][-1] == "page"


@pytest.mark.parametrize("path", ["/concerts/", "/tracks/songs/", "/archive/downloads/"])
def test_page_views_take_huge_page_numbers(owner_client, path):
    response = owner_client.get(path, {"page": str(2**63)})
    assert response.status_code in (200, 302, 404), path  # the last page, never a 500


# -- decompression bombs -------------------------------------------------------------------------------
def _png_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A 1-bit PNG claiming width x height pixels, a few dozen KB on disk: zeros compress to nothing."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" + bytes((width + 7) // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_image_bomb_upload_on_the_api_is_400(client, owner, owner_api):
    from tracks import services

    song = services.song_create(user=owner, data={"title": "Bomb", "artist": "Test"})
    bomb = io.BytesIO(_png_bomb())
    bomb.name = "cover.png"
    response = client.post(f"/api/v1/tracks/songs/{song.pk}/cover", {"cover": bomb}, **owner_api)
    assert response.status_code == 400, response.content
    assert "pixels" in response.json()["detail"]
    song.refresh_from_db()
    assert not song.cover


def test_image_just_under_the_cap_is_still_accepted(client, owner, owner_api, settings):
    from tracks import services

    song = services.song_create(user=owner, data={"title": "Big", "artist": "Test"})
    image = io.BytesIO(_png_bomb(width=6000, height=6000))  # 36 M pixels, under IMAGE_MAX_PIXELS (40 M)
    image.name = "cover.png"
    response = client.post(f"/api/v1/tracks/songs/{song.pk}/cover", {"cover": image}, **owner_api)
    assert response.status_code == 200, response.content


def test_image_bomb_on_a_page_form_is_refused_without_500(owner_client, owner):
    from tracks.models import Song

    bomb = io.BytesIO(_png_bomb())
    bomb.name = "cover.png"
    response = owner_client.post("/tracks/songs/new/", {"title": "Bomb", "artist": "Test", "status": "future",
                                                         "priority": "3", "cover": bomb})
    assert response.status_code < 500
    assert not Song.objects.filter(owner=owner, title="Bomb").exclude(cover="").exists()


# -- multipart without a boundary -----------------------------------------------------------------------
def test_multipart_without_boundary_is_400_on_the_api(client, owner, owner_api):
    response = client.generic("POST", "/api/v1/tracks/songs/1/cover", b"--x\r\n\r\n--x--\r\n",
                              content_type="multipart/form-data", **owner_api)
    assert response.status_code == 400
    assert "boundary" in response.json()["detail"]


def test_multipart_without_boundary_is_a_400_page(owner_client):
    response = owner_client.generic("POST", "/tracks/songs/new/", b"--x\r\n\r\n--x--\r\n",
                                    content_type="multipart/form-data; charset=utf-8")
    assert response.status_code == 400
    assert b"boundary" in response.content and b"<html" in response.content.lower()


# -- invalid URLs from the HTTP layer ------------------------------------------------------------------
@pytest.mark.parametrize("base, path", [(None, "/metadata/item\n"), ("ftp://127.0.0.1:9", "/x"), (None, "/a\x00b")])
def test_http_client_turns_invalid_urls_into_invalid_request(replay, base, path):
    client = HttpClient(service="internet_archive", base_url=base or replay.url)
    with pytest.raises(InvalidRequest):
        client.request("GET", path)
    assert replay.requests == []


def test_invalid_request_is_a_422_on_the_api():
    api = NinjaAPI(urls_namespace="test-invalid-url")
    install_exception_handlers(api)

    @api.get("/lookup")
    def lookup(request):
        HttpClient(service="internet_archive", base_url="http://127.0.0.1:9").request("GET", "/x\n")

    response = TestClient(api).get("/lookup")
    assert response.status_code == 422
    assert "internet archive" in response.json()["detail"]


# -- Retry-After inside a web request ---------------------------------------------------------------------
def test_web_request_does_not_wait_on_a_long_retry_after(replay, settings):
    settings.INTEGRATION_MAX_INLINE_WAIT = 30.0  # what production allows a background job
    replay.add("/slow", status=429, headers={"Retry-After": "7"})
    client = HttpClient(service="spotify", base_url=replay.url, max_retries=3)
    start = time.monotonic()
    with inline_wait_cap(5.0), pytest.raises(RateLimited) as info:
        client.request("GET", "/slow")
    assert time.monotonic() - start < 2.0
    assert info.value.retry_after == 7
    assert len(replay.requests_to("/slow")) == 1


def test_background_jobs_still_wait_on_retry_after(replay, settings):
    settings.INTEGRATION_MAX_INLINE_WAIT = 30.0
    replay.add("/later", status=429, headers={"Retry-After": "1"}, times=1)
    replay.add("/later", json_body={"ok": True})
    client = HttpClient(service="spotify", base_url=replay.url, max_retries=2)
    start = time.monotonic()
    assert client.get_json("/later") == {"ok": True}
    assert time.monotonic() - start >= 1.0


def test_api_request_answers_503_with_retry_after_at_once(client, replay, settings):
    settings.IA_BASE_URL = replay.url
    settings.INTEGRATION_MAX_INLINE_WAIT = 30.0
    replay.add("/advancedsearch.php", status=429, headers={"Retry-After": "7"})
    start = time.monotonic()
    response = client.get("/api/v1/archive/search", {"q": "grateful dead"})
    assert time.monotonic() - start < 3.0
    assert response.status_code == 503
    assert response["Retry-After"] == "7"
