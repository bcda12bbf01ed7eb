"""The Spotify client against the replay server: our own fixtures and the real recordings."""
import json

import pytest

from integrations.spotify.client import SpotifyClient, endpoint_forbidden
from integrations.spotify.errors import AuthFailed, NotConfigured, NotFound, RateLimited, TransientError

TRACK = "3SVAN3BRByDmHOhKyIDxfC"
PLAYLIST = "37i9dQZF1DXcBWIGoYBM5M"


@pytest.fixture
def spotify(settings, replay, data_dir):
    settings.SPOTIFY_API_URL = f"{replay.url}/v1"
    settings.SPOTIFY_ACCOUNTS_URL = replay.url
    settings.SPOTIFY_CLIENT_ID = "client-id"
    settings.SPOTIFY_CLIENT_SECRET = "client-secret"
    replay.add("/api/token", method="POST", file=data_dir / "spotify" / "token.json")
    client = SpotifyClient()
    yield client
    client.close()


def test_client_fetches_a_token_once_and_sends_it_as_bearer(spotify, replay, data_dir):
    replay.add(f"/v1/tracks/{TRACK}", file=data_dir / "spotify" / "track.json")
    first = spotify.get_track(TRACK)
    second = spotify.get_track(TRACK)
    assert first == second
    assert first.name == "Paranoid Android"
    assert first.isrc == "GBAYE9700219"  # normalised to upper case
    assert first.artist_names == ["Radiohead"]
    assert first.album.image_url == "https://i.scdn.co/image/okc640"
    assert first.album.year == 1997
    assert len(replay.requests_to("/api/token", "POST")) == 1
    token_request = replay.requests_to("/api/token", "POST")[0]
    assert token_request.headers["Authorization"].startswith("Basic ")
    assert b"grant_type=client_credentials" in token_request.body
    assert all(r.headers["Authorization"] == "Bearer BQTestToken123" for r in replay.requests_to(f"/v1/tracks/{TRACK}"))


def test_client_without_credentials_raises_not_configured(settings, replay):
    settings.SPOTIFY_API_URL = f"{replay.url}/v1"
    settings.SPOTIFY_CLIENT_ID = ""
    assert SpotifyClient.configured() is False
    with pytest.raises(NotConfigured, match="SPOTIFY_CLIENT_ID"):
        SpotifyClient().get_track(TRACK)
    assert replay.requests == []


def test_client_with_user_token_needs_no_app_credentials(settings, replay, data_dir):
    settings.SPOTIFY_API_URL = f"{replay.url}/v1"
    settings.SPOTIFY_CLIENT_ID = ""
    replay.add(f"/v1/tracks/{TRACK}", file=data_dir / "spotify" / "track.json")
    track = SpotifyClient(user_token="user-token").get_track(TRACK)
    assert track.id == TRACK
    assert replay.requests_to(f"/v1/tracks/{TRACK}")[0].headers["Authorization"] == "Bearer user-token"


def test_client_drops_the_token_on_401_and_retries_once(spotify, replay, data_dir):
    replay.add(f"/v1/tracks/{TRACK}", status=401, file=data_dir / "spotify" / "error_401.json", times=1)
    replay.add(f"/v1/tracks/{TRACK}", file=data_dir / "spotify" / "track.json")
    assert spotify.get_track(TRACK).id == TRACK
    assert len(replay.requests_to("/api/token", "POST")) == 2


def test_client_gives_up_after_a_second_401(spotify, replay, data_dir):
    replay.add(f"/v1/tracks/{TRACK}", status=401, file=data_dir / "spotify" / "error_401.json")
    with pytest.raises(AuthFailed):
        spotify.get_track(TRACK)
    assert len(replay.requests_to(f"/v1/tracks/{TRACK}")) == 2


def test_client_rejected_credentials_raise_auth_failed(settings, replay):
    settings.SPOTIFY_API_URL = f"{replay.url}/v1"
    settings.SPOTIFY_ACCOUNTS_URL = replay.url
    settings.SPOTIFY_CLIENT_ID, settings.SPOTIFY_CLIENT_SECRET = "id", "wrong"
    replay.add("/api/token", method="POST", status=400, json_body={"error": "invalid_client"})
    with pytest.raises(AuthFailed, match="rejected the client credentials"):
        SpotifyClient().get_track(TRACK)


