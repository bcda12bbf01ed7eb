"""Playlist ingest and Spotify-backed seeds against the replay server."""
import threading

import pytest

from common.models import Job
from recommend import services
from recommend.models import Artist, Playlist, PlaylistTrack, Track

PLAYLIST = "37i9dQZF1DXcBWIGoYBM5M"
TRACK = "3SVAN3BRByDmHOhKyIDxfC"


@pytest.fixture
def playlist_routes(spotify_settings, data_dir):
    replay = spotify_settings
    folder = data_dir / "spotify"
    replay.add(f"/v1/playlists/{PLAYLIST}", file=folder / "playlist.json")
    replay.add(f"/v1/playlists/{PLAYLIST}/items", query={"offset": "0"}, file=folder / "playlist_items_page1.json")
    replay.add(f"/v1/playlists/{PLAYLIST}/items", query={"offset": "2"}, file=folder / "playlist_items_page2.json")
    replay.add("/v1/audio-features/3SVAN3BRByDmHOhKyIDxfC", file=folder / "audio_features_track.json")
    replay.add("/v1/audio-features/6mFkJmJqdDVQ1REhVfGgd1", status=404, body="{}")
    replay.add("/v1/artists/4Z8W4fKeB5YxbusRsdQVPb", file=folder / "artist.json")
    replay.add("/v1/artists/0k17h0D3J5VfsdmQ1iZtE9", json_body={"id": "0k17h0D3J5VfsdmQ1iZtE9", "name": "Pink Floyd",
                                                                "genres": ["Psychedelic-Rock"], "images": []})
    return replay


def test_ingest_stores_tracks_positions_features_and_genres(playlist_routes, db, owner):
    result = services.playlist_ingest(spotify_id=PLAYLIST, user=owner)
    assert result.status == "ingested" and result.tracks == 2
    playlist = Playlist.objects.get(spotify_id=PLAYLIST)
    assert playlist.ingested_snapshot_id == "MTcwMDAwMDAwMCwwMDAw"
    assert list(PlaylistTrack.objects.filter(playlist=playlist).values_list("position", "track__title")) == [
        (0, "Paranoid Android"), (2, "Wish You Were Here")]
    track = Track.objects.get(spotify_id=TRACK)
    assert track.isrc == "GBAYE9700219" and track.album.year == 1997
    assert track.features.get().source == "spotify"
    assert Artist.objects.get(spotify_id="4Z8W4fKeB5YxbusRsdQVPb").genres == ["alternative rock", "art rock"]
    assert Artist.objects.get(spotify_id="0k17h0D3J5VfsdmQ1iZtE9").genres == ["psychedelic rock"]
    assert owner in playlist.imported_by.all()


def test_ingest_skips_an_unchanged_snapshot(playlist_routes, db):
    services.playlist_ingest(spotify_id=PLAYLIST)
    items_calls = len(playlist_routes.requests_to(f"/v1/playlists/{PLAYLIST}/items"))
    again = services.playlist_ingest(spotify_id=PLAYLIST)
    assert again.status == "unchanged"
    assert len(playlist_routes.requests_to(f"/v1/playlists/{PLAYLIST}/items")) == items_calls
    assert len(playlist_routes.requests_to(f"/v1/playlists/{PLAYLIST}")) == 2


def test_ingest_audio_features_403_is_recorded_and_not_retried(playlist_routes, db, data_dir):
    playlist_routes.routes.clear()
    folder = data_dir / "spotify"
    playlist_routes.add("/api/token", method="POST", file=folder / "token.json")
    playlist_routes.add(f"/v1/playlists/{PLAYLIST}", file=folder / "playlist.json")
    playlist_routes.add(f"/v1/playlists/{PLAYLIST}/items", query={"offset": "0"}, file=folder / "playlist_items_page1.json")
    playlist_routes.add(f"/v1/playlists/{PLAYLIST}/items", query={"offset": "2"}, file=folder / "playlist_items_page2.json")
    playlist_routes.add(f"/v1/audio-features/{TRACK}", status=403, file=folder / "error_403.json")
    result = services.playlist_ingest(spotify_id=PLAYLIST)
    assert result.status == "ingested"
    forbidden = [r for r in playlist_routes.requests if r.path.startswith("/v1/audio-features")]
    assert len(forbidden) == 1  # the second page did not ask again
    assert not Track.objects.get(spotify_id=TRACK).features.exists()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_ingests_do_the_work_once(playlist_routes):
    for route in playlist_routes.routes:
        if route.path == f"/v1/playlists/{PLAYLIST}":
            route.delay = 0.5  # both start while the first still holds the lock
    results = []

    def run():
        results.append(services.playlist_ingest(spotify_id=PLAYLIST).status)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert sorted(results) == ["busy", "ingested"]
    assert len(playlist_routes.requests_to(f"/v1/playlists/{PLAYLIST}/items", "GET")) == 2  # one pass, two pages
    assert PlaylistTrack.objects.count() == 2


