"""API input carries the same limits as the models and forms: over-long text and malformed Spotify ids
are a 422 naming the field, nothing is stored or cut short, and no bad id reaches Spotify."""
from __future__ import annotations

import json

import pytest

from tracks.models import LONG_TEXT_MAX, AlbumSeries, Pack, Song, TrackerProfile

pytestmark = pytest.mark.django_db
API = "/api/v1/tracks"
ALBUM = "6dVIqQ8qmQ5GBnJ9shOYGE"


def send(client, method, url, body, auth):
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json", **auth)


def _field(response) -> str:
    return str(response.json()["detail"][0]["loc"][-1])


@pytest.mark.parametrize("url, body, field", [
    ("/songs", {"title": "T", "artist": "A", "notes": "x" * (LONG_TEXT_MAX + 1)}, "notes"),
    ("/songs", {"title": "T", "artist": "A" * 201}, "artist"),
    ("/packs", {"name": "P", "release_notes": "x" * (LONG_TEXT_MAX + 1)}, "release_notes"),
    ("/album-series", {"artist": "A", "album": "B", "description": "x" * (LONG_TEXT_MAX + 1)}, "description"),
    ("/album-series", {"artist": "A", "album": "B", "spotify_album_id": f"{ALBUM}\n"}, "spotify_album_id"),
    ("/album-series", {"artist": "A", "album": "B", "spotify_album_id": "not-an-id"}, "spotify_album_id"),
])
def test_api_create_over_long_or_malformed_is_422_naming_the_field(client, owner_api, url, body, field):
    response = send(client, "post", f"{API}{url}", body, owner_api)

    assert response.status_code == 422
    assert _field(response) == field
    assert not Song.objects.exists() and not Pack.objects.exists() and not AlbumSeries.objects.exists()


def test_api_song_patch_over_long_notes_is_422_and_keeps_the_old_notes(client, owner_api, make_song):
    song = make_song(notes="kept")

    response = send(client, "patch", f"{API}/songs/{song.pk}", {"notes": "x" * (LONG_TEXT_MAX + 1)}, owner_api)

    assert response.status_code == 422 and _field(response) == "notes"
    song.refresh_from_db()
    assert song.notes == "kept"


def test_api_profile_over_long_bio_is_422(client, owner_api, owner):
    response = send(client, "patch", f"{API}/profile", {"bio": "x" * 5001}, owner_api)

    assert response.status_code == 422 and _field(response) == "bio"
    assert not TrackerProfile.objects.filter(user=owner, bio__startswith="x").exists()


def test_song_filter_over_long_artist_is_422(client, owner_api):
    response = client.get(f"{API}/songs", {"artist": "a" * 201}, **owner_api)

    assert response.status_code == 422 and _field(response) == "artist"


def test_service_song_notes_over_the_limit_is_refused_not_truncated(owner):
    from common.exceptions import InvalidInput
    from tracks import services

    with pytest.raises(InvalidInput) as err:
        services.song_create(user=owner, data={"title": "T", "artist": "A", "notes": "x" * (LONG_TEXT_MAX + 1)})
    assert err.value.field == "notes"
    assert not Song.objects.exists()


@pytest.fixture
def spotify(replay, settings):
    settings.SPOTIFY_CLIENT_ID = "test-client"
    settings.SPOTIFY_CLIENT_SECRET = "test-secret"
    settings.SPOTIFY_API_URL = f"{replay.url}/v1"
    settings.SPOTIFY_ACCOUNTS_URL = replay.url
    replay.add("/api/token", method="POST", json_body={"access_token": "tok", "token_type": "Bearer", "expires_in": 3600})
    return replay


@pytest.mark.parametrize("link", [f"https://open.spotify.com/album/{ALBUM}\n/", f"{ALBUM[:21]}é",
                                  f"spotify:album:{ALBUM}\nx"])
def test_series_tracklist_bad_album_link_is_422_without_a_request(client, owner_api, owner, spotify, link):
    series = AlbumSeries.objects.create(owner=owner, artist="Radiohead", album="OK Computer")

    response = client.post(f"{API}/album-series/{series.pk}/tracklist?{_query(album=link)}", **owner_api)

    assert response.status_code == 422
    assert [r for r in spotify.requests if r.path.startswith("/v1/")] == []


@pytest.mark.parametrize("link", ["https://open.spotify.com/track/3SVAN3BRByDmHOhKyIDxfC\n/",
                                  "3SVAN3BRByDmHOhKyIDxf\u00e9"])
def test_song_enrich_bad_track_link_is_422_without_a_request(client, owner_api, make_song, spotify, link):
    song = make_song()

    response = send(client, "post", f"{API}/songs/{song.pk}/enrich", {"track_id": link}, owner_api)

    assert response.status_code == 422
    assert [r for r in spotify.requests if r.path.startswith("/v1/")] == []


def _query(**params: str) -> str:
    from urllib.parse import urlencode

    return urlencode(params)
