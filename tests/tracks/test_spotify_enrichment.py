"""Spotify enrichment through the shared client, against the replay server: real recordings from
../shared/fixtures/spotify plus this repository's small album fixtures in tests/data/spotify/tracks_*."""
from __future__ import annotations

import json

import pytest

from common.models import Job
from tracks import services
from tracks.models import Song, Status

pytestmark = pytest.mark.django_db
API = "/api/v1/tracks"


@pytest.fixture
def spotify(replay, settings):
    settings.SPOTIFY_CLIENT_ID = "test-client"
    settings.SPOTIFY_CLIENT_SECRET = "test-secret"
    settings.SPOTIFY_API_URL = f"{replay.url}/v1"
    settings.SPOTIFY_ACCOUNTS_URL = replay.url
    settings.API_EXTERNAL_RATE = "1000/m"
    replay.add("/api/token", method="POST", json_body={"access_token": "tok", "token_type": "Bearer", "expires_in": 3600})
    return replay


def _post(client, url, body, auth):
    return client.post(url, data=json.dumps(body), content_type="application/json", **auth)


@pytest.mark.shared_fixtures
def test_enrich_confident_match_fills_album_cover_year_and_id(client, owner_api, make_song, spotify, shared_fixtures):
    spotify.add("/v1/search", file=shared_fixtures / "spotify" / "search_type_track_q_gatan.json")
    song = make_song("Satan i gatan", "Veronica Maggio")

    body = _post(client, f"{API}/songs/{song.pk}/enrich", {}, owner_api).json()

    assert body["applied"] is True
    song.refresh_from_db()
    assert song.spotify_album == "Satan i gatan (Bonus Version)" and song.album == song.spotify_album
    assert len(song.spotify_track_id) == 22 and song.spotify_cover_url.startswith("https://")
    assert song.spotify_duration_ms and song.enriched_at
    assert song.spotify_release_year is None  # this recording's simplified album carries no release_date
    request = spotify.requests_to("/v1/search")[0]
    assert request.param("q") == "Satan i gatan Veronica Maggio" and request.param("type") == "track"
    assert request.headers.get("Authorization") == "Bearer tok"


@pytest.mark.shared_fixtures
def test_enrich_picks_best_scoring_result_not_the_first(client, owner_api, make_song, spotify, shared_fixtures):
    spotify.add("/v1/search", file=shared_fixtures / "spotify" / "search_type_track_java.json")
    song = make_song("Hysteria", "Muse")

    body = _post(client, f"{API}/songs/{song.pk}/enrich", {}, owner_api).json()

    assert body["applied"] is True and body["song"]["spotify_album"] == "Absolution"
    assert body["candidates"][0]["title"] == "Hysteria"


@pytest.mark.shared_fixtures
def test_enrich_unsure_returns_candidates_and_stores_nothing(client, owner_api, make_song, spotify, shared_fixtures):
    spotify.add("/v1/search", file=shared_fixtures / "spotify" / "search_type_track_zmb3.json")
    song = make_song("Uptown", "Bruno Mars")

    body = _post(client, f"{API}/songs/{song.pk}/enrich", {}, owner_api).json()

    assert body["applied"] is False and "pick" in body["detail"]
    assert [c["title"] for c in body["candidates"]] == ["Uptown Funk", "Uptown Girl"]
    song.refresh_from_db()
    assert song.spotify_track_id == "" and song.enriched_at is None


@pytest.mark.shared_fixtures
def test_enrich_with_picked_track_id(client, owner_api, make_song, spotify, shared_fixtures):
    spotify.add("/v1/tracks/0eGsygTp906u18L0Oimnem", file=shared_fixtures / "spotify" / "track_single_jmperez.json")
    song = make_song("Mr Brightside", "The Killers")

    body = _post(client, f"{API}/songs/{song.pk}/enrich", {"track_id": "0eGsygTp906u18L0Oimnem"}, owner_api).json()

    assert body["applied"] is True
    assert body["song"]["spotify_track_id"] == "0eGsygTp906u18L0Oimnem" and body["song"]["spotify_album"] == "Hot Fuss"


@pytest.mark.shared_fixtures
def test_spotify_matches_endpoint_lists_top_matches(client, owner_api, make_song, spotify, shared_fixtures):
    spotify.add("/v1/search", file=shared_fixtures / "spotify" / "search_type_track_java.json")
    song = make_song("Psycho", "Muse")

    matches = client.get(f"{API}/songs/{song.pk}/spotify-matches", **owner_api).json()

    assert matches[0]["title"] == "Psycho" and matches[0]["score"] > matches[1]["score"]
    assert spotify.requests_to("/v1/search")[0].param("limit") == "5"


@pytest.mark.shared_fixtures
def test_enrich_unknown_track_id_is_404(client, owner_api, make_song, spotify, shared_fixtures):
    spotify.add("/v1/tracks/0eGsygTp906u18L0Oimnem", status=404,
                file=shared_fixtures / "spotify" / "error_id_not_found.json")
    song = make_song("Nope", "Band")

    response = _post(client, f"{API}/songs/{song.pk}/enrich", {"track_id": "0eGsygTp906u18L0Oimnem"}, owner_api)

    assert response.status_code == 404 and "Spotify" in response.json()["detail"]


