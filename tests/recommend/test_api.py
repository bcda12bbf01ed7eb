"""POST /api/v1/recommend and GET /api/v1/recommend/health."""
import pytest

from recommend import index as faiss_index
from recommend.models import Track, TrackFeatures

from .conftest import ROCK_SEED

URL = "/api/v1/recommend"


def _post(client, body, **kwargs):
    return client.post(URL, data=body, content_type="application/json", **kwargs)


def test_health_reports_a_missing_index(client, db):
    response = client.get(f"{URL}/health")
    assert response.status_code == 200
    data = response.json()
    assert data["ok"] is False and data["index_size"] == 0 and data["index_type"] is None
    assert "rebuild_index" in data["message"]


def test_health_reports_the_built_index(client, catalogue):
    data = client.get(f"{URL}/health").json()
    assert data["ok"] is True
    assert data["index_size"] == 41
    assert data["index_type"] == "IndexFlatIP"
    assert data["built_at"]


def test_recommend_returns_exactly_limit_ranked_items(client, catalogue):
    response = _post(client, {"url": f"https://open.spotify.com/track/{ROCK_SEED}?si=x", "limit": 5})
    assert response.status_code == 200, response.content
    data = response.json()
    items = data["items"]
    assert len(items) == 5
    ids = [i["spotify_id"] for i in items]
    assert ROCK_SEED not in ids
    assert len(set(ids)) == len(ids)
    sims = [i["similarity"] for i in items]
    assert all(0.0 <= s <= 1.0 for s in sims)
    assert sims == sorted(sims, reverse=True)
    assert all(i["title"] and i["artists"] and i["explanation"] for i in items)
    # the nearest neighbours of an indie-rock seed are indie rock
    assert {tuple(i["genres"]) for i in items} == {("indie rock",)}
    assert data["seed"]["kind"] == "track" and data["seed"]["source"] == "dataset"


def test_recommend_excludes_duplicates_of_the_seed_and_caps_artists(client, catalogue, settings):
    # "Indie-Rock Song 1 - 2011 Remaster" is the same recording as "Indie-Rock Song 1" under another id
    seed = Track.objects.get(title="Indie-Rock Song 1")
    data = _post(client, {"url": f"spotify:track:{seed.spotify_id}", "limit": 6}).json()
    titles = [i["title"] for i in data["items"]]
    assert not any(t.startswith("Indie-Rock Song 1") for t in titles)
    per_artist = {}
    for item in data["items"]:
        per_artist[item["artists"][0]] = per_artist.get(item["artists"][0], 0) + 1
    assert max(per_artist.values()) <= settings.RECOMMEND_MAX_PER_ARTIST


def test_recommend_dedupes_results_by_title_and_artist(client, catalogue):
    seed = Track.objects.get(title="Indie-Rock Song 0")
    data = _post(client, {"url": f"spotify:track:{seed.spotify_id}", "limit": 7}).json()
    keys = [(i["title"].split(" - ")[0], i["artists"][0]) for i in data["items"]]
    assert len(keys) == len(set(keys))


def test_recommend_explanations_follow_the_feature_differences(client, catalogue):
    seed = Track.objects.get(spotify_id=ROCK_SEED)
    seed_values = seed.features.get().values
    data = _post(client, {"url": f"spotify:track:{ROCK_SEED}", "limit": 5}).json()
    for item in data["items"]:
        other = TrackFeatures.objects.get(track__spotify_id=item["spotify_id"]).values
        if abs(other["tempo"] - seed_values["tempo"]) <= 6:
            assert f"matching tempo around {round((other['tempo'] + seed_values['tempo']) / 2)} BPM" \
                in item["explanation"]
        else:
            assert "matching tempo" not in item["explanation"]
        if other["energy"] >= 0.7 and seed_values["energy"] >= 0.7:
            assert "high energy" in item["explanation"]
        if "indie rock" in item["genres"]:
            assert "shares indie rock" in item["explanation"]
        else:
            assert "shares" not in item["explanation"]


def test_recommend_playlist_seed_uses_the_centroid(client, catalogue):
    from recommend.models import Playlist, PlaylistTrack

    playlist = Playlist.objects.create(spotify_id="3cEYpjA9oz9GiPac4AsH4n", name="Quiet", ingested_snapshot_id="s")
    for i, track in enumerate(Track.objects.filter(genre__in=["ambient", "folk"]).order_by("pk")[:6]):
        PlaylistTrack.objects.create(playlist=playlist, track=track, position=i)
    data = _post(client, {"url": "https://open.spotify.com/playlist/3cEYpjA9oz9GiPac4AsH4n", "limit": 8}).json()
    assert data["seed"]["kind"] == "playlist"
    seeds = set(PlaylistTrack.objects.values_list("track__spotify_id", flat=True))
    assert not seeds & {i["spotify_id"] for i in data["items"]}
    assert {g for i in data["items"] for g in i["genres"]} <= {"ambient", "folk"}


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"url": "https://www.youtube.com/watch?v=abc"}, "url", "not a Spotify link"),
        ({"url": f"https://open.spotify.com/album/{ROCK_SEED}"}, "url", "album links are not supported"),
        ({"url": f"https://open.spotify.com/artist/{ROCK_SEED}"}, "url", "artist links are not supported"),
        ({"url": "https://open.spotify.com/track/abc"}, "url", "22 letters and digits"),
        ({"url": f"spotify:track:{ROCK_SEED}", "limit": 0}, "limit", "between 1 and 50"),
        ({"url": f"spotify:track:{ROCK_SEED}", "limit": 51}, "limit", "between 1 and 50"),
        ({"url": f"spotify:track:{ROCK_SEED}", "market": "USA"}, "market", "two-letter country code"),
    ],
)
def test_recommend_bad_input_is_422_with_a_clear_message(client, catalogue, body, field, message):
    response = _post(client, body)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert any(field in d["loc"] and message in d["msg"] for d in detail), detail


