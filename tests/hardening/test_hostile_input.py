"""Hostile input: stored XSS from scraped and user-entered text, SSRF, path traversal."""
from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.django_db
PAYLOAD = '<script>alert("xss")</script><img src=x onerror=alert(1)>'
ESCAPED = "&lt;script&gt;alert("


def _assert_escaped(html: str) -> None:
    assert "<script>alert(" not in html and "<img src=x onerror" not in html
    assert ESCAPED in html


def test_scraped_aoty_review_text_renders_escaped(replay, settings, data_dir, client):
    from albums import services
    from integrations.aoty import fetcher

    settings.AOTY_BASE_URL, settings.AOTY_FETCHER, settings.AOTY_MIN_INTERVAL = replay.url, "http", 0.0
    fetcher.robots.reset()
    page = (data_dir / "aoty" / "album_small.html").read_text()
    hostile = page.replace("A record that sounds like fog lifting off the water.",
                           PAYLOAD.replace("<", "&lt;").replace(">", "&gt;"))
    assert hostile != page
    path = "/album/900001-harbour-lights-night-ferry.php"
    replay.add(path, body=hostile, content_type="text/html; charset=utf-8")
    album = services.album_scrape(url=path)
    assert album.critic_reviews.filter(excerpt__contains="<script>").exists()  # stored as text, as scraped
    html = client.get(f"/albums/{album.pk}/extras/?tab=critics").content.decode() + client.get(f"/albums/{album.pk}/").content.decode()
    _assert_escaped(html)
    fetcher.robots.reset()


def test_archive_notes_render_escaped(replay, settings, data_dir, client):
    settings.IA_BASE_URL = replay.url
    meta = json.loads((data_dir / "internet_archive" / "metadata_testtapers.json").read_text())
    meta["metadata"]["notes"] = PAYLOAD
    meta["metadata"]["title"] = PAYLOAD
    identifier = meta["metadata"]["identifier"]
    replay.add(f"/metadata/{identifier}", json_body=meta)
    response = client.get(f"/archive/items/{identifier}/")
    assert response.status_code == 200
    _assert_escaped(response.content.decode())


def test_user_entered_names_render_escaped(owner_client, owner):
    from digger.models import SavedSearch
    from tracks import services

    services.song_create(user=owner, data={"title": PAYLOAD, "artist": "Evil"})
    services.pack_create(user=owner, data={"name": PAYLOAD})
    SavedSearch.objects.create(user=owner, name=PAYLOAD, artist="x")
    for path in ("/tracks/songs/", "/tracks/packs/", "/digger/searches/"):
        _assert_escaped(owner_client.get(path).content.decode())


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/", "https://evil.example.com/track/4uLU6hMCjMI75M1A2tKUQC",
    "file:///etc/passwd", "https://open.spotify.com.evil.com/track/4uLU6hMCjMI75M1A2tKUQC",
])
def test_recommend_refuses_urls_outside_spotify(client, owner_api, url, replay):
    response = client.post("/api/v1/recommend", data=json.dumps({"url": url, "limit": 5}), content_type="application/json",
                           **owner_api)
    assert response.status_code == 422
    assert replay.requests == []  # nothing was fetched


@pytest.mark.parametrize("name", ["../../etc/passwd", "..%2F..%2Fsecret", "/etc/passwd", "a/../../b.flac", "x\x00.flac"])
def test_download_file_names_outside_the_item_are_refused(client, owner_api, replay, settings, data_dir, name):
    settings.IA_BASE_URL = replay.url
    meta = json.loads((data_dir / "internet_archive" / "metadata_testtapers.json").read_text())
    identifier = meta["metadata"]["identifier"]
    replay.add(f"/metadata/{identifier}", json_body=meta)
    response = client.post("/api/v1/downloads", data=json.dumps({"identifier": identifier, "file": name}),
                           content_type="application/json", **owner_api)
    assert response.status_code == 422, response.content
    assert not [r for r in replay.requests if r.path.startswith("/download/")]


@pytest.mark.parametrize("identifier", ["../etc", "a b", "x;rm", "%2e%2e", "http://evil"])
def test_bad_archive_identifiers_are_422(client, identifier, replay, settings):
    settings.IA_BASE_URL = replay.url
    response = client.get(f"/api/v1/archive/items/{identifier}")
    assert response.status_code in (404, 422)
    assert replay.requests == []