@pytest.mark.parametrize("status, fixture", [(401, "error_401.json"), (403, "error_403.json")])
def test_enrich_auth_errors_are_503_with_clear_message(client, owner_api, make_song, spotify, data_dir, status, fixture):
    spotify.add("/v1/search", status=status, file=data_dir / "spotify" / fixture)
    song = make_song("Song", "Band")

    response = _post(client, f"{API}/songs/{song.pk}/enrich", {}, owner_api)

    assert response.status_code == 503
    assert f"({status})" in response.json()["detail"]
    song.refresh_from_db()
    assert song.enriched_at is None


def test_enrich_rate_limited_is_503_with_retry_after(client, owner_api, make_song, spotify):
    spotify.add("/v1/search", fault="429", retry_after=120)
    song = make_song("Song", "Band")

    response = _post(client, f"{API}/songs/{song.pk}/enrich", {}, owner_api)

    assert response.status_code == 503 and int(response["Retry-After"]) >= 120
    assert "rate limiting" in response.json()["detail"]


def test_enrich_not_configured_is_503_without_request(client, owner_api, make_song, replay, settings):
    settings.SPOTIFY_CLIENT_ID = ""
    settings.SPOTIFY_API_URL = f"{replay.url}/v1"
    song = make_song("Song", "Band")

    response = _post(client, f"{API}/songs/{song.pk}/enrich", {}, owner_api)

    assert response.status_code == 503 and "not configured" in response.json()["detail"]
    assert replay.requests == []


@pytest.mark.shared_fixtures
def test_bulk_enrich_job_applies_and_reports(client, owner_api, owner, make_song, spotify, shared_fixtures,
                                             django_capture_on_commit_callbacks):
    spotify.add("/v1/search", query={"q": "Satan i gatan Veronica Maggio"},
                file=shared_fixtures / "spotify" / "search_type_track_q_gatan.json")
    spotify.add("/v1/search", query={"q": "Uptown Bruno Mars"},
                file=shared_fixtures / "spotify" / "search_type_track_zmb3.json")
    sure, unsure = make_song("Satan i gatan", "Veronica Maggio"), make_song("Uptown", "Bruno Mars")

    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, f"{API}/songs/enrich", {}, owner_api)

    assert response.status_code == 202
    job = Job.objects.get(pk=response.json()["id"])
    assert job.status == Job.Status.SUCCEEDED and job.done == job.total == 2
    assert job.result["applied"] == [sure.pk] and job.result["unsure"] == [unsure.pk]
    assert Song.objects.get(pk=sure.pk).enriched_at and not Song.objects.get(pk=unsure.pk).enriched_at


def test_bulk_enrich_rate_limit_fails_job_cleanly(owner, make_song, spotify, django_capture_on_commit_callbacks):
    spotify.add("/v1/search", fault="429", retry_after=120)
    make_song("A", "Band")

    with django_capture_on_commit_callbacks(execute=True):
        job = services.songs_enrich_bulk_start(user=owner)

    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "rate limiting" in job.message


def test_bulk_enrich_job_without_a_user_fails_without_touching_songs(make_song, spotify):
    song = make_song("A", "Band")
    job = Job.objects.create(user=None, kind="tracks.enrich", label="Enrich songs", result={"song_ids": [song.pk]})

    services.songs_enrich_bulk(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.message == "This job has no user."
    assert Song.objects.get(pk=song.pk).enriched_at is None
    assert not [r for r in spotify.requests if r.path.startswith("/v1/")]


@pytest.mark.shared_fixtures
def test_playlist_import_creates_future_plans_songs_once(client, owner_api, owner, spotify, shared_fixtures):
    fixture = shared_fixtures / "spotify" / "playlist_tracks_paging_jmperez.json"
    spotify.add("/v1/playlists/0EIVqzEcrY2a8vO0AUJar2/items", file=fixture)
    expected = [(i["track"]["name"], i["track"]["artists"][0]["name"]) for i in json.loads(fixture.read_text())["items"]]
    url = "https://open.spotify.com/playlist/0EIVqzEcrY2a8vO0AUJar2"

    response = _post(client, f"{API}/songs/import-playlist", {"url": url}, owner_api)

    assert response.status_code == 201
    body = response.json()
    assert body["created"] == len(expected) and body["skipped"] == 0
    assert [(s["title"], s["artist"]) for s in body["songs"]] == expected
    assert {s["status"] for s in body["songs"]} == {"Future Plans"} and all(s["steps_total"] == 0 for s in body["songs"])
    assert all(s["spotify_track_id"] for s in body["songs"])
    again = _post(client, f"{API}/songs/import-playlist", {"url": url}, owner_api).json()
    assert (again["created"], again["skipped"]) == (0, len(expected))


@pytest.mark.shared_fixtures
def test_playlist_import_skips_entries_without_a_track(client, owner_api, owner, spotify, shared_fixtures):
    fixture = shared_fixtures / "spotify" / "playlist_items_paging_java.json"
    spotify.add("/v1/playlists/21THa8j9TaSGuXYNBU5tsC/items", file=fixture)
    items = json.loads(fixture.read_text())["items"]
    playable = [i["track"]["name"] for i in items if i.get("track")]
    assert len(playable) < len(items)

    body = _post(client, f"{API}/songs/import-playlist", {"url": "spotify:playlist:21THa8j9TaSGuXYNBU5tsC"},
                 owner_api).json()

    assert [s["title"] for s in body["songs"]] == playable
    assert Song.objects.filter(owner=owner, status=Status.FUTURE).count() == len(playable)


def test_playlist_import_bad_link_is_422(client, owner_api, spotify):
    response = _post(client, f"{API}/songs/import-playlist", {"url": "https://example.com/not-spotify"}, owner_api)

    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "url"]
    assert spotify.requests_to("/v1/playlists/x/items") == []