def test_client_not_found_raises_not_found(spotify, replay, shared_fixtures):
    replay.add(f"/v1/tracks/{TRACK}", status=404, file=shared_fixtures / "spotify" / "error_id_not_found.json")
    with pytest.raises(NotFound):
        spotify.get_track(TRACK)


def test_client_retries_429_honouring_retry_after(spotify, replay, data_dir):
    replay.add(f"/v1/tracks/{TRACK}", fault="429", retry_after=0, times=1)
    replay.add(f"/v1/tracks/{TRACK}", file=data_dir / "spotify" / "track.json")
    assert spotify.get_track(TRACK).id == TRACK
    assert len(replay.requests_to(f"/v1/tracks/{TRACK}")) == 2


def test_client_long_retry_after_raises_rate_limited_with_the_delay(spotify, replay):
    replay.add(f"/v1/tracks/{TRACK}", fault="429", retry_after=120)
    with pytest.raises(RateLimited) as err:
        spotify.get_track(TRACK)
    assert err.value.retry_after == pytest.approx(120, abs=1)
    assert len(replay.requests_to(f"/v1/tracks/{TRACK}")) == 1


def test_client_5xx_is_retried_then_raised_as_transient(spotify, replay, settings):
    settings.INTEGRATION_MAX_RETRIES = 2  # read when a client is made
    replay.add(f"/v1/tracks/{TRACK}", fault="503")
    with pytest.raises(TransientError):
        SpotifyClient().get_track(TRACK)
    assert len(replay.requests_to(f"/v1/tracks/{TRACK}")) == 3


def test_client_search_tracks_passes_query_and_limit(spotify, replay, data_dir):
    replay.add("/v1/search", file=data_dir / "spotify" / "search_tracks.json")
    tracks = spotify.search_tracks("track:karma artist:radiohead", limit=2)
    assert [t.name for t in tracks] == ["Paranoid Android", "Karma Police"]
    sent = replay.requests_to("/v1/search")[0]
    assert sent.param("q") == "track:karma artist:radiohead"
    assert sent.param("type") == "track"
    assert sent.param("limit") == "2"


def test_client_playlist_items_follow_pages_and_skip_episodes(spotify, replay, data_dir):
    folder = data_dir / "spotify"
    replay.add(f"/v1/playlists/{PLAYLIST}", file=folder / "playlist.json")
    replay.add(f"/v1/playlists/{PLAYLIST}/items", query={"offset": "0"}, file=folder / "playlist_items_page1.json")
    replay.add(f"/v1/playlists/{PLAYLIST}/items", query={"offset": "2"}, file=folder / "playlist_items_page2.json")
    playlist = spotify.get_playlist(PLAYLIST)
    assert playlist.snapshot_id == "MTcwMDAwMDAwMCwwMDAw"
    assert playlist.total_tracks == 3
    items = spotify.get_playlist_items(PLAYLIST)
    assert [(i.position, i.track.name) for i in items] == [(0, "Paranoid Android"), (2, "Wish You Were Here")]
    assert items[0].added_at.year == 2024
    assert [r.param("offset") for r in replay.requests_to(f"/v1/playlists/{PLAYLIST}/items")] == ["0", "2"]
    assert replay.requests_to(f"/v1/playlists/{PLAYLIST}/tracks") == []


def test_client_playlist_items_fall_back_to_the_tracks_path(spotify, replay, shared_fixtures):
    playlist = "59ZbFPES4DQwEjBpWHzrtC"
    replay.add(f"/v1/playlists/{playlist}/tracks", file=shared_fixtures / "spotify" / "playlist_items_paging_java.json")
    raw = json.loads((shared_fixtures / "spotify" / "playlist_items_paging_java.json").read_text())
    page = spotify.get_playlist_items_page(playlist)
    assert len(replay.requests_to(f"/v1/playlists/{playlist}/items")) == 1
    assert len(page.items) == len([e for e in raw["items"] if e.get("track")]) >= 1
    assert page.fetched == len(raw["items"])
    assert all(item.track.id and item.track.artists for item in page.items)
    # remembered: the next call goes straight to /tracks
    spotify.get_playlist_items_page(playlist)
    assert len(replay.requests_to(f"/v1/playlists/{playlist}/items")) == 1


