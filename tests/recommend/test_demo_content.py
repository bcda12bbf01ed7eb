"""The made-up demo catalogue stays out of real results, and unload_demo removes exactly it."""
import io

import pytest
from django.core.management import call_command

from recommend import demo, services
from recommend import index as faiss_index
from recommend.models import Artist, Playlist, Track, TrackFeatures

from .conftest import ROCK_SEED


@pytest.fixture
def demo_and_real(db, small_csv, owner):
    demo.load(user=owner, staff=None, stdout=io.StringIO())
    services.track_features_import(path=small_csv)
    services.index_rebuild(reason="test")


def test_recommend_real_seed_gets_no_demo_tracks(demo_and_real, owner):
    seed = Track.objects.get(spotify_id=ROCK_SEED)
    # the demo's indie rock sits right next to the real seed: without the exclusion it fills the list
    nearest = faiss_index.current().search(seed.features.get().as_array(), 20)[1].tolist()
    assert Track.objects.filter(pk__in=nearest, is_demo=True).exists()

    result = services.recommend_for_track(user=owner, track=seed, limit=10)

    assert result.items
    assert not any(item.track.is_demo for item in result.items)
    demo_artists = set(Artist.objects.filter(is_demo=True).values_list("name", flat=True))
    assert demo_artists and not demo_artists.intersection(a for item in result.items for a in item.artists)


def test_recommend_demo_seed_still_gets_demo_tracks(demo_and_real, client):
    first = demo.demo_rows()[0]["track_id"]
    response = client.post("/api/v1/recommend", data={"url": f"spotify:track:{first}", "limit": 5},
                           content_type="application/json")

    assert response.status_code == 200
    ids = [item["spotify_id"] for item in response.json()["items"]]
    assert Track.objects.filter(spotify_id__in=ids, is_demo=True).count() == 5


def test_unload_demo_removes_the_demo_catalogue_and_keeps_real_rows(demo_and_real, owner):
    real_tracks = set(Track.objects.filter(is_demo=False).values_list("pk", flat=True))
    real_features = TrackFeatures.objects.filter(track__is_demo=False).count()
    assert Track.objects.filter(is_demo=True).count() > len(demo.demo_rows())  # with the owner's demo groove

    call_command("unload_demo", stdout=io.StringIO())

    assert not Track.objects.filter(is_demo=True).exists()
    assert not Playlist.objects.filter(spotify_id=demo.DEMO_PLAYLIST_ID).exists()
    assert not Artist.objects.filter(is_demo=True).exists()
    assert set(Track.objects.values_list("pk", flat=True)) == real_tracks
    assert TrackFeatures.objects.count() == real_features
    assert Artist.objects.filter(name="Indie-Rock Artist 0").exists()
    assert faiss_index.current().manifest.size == len(real_tracks)
    call_command("unload_demo", stdout=io.StringIO())  # idempotent
    assert set(Track.objects.values_list("pk", flat=True)) == real_tracks