def test_album_series_tracklist_from_search_and_comparison(client, owner_api, owner, make_song, spotify, data_dir):
    spotify.add("/v1/search", file=data_dir / "spotify" / "tracks_search_okcomputer.json")
    spotify.add("/v1/albums/2fenSS68JI1h4Fo296JfGr", file=data_dir / "spotify" / "tracks_album_okcomputer.json")
    spotify.add("/v1/albums/2fenSS68JI1h4Fo296JfGr/tracks",
                file=data_dir / "spotify" / "tracks_album_okcomputer_tracks.json")
    series = services.album_series_create(user=owner, data={"artist": "Radiohead", "album": "OK Computer"})
    make_song("Airbag", "Radiohead", status="Released", album_series_id=series.pk)
    make_song("Paranoid Android (Remastered)", "Radiohead", status="In Progress", album_series_id=series.pk)
    services.album_series_mark_track(user=owner, series=series, title="Fitter Happier", irrelevant=True)

    body = client.post(f"{API}/album-series/{series.pk}/tracklist", **owner_api).json()

    assert [(t["title"], t["state"]) for t in body["tracks"]] == [
        ("Airbag", "done"), ("Paranoid Android", "in_progress"), ("Subterranean Homesick Alien", "missing"),
        ("Fitter Happier", "irrelevant")]
    assert body["counts"]["missing"] == 1 and body["percent"] == 33 and body["year"] == 1997
    assert body["cover_url"] == f"/tracks/albums/{series.pk}/cover/"  # our copy or placeholder, not Spotify's CDN
    series.refresh_from_db()
    assert series.cover_url == "https://i.scdn.co/image/okcomputer640"  # kept as the source to store from
    assert spotify.requests_to("/v1/search")[0].param("q") == "album:OK Computer artist:Radiohead"

    added = client.post(f"{API}/album-series/{series.pk}/add-missing", **owner_api).json()
    assert added["counts"]["missing"] == 0 and added["counts"]["planned"] == 1


def test_album_series_tracklist_from_album_link(client, owner_api, owner, spotify, data_dir):
    spotify.add("/v1/albums/2fenSS68JI1h4Fo296JfGr", file=data_dir / "spotify" / "tracks_album_okcomputer.json")
    spotify.add("/v1/albums/2fenSS68JI1h4Fo296JfGr/tracks",
                file=data_dir / "spotify" / "tracks_album_okcomputer_tracks.json")
    series = services.album_series_create(user=owner, data={"artist": "Radiohead", "album": "OKC"})

    response = client.post(f"{API}/album-series/{series.pk}/tracklist"
                           "?album=https://open.spotify.com/album/2fenSS68JI1h4Fo296JfGr", **owner_api)

    assert response.status_code == 200 and len(response.json()["tracks"]) == 4
    assert spotify.requests_to("/v1/search") == []


def test_song_enrich_page_shows_picker(owner_client, make_song, spotify, data_dir):
    spotify.add("/v1/search", file=data_dir / "spotify" / "tracks_search_okcomputer.json")
    song = make_song("Android", "Someone Else")

    html = owner_client.post(f"/tracks/songs/{song.pk}/spotify/", HTTP_HX_REQUEST="true").content.decode()

    assert "Paranoid Android" in html and 'name="track_id"' in html


@pytest.mark.shared_fixtures
def test_playlist_import_uses_the_users_spotify_login(client, owner_api, owner, spotify, shared_fixtures):
    from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken

    app = SocialApp.objects.create(provider="spotify", name="Spotify", client_id="id", secret="s")
    account = SocialAccount.objects.create(user=owner, provider="spotify", uid="spotify-owner")
    SocialToken.objects.create(app=app, account=account, token="user-token")
    spotify.add("/v1/playlists/0EIVqzEcrY2a8vO0AUJar2/items",
                file=shared_fixtures / "spotify" / "playlist_tracks_paging_jmperez.json")

    response = _post(client, f"{API}/songs/import-playlist", {"url": "spotify:playlist:0EIVqzEcrY2a8vO0AUJar2"}, owner_api)

    assert response.status_code == 201
    assert spotify.requests_to("/v1/playlists/0EIVqzEcrY2a8vO0AUJar2/items")[0].headers.get("Authorization") == \
        "Bearer user-token"
    assert spotify.requests_to("/api/token") == []
