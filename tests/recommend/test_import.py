import csv
from io import StringIO

import pytest
from django.core.management import call_command

from common.exceptions import InvalidInput
from recommend import services
from recommend.models import Track, TrackFeatures


def test_import_real_dataset_upserts_by_track_id(db, shared_fixtures):
    path = shared_fixtures / "spotify_dataset" / "spotify_tracks_audio_features_3866_rows.csv"
    with path.open() as fh:
        rows = list(csv.DictReader(fh))
    ids = {r["track_id"] for r in rows}
    result = services.track_features_import(path=path)
    assert result.rows == len(rows)
    assert result.created == len(ids)
    assert Track.objects.count() == len(ids)
    assert TrackFeatures.objects.filter(source="dataset").count() == len(ids)
    assert "Index" not in result.mapping.values() and "Unnamed: 0" not in result.mapping.values()
    first = rows[0]
    track = Track.objects.get(spotify_id=first["track_id"])
    assert track.title == first["track_name"]
    assert track.artist_names == first["artist_name"]
    assert track.year == int(first["year"])
    feats = track.features.get(source="dataset")
    assert feats.values["tempo"] == pytest.approx(float(first["tempo"]))
    assert feats.values["key"] == int(first["key"])
    assert feats.confidence == "high"
    # a second import updates in place
    again = services.track_features_import(path=path)
    assert again.created == 0
    assert again.updated == len(ids)
    assert Track.objects.count() == len(ids)


def test_import_skips_bad_ids_and_normalises_genres(db, small_csv):
    result = services.track_features_import(path=small_csv)
    assert result.created == 41
    assert result.skipped == 1
    assert "bad track id" in result.errors[0]
    assert set(Track.objects.values_list("genre", flat=True)) == {"indie rock", "ambient", "hip hop", "folk", "metal"}


def test_import_column_mapping_renames_columns(db, tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("id,name,by,energy,tempo,valence\n6GGE7g0gKmKzOlk9ZGRBUw,Song,Band,0.5,120,0.4\n")
    result = services.track_features_import(path=path, mapping={"artist_name": "by"})
    assert result.created == 1
    assert Track.objects.get(spotify_id="6GGE7g0gKmKzOlk9ZGRBUw").artist_names == "Band"


def test_import_without_needed_columns_says_which(db, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("foo,bar\n1,2\n")
    with pytest.raises(InvalidInput, match="track_id, track_name, artist_name"):
        services.track_features_import(path=path)
    with pytest.raises(InvalidInput, match="no column 'nope'"):
        services.track_features_import(path=path, mapping={"track_id": "nope"})


def test_import_track_features_command_imports_and_indexes(db, small_csv):
    out = StringIO()
    call_command("import_track_features", str(small_csv), stdout=out, stderr=StringIO())
    text = out.getvalue()
    assert "41 created" in text
    assert "IndexFlatIP, 41 vectors" in text


def test_import_track_features_command_rejects_bad_mapping(db, small_csv):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="FIELD=COLUMN"):
        call_command("import_track_features", str(small_csv), "--map", "nonsense", stdout=StringIO())


def test_a_large_import_refreshes_the_planner_statistics(db, small_csv, monkeypatch):
    """Past ANALYZE_AFTER_ROWS new rows the import ANALYZEs the tables recommendations read; below it, not."""
    from recommend.services import ingest

    refreshed = []
    monkeypatch.setattr(ingest, "planner_statistics_refresh", lambda *models: refreshed.append(models))
    monkeypatch.setattr(ingest, "ANALYZE_AFTER_ROWS", 10**9)
    services.track_features_import(path=small_csv)
    assert refreshed == []
    monkeypatch.setattr(ingest, "ANALYZE_AFTER_ROWS", 1)
    services.track_features_import(path=small_csv)  # updates count as loaded rows too
    assert len(refreshed) == 1 and Track in refreshed[0] and TrackFeatures in refreshed[0]


def test_planner_statistics_refresh_analyzes_on_postgresql(db):
    from django.db import connection

    from common.db import planner_statistics_refresh

    if connection.vendor != "postgresql":
        planner_statistics_refresh(Track)  # a no-op elsewhere, and never an error
        pytest.skip("ANALYZE statistics are PostgreSQL's; SQLite plans without them here")
    Track.objects.bulk_create([Track(spotify_id=f"{i:022d}", title=f"T{i}", artist_names="A") for i in range(300)])

    def tuples() -> float:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [Track._meta.db_table])
            return cursor.fetchone()[0]

    planner_statistics_refresh(Track)
    assert tuples() == 300  # what the planner now knows of the table (not analysed, it guesses it tiny)
