"""Pure measurements of a recording's audio: effective bandwidth (and the shelf a lossy source leaves),
clipping, loudness (ITU-R BS.1770 / EBU R128) and completeness against another recording.

Files are decoded block by block with soundfile (FLAC, WAV, Ogg and, with libsndfile >= 1.1, MP3), so an
hour of audio never sits in memory. Loudness uses pyloudnorm's K-weighting filter definitions, run as
stateful IIR filters over the blocks: pyloudnorm's own integrated_loudness() needs the whole signal in
memory (2.5 GB for an hour of stereo float64) and loops over gating blocks in Python.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pyloudnorm
import soundfile as sf
from scipy.signal import lfilter

FFT_SIZE = 4096
SPECTRUM_EVERY = 2  # analyse every 2nd FFT frame: the long-term spectrum is the same, at half the cost
DYNAMIC_RANGE_DB = 60.0  # bandwidth: the highest frequency within this many dB of the spectrum's peak
SHELF_DROP_DB = 25.0  # a lossy encoder's low-pass falls at least this far below the plateau
SHELF_WIDTH_HZ = 2500.0  # ... from its plateau to 60 dB down within this span
SHELF_RANGE_HZ = (14_000.0, 21_000.0)  # where MP3/AAC/Vorbis encoders put their low-pass
CLIP_LEVEL = 0.999  # |sample| at or above this is at full scale
CLIP_FLAG_RATIO = 0.0005  # 0.05 % of samples at full scale is audible clipping
GAP_SECONDS = 30.0  # a track this much shorter than the reference's is named
SHORTFALL_SECONDS = 10.0  # a recording this much shorter in total is reported
_ABS_GATE = -70.0
_CHANNEL_GAINS = (1.0, 1.0, 1.0, 1.41, 1.41)


class AudioDecodeError(Exception):
    """The file cannot be decoded (corrupt, truncated, or a format libsndfile does not read)."""


@dataclass
class TrackMeasure:
    file_name: str
    duration: float
    sample_rate: int
    channels: int
    bandwidth_hz: float
    shelf_hz: float | None
    clipping_ratio: float
    loudness_lufs: float | None  # None when the track is silent
    loudness_range: float | None
    peak: float

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class _Loudness:
    """Running K-weighted mean squares per 100 ms hop, per channel."""

    rate: int
    channels: int
    hop: int = 0
    states: list = field(default_factory=list)
    hops: list = field(default_factory=list)

    def __post_init__(self) -> None:
        self.hop = max(1, round(self.rate * 0.1))
        meter = pyloudnorm.Meter(self.rate)
        # pyloudnorm's two K-weighting stages (high shelf, then high pass) as one 4th-order filter: one pass
        # over the samples instead of two
        b, a = np.array([1.0]), np.array([1.0])
        for stage in meter._filters.values():
            b, a = np.convolve(b, stage.b * stage.passband_gain), np.convolve(a, stage.a)
        self.filters = [(b, a)]
        self.states = [np.zeros((max(len(a), len(b)) - 1, self.channels)) for b, a in self.filters]

    def feed(self, block: np.ndarray) -> None:
        data = block.astype(np.float64, copy=False)
        for i, (b, a) in enumerate(self.filters):
            data, self.states[i] = lfilter(b, a, data, axis=0, zi=self.states[i])
        whole = (len(data) // self.hop) * self.hop
        if whole:
            squares = np.square(data[:whole]).reshape(-1, self.hop, self.channels).sum(axis=1)
            self.hops.append(squares)

    def result(self) -> tuple[float | None, float | None]:
        if not self.hops:
            return None, None
        hops = np.concatenate(self.hops)  # (n hops, channels) of summed squares
        gains = np.array(_CHANNEL_GAINS[: self.channels] + (1.0,) * max(0, self.channels - 5))
        return _integrated(hops, gains, self.hop), _range(hops, gains, self.hop)


def _windowed(hops: np.ndarray, n: int, hop: int, gains: np.ndarray) -> np.ndarray:
    """Loudness of every window of n hops, one hop apart."""
    if len(hops) < n:
        return np.array([])
    cumulative = np.vstack([np.zeros((1, hops.shape[1])), np.cumsum(hops, axis=0)])
    z = (cumulative[n:] - cumulative[:-n]) / (n * hop)
    power = z @ gains
    with np.errstate(divide="ignore"):
        return -0.691 + 10.0 * np.log10(power)


def _integrated(hops: np.ndarray, gains: np.ndarray, hop: int) -> float | None:
    """BS.1770-4: 400 ms blocks with 75 % overlap, absolute gate -70 LUFS, relative gate -10 LU."""
    loudness = _windowed(hops, 4, hop, gains)
    cumulative = np.vstack([np.zeros((1, hops.shape[1])), np.cumsum(hops, axis=0)])
    z = ((cumulative[4:] - cumulative[:-4]) / (4 * hop)) if len(hops) >= 4 else np.zeros((0, hops.shape[1]))
    above = loudness >= _ABS_GATE
    if not above.any():
        return None
    relative = -0.691 + 10.0 * math.log10(float((z[above] @ gains).mean())) - 10.0
    gated = above & (loudness >= relative)
    return round(-0.691 + 10.0 * math.log10(float((z[gated] @ gains).mean())), 2)


def _range(hops: np.ndarray, gains: np.ndarray, hop: int) -> float | None:
    """EBU Tech 3342 loudness range: 3 s windows, gates -70 LUFS and -20 LU, 10th to 95th percentile."""
    short = _windowed(hops, 30, hop, gains)
    short = short[short >= _ABS_GATE]
    if not len(short):
        return None
    power = np.power(10.0, (short + 0.691) / 10.0)
    relative = -0.691 + 10.0 * math.log10(float(power.mean())) - 20.0
    short = short[short >= relative]
    low, high = np.percentile(short, [10, 95])
    return round(float(high - low), 2)


def bandwidth(power: np.ndarray, rate: int) -> tuple[float, float | None]:
    """(effective bandwidth in Hz, the lossy shelf in Hz or None) from a long-term power spectrum."""
    freqs = np.linspace(0.0, rate / 2.0, len(power))
    db = 10.0 * np.log10(np.convolve(power, np.ones(5) / 5.0, mode="same") + 1e-30)
    audible = freqs >= 20.0
    peak = float(db[audible].max())
    content = np.nonzero(audible & (db >= peak - DYNAMIC_RANGE_DB))[0]
    if not len(content):
        return 0.0, None
    edge = float(freqs[content[-1]])
    shelf = None
    nyquist = rate / 2.0
    if SHELF_RANGE_HZ[0] <= edge <= SHELF_RANGE_HZ[1] and edge < nyquist * 0.97:
        # A lossy encoder's low-pass is a cliff: the level stays on a plateau, then falls 60 dB within a couple
        # of kHz. Tape, microphones and analogue desks roll off over several kHz instead.
        plateau_band = db[(freqs >= edge - 3500.0) & (freqs <= edge - 2000.0)]
        above = db[(freqs >= edge + 300.0) & (freqs <= min(nyquist, edge + 2500.0))]
        if len(plateau_band) and len(above):
            plateau = float(np.median(plateau_band))
            knee_bins = np.nonzero((freqs < edge) & (db >= plateau - 3.0))[0]
            knee = float(freqs[knee_bins[-1]]) if len(knee_bins) else edge
            if edge - knee <= SHELF_WIDTH_HZ and plateau - float(above.mean()) >= SHELF_DROP_DB:
                shelf = round(knee / 500.0) * 500.0
    return round(edge, 1), shelf


def measure_file(path: Path | str, *, file_name: str = "") -> TrackMeasure:
    """Decodes one file block by block and measures it; AudioDecodeError when it cannot be read."""
    try:
        handle = sf.SoundFile(str(path))
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        raise AudioDecodeError(f"{file_name or path}: {exc}") from exc
    with handle:
        rate, channels = handle.samplerate, handle.channels
        loud = _Loudness(rate=rate, channels=channels)
        hop = loud.hop
        spectrum = np.zeros(FFT_SIZE // 2 + 1)
        frames_used = 0
        window = np.hanning(FFT_SIZE).astype(np.float32)
        clipped = 0
        total = 0
        peak = 0.0
        carry = np.zeros(0, dtype=np.float32)
        try:
            for block in handle.blocks(blocksize=hop * 16, dtype="float32", always_2d=True):
                total += block.shape[0]
                block_peak = max(float(block.max(initial=0.0)), -float(block.min(initial=0.0)))
                peak = max(peak, block_peak)
                if block_peak >= CLIP_LEVEL:  # only then look for the samples at full scale
                    clipped += int(np.count_nonzero(block >= CLIP_LEVEL)) + int(np.count_nonzero(block <= -CLIP_LEVEL))
                loud.feed(block)
                mono = block[:, 0].copy()
                for channel in range(1, channels):  # column adds: a strided mean(axis=1) is several times slower
                    mono += block[:, channel]
                if channels > 1:
                    mono *= 1.0 / channels
                mono = np.concatenate([carry, mono])
                n = len(mono) // FFT_SIZE
                if n:
                    frames = mono[: n * FFT_SIZE].reshape(n, FFT_SIZE)[::SPECTRUM_EVERY]
                    spectrum += np.square(np.abs(np.fft.rfft(frames * window, axis=1))).sum(axis=0)
                    frames_used += len(frames)
                carry = mono[n * FFT_SIZE:]
        except (sf.LibsndfileError, RuntimeError) as exc:
            raise AudioDecodeError(f"{file_name or path}: {exc}") from exc
    if total == 0:
        raise AudioDecodeError(f"{file_name or path}: no audio frames")
    edge, shelf = bandwidth(spectrum / max(frames_used, 1), rate) if frames_used else (0.0, None)
    lufs, lra = loud.result()
    return TrackMeasure(file_name=file_name or Path(path).name, duration=round(total / rate, 3), sample_rate=rate,
                        channels=channels, bandwidth_hz=edge, shelf_hz=shelf,
                        clipping_ratio=round(clipped / (total * channels), 6), loudness_lufs=lufs,
                        loudness_range=lra, peak=round(peak, 4))


@dataclass(frozen=True)
class TrackTime:
    file_name: str
    song: str  # normalised song key, "" when unknown
    duration: float


@dataclass(frozen=True)
class Completeness:
    shortfall: float  # seconds shorter than the reference in total (0 when as long or longer)
    gaps: list[dict]  # [{"file_name", "song", "missing"}] for tracks GAP_SECONDS or more shorter


def completeness(tracks: Sequence[TrackTime], reference: Sequence[TrackTime]) -> Completeness:
    """Total duration against a reference recording of the same concert, tracks paired by song (else by order)."""
    shortfall = max(0.0, sum(t.duration for t in reference) - sum(t.duration for t in tracks))
    gaps: list[dict] = []
    by_song = {t.song: t for t in reference if t.song}
    for i, track in enumerate(tracks):
        ref = by_song.get(track.song) if track.song else None
        if ref is None and not track.song and i < len(reference):
            ref = reference[i]
        if ref is not None and ref.duration - track.duration >= GAP_SECONDS:
            gaps.append({"file_name": track.file_name, "song": track.song,
                         "missing": round(ref.duration - track.duration, 1)})
    own = {t.song for t in tracks if t.song}
    for ref in reference:  # songs the reference has and this recording lacks entirely
        if ref.song and ref.song not in own and ref.duration >= GAP_SECONDS:
            gaps.append({"file_name": "", "song": ref.song, "missing": round(ref.duration, 1)})
    return Completeness(shortfall=round(shortfall, 1), gaps=gaps)


def clock(seconds: float) -> str:
    """134 -> "2:14"."""
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"