def test_client_real_playlist_recordings_parse(spotify, replay, shared_fixtures):
    folder = shared_fixtures / "spotify"
    modern = "1h9q8vXXDl2vHOmwdsuXms"
    replay.add(f"/v1/playlists/{modern}", file=folder / "playlist_1h9q8vXXDl2vHOmwdsuXms_modern.json")
    playlist = spotify.get_playlist(modern)
    raw = json.loads((folder / "playlist_1h9q8vXXDl2vHOmwdsuXms_modern.json").read_text())
    assert playlist.snapshot_id == raw["snapshot_id"]
    assert playlist.total_tracks == raw["tracks"]["total"]
    assert playlist.name == raw["name"]


def test_client_paging_stops_at_total_on_real_recordings(spotify, replay, shared_fixtures):
    folder = shared_fixtures / "spotify"
    raw = json.loads((folder / "playlist_tracks_paging_jmperez.json").read_text())
    replay.add("/v1/playlists/0EIVqzEcrY2a8vO0AUJar2/items", file=folder / "playlist_tracks_paging_jmperez.json")
    items = spotify.get_playlist_items("0EIVqzEcrY2a8vO0AUJar2")
    assert len(items) == len([e for e in raw["items"] if e.get("track")])
    # the recording says next=null: exactly one request
    assert len(replay.requests_to("/v1/playlists/0EIVqzEcrY2a8vO0AUJar2/items")) == 1


def test_client_real_search_and_track_recordings(spotify, replay, shared_fixtures):
    folder = shared_fixtures / "spotify"
    replay.add("/v1/search", file=folder / "search_type_track_q_gatan.json")
    tracks = spotify.search_tracks("gatan", limit=20)
    assert len(tracks) == 20
    assert all(t.id and t.name and t.artists for t in tracks)
    raw = json.loads((folder / "track_single_java.json").read_text())
    replay.add(f"/v1/tracks/{raw['id']}", file=folder / "track_single_java.json")
    track = spotify.get_track(raw["id"])
    assert track.isrc == raw["external_ids"]["isrc"].upper()
    assert track.duration_ms == raw["duration_ms"]


def test_client_audio_features_parse_real_recordings(spotify, replay, shared_fixtures):
    folder = shared_fixtures / "spotify"
    raw = json.loads((folder / "audio_features_several_java.json").read_text())
    ids = [f["id"] for f in raw["audio_features"] if f]
    replay.add("/v1/audio-features", file=folder / "audio_features_several_java.json")
    features = spotify.get_audio_features(ids)
    assert set(features) == set(ids)
    first = raw["audio_features"][0]
    assert features[first["id"]].tempo == pytest.approx(first["tempo"])


def test_client_audio_features_403_is_recorded_once_and_then_skipped(spotify, replay, data_dir):
    replay.add(f"/v1/audio-features/{TRACK}", status=403, file=data_dir / "spotify" / "error_403.json")
    assert spotify.get_audio_features([TRACK]) == {}
    assert endpoint_forbidden("audio-features")
    assert SpotifyClient.audio_features_available() is False
    assert spotify.get_audio_features([TRACK]) == {}
    assert SpotifyClient().get_audio_features([TRACK, "2ITVpl8TvoN5KDp0BUjzWe"]) == {}
    assert len(replay.requests_to(f"/v1/audio-features/{TRACK}")) == 1


def test_client_audio_features_batch_gone_falls_back_per_id(spotify, replay, data_dir):
    replay.add(f"/v1/audio-features/{TRACK}", file=data_dir / "spotify" / "audio_features_track.json")
    features = spotify.get_audio_features([TRACK, "2ITVpl8TvoN5KDp0BUjzWe"])
    assert list(features) == [TRACK]
    assert features[TRACK].tempo == pytest.approx(124.2)
    assert len(replay.requests_to("/v1/audio-features")) == 1  # the batch path, 404


