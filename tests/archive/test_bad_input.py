"""Bad input gets a clear 4xx, never a 500: trailing newlines, invalid URLs, unsafe names in a file list."""
from __future__ import annotations

import json

import httpx
import pytest

from archive.models import Download
from integrations.internet_archive import client as ia_client
from integrations.internet_archive.errors import InvalidIdentifier
from integrations.internet_archive.parser import is_valid_identifier, validate_identifier

from .conftest import ITEM, TRACKS


def test_identifier_with_a_trailing_newline_is_invalid():
    assert not is_valid_identifier(f"{ITEM}\n")
    with pytest.raises(InvalidIdentifier):
        validate_identifier(f"{ITEM}\n")


def test_item_api_identifier_with_a_trailing_newline_is_422(client, ia):
    response = client.get(f"/api/v1/archive/items/{ITEM}%0A")
    assert response.status_code == 422
    assert "detail" in response.json()
    assert not [r for r in ia.replay.requests if r.path.startswith("/metadata/")]


def test_item_files_api_identifier_with_a_trailing_newline_is_422(client, ia):
    assert client.get(f"/api/v1/archive/items/{ITEM}%0A/files").status_code == 422


def test_item_page_identifier_with_a_trailing_newline_is_4xx(client, ia):
    for url in (f"/archive/items/{ITEM}%0A/", f"/archive/items/{ITEM}%0A/browse/"):
        assert client.get(url).status_code == 404
    assert not [r for r in ia.replay.requests if r.path.startswith("/metadata/")]


def test_download_api_identifier_with_a_trailing_newline_is_422(client, owner_api, ia):
    response = client.post("/api/v1/downloads", data=json.dumps({"identifier": f"{ITEM}\n", "file": TRACKS[0]}),
                           content_type="application/json", **owner_api)
    assert response.status_code == 422
    assert not Download.objects.exists()


def test_client_maps_an_invalid_url_to_invalid_identifier(replay, settings, monkeypatch):
    settings.IA_BASE_URL = replay.url
    monkeypatch.setattr(ia_client, "validate_identifier", lambda identifier: identifier)  # the last line of defence
    with ia_client.InternetArchiveClient() as archive, pytest.raises(InvalidIdentifier) as caught:
        archive.metadata("bad\nitem")
    cause = caught.value.__cause__
    assert isinstance(cause, httpx.InvalidURL) or isinstance(cause.__cause__, httpx.InvalidURL)


@pytest.fixture
def slashed_item(replay, settings, db):
    """An item whose file list holds names with a leading '/' (and an empty segment) beside a normal one."""
    settings.IA_BASE_URL = replay.url
    replay.add("/metadata/slasheditem", json_body={"metadata": {"identifier": "slasheditem", "title": "Slashed"}, "files": [
        {"name": "/etc/passwd", "format": "Text", "size": "10"},
        {"name": "/abs/t01.mp3", "format": "VBR MP3", "size": "10", "md5": "0" * 32},
        {"name": "disc1//t02.mp3", "format": "VBR MP3", "size": "10", "md5": "0" * 32},
        {"name": "disc1/t03.mp3", "format": "VBR MP3", "size": "10", "md5": "0" * 32},
        {"name": "ok.txt", "format": "Text", "size": "10"},
    ]})
    return "slasheditem"


def test_browse_item_with_a_leading_slash_file_name_is_not_a_500(client, slashed_item):
    top = client.get(f"/archive/items/{slashed_item}/browse/")
    assert top.status_code == 200
    html = top.content.decode()
    assert "ok.txt" in html and "disc1/" in html and "passwd" not in html
    folder = client.get(f"/archive/items/{slashed_item}/browse/disc1")
    assert folder.status_code == 200 and "t03.mp3" in folder.content.decode()
    assert client.get(f"/archive/items/{slashed_item}/browse//etc").status_code in (200, 404)
    assert client.get(f"/archive/items/{slashed_item}/").status_code == 200


def test_browse_api_item_with_a_leading_slash_file_name_is_not_a_500(client, slashed_item):
    response = client.get(f"/api/v1/archive/items/{slashed_item}/files")
    assert response.status_code == 200
    body = response.json()
    assert body["directories"] == ["disc1"] and [f["name"] for f in body["files"]] == ["ok.txt"]


def test_download_of_a_leading_slash_file_name_is_422(client, owner_api, slashed_item):
    response = client.post("/api/v1/downloads", data=json.dumps({"identifier": slashed_item, "file": "/etc/passwd"}),
                           content_type="application/json", **owner_api)
    assert response.status_code == 422
    assert not Download.objects.exists()


def test_file_downloader_maps_an_invalid_url_to_invalid_identifier(replay, settings, monkeypatch):
    from integrations.internet_archive import download as ia_download

    settings.IA_BASE_URL = replay.url
    monkeypatch.setattr(ia_download, "validate_identifier", lambda identifier: identifier)  # the last line of defence
    with pytest.raises(InvalidIdentifier):
        with ia_download.FileDownloader().open("bad\nitem", "t01.mp3"):
            pass
    assert replay.requests == []