def test_ingest_job_reports_progress_and_result(playlist_routes, owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = services.playlist_ingest_start(user=owner, spotify_id=PLAYLIST)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert job.result["status"] == "ingested" and job.result["tracks"] == 2
    assert job.done == job.total == 3


def test_ingest_job_for_a_missing_playlist_fails_clearly(spotify_settings, owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = services.playlist_ingest_start(user=owner, spotify_id="0000000000000000000000")
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "no such playlist" in job.message


def test_recommend_from_an_unknown_playlist_ingests_it_first(playlist_routes, catalogue, client):
    response = client.post("/api/v1/recommend", data={"url": f"spotify:playlist:{PLAYLIST}", "limit": 3},
                           content_type="application/json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["seed"]["kind"] == "playlist"
    assert len(data["items"]) == 3
    assert any("no features yet" in note for note in data["notes"])  # one of the two has none


def test_recommend_fetches_an_unknown_track_from_spotify(spotify_settings, catalogue, client, data_dir):
    folder = data_dir / "spotify"
    spotify_settings.add(f"/v1/tracks/{TRACK}", file=folder / "track.json")
    spotify_settings.add(f"/v1/audio-features/{TRACK}", file=folder / "audio_features_track.json")
    spotify_settings.add("/v1/artists/4Z8W4fKeB5YxbusRsdQVPb", file=folder / "artist.json")
    response = client.post("/api/v1/recommend", data={"url": f"spotify:track:{TRACK}", "limit": 4, "market": "gb"},
                           content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["seed"]["source"] == "spotify"
    assert spotify_settings.requests_to(f"/v1/tracks/{TRACK}")[0].param("market") == "GB"
    assert Track.objects.get(spotify_id=TRACK).features.get().values["tempo"] == pytest.approx(124.2)


def test_recommend_spotify_403_on_features_gives_422_with_remedy(spotify_settings, catalogue, client, data_dir):
    folder = data_dir / "spotify"
    spotify_settings.add(f"/v1/tracks/{TRACK}", file=folder / "track.json")
    spotify_settings.add(f"/v1/audio-features/{TRACK}", status=403, file=folder / "error_403.json")
    spotify_settings.add("/v1/artists/4Z8W4fKeB5YxbusRsdQVPb", status=403, file=folder / "error_403.json")
    for _ in range(2):
        response = client.post("/api/v1/recommend", data={"url": f"spotify:track:{TRACK}"},
                               content_type="application/json")
        assert response.status_code == 422
        assert "no audio features yet" in response.json()["detail"][0]["msg"]
    assert len(spotify_settings.requests_to(f"/v1/audio-features/{TRACK}")) == 1


def test_recommend_spotify_429_is_503_with_retry_after(spotify_settings, catalogue, client):
    spotify_settings.add(f"/v1/tracks/{TRACK}", fault="429", retry_after=120)
    response = client.post("/api/v1/recommend", data={"url": f"spotify:track:{TRACK}"},
                           content_type="application/json")
    assert response.status_code == 503
    assert int(response["Retry-After"]) >= 100
    assert "rate-limiting" in response.json()["detail"]


def test_recommend_spotify_5xx_is_503_not_500(spotify_settings, catalogue, client, settings):
    settings.INTEGRATION_MAX_RETRIES = 1
    spotify_settings.add(f"/v1/tracks/{TRACK}", fault="503")
    response = client.post("/api/v1/recommend", data={"url": f"spotify:track:{TRACK}"},
                           content_type="application/json")
    assert response.status_code == 503
    assert len(spotify_settings.requests_to(f"/v1/tracks/{TRACK}")) == 2


def test_recommend_spotify_401_is_retried_with_a_fresh_token(spotify_settings, catalogue, client, data_dir):
    folder = data_dir / "spotify"
    spotify_settings.add(f"/v1/tracks/{TRACK}", status=401, file=folder / "error_401.json", times=1)
    spotify_settings.add(f"/v1/tracks/{TRACK}", file=folder / "track.json")
    spotify_settings.add(f"/v1/audio-features/{TRACK}", file=folder / "audio_features_track.json")
    response = client.post("/api/v1/recommend", data={"url": f"spotify:track:{TRACK}"},
                           content_type="application/json")
    assert response.status_code == 200
    assert len(spotify_settings.requests_to("/api/token", "POST")) == 2
