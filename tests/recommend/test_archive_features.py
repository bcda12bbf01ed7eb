"""Internet Archive concert tracks in the catalogue: track_features_import_archive."""
import numpy as np
import pytest

from common.exceptions import InvalidInput
from recommend import features as fs
from recommend import services
from recommend.models import Track, TrackArtist, TrackFeatures

FULL = {"tempo": 124.0, "key": 7, "mode": "major", "loudness": -9.5, "danceability": 0.61, "energy": 0.72,
        "spectral_centroid": 1750.0, "spectral_flatness": 0.02, "mfcc_mean": [-200.0, 80.5, 3.25]}


def _import(**overrides):
    args = {"identifier": "gd1977-05-08.sbd", "filename": "gd77-05-08d1t01.flac", "title": "New Minglewood Blues",
            "artist": "Grateful Dead", "values": FULL} | overrides
    services.track_features_import_archive(**args)


def test_track_features_import_archive_stores_track_and_mapped_vector(db):
    _import()
    track = Track.objects.get(external_key="ia:gd1977-05-08.sbd/gd77-05-08d1t01.flac")
    assert track.owner is None and track.spotify_id is None
    assert track.title == "New Minglewood Blues" and track.artist_names == "Grateful Dead"
    assert list(track.artists.values_list("name", flat=True)) == ["Grateful Dead"]
    feats = track.features.get()
    assert feats.source == TrackFeatures.Source.ARCHIVE
    assert feats.values["mode"] == 1 and feats.values["key"] == 7
    assert feats.values["acousticness"] == pytest.approx(0.5)  # 1 - 1750 / 3500, as our own audio analysis
    assert feats.values["mfcc_mean"] == [-200.0, 80.5, 3.25]
    assert feats.confidence == TrackFeatures.Confidence.MEDIUM  # never high: valence etc. are unknown
    expected = fs.vector_from_values(feats.values)
    np.testing.assert_allclose(feats.as_array(), expected)
    assert feats.as_array()[fs.LINEAR_DIMS.index(next(d for d in fs.LINEAR_DIMS if d.name == "valence"))] == 0.0


def test_track_features_import_archive_is_idempotent(db):
    _import()
    _import(values=FULL | {"tempo": 130.0}, title="New Minglewood Blues (live)")
    assert Track.objects.count() == 1
    assert TrackArtist.objects.count() == 1
    feats = TrackFeatures.objects.get()
    assert feats.values["tempo"] == 130.0
    assert Track.objects.get().title == "New Minglewood Blues (live)"


def test_track_features_import_archive_sparse_values_are_low_confidence(db):
    _import(values={"tempo": 96, "key": "F#", "mode": "minor", "spectral_centroid": 900})
    feats = TrackFeatures.objects.get()
    assert feats.confidence == TrackFeatures.Confidence.LOW
    assert feats.values["key"] == 6 and feats.values["mode"] == 0


def test_track_features_import_archive_ignores_impossible_values(db):
    _import(values={"tempo": -5, "energy": 4.0, "loudness": "loud", "danceability": 0.4, "spectral_centroid": 2000})
    values = TrackFeatures.objects.get().values
    assert "tempo" not in values and "energy" not in values and "loudness" not in values
    assert values["danceability"] == 0.4


def test_track_features_import_archive_too_few_values_keeps_track_without_vector(db):
    _import()
    _import(values={"key": 3})
    assert Track.objects.count() == 1
    assert not TrackFeatures.objects.exists()  # the stale vector goes too


def test_track_features_import_archive_prefers_dataset_over_archive_over_audio():
    order = sorted(TrackFeatures.PRIORITY, key=TrackFeatures.PRIORITY.get)
    assert order.index("dataset") < order.index("archive") < order.index("audio")


def test_track_features_import_archive_rejects_missing_identifier(db):
    with pytest.raises(InvalidInput):
        _import(identifier=" ")
    assert not Track.objects.exists()


def test_track_features_import_archive_track_becomes_recommendable(catalogue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _import()
    track = Track.objects.get(external_key__startswith="ia:")
    result = services.recommend_for_track(user=None, track=track, limit=5)
    assert result.seed_source == "archive"
    assert len(result.items) == 5 and all(item.track.pk != track.pk for item in result.items)
    # and it is found as a neighbour of catalogue tracks
    from recommend import index as faiss_index
    loaded = faiss_index.current()
    assert track.pk in set(loaded.search(track.features.get().as_array(), 1)[1].tolist())
