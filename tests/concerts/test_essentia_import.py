"""Essentia descriptor files: the parser on files generated in streaming_extractor_music's documented shape
(no real one is recorded), and their import into recommend's TrackFeatures as the `archive` source."""
from __future__ import annotations

import gzip
import json

import pytest

from concerts import services
from integrations.errors import MalformedResponse
from integrations.internet_archive.essentia import parse_essentia
from integrations.internet_archive.types import SearchDoc


def low_level(*, new_keys: bool = True) -> dict:
    """A low-level file as Essentia 2.1's music extractor writes it (statistics pools, trimmed)."""
    tonal = ({"key_edma": {"key": "F#", "scale": "minor", "strength": 0.71}} if new_keys
             else {"key_key": "A", "key_scale": "major", "key_strength": 0.64})
    return {
        "lowlevel": {"average_loudness": 0.93, "dynamic_complexity": 3.1,
                     "spectral_centroid": {"mean": 1432.5, "median": 1210.0, "var": 2.1e5, "min": 0.0, "max": 9000.0},
                     "spectral_flatness_db": {"mean": 0.27, "var": 0.01},
                     "mfcc": {"mean": [-650.2, 110.4, 12.5, 20.1, 3.3, 8.8, -1.2, 4.4, -3.0, 2.2, -0.5, 1.1, 0.3],
                              "cov": [[1.0]], "icov": [[1.0]]},
                     "loudness_ebu128": {"integrated": -17.4, "loudness_range": 8.2, "momentary": {"mean": -19.0}}},
        "rhythm": {"bpm": 118.7, "danceability": 1.35, "onset_rate": 3.2, "beats_count": 520},
        "tonal": {**tonal, "tuning_frequency": 440.1},
        "metadata": {"audio_properties": {"length": 266.02, "replay_gain": -9.1, "analysis_sample_rate": 44100},
                     "version": {"essentia": "2.1-beta5-dev"}},
    }


def high_level() -> dict:
    return {"highlevel": {"danceability": {"value": "danceable", "probability": 0.82,
                                           "all": {"danceable": 0.82, "not_danceable": 0.18}}},
            "metadata": {"version": {"essentia": "2.1-beta5-dev"}}}


def gz(data: dict) -> bytes:
    return gzip.compress(json.dumps(data).encode())


def test_parse_essentia_reads_the_documented_low_and_high_level_fields():
    d = parse_essentia(gz(low_level()), high=gz(high_level()))
    assert (d.bpm, d.key, d.scale) == (118.7, "F#", "minor")
    assert d.loudness_integrated == -17.4 and d.loudness_range == 8.2 and d.length == 266.02
    assert d.spectral_centroid == 1432.5 and len(d.mfcc_mean) == 13 and d.danceable_probability == 0.82
    assert d.feature_values() == {"tempo": 118.7, "key": "F#", "mode": "minor", "loudness": -17.4,
                                  "danceability": 0.82, "energy": 0.93, "spectral_centroid": 1432.5,
                                  "spectral_flatness": 0.27, "mfcc_mean": d.mfcc_mean}


def test_parse_essentia_reads_older_key_fields_and_scales_rhythm_danceability():
    d = parse_essentia(json.dumps(low_level(new_keys=False)).encode())  # not gzipped: still read
    assert (d.key, d.scale) == ("A", "major")
    assert d.feature_values()["danceability"] == pytest.approx(1.35 / 3)


@pytest.mark.parametrize("raw", [b"", b"\x1f\x8bnot gzip", b"[1, 2]", gz({"something": "else"}), b"\xff\xfe"])
def test_parse_essentia_rejects_malformed_files(raw):
    with pytest.raises(MalformedResponse):
        parse_essentia(raw)


def test_parse_essentia_refuses_a_decompression_bomb():
    with pytest.raises(MalformedResponse, match="too large"):
        parse_essentia(gzip.compress(b'{"lowlevel": {"x": "' + b"a" * (21 * 1024 * 1024) + b'"}}'))


def test_recording_features_import_stores_archive_track_features(db, replay, settings):
    from recommend.models import TrackFeatures

    settings.IA_BASE_URL = replay.url
    ident = "sb1977-05-08.sbd.flac16"
    files = [{"name": f"sb77d1t0{i}.flac", "format": "Flac", "title": title, "track": str(i), "length": "266.0"}
             for i, title in ((1, "Bertha"), (2, "Deal"))]
    files += [{"name": "sb77d1t01_esslow.json.gz", "format": "Essentia Low GZ", "original": "sb77d1t01.flac"},
              {"name": "sb77d1t01_esshigh.json.gz", "format": "Essentia High GZ",
               "original": "sb77d1t01_esslow.json.gz"}]
    replay.add(f"/metadata/{ident}", json_body={"metadata": {"identifier": ident, "creator": "Stylus Band",
                                                             "date": "1977-05-08"}, "files": files})
    replay.add(f"/download/{ident}/sb77d1t01_esslow.json.gz", body=gz(low_level()))
    replay.add(f"/download/{ident}/sb77d1t01_esshigh.json.gz", body=gz(high_level()))
    services.concerts_aggregate_items(docs=[SearchDoc(identifier=ident, creator="Stylus Band", date="1977-05-08",
                                                      formats=("Flac",))], enrich=False)
    assert services.recording_features_import(identifier=ident) == 1  # Deal has no descriptor file
    features = TrackFeatures.objects.get(track__external_key=f"ia:{ident}/sb77d1t01.flac", source="archive")
    assert features.values["tempo"] == 118.7 and features.values["key"] == 6 and features.values["mode"] == 0
    assert services.recording_features_import(identifier=ident) == 1  # idempotent
    assert TrackFeatures.objects.filter(source="archive").count() == 1
