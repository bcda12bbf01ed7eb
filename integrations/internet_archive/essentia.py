"""Pure parser of the archive's Essentia descriptor files ("Essentia Low GZ" / "Essentia High GZ").

They are gzipped JSON written by Essentia's `streaming_extractor_music` (low level) and its SVM models (high
level). No recording of such a file exists in Stylus's fixtures, so this follows Essentia's documented output
(essentia.upf.edu, "Music extractor"): `lowlevel.*` statistics pools with mean/var/..., `rhythm.bpm` and
`rhythm.danceability`, `tonal.key_edma.{key,scale}` (2.1-beta5 and later) or `tonal.key_key`/`key_scale` (older,
AcousticBrainz-era), `lowlevel.loudness_ebu128.integrated`, `metadata.audio_properties.{length,replay_gain}`,
and `highlevel.<model>.{value,probability,all}`. Its tests run on files generated in that shape.
"""
from __future__ import annotations

import gzip
import json
import math
import zlib
from dataclasses import dataclass, field
from typing import Any

from integrations.errors import MalformedResponse

MAX_DECOMPRESSED = 20 * 1024 * 1024  # a low-level file is ~200 KB unzipped; refuse a zip bomb


@dataclass(frozen=True)
class EssentiaDescriptors:
    """The descriptors Stylus uses; None where the file does not carry them."""

    bpm: float | None = None
    key: str | None = None  # "C", "F#", ...
    scale: str | None = None  # "major" or "minor"
    loudness_integrated: float | None = None  # LUFS (EBU R128)
    loudness_range: float | None = None
    replay_gain: float | None = None  # dB
    average_loudness: float | None = None  # 0..1
    dynamic_complexity: float | None = None
    danceability: float | None = None  # rhythm.danceability, 0..~3
    danceable_probability: float | None = None  # high level, 0..1
    spectral_centroid: float | None = None  # Hz, mean
    spectral_flatness: float | None = None  # mean of spectral_flatness_db, 0..1
    mfcc_mean: list[float] = field(default_factory=list)
    length: float | None = None  # seconds
    version: str = ""

    def feature_values(self) -> dict[str, Any]:
        """The overlap with Stylus's feature vocabulary (recommend's `archive` source)."""
        values: dict[str, Any] = {}
        if self.bpm:
            values["tempo"] = round(self.bpm, 3)
        if self.key:
            values["key"] = self.key
        if self.scale:
            values["mode"] = self.scale
        if self.loudness_integrated is not None:
            values["loudness"] = self.loudness_integrated
        if self.danceable_probability is not None:
            values["danceability"] = self.danceable_probability
        elif self.danceability is not None:  # Essentia's detrended-fluctuation danceability runs 0..~3
            values["danceability"] = round(max(0.0, min(1.0, self.danceability / 3.0)), 4)
        if self.average_loudness is not None:  # Essentia's 0..1 rescaled loudness: the closest it has to energy
            values["energy"] = self.average_loudness
        if self.spectral_centroid is not None:
            values["spectral_centroid"] = self.spectral_centroid
        if self.spectral_flatness is not None:
            values["spectral_flatness"] = self.spectral_flatness
        if self.mfcc_mean:
            values["mfcc_mean"] = list(self.mfcc_mean)
        return values


def _get(data: Any, *path: str) -> Any:
    for part in path:
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def _number(value: Any) -> float | None:
    if isinstance(value, dict):  # a statistics pool: take its mean
        value = value.get("mean")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def load_json(raw: bytes) -> dict[str, Any]:
    """The JSON of a descriptor file, gzipped or not; MalformedResponse when it is neither."""
    if raw[:2] == b"\x1f\x8b":
        try:
            decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
            raw = decompressor.decompress(raw, MAX_DECOMPRESSED)
            if decompressor.unconsumed_tail:
                raise MalformedResponse("Essentia file too large when decompressed", service="internet_archive")
        except (zlib.error, gzip.BadGzipFile) as exc:
            raise MalformedResponse(f"Essentia file is not valid gzip: {exc}", service="internet_archive") from exc
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedResponse(f"Essentia file is not JSON: {exc}", service="internet_archive") from exc
    if not isinstance(data, dict):
        raise MalformedResponse("Essentia file is not a JSON object", service="internet_archive")
    return data


def parse_essentia(raw: bytes, *, high: bytes | None = None) -> EssentiaDescriptors:
    """Descriptors from a low-level file, plus the high-level one when given."""
    low = load_json(raw)
    if not any(k in low for k in ("lowlevel", "rhythm", "tonal")):
        raise MalformedResponse("not an Essentia music extractor file", service="internet_archive")
    high_data = load_json(high) if high else {}
    key = _text(_get(low, "tonal", "key_edma", "key")) or _text(_get(low, "tonal", "key_key")) \
        or _text(_get(low, "tonal", "key_krumhansl", "key"))
    scale = _text(_get(low, "tonal", "key_edma", "scale")) or _text(_get(low, "tonal", "key_scale")) \
        or _text(_get(low, "tonal", "key_krumhansl", "scale"))
    mfcc = _get(low, "lowlevel", "mfcc", "mean")
    mfcc_mean = [float(v) for v in mfcc if isinstance(v, int | float) and math.isfinite(v)] \
        if isinstance(mfcc, list) else []
    flatness = _number(_get(low, "lowlevel", "spectral_flatness_db"))
    danceable = _get(high_data, "highlevel", "danceability", "all", "danceable")
    version = _get(low, "metadata", "version", "essentia")
    return EssentiaDescriptors(
        bpm=_number(_get(low, "rhythm", "bpm")),
        key=key,
        scale=scale.lower() if scale else None,
        loudness_integrated=_number(_get(low, "lowlevel", "loudness_ebu128", "integrated")),
        loudness_range=_number(_get(low, "lowlevel", "loudness_ebu128", "loudness_range")),
        replay_gain=_number(_get(low, "metadata", "audio_properties", "replay_gain")),
        average_loudness=_number(_get(low, "lowlevel", "average_loudness")),
        dynamic_complexity=_number(_get(low, "lowlevel", "dynamic_complexity")),
        danceability=_number(_get(low, "rhythm", "danceability")),
        danceable_probability=_number(danceable),
        spectral_centroid=_number(_get(low, "lowlevel", "spectral_centroid")),
        spectral_flatness=max(0.0, min(1.0, flatness)) if flatness is not None else None,
        mfcc_mean=mfcc_mean,
        length=_number(_get(low, "metadata", "audio_properties", "length")),
        version=version if isinstance(version, str) else "",
    )
