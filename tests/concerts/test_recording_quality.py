"""Measured recording quality on synthesised audio: bandwidth and lossy shelves, clipping, loudness,
completeness; the quality card, the ranking that uses it, the job after a verified download, corrupt files."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import soundfile as sf

from common.models import FailedJob, Job
from concerts import services
from concerts.audio_quality import AudioDecodeError, TrackTime, completeness, measure_file
from concerts.models import Concert, Recording, RecordingQuality
from integrations.internet_archive.types import SearchDoc

RATE = 44100


def _noise(seconds: float = 6.0, *, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((int(RATE * seconds), 2)) * 0.2


def _low_pass(signal: np.ndarray, cutoff: float) -> np.ndarray:
    """A brick-wall low-pass, as MP3 and AAC encoders apply before coding."""
    spectrum = np.fft.rfft(signal, axis=0)
    spectrum[np.fft.rfftfreq(len(signal), 1 / RATE) > cutoff] = 0
    return np.fft.irfft(spectrum, n=len(signal), axis=0)


def _write(path: Path, data: np.ndarray, subtype: str = "PCM_16") -> Path:
    sf.write(str(path), data, RATE, subtype=subtype)
    return path


def test_measure_file_flags_flac_made_from_a_16k_lossy_source(tmp_path):
    measure = measure_file(_write(tmp_path / "lossy.flac", _low_pass(_noise(), 16_000)))
    assert measure.shelf_hz == 16_000 and 15_500 <= measure.bandwidth_hz <= 16_500


def test_measure_file_full_band_noise_is_not_lossy(tmp_path):
    measure = measure_file(_write(tmp_path / "full.flac", _noise()))
    assert measure.shelf_hz is None and measure.bandwidth_hz >= 21_000


def test_measure_file_gentle_analogue_roll_off_is_not_a_shelf(tmp_path):
    from scipy.signal import butter, sosfilt

    tape = sosfilt(butter(2, 6000, fs=RATE, output="sos"), _noise(), axis=0)
    assert measure_file(_write(tmp_path / "tape.flac", tape)).shelf_hz is None


def test_measure_file_flags_a_clipped_sine(tmp_path):
    t = np.arange(RATE * 4) / RATE
    clipped = measure_file(_write(tmp_path / "clipped.flac", np.clip(1.6 * np.sin(2 * np.pi * 440 * t), -1, 1)))
    clean = measure_file(_write(tmp_path / "clean.flac", 0.5 * np.sin(2 * np.pi * 440 * t)))
    assert clipped.clipping_ratio > 0.3 and clean.clipping_ratio == 0.0


def test_measure_file_loudness_matches_a_calibrated_tone(tmp_path):
    # EBU Tech 3341: a stereo 997 Hz sine at -23 dBFS per channel reads -23.0 LUFS
    t = np.arange(RATE * 20) / RATE
    tone = np.stack([10 ** (-23 / 20) * np.sin(2 * np.pi * 997 * t)] * 2, axis=1)
    measure = measure_file(_write(tmp_path / "tone.flac", tone, subtype="PCM_24"))
    assert measure.loudness_lufs == pytest.approx(-23.0, abs=0.5)
    # and agrees with pyloudnorm's own whole-signal meter on programme material
    noise = _noise(10.0)
    streamed = measure_file(_write(tmp_path / "noise.wav", noise, subtype="FLOAT")).loudness_lufs
    assert streamed == pytest.approx(pyloudnorm.Meter(RATE).integrated_loudness(noise), abs=0.05)


def test_completeness_finds_a_20_second_cut():
    reference = [TrackTime("a1.flac", "bertha", 300.0), TrackTime("a2.flac", "deal", 240.0)]
    cut = [TrackTime("b1.flac", "bertha", 280.0), TrackTime("b2.flac", "deal", 240.0)]
    result = completeness(cut, reference)
    assert result.shortfall == pytest.approx(20.0) and result.gaps == []  # found in total; under 30 s per track
    long_cut = completeness([TrackTime("b1.flac", "bertha", 250.0), TrackTime("b2.flac", "deal", 240.0)], reference)
    assert long_cut.gaps == [{"file_name": "b1.flac", "song": "bertha", "missing": 50.0}]


def test_measure_file_corrupt_file_raises(tmp_path):
    bad = tmp_path / "bad.flac"
    bad.write_bytes(b"fLaC" + b"\x00garbage" * 100)
    with pytest.raises(AudioDecodeError):
        measure_file(bad)


# -- the card, the ranking, the job ---------------------------------------------------------------------------
@pytest.fixture
def concert(db):
    services.concerts_aggregate_items(docs=[
        SearchDoc(identifier="sb.flac", creator="Stylus Band", date="1977-05-08", source="SBD", formats=("Flac",),
                  avg_rating=4.8, num_reviews=20, title="SBD"),
        SearchDoc(identifier="sb2.flac", creator="Stylus Band", date="1977-05-08", source="SBD", formats=("Flac",),
                  avg_rating=4.6, num_reviews=15, title="SBD, another transfer"),
    ], enrich=False)
    return Concert.objects.get()


@pytest.fixture
def library(owner, settings):
    """Adds one file as archive leaves a finished download: on disk under MEDIA_ROOT/downloads/<user>/<item>/
    with its Download row (completed means verified)."""
    from archive.models import Download


    def add(identifier: str, name: str, data: np.ndarray | None = None, *, raw: bytes = b"",
            status: str = Download.Status.COMPLETED) -> Path:
        media = Path(settings.MEDIA_ROOT)  # each test's own (tests/conftest.py)
        folder = media / "downloads" / str(owner.pk) / identifier
        folder.mkdir(parents=True, exist_ok=True)
        path = _write(folder / name, data) if data is not None else folder / name
        if raw:
            path.write_bytes(raw)
        Download.objects.create(user=owner, identifier=identifier, file_name=name, status=status,
                                path=str(path.relative_to(media)) if status == Download.Status.COMPLETED else "")
        return path

    return add


def test_quality_card_reranks_a_lossy_sourced_flac_below_a_clean_one(concert, library):
    assert Recording.objects.get(identifier="sb.flac").rank == 1  # metadata ranking: SBD with better reviews
    library("sb.flac", "sb-d1t01.flac", _low_pass(_noise(8.0), 16_000))
    library("sb2.flac", "sb2-d1t01.flac", _noise(8.0, seed=2))
    services.recording_quality_measure(identifier="sb2.flac")
    card = services.recording_quality_measure(identifier="sb.flac")
    assert card.lossy_sourced and card.shelf_hz == 16_000
    assert "FLAC but lossy-sourced (16 kHz shelf)" in card.reasons
    assert Recording.objects.get(identifier="sb2.flac").rank == 1
    concert.refresh_from_db()
    assert concert.best_identifier == "sb2.flac" and "measured clean" in concert.best_reason
    assert "lossy-sourced" in Recording.objects.get(identifier="sb.flac").rank_reason
    # a later aggregation keeps the measured ranking
    services.concerts_aggregate_items(docs=[SearchDoc(identifier="sb.flac", creator="Stylus Band", date="1977-05-08",
                                                      source="SBD", formats=("Flac",), avg_rating=4.8, num_reviews=20,
                                                      title="SBD")], enrich=False)
    assert Recording.objects.get(identifier="sb2.flac").rank == 1


def test_quality_card_names_the_shortfall_against_the_other_recording(concert, library):
    library("sb.flac", "sb-d1t01.flac", _noise(40.0))
    library("sb2.flac", "sb2-d1t01.flac", _noise(40.0)[: RATE * 20])
    services.recording_quality_measure(identifier="sb.flac")
    card = services.recording_quality_measure(identifier="sb2.flac")
    assert card.shortfall == pytest.approx(20.0, abs=0.1) and card.reference_identifier == "sb.flac"
    assert card.reasons == ["0:20 shorter than the soundboard"]
    assert card.score_delta < 0


def test_download_verified_runs_a_quality_job(concert, library, django_capture_on_commit_callbacks):
    from archive.signals import download_verified

    library("sb.flac", "sb-d1t01.flac", _noise())
    with django_capture_on_commit_callbacks(execute=True):
        download_verified.send(sender=None, download_id=1, identifier="sb.flac")
    job = Job.objects.get(kind="concerts.quality")
    assert job.status == Job.Status.SUCCEEDED and job.result == {"identifier": "sb.flac"}
    assert RecordingQuality.objects.filter(recording__identifier="sb.flac").exists()


def test_corrupt_download_fails_the_job_for_staff_and_ranking_falls_back(concert, library,
                                                                        django_capture_on_commit_callbacks):
    library("sb2.flac", "sb2-d1t01.flac", raw=b"fLaC" + b"\x01broken" * 200)
    RecordingQuality.objects.create(recording=Recording.objects.get(identifier="sb2.flac"), score_delta=1.0,
                                    reasons=["stale"])
    services.concert_rerank(concert=concert)
    assert Recording.objects.get(identifier="sb2.flac").rank == 1
    with django_capture_on_commit_callbacks(execute=True):
        job = services.recording_quality_queue(identifier="sb2.flac")
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "sb2-d1t01.flac" in job.message
    assert FailedJob.objects.filter(task_name="concerts.tasks.recording_quality_analyse").exists()
    assert not RecordingQuality.objects.filter(recording__identifier="sb2.flac").exists()
    assert Recording.objects.get(identifier="sb.flac").rank == 1  # metadata ranking again


def test_analyse_recordings_command_measures_one_identifier(concert, library):
    from django.core.management import CommandError, call_command

    library("sb.flac", "sb-d1t01.flac", _noise())
    call_command("analyse_recordings", "--identifier", "sb.flac")
    assert RecordingQuality.objects.filter(recording__identifier="sb.flac").exists()
    with pytest.raises(CommandError, match="No verified audio"):
        call_command("analyse_recordings", "--identifier", "sb2.flac")


def test_only_completed_downloads_are_measured(concert, library, settings):
    """A file still downloading, or one on disk that archive never recorded, is not the recording's audio."""
    from archive.models import Download

    library("sb.flac", "sb-d1t01.flac", _noise(2.0))
    library("sb.flac", "sb-d1t02.flac", status=Download.Status.DOWNLOADING)
    stray = Path(settings.MEDIA_ROOT) / "downloads" / "99" / "sb.flac"
    stray.mkdir(parents=True)
    _write(stray / "sb-d1t03.flac", _noise(1.0))
    assert [name for name, _ in services.recording_files_on_disk(identifier="sb.flac")] == ["sb-d1t01.flac"]
    assert services.recording_files_on_disk(identifier="sb2.flac") == []


def test_files_on_disk_pick_one_format_in_track_order(concert, library):
    library("sb.flac", "sb-d1t02.flac", _noise(1.0))
    library("sb.flac", "sb-d1t01.flac", _noise(1.0))
    library("sb.flac", "sb-d1t01.wav", _noise(1.0))
    library("sb.flac", "sb-notes.txt", raw=b"taper notes")
    files = services.recording_files_on_disk(identifier="sb.flac")
    assert [name for name, _ in files] == ["sb-d1t01.flac", "sb-d1t02.flac"]
    assert all(path.is_file() for _, path in files)
