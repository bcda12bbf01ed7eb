"""Writes for measured recording quality: the quality card per recording, and the ranking that uses it."""
from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from pathlib import Path

from django.db import transaction
from django.db.models import Avg

from common.exceptions import NotFound
from common.models import Job

from ..aggregation import SOURCE_NAMES, best_reason, recording_score
from ..audio_quality import (
    CLIP_FLAG_RATIO,
    GAP_SECONDS,
    SHORTFALL_SECONDS,
    AudioDecodeError,
    TrackMeasure,
    TrackTime,
    clock,
    completeness,
    measure_file,
)
from ..models import Concert, Recording, RecordingQuality
from ..setlist_parse import disc_track_of
from ..song_match import normalise_title

# Extensions soundfile decodes (libsndfile 1.1+ reads MP3); Shorten (.shn) is not among them.
DECODABLE = ("flac", "wav", "ogg", "mp3", "aiff", "aif")
LOSSLESS_EXTENSIONS = ("flac", "wav", "aiff", "aif", "shn")
LOSSY_PENALTY = 0.5  # twice the lossless bonus: it is a lossy file, and it claims otherwise
CLIPPING_PENALTY_PER_PERCENT = 0.1
CLIPPING_PENALTY_MAX = 0.3
SHORTFALL_PENALTY_PER_SECOND = 1 / 1200  # 0.05 a minute
SHORTFALL_PENALTY_MAX = 0.5


def recording_files_on_disk(*, identifier: str) -> list[tuple[str, Path]]:
    """(file name, path) of the item's verified downloads, whoever downloaded them, in one decodable format.

    Archive says which files are verified and where they are; what can be decoded is decided here.
    """
    from archive.selectors import verified_files_for_item

    seen = {name: path for name, path in verified_files_for_item(identifier=identifier)
            if path.suffix.lower().lstrip(".") in DECODABLE}
    # one format per recording: the best one held
    by_ext: dict[str, list[tuple[str, Path]]] = {}
    for name, path in seen.items():
        by_ext.setdefault(path.suffix.lower().lstrip("."), []).append((name, path))
    for ext in DECODABLE:
        if by_ext.get(ext):
            return sorted(by_ext[ext], key=lambda item: (disc_track_of(item[0]) or (0, 0), item[0]))
    return []


def _song_keys(recording: Recording) -> dict[str, str]:
    return {e.file_name.rsplit("/", 1)[-1]: (normalise_title(e.title).key if not e.non_song else "")
            for e in recording.setlist.exclude(file_name="")}


def _reference(recording: Recording) -> tuple[Recording | None, list[TrackTime]]:
    """The concert's longest other recording (measured where it was, else its metadata length)."""
    best: tuple[float, Recording | None, list[TrackTime]] = (0.0, None, [])
    for other in recording.concert.recordings.exclude(pk=recording.pk).select_related("quality"):
        card = getattr(other, "quality", None)
        if card is not None and card.tracks:
            keys = _song_keys(other)
            times = [TrackTime(file_name=t["file_name"], song=keys.get(t["file_name"].rsplit("/", 1)[-1], ""),
                               duration=t["duration"]) for t in card.tracks]
        elif other.length:
            times = [TrackTime(file_name="", song="", duration=other.length)]
        else:
            continue
        total = sum(t.duration for t in times)
        if total > best[0]:
            best = (total, other, times)
    return best[1], best[2]


def _combined_loudness(measures: list[TrackMeasure]) -> float | None:
    """Duration-weighted power mean of the tracks' integrated loudness (a close stand-in for gating the whole)."""
    parts = [(m.duration, m.loudness_lufs) for m in measures if m.loudness_lufs is not None]
    if not parts:
        return None
    total = sum(d for d, _ in parts)
    power = sum(d * 10 ** ((lufs + 0.691) / 10.0) for d, lufs in parts) / total
    return round(-0.691 + 10.0 * math.log10(power), 2)


def _format_name(recording: Recording, ext: str) -> str:
    if recording.format and "flac" in recording.format.lower() or ext == "flac":
        return "FLAC"
    return recording.format or ext.upper()


