"""The sonicSimilarity extension backed by the recommend app's FAISS index: getSonicSimilarTracks and
findSonicPath over concert tracks with feature vectors; an empty list, never an error, without them."""
from __future__ import annotations

import pytest

from subsonic import ids
from tests.subsonic.conftest import ITEM, TRACKS, call_json, owner_auth

# (file, tempo, energy, loudness): the first two are close, the third far away
FEATURES = [(TRACKS[0], 120.0, 0.80, -6.0), (TRACKS[1], 122.0, 0.78, -6.5), (TRACKS[2], 60.0, 0.10, -30.0)]


@pytest.fixture
def analysed(library, settings, tmp_path):
    from recommend import services as recommend_services
    from recommend.index import forget

    settings.RECOMMEND_INDEX_DIR = str(tmp_path / "index")
    for name, tempo, energy, loudness in FEATURES:
        recommend_services.track_features_import_archive(
            identifier=ITEM, filename=name, title=name, artist="Test Tapers",
            values={"tempo": tempo, "energy": energy, "loudness": loudness, "danceability": energy,
                    "key": "C", "mode": 1, "year": 2001})
    forget()
    recommend_services.index_rebuild(reason="subsonic tests")
    yield
    forget()


def test_sonic_similar_tracks_are_nearest_first_with_similarity(client, analysed, owner_app_password):
    body = call_json(client, "getSonicSimilarTracks", id=ids.file_song_id(ITEM, TRACKS[0]), count=2, **owner_auth())
    matches = body["sonicMatch"]
    assert [m["entry"]["id"] for m in matches] == [ids.file_song_id(ITEM, TRACKS[1]), ids.file_song_id(ITEM, TRACKS[2])]
    assert 1.0 >= matches[0]["similarity"] > matches[1]["similarity"] >= 0.0
    assert matches[0]["entry"]["title"] == "Jam"  # a full Child from the item metadata


def test_sonic_path_starts_and_ends_with_the_given_songs(client, analysed, owner_app_password):
    start, end = ids.file_song_id(ITEM, TRACKS[0]), ids.file_song_id(ITEM, TRACKS[2])
    path = call_json(client, "findSonicPath", startSongId=start, endSongId=end, count=3, **owner_auth())["sonicMatch"]
    assert [m["entry"]["id"] for m in path] == [start, ids.file_song_id(ITEM, TRACKS[1]), end]
    assert path[0]["similarity"] == 1.0


def test_similar_songs2_for_a_song_uses_the_same_index(client, analysed, owner_app_password):
    songs = call_json(client, "getSimilarSongs2", id=ids.file_song_id(ITEM, TRACKS[0]), count=1,
                      **owner_auth())["similarSongs2"]["song"]
    assert [s["id"] for s in songs] == [ids.file_song_id(ITEM, TRACKS[1])]


def test_sonic_similarity_without_vectors_is_empty_not_an_error(client, library, owner_app_password):
    body = call_json(client, "getSonicSimilarTracks", id=ids.file_song_id(ITEM, TRACKS[0]), **owner_auth())
    assert body["status"] == "ok" and body["sonicMatch"] == []
    body = call_json(client, "findSonicPath", startSongId=ids.file_song_id(ITEM, TRACKS[0]),
                     endSongId=ids.file_song_id(ITEM, TRACKS[1]), **owner_auth())
    assert body["status"] == "ok" and body["sonicMatch"] == []


def test_sonic_similarity_of_an_unknown_song_is_70(client, library, owner_app_password):
    body = call_json(client, "getSonicSimilarTracks", id="so-bm9wZS9ub3BlLm1wMw", **owner_auth())
    assert body["error"]["code"] == 70
