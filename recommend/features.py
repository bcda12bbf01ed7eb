"""The feature space every vector lives in, and how each source maps onto it.

FEATURE_VERSION 1 has 13 dimensions. Each raw feature is standardised with fixed constants
(z = (x - centre) / scale, clipped to ±3; the centres and scales are the means and spreads of a
typical Spotify catalogue, so vectors do not depend on what happens to be imported), multiplied by a
weight, and the whole vector is L2-normalised, so inner product is cosine similarity. A feature that
is unknown for a track is left at its centre (z = 0): it neither pulls towards nor away from others.

    dim  feature            spotify / dataset      computed from audio (librosa)
    0    danceability       as given               ≈ 0.5·pulse clarity + 0.5·tempo fit (bell around 115 BPM)
    1    energy             as given               ≈ 0.6·loudness(0..1) + 0.25·onset strength + 0.15·brightness
    2    valence            as given               unknown (no reliable audio proxy)
    3    acousticness       as given               ≈ 1 − spectral centroid / 3500 Hz, clipped
    4    instrumentalness   as given               unknown
    5    speechiness        as given               unknown
    6    liveness           as given               unknown
    7    loudness (dB)      as given               RMS level in dBFS (same order as Spotify's integrated dB)
    8    tempo (BPM)        as given               beat tracker tempo
    9-10 key                circle of fifths (x, y); -1 = no key → centre
    11   mode               as given               Krumhansl–Schmuckler key profile match (major 1 / minor 0)
    12   year               album year             album year when known

The audio descriptors themselves (spectral centroid, bandwidth, rolloff, zero-crossing rate, onset
strength, MFCC and chroma means) are stored in TrackFeatures.values with the vector, so a later
FEATURE_VERSION can use them without re-analysing.

Metadata-only vectors (genre, year, popularity) are the mean of the catalogue's vectors for that genre,
with the year set: they are low confidence and the UI says so.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

FEATURE_VERSION = 1


@dataclass(frozen=True)
class Dim:
    name: str
    centre: float
    scale: float
    weight: float


LINEAR_DIMS: tuple[Dim, ...] = (
    Dim("danceability", 0.58, 0.18, 1.0),
    Dim("energy", 0.64, 0.24, 1.0),
    Dim("valence", 0.47, 0.25, 1.0),
    Dim("acousticness", 0.28, 0.31, 1.0),
    Dim("instrumentalness", 0.15, 0.30, 0.8),
    Dim("speechiness", 0.09, 0.10, 0.6),
    Dim("liveness", 0.20, 0.18, 0.4),
    Dim("loudness", -7.9, 5.3, 0.8),
    Dim("tempo", 121.0, 29.5, 1.0),
)
KEY_WEIGHT = 0.2  # key and mode matter less to "sounds like" than energy or tempo
MODE = Dim("mode", 0.61, 0.49, 0.25)
YEAR = Dim("year", 2012.0, 10.0, 0.35)
FEATURE_DIM = len(LINEAR_DIMS) + 2 + 2  # + key (x, y) + mode + year
SPOTIFY_FIELDS = ("danceability", "energy", "valence", "acousticness", "instrumentalness", "speechiness",
                  "liveness", "loudness", "tempo", "key", "mode")
KEY_NAMES = ("C", "C♯", "D", "E♭", "E", "F", "F♯", "G", "A♭", "A", "B♭", "B")


class FeatureError(ValueError):
    """Not enough known features to place a track in the space."""


def _num(values: Mapping[str, Any], name: str) -> float | None:
    value = values.get(name)
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _z(value: float | None, dim: Dim) -> float:
    if value is None:
        return 0.0
    return max(-3.0, min(3.0, (value - dim.centre) / dim.scale)) * dim.weight


def vector_from_values(values: Mapping[str, Any]) -> np.ndarray:
    """The L2-normalised float32 vector for raw features (Spotify's names; missing ones stay at centre)."""
    out = np.zeros(FEATURE_DIM, dtype=np.float32)
    known = 0
    for i, dim in enumerate(LINEAR_DIMS):
        value = _num(values, dim.name)
        if dim.name == "tempo" and value is not None and value <= 0:
            value = None  # the dataset has tempo 0 for silent or spoken tracks
        known += value is not None
        out[i] = _z(value, dim)
    key = _num(values, "key")
    if key is not None and 0 <= key <= 11:
        angle = 2 * math.pi * ((int(key) * 7) % 12) / 12  # circle of fifths: related keys sit close
        out[len(LINEAR_DIMS)] = math.cos(angle) * KEY_WEIGHT
        out[len(LINEAR_DIMS) + 1] = math.sin(angle) * KEY_WEIGHT
    out[len(LINEAR_DIMS) + 2] = _z(_num(values, "mode"), MODE)
    out[len(LINEAR_DIMS) + 3] = _z(_num(values, "year"), YEAR)
    if known < 2:
        raise FeatureError("At least two audio features are needed to place a track (tempo, energy, ...).")
    norm = float(np.linalg.norm(out))
    if norm == 0.0:
        # every known feature sits exactly at the centre: nudge so it is still a direction
        out[1] = 1e-3
        norm = 1e-3
    return (out / norm).astype(np.float32)


def normalise(matrix: np.ndarray) -> np.ndarray:
    """Rows L2-normalised (float32), zero rows left at zero."""
    matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (matrix / norms).astype(np.float32)


def centroid(vectors: Iterable[np.ndarray]) -> np.ndarray:
    stacked = np.vstack(list(vectors)).astype(np.float32)
    mean = stacked.mean(axis=0)
    norm = float(np.linalg.norm(mean))
    if norm == 0.0:
        raise FeatureError("The seed tracks cancel each other out.")
    return (mean / norm).astype(np.float32)


def mean_values(rows: Iterable[Mapping[str, Any]]) -> dict[str, float]:
    """Mean of each known raw feature across rows (for playlist seeds and metadata fallback)."""
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    for row in rows:
        for name in (*SPOTIFY_FIELDS, "year"):
            value = _num(row, name)
            if value is None or name == "key":
                continue
            sums[name] = sums.get(name, 0.0) + value
            counts[name] = counts.get(name, 0) + 1
    return {name: sums[name] / counts[name] for name in sums}


def similarity_from_ip(inner: float) -> float:
    """Cosine in [-1, 1] to a similarity in [0, 1]."""
    return max(0.0, min(1.0, (float(inner) + 1.0) / 2.0))


def key_name(key: Any, mode: Any) -> str:
    try:
        k = int(key)
    except (TypeError, ValueError):
        return ""
    if not 0 <= k <= 11:
        return ""
    return f"{KEY_NAMES[k]} {'major' if str(mode) in ('1', '1.0') else 'minor'}"