def test_recommend_unknown_track_without_spotify_is_404_with_remedy(client, catalogue, settings):
    settings.SPOTIFY_CLIENT_ID = ""
    response = _post(client, {"url": "spotify:track:0000000000000000000000"})
    assert response.status_code == 404
    detail = response.json()["detail"]
    assert "not in the Stylus catalogue" in detail and "import_track_features" in detail


def test_recommend_seed_without_features_is_422_with_remedy(client, catalogue):
    Track.objects.create(spotify_id="1111111111111111111111", title="Bare", artist_names="Nobody")
    response = _post(client, {"url": "spotify:track:1111111111111111111111"})
    assert response.status_code == 422
    message = response.json()["detail"][0]["msg"]
    assert "has no audio features yet" in message and "analyse its audio" in message


def test_recommend_seed_with_genre_only_falls_back_to_low_confidence_metadata(client, catalogue):
    Track.objects.create(spotify_id="2222222222222222222222", title="Genre Only", artist_names="X", genre="metal",
                         year=2015)
    response = _post(client, {"url": "spotify:track:2222222222222222222222", "limit": 4})
    assert response.status_code == 200
    data = response.json()
    assert data["seed"]["confidence"] == "low" and data["seed"]["source"] == "metadata"
    assert any("Low confidence" in n for n in data["notes"])
    assert {g for i in data["items"] for g in i["genres"]} == {"metal"}


def test_recommend_without_an_index_is_503_with_a_rebuild_hint(client, db, small_csv):
    from recommend import services

    services.track_features_import(path=small_csv)
    faiss_index.clear()
    response = _post(client, {"url": f"spotify:track:{ROCK_SEED}"})
    assert response.status_code == 503
    assert "rebuild_index" in response.json()["detail"]
    assert response["Retry-After"]


def test_recommend_logs_the_search(client, catalogue, owner, owner_api):
    from common.models import SearchLog

    _post(client, {"url": f"spotify:track:{ROCK_SEED}", "limit": 3}, **owner_api)
    log = SearchLog.objects.get(section="recommend")
    assert log.user == owner and ROCK_SEED in log.query


def test_recommend_never_returns_another_users_private_audio(client, catalogue, owner, outsider, owner_api,
                                                             outsider_api):
    from recommend import services

    seed_values = Track.objects.get(spotify_id=ROCK_SEED).features.get().values
    private = Track.objects.create(title="Owner's Demo Tape", owner=owner, audio_ref="upload:1")
    services.features_store(track=private, source="audio", values=dict(seed_values), confidence="medium")
    services.index_add_tracks(track_ids=[private.pk])
    body = {"url": f"spotify:track:{ROCK_SEED}", "limit": 10}
    mine = [i["title"] for i in _post(client, body, **owner_api).json()["items"]]
    theirs = [i["title"] for i in _post(client, body, **outsider_api).json()["items"]]
    anonymous = [i["title"] for i in _post(client, body).json()["items"]]
    assert "Owner's Demo Tape" in mine
    assert "Owner's Demo Tape" not in theirs and "Owner's Demo Tape" not in anonymous


def test_catalogue_endpoint_counts_by_source(client, catalogue):
    data = client.get(f"{URL}/catalogue").json()
    assert data["by_source"]["dataset"] == 41
    assert data["by_source"]["spotify"] == 0
    assert data["index"]["index_size"] == 41


def test_rebuild_endpoint_is_staff_only(client, catalogue, owner_api, staff_api, django_capture_on_commit_callbacks):
    assert client.post(f"{URL}/index/rebuild", **owner_api).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{URL}/index/rebuild", **staff_api)
    assert response.status_code == 202
    from common.models import Job

    job = Job.objects.get(pk=response.json()["job_id"])
    assert job.status == "succeeded"
    assert faiss_index.read_manifest().version == 2


def test_private_job_endpoints_need_login(client, db):
    assert client.post(f"{URL}/playlists", data={"url": "x"}, content_type="application/json").status_code == 401
    assert client.post(f"{URL}/analyse-archive").status_code == 401
