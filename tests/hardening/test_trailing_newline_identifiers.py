"""Issue 12 (security 5): identifiers, usernames and keys are matched whole (fullmatch). A trailing newline
on any URL that takes one is a 4xx, never a 500, and nothing reaches an upstream service. One sweep over
every such route, signed in and anonymous, so a new route that forgets it fails here."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

ITEM = "gd1977-05-08.sbd.hicks.4982.sbeok.shnf%0A"
USER = "vinylmole%0A"

PAGES = [
    f"/archive/items/{ITEM}/", f"/archive/items/{ITEM}/browse/", f"/archive/items/{ITEM}/browse/d1%0A",
    f"/archive/library/{ITEM}/", f"/aoty-users/{USER}/", f"/tracks/u/{USER}/",
    f"/listening/u/{USER}/", "/albums/discover/releases%0A/", "/albums/discover/must-hear/2020s%0A/",
    "/digger/covers/1:abc%0A/", "/concerts/artists/grateful-dead%0A/", f"/listening/play/{ITEM}/",
]
API = [
    f"/api/v1/archive/items/{ITEM}", f"/api/v1/archive/items/{ITEM}/files", f"/api/v1/recordings/{ITEM}/quality",
    f"/api/v1/listening/tracks/{ITEM}", f"/api/v1/aoty-users/{USER}", f"/api/v1/tracks/profiles/{USER}",
    "/api/v1/albums/discover/releases%0A",
]


@pytest.fixture
def upstreams(replay, settings):
    """Every external service points at the replay server, which answers nothing: any request shows up."""
    settings.AOTY_BASE_URL = settings.IA_BASE_URL = settings.DISCOGS_API_URL = replay.url
    settings.SPOTIFY_API_URL = replay.url + "/v1"
    return replay


@pytest.mark.parametrize("url", PAGES)
def test_page_with_a_trailing_newline_identifier_is_4xx_without_upstream_calls(client, owner_client, upstreams, url):
    for c in (client, owner_client):
        response = c.get(url)
        assert 300 <= response.status_code < 500, (url, response.status_code)
    assert upstreams.requests == []


@pytest.mark.parametrize("url", API)
def test_api_with_a_trailing_newline_identifier_is_4xx_detail_without_upstream_calls(client, owner_api, upstreams,
                                                                                      url):
    for auth in ({}, owner_api):
        response = client.get(url, **auth)
        assert 400 <= response.status_code < 500, (url, response.status_code)
        assert "detail" in response.json()
    assert [r.path for r in upstreams.requests if "%0A" in r.path or "\n" in r.path] == []