def recording_quality_measure(*, identifier: str, files: list[tuple[str, Path]] | None = None,
                              on_progress: Callable[[int, int], None] | None = None) -> RecordingQuality:
    """Measures every verified track of a recording and writes its quality card; re-ranks its concert.

    AudioDecodeError (a corrupt or unreadable file) leaves no card: the ranking falls back to metadata.
    """
    recording = Recording.objects.select_related("concert").filter(identifier=identifier).first()
    if recording is None:
        raise NotFound("No such recording.")
    files = files if files is not None else recording_files_on_disk(identifier=identifier)
    if not files:
        raise NotFound("No verified audio of this recording on disk.")
    measures: list[TrackMeasure] = []
    try:
        for i, (name, path) in enumerate(files):
            if path.suffix.lower().lstrip(".") not in DECODABLE:
                raise AudioDecodeError(f"{name}: this format cannot be decoded here")
            measures.append(measure_file(path, file_name=name))
            if on_progress:
                on_progress(i + 1, len(files))
    except AudioDecodeError:
        RecordingQuality.objects.filter(recording=recording).delete()
        concert_rerank(concert=recording.concert)
        raise
    ext = files[0][1].suffix.lower().lstrip(".")
    lossless = ext in LOSSLESS_EXTENSIONS
    shelves = [m.shelf_hz for m in measures if m.shelf_hz]
    lossy_sourced = lossless and len(shelves) * 2 >= len(measures)
    shelf = statistics.median(shelves) if lossy_sourced else None
    samples = sum(m.duration * m.sample_rate * m.channels for m in measures) or 1.0
    clipping = sum(m.clipping_ratio * m.duration * m.sample_rate * m.channels for m in measures) / samples
    duration = round(sum(m.duration for m in measures), 3)

    keys = _song_keys(recording)
    own = [TrackTime(file_name=m.file_name, song=keys.get(m.file_name.rsplit("/", 1)[-1], ""), duration=m.duration)
           for m in measures]
    reference, ref_times = _reference(recording)
    result = completeness(own, ref_times) if ref_times else None

    reasons: list[str] = []
    delta = 0.0
    if lossy_sourced and shelf:
        reasons.append(f"{_format_name(recording, ext)} but lossy-sourced ({shelf / 1000:g} kHz shelf)")
        delta -= LOSSY_PENALTY
    if clipping >= CLIP_FLAG_RATIO:
        reasons.append(f"clipped ({clipping * 100:.2f}% of samples at full scale)")
        delta -= min(CLIPPING_PENALTY_MAX, clipping * 100 * CLIPPING_PENALTY_PER_PERCENT)
    shortfall = result.shortfall if result else 0.0
    gaps = result.gaps if result else []
    if result and shortfall >= SHORTFALL_SECONDS and reference is not None:
        label = SOURCE_NAMES.get(reference.source_type, "longest recording")
        text = f"{clock(shortfall)} shorter than the {label}"
        named = [g for g in gaps if g["missing"] >= GAP_SECONDS]
        if named:
            text += "; " + ", ".join(f"{_gap_title(recording, g)} cut" for g in named[:3])
        reasons.append(text)
        delta -= min(SHORTFALL_PENALTY_MAX, shortfall * SHORTFALL_PENALTY_PER_SECOND)
    if not reasons:
        bandwidth = statistics.median(m.bandwidth_hz for m in measures)
        reasons.append(f"measured clean ({bandwidth / 1000:.1f} kHz, no clipping)")
    with transaction.atomic():
        card, _ = RecordingQuality.objects.update_or_create(recording=recording, defaults={
            "tracks": [m.as_dict() for m in measures], "duration": duration,
            "bandwidth_hz": statistics.median(m.bandwidth_hz for m in measures), "shelf_hz": shelf,
            "lossy_sourced": lossy_sourced, "clipping_ratio": round(clipping, 6),
            "loudness_lufs": _combined_loudness(measures),
            "loudness_range": statistics.median(m.loudness_range for m in measures if m.loudness_range is not None)
            if any(m.loudness_range is not None for m in measures) else None,
            "shortfall": shortfall, "reference_identifier": reference.identifier if reference else "",
            "gaps": gaps[:50], "reasons": reasons, "score_delta": round(delta, 6),
        })
        concert_rerank(concert=recording.concert)
    return card


def _gap_title(recording: Recording, gap: dict) -> str:
    if gap.get("file_name"):
        entry = recording.setlist.filter(file_name=gap["file_name"]).first()
        if entry is not None:
            return entry.title
        return gap["file_name"].rsplit("/", 1)[-1]
    return (gap.get("song") or "a track").title()


def concert_rerank(*, concert: Concert) -> None:
    """Ranks a concert's recordings: the metadata score (as the aggregation computes it) plus the measurements."""
    recordings = list(concert.recordings.select_related("quality"))
    if not recordings:
        return
    avg_all = Recording.objects.filter(concert__artist_key=concert.artist_key, avg_rating__isnull=False) \
        .aggregate(a=Avg("avg_rating"))["a"] or 0.0
    for r in recordings:
        card = getattr(r, "quality", None)
        base = recording_score(avg=r.avg_rating, n=r.num_reviews, avg_all=avg_all, soundboard=r.soundboard,
                               lossless=r.lossless)
        r.score = round(base + (card.score_delta if card else 0.0), 6)
        r.rank_reason = "; ".join(card.reasons)[:300] if card else ""
    recordings.sort(key=lambda r: (-r.score, -(r.downloads or 0), r.identifier))
    for rank, r in enumerate(recordings, start=1):
        r.rank = rank
    Recording.objects.bulk_update(recordings, ["score", "rank", "rank_reason"])
    best = recordings[0]
    reason = best_reason(source_type=best.source_type, soundboard=best.soundboard, format=best.format,
                         avg=best.avg_rating, n=best.num_reviews)
    if best.rank_reason:
        reason = f"{reason}; {best.rank_reason}"
    Concert.objects.filter(pk=concert.pk).update(best_identifier=best.identifier, best_reason=reason[:200])


def quality_job_run(*, job_id: int, identifier: str) -> None:
    """Runs one quality job: claims it (a staff retry of a failed one reopens it), measures, finishes it."""
    from common.services import job_claim, job_failure_guard, job_finish, job_progress

    Job.objects.filter(pk=job_id, status=Job.Status.FAILED).update(status=Job.Status.PENDING)
    if not job_claim(job_id=job_id):
        return
    job = Job.objects.get(pk=job_id)
    with job_failure_guard(job=job):
        card = recording_quality_measure(
            identifier=identifier, on_progress=lambda done, total: job_progress(job=job, done=done, total=total))
        job_finish(job=job, message="; ".join(card.reasons)[:500], result={"identifier": identifier})


def recording_quality_queue(*, identifier: str) -> Job | None:
    """Queues a quality job for a recording after a verified download (one pending job per recording)."""
    from common.services import job_start

    from ..tasks import recording_quality_analyse

    if not Recording.objects.filter(identifier=identifier).exists():
        return None
    label = f"Measure quality of {identifier}"[:200]
    if Job.objects.filter(kind="concerts.quality", label=label, status=Job.Status.PENDING).exists():
        return None
    # a system job (Job.user is nullable): staff see it, and its failure, on the jobs page
    return job_start(user=None, kind="concerts.quality", label=label,  # type: ignore[arg-type]
                     task=recording_quality_analyse, args=(identifier,))
