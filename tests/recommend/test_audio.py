"""librosa features from generated audio with a known tempo."""
import numpy as np
import pytest
import soundfile as sf

from recommend import features as fs
from recommend.audio import AudioError, analyse_audio


def _click_track(path, *, bpm: float, seconds: float = 16.0, sr: int = 22050) -> None:
    import librosa

    times = np.arange(0.5, seconds, 60.0 / bpm)
    clicks = librosa.clicks(times=times, sr=sr, length=int(sr * seconds), click_freq=1500)
    t = np.arange(int(sr * seconds)) / sr
    chord = 0.08 * (np.sin(2 * np.pi * 220 * t) + np.sin(2 * np.pi * 277.18 * t) + np.sin(2 * np.pi * 329.63 * t))
    sf.write(path, (0.6 * clicks + chord).astype(np.float32), sr)


@pytest.mark.parametrize("bpm", [120.0])
def test_analyse_audio_finds_the_tempo_within_a_few_bpm(tmp_path, bpm):
    path = tmp_path / "clicks.wav"
    _click_track(path, bpm=bpm)
    values = analyse_audio(path)
    assert abs(values["tempo"] - bpm) <= 4
    assert 0 <= values["key"] <= 11 and values["mode"] in (0, 1)
    assert values["loudness"] < 0
    for name in ("spectral_centroid", "spectral_bandwidth", "spectral_rolloff", "zero_crossing_rate",
                 "onset_strength"):
        assert values[name] > 0
    assert len(values["mfcc_mean"]) == 13 and len(values["chroma_mean"]) == 12
    assert 0 <= values["energy"] <= 1 and 0 <= values["danceability"] <= 1
    vector = fs.vector_from_values(values)
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)


def test_analyse_audio_rejects_undecodable_and_silent_files(tmp_path):
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not audio at all" * 100)
    with pytest.raises(AudioError):
        analyse_audio(junk)
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros(22050 * 3, dtype=np.float32), 22050)
    with pytest.raises(AudioError, match="silent"):
        analyse_audio(silent)
