"""GET /api/v1/downloads/{id}/file: the owner's verified file to token clients, with Range."""
from __future__ import annotations

from pathlib import Path

import pytest

from archive.models import Download

IDENT = "fileapi1999-01-01.sbd"
DATA = bytes(range(256)) * 40


@pytest.fixture
def verified(owner, settings) -> Download:
    path = Path(settings.MEDIA_ROOT) / "downloads" / str(owner.pk) / IDENT / "t01.flac"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(DATA)
    return Download.objects.create(user=owner, identifier=IDENT, file_name="t01.flac", status="completed",
                                   bytes_total=len(DATA), bytes_done=len(DATA),
                                   path=str(path.relative_to(settings.MEDIA_ROOT)))


def _url(download: Download) -> str:
    return f"/api/v1/downloads/{download.pk}/file"


def test_download_file_api_streams_the_owners_verified_file_to_a_token_client(client, owner_api, verified):
    response = client.get(_url(verified), **owner_api)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == DATA
    assert response["Content-Type"] == "audio/flac" and response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == str(len(DATA))


def test_download_file_api_honours_range(client, owner_api, verified):
    part = client.get(_url(verified), HTTP_RANGE="bytes=100-199", **owner_api)
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 100-199/{len(DATA)}"
    assert b"".join(part.streaming_content) == DATA[100:200]
    tail = client.get(_url(verified), HTTP_RANGE="bytes=-10", **owner_api)
    assert b"".join(tail.streaming_content) == DATA[-10:]
    assert client.get(_url(verified), HTTP_RANGE="bytes=999999-", **owner_api).status_code == 416


def test_download_file_api_outsider_gets_404(client, outsider_api, verified):
    response = client.get(_url(verified), **outsider_api)
    assert response.status_code == 404 and "detail" in response.json()


def test_download_file_api_unverified_download_is_409_with_detail(client, owner, owner_api):
    pending = Download.objects.create(user=owner, identifier=IDENT, file_name="t02.flac", status="downloading")
    response = client.get(_url(pending), **owner_api)
    assert response.status_code == 409
    assert "not complete" in response.json()["detail"]


def test_download_file_api_missing_file_is_404(client, owner_api, verified):
    verified.absolute_path.unlink()
    response = client.get(_url(verified), **owner_api)
    assert response.status_code == 404 and "detail" in response.json()


def test_download_file_api_requires_authentication(client, verified):
    assert client.get(_url(verified)).status_code == 401


def test_download_file_api_is_documented_with_its_error_answers(client, db):
    spec = client.get("/api/v1/openapi.json").json()
    responses = spec["paths"]["/api/v1/downloads/{download_id}/file"]["get"]["responses"]
    assert {"401", "404", "409"} <= set(responses)
