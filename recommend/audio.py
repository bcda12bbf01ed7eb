"""Features computed from audio with librosa, mapped onto the shared space (see features.py)."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

# Krumhansl–Kessler key profiles (major, minor), C first.
_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
SAMPLE_RATE = 22050


class AudioError(ValueError):
    """The file could not be decoded or holds too little audio."""


def _clip01(value: float) -> float:
    return float(max(0.0, min(1.0, value)))


def estimate_key(chroma_mean: np.ndarray) -> tuple[int, int, float]:
    """(key 0-11, mode 1 major / 0 minor, correlation) by the best-matching rotated key profile."""
    best = (-1, 1, -2.0)
    if not np.any(chroma_mean):
        return best
    for mode, profile in ((1, _MAJOR), (0, _MINOR)):
        for key in range(12):
            corr = float(np.corrcoef(chroma_mean, np.roll(profile, key))[0, 1])
            if corr > best[2]:
                best = (key, mode, corr)
    return best


def analyse_audio(path: str | Path, *, max_seconds: float = 120.0) -> dict[str, Any]:
    """Raw descriptors and Spotify-like features for one audio file (the first `max_seconds`)."""
    import librosa  # heavy import: only where audio is analysed

    try:
        y, sr = librosa.load(str(path), sr=SAMPLE_RATE, mono=True, duration=max_seconds)
    except Exception as exc:  # audioread/soundfile raise many types for undecodable files
        raise AudioError(f"Could not decode the audio file: {exc.__class__.__name__}") from exc
    if y.size < sr * 2:
        raise AudioError("The audio is shorter than two seconds.")
    if not np.any(np.abs(y) > 1e-4):
        raise AudioError("The audio is silent.")

    hop = 512
    onset_env = librosa.onset.onset_strength(y=y, sr=sr, hop_length=hop)
    tempo_arr, beats = librosa.beat.beat_track(onset_envelope=onset_env, sr=sr, hop_length=hop)
    tempo = float(np.atleast_1d(tempo_arr)[0])
    rms = librosa.feature.rms(y=y, hop_length=hop)[0]
    loudness = float(20 * math.log10(max(float(np.mean(rms)), 1e-6)))
    centroid = float(np.mean(librosa.feature.spectral_centroid(y=y, sr=sr, hop_length=hop)))
    bandwidth = float(np.mean(librosa.feature.spectral_bandwidth(y=y, sr=sr, hop_length=hop)))
    rolloff = float(np.mean(librosa.feature.spectral_rolloff(y=y, sr=sr, hop_length=hop)))
    zcr = float(np.mean(librosa.feature.zero_crossing_rate(y, hop_length=hop)))
    mfcc = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=13, hop_length=hop).mean(axis=1)
    chroma = librosa.feature.chroma_stft(y=y, sr=sr, hop_length=hop).mean(axis=1)
    key, mode, key_corr = estimate_key(chroma)

    onset_mean = float(np.mean(onset_env)) if onset_env.size else 0.0
    beat_strength = float(np.mean(onset_env[beats])) if len(beats) else 0.0
    pulse_clarity = _clip01((beat_strength / onset_mean - 1.0) / 2.0) if onset_mean > 0 else 0.0
    tempo_fit = math.exp(-(((tempo - 115.0) / 35.0) ** 2)) if tempo > 0 else 0.0
    loud01 = _clip01((loudness + 40.0) / 40.0)
    bright01 = _clip01(centroid / 4000.0)
    return {
        # shared space (features.py documents the mapping)
        "tempo": round(tempo, 2),
        "key": key,
        "mode": mode,
        "loudness": round(loudness, 2),
        "energy": round(_clip01(0.6 * loud01 + 0.25 * _clip01(onset_mean / 2.0) + 0.15 * bright01), 4),
        "danceability": round(_clip01(0.5 * pulse_clarity + 0.5 * tempo_fit), 4),
        "acousticness": round(_clip01(1.0 - centroid / 3500.0), 4),
        # descriptors kept for later feature versions
        "key_confidence": round(key_corr, 4),
        "spectral_centroid": round(centroid, 2),
        "spectral_bandwidth": round(bandwidth, 2),
        "spectral_rolloff": round(rolloff, 2),
        "zero_crossing_rate": round(zcr, 5),
        "onset_strength": round(onset_mean, 4),
        "mfcc_mean": [round(float(v), 3) for v in mfcc],
        "chroma_mean": [round(float(v), 4) for v in chroma],
        "duration_ms": int(len(y) / sr * 1000),
        "analysed_seconds": round(len(y) / sr, 2),
    }