def test_client_audio_analysis_403_falls_back_to_none(spotify, replay, shared_fixtures):
    replay.add(f"/v1/audio-analysis/{TRACK}", status=403, body="{}")
    assert spotify.get_audio_analysis(TRACK) is None
    assert spotify.get_audio_analysis(TRACK) is None
    assert len(replay.requests_to(f"/v1/audio-analysis/{TRACK}")) == 1
    other = "06AKEBrKUckW0KREUWRnvT"
    from django.core.cache import cache

    cache.clear()
    replay.add(f"/v1/audio-analysis/{other}", file=shared_fixtures / "spotify" / "audio_analysis_full_716KB.json")
    summary = spotify.get_audio_analysis(other)
    assert summary.tempo == pytest.approx(151.94)
    assert summary.beats == 567 and summary.sections == 11


def test_client_album_tracks_fill_in_the_album(spotify, replay):
    album = {"id": "6dVIqQ8qmQ5GBnJ9shOYGE", "name": "OK Computer", "release_date": "1997", "images": [],
             "artists": [{"id": "a", "name": "Radiohead"}], "album_type": "album", "total_tracks": 3}
    replay.add("/v1/albums/6dVIqQ8qmQ5GBnJ9shOYGE", json_body=album)

    def simple(i):
        return {"id": f"{i:0>22}", "name": f"Song {i}", "type": "track", "artists": [{"id": "a", "name": "Radiohead"}],
                "duration_ms": 1000}
    replay.add("/v1/albums/6dVIqQ8qmQ5GBnJ9shOYGE/tracks", query={"offset": "0"},
               json_body={"items": [simple(1), simple(2)], "total": 3, "offset": 0, "limit": 2, "next": "more"})
    replay.add("/v1/albums/6dVIqQ8qmQ5GBnJ9shOYGE/tracks", query={"offset": "2"},
               json_body={"items": [simple(3)], "total": 3, "offset": 2, "limit": 2, "next": None})
    tracks = spotify.get_album_tracks("6dVIqQ8qmQ5GBnJ9shOYGE")
    assert [t.name for t in tracks] == ["Song 1", "Song 2", "Song 3"]
    assert all(t.album.name == "OK Computer" for t in tracks)
    assert spotify.get_album("6dVIqQ8qmQ5GBnJ9shOYGE").total_tracks == 3


def test_client_user_library_needs_a_user_token(spotify, replay):
    with pytest.raises(AuthFailed, match="Spotify login"):
        spotify.get_saved_tracks()
    assert replay.requests_to("/v1/me/tracks") == []


def test_client_follows_next_on_a_real_paging_object(spotify, replay, shared_fixtures, data_dir, tmp_path):
    """The recorded 'Dinner with Friends' page says total 105 with a next link: the client asks for offset 100."""
    raw = json.loads((shared_fixtures / "spotify" / "playlist_spotify_dinner_with_friends_java.json").read_text())
    first_page = tmp_path / "page1.json"
    first_page.write_text(json.dumps(raw["tracks"]))
    last = json.loads((data_dir / "spotify" / "playlist_items_page2.json").read_text())
    last.update(offset=100, total=105, next=None)
    replay.add(f"/v1/playlists/{raw['id']}/items", query={"offset": "0"}, file=first_page)
    replay.add(f"/v1/playlists/{raw['id']}/items", query={"offset": "100"}, json_body=last)
    items = spotify.get_playlist_items(raw["id"])
    offsets = [r.param("offset") for r in replay.requests_to(f"/v1/playlists/{raw['id']}/items")]
    assert offsets == ["0", "100"]
    expected_first = [e["track"]["name"] for e in raw["tracks"]["items"] if e.get("track")]
    assert [i.track.name for i in items] == [*expected_first, "Wish You Were Here"]
    assert items[-1].position == 100
