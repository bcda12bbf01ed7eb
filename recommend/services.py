"""Writes for recommend: the catalogue, feature vectors, playlist ingest, the index lifecycle, and
recommendations from a Spotify link."""
from __future__ import annotations

import csv
import logging
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from common import locks
from common.exceptions import InvalidInput, NotFound, ServiceUnavailable
from common.metrics import metrics
from common.models import Job
from common.services import job_claim, job_finish, job_progress, job_start, search_log_record
from integrations.errors import AuthFailed, IntegrationError, NotConfigured, PermanentError, RateLimited
from integrations.errors import NotFound as UpstreamNotFound
from integrations.spotify.client import SpotifyClient, parse_spotify_link
from integrations.spotify.errors import InvalidSpotifyLink
from integrations.spotify.types import AudioFeatures, SpotifyRef, SpotifyTrack

from . import features as fs
from . import index as faiss_index
from .models import (
    Album,
    Artist,
    AudioUpload,
    IndexBuild,
    Playlist,
    PlaylistTrack,
    SavedTrack,
    Track,
    TrackArtist,
    TrackFeatures,
)

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]
BUILD_LOCK = "recommend:index-build"
SEED_KINDS = ("track", "playlist")
Source = TrackFeatures.Source
Confidence = TrackFeatures.Confidence


# -- helpers ----------------------------------------------------------------------------------
_TAIL = re.compile(r"\s*[-(\[]\s*(remaster(ed)?|\d{4} remaster(ed)?|live|mono|stereo|radio edit|single version)"
                   r"[^)\]]*[)\]]?\s*$", re.I)
_NON_WORD = re.compile(r"[^\w]+")


def normalise_text(value: str) -> str:
    value = unicodedata.normalize("NFKD", value or "").encode("ascii", "ignore").decode() or (value or "")
    return " ".join(_NON_WORD.sub(" ", value.lower()).split())


def match_key(title: str, artist: str) -> str:
    """"title|artist" normalised: "Song - 2011 Remaster" and "Song" by the same artist collide."""
    return f"{normalise_text(_TAIL.sub('', title or ''))}|{normalise_text(artist)}"[:400]


def _year(value: Any) -> int | None:
    text = str(value or "")[:4]
    return int(text) if text.isdigit() and 1000 < int(text) < 3000 else None


def _to_float(value: Any) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None


# -- catalogue --------------------------------------------------------------------------------
def artist_upsert(*, name: str, spotify_id: str | None = None, genres: Iterable[str] | None = None,
                  popularity: int | None = None, image_url: str = "") -> Artist:
    """By Spotify id when known, else by exact name among id-less artists."""
    artist = None
    if spotify_id:
        artist = Artist.objects.filter(spotify_id=spotify_id).first()
        if artist is None:
            artist = Artist.objects.filter(spotify_id__isnull=True, name__iexact=name).first()
    else:
        artist = Artist.objects.filter(name__iexact=name).order_by("spotify_id").first()
    if artist is None:
        artist = Artist(name=name[:300], spotify_id=spotify_id or None)
    if spotify_id:
        artist.spotify_id = spotify_id
    artist.name = name[:300] or artist.name
    if genres is not None:
        artist.genres = sorted({normalise_genre(g) for g in genres if g})
    if popularity is not None:
        artist.popularity = popularity
    if image_url:
        artist.image_url = image_url
    artist.save()
    return artist


def track_upsert_from_spotify(*, data: SpotifyTrack) -> Track:
    """Upserts a Spotify track with its album and artists (by Spotify id)."""
    with transaction.atomic():
        artists = [artist_upsert(name=a.name, spotify_id=a.id or None) for a in data.artists if a.name]
        album = None
        if data.album and data.album.id:
            album, _ = Album.objects.update_or_create(
                spotify_id=data.album.id,
                defaults={"title": data.album.name[:300], "release_date": data.album.release_date[:10],
                          "year": data.album.year, "image_url": data.album.image_url},
            )
            album.artists.add(*[a for a in artists if a.spotify_id in {x.id for x in data.album.artists}])
        names = ", ".join(a.name for a in data.artists)
        track, _ = Track.objects.update_or_create(
            spotify_id=data.id,
            defaults={
                "title": data.name[:300], "album": album, "isrc": data.isrc[:12], "duration_ms": data.duration_ms,
                "popularity": data.popularity, "preview_url": data.preview_url[:500], "explicit": data.explicit,
                "year": data.album.year if data.album else None, "artist_names": names[:500],
                "match_key": match_key(data.name, data.artists[0].name if data.artists else ""),
            },
        )
        for position, artist in enumerate(artists):
            TrackArtist.objects.update_or_create(track=track, artist=artist, defaults={"position": position})
    return track


def features_store(*, track: Track, source: str, values: dict[str, Any],
                   confidence: str = Confidence.HIGH) -> TrackFeatures:
    """Creates or replaces the track's features from one source (vector computed from values)."""
    vector = fs.vector_from_values(values)
    row, _ = TrackFeatures.objects.update_or_create(
        track=track, source=source,
        defaults={"version": fs.FEATURE_VERSION, "vector": vector.tobytes(), "values": values,
                  "confidence": confidence, "computed_at": timezone.now()},
    )
    return row


def _spotify_values(feats: AudioFeatures, *, year: int | None) -> dict[str, Any]:
    values = {name: getattr(feats, name) for name in fs.SPOTIFY_FIELDS}
    values.update(time_signature=feats.time_signature, duration_ms=feats.duration_ms, year=year)
    return values


# -- Internet Archive tracks -----------------------------------------------------------------
_NOTE_NAMES = {"C": 0, "B#": 0, "C#": 1, "DB": 1, "D": 2, "D#": 3, "EB": 3, "E": 4, "FB": 4, "F": 5, "E#": 5,
               "F#": 6, "GB": 6, "G": 7, "G#": 8, "AB": 8, "A": 9, "A#": 10, "BB": 10, "B": 11, "CB": 11}
# (name, lowest, highest): values outside are measurement failures, left unknown rather than clipped
_ARCHIVE_RANGES = {"tempo": (1.0, 300.0), "loudness": (-80.0, 10.0), "danceability": (0.0, 1.0),
                   "energy": (0.0, 1.0), "spectral_centroid": (1.0, 20_000.0), "spectral_flatness": (0.0, 1.0)}


def _archive_key(value: Any) -> int | None:
    if isinstance(value, str):
        name = value.strip().upper().replace("♯", "#").replace("♭", "B")
        if name in _NOTE_NAMES:
            return _NOTE_NAMES[name]
    number = _to_float(value)
    return int(number) if number is not None and number.is_integer() and 0 <= number <= 11 else None


def _archive_mode(value: Any) -> int | None:
    if isinstance(value, str) and value.strip().lower() in ("major", "minor"):
        return 1 if value.strip().lower() == "major" else 0
    number = _to_float(value)
    return int(number) if number in (0.0, 1.0) else None


def archive_values(values: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The archive's analysis mapped onto our feature names, and an honest confidence for it."""
    out: dict[str, Any] = {}
    for name, (low, high) in _ARCHIVE_RANGES.items():
        number = _to_float(values.get(name))
        if number is not None and low <= number <= high:
            out[name] = number
    key, mode = _archive_key(values.get("key")), _archive_mode(values.get("mode"))
    if key is not None:
        out["key"] = key
    if mode is not None:
        out["mode"] = mode
    if "spectral_centroid" in out:
        # the same proxy as our own audio analysis (audio.py), so the two sources agree
        out["acousticness"] = round(max(0.0, min(1.0, 1.0 - out["spectral_centroid"] / 3500.0)), 4)
    mfcc = values.get("mfcc_mean")
    if isinstance(mfcc, list | tuple) and all(_to_float(v) is not None for v in mfcc):
        out["mfcc_mean"] = [float(v) for v in mfcc][:40]  # kept for a later feature version, not in the vector
    year = _year(values.get("year") or values.get("date"))
    if year:
        out["year"] = year
    # Never HIGH: valence, speechiness, instrumentalness and liveness have no audio proxy. MEDIUM (like our
    # own audio analysis) needs the measured core (tempo, energy, loudness); fewer places it loosely.
    core = sum(1 for name in ("tempo", "energy", "loudness") if name in out)
    confidence = Confidence.MEDIUM if core == 3 else Confidence.LOW
    return out, confidence


def track_features_import_archive(*, identifier: str, filename: str, title: str, artist: str,
                                  values: dict[str, Any]) -> None:
    """Upserts the catalogue track for one Internet Archive concert file (key "ia:<identifier>/<filename>")
    and its `archive` features. Idempotent; values too sparse to place the track store no vector (and
    drop a stale one), so the track is listed but not recommended."""
    identifier, filename = (identifier or "").strip(), (filename or "").strip()
    if not identifier or not filename:
        raise InvalidInput("An archive track needs its item identifier and file name.", field="identifier")
    key = f"ia:{identifier}/{filename}"
    if len(key) > 300:
        raise InvalidInput("The archive identifier and file name are too long (300 characters together).",
                           field="filename")
    mapped, confidence = archive_values(values or {})
    title = (title or "").strip()[:300] or Path(filename).stem[:300]
    artist = (artist or "").strip()[:300]
    with transaction.atomic():
        track, _ = Track.objects.update_or_create(
            external_key=key,
            defaults={"title": title, "artist_names": artist, "match_key": match_key(title, artist),
                      "year": mapped.get("year")},
        )
        credited = artist_upsert(name=artist) if artist else None
        TrackArtist.objects.filter(track=track).exclude(artist=credited).delete()  # the archive renamed it
        if credited is not None:
            TrackArtist.objects.get_or_create(track=track, artist=credited, defaults={"position": 0})
        try:
            features_store(track=track, source=Source.ARCHIVE, values=mapped, confidence=confidence)
        except fs.FeatureError:
            TrackFeatures.objects.filter(track=track, source=Source.ARCHIVE).delete()
            return
    index_add_later(track_ids=[track.pk])


# -- dataset import ---------------------------------------------------------------------------
DATASET_ALIASES: dict[str, tuple[str, ...]] = {
    "track_id": ("track_id", "id", "spotify_id", "spotify_track_id", "uri"),
    "track_name": ("track_name", "name", "title", "song", "song_name"),
    "artist_name": ("artist_name", "artists", "artist", "track_artist"),
    "album_name": ("album_name", "album", "track_album_name"),
    "genre": ("genre", "track_genre", "playlist_genre", "genres"),
    "year": ("year", "release_year", "track_album_release_date", "release_date"),
    "popularity": ("popularity", "track_popularity"),
    "isrc": ("isrc",),
    **{name: (name,) for name in (*fs.SPOTIFY_FIELDS, "duration_ms", "time_signature")},
}
_TRACK_ID = re.compile(r"^(?:spotify:track:)?([0-9A-Za-z]{22})$")


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)
    track_ids: list[int] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        return f"{self.rows} rows: {self.created} created, {self.updated} updated, {self.skipped} skipped"


def dataset_mapping(header: list[str], overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Our field -> CSV column. Unknown columns (stray pandas index columns and the like) are ignored."""
    lower = {h.strip().lower(): h for h in header}
    mapping: dict[str, str] = {}
    for ours, aliases in DATASET_ALIASES.items():
        for alias in aliases:
            if alias in lower:
                mapping[ours] = lower[alias]
                break
    for ours, column in (overrides or {}).items():
        if ours not in DATASET_ALIASES:
            raise InvalidInput(f"Unknown field {ours!r} in the column mapping; known: {', '.join(DATASET_ALIASES)}.",
                               field="mapping")
        if column not in header:
            raise InvalidInput(f"The CSV has no column {column!r} (mapped to {ours}).", field="mapping")
        mapping[ours] = column
    missing = [f for f in ("track_id", "track_name", "artist_name") if f not in mapping]
    if missing:
        raise InvalidInput(f"The CSV needs columns for {', '.join(missing)} (use a column mapping).", field="mapping")
    if sum(1 for f in fs.SPOTIFY_FIELDS if f in mapping) < 2:
        raise InvalidInput("The CSV has no audio-feature columns (danceability, energy, tempo, ...).", field="mapping")
    return mapping


def _dataset_rows(path: Path, overrides: dict[str, str] | None) -> tuple[dict[str, str], Iterator[dict], int]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        total = max(0, sum(1 for _ in fh) - 1)
    fh = path.open(newline="", encoding="utf-8-sig")
    reader = csv.DictReader(fh)
    mapping = dataset_mapping(list(reader.fieldnames or []), overrides)

    def rows() -> Iterator[dict]:
        try:
            for raw in reader:
                yield {ours: raw.get(column) for ours, column in mapping.items()}
        finally:
            fh.close()

    return mapping, rows(), total


def track_features_import(*, path: str | Path, mapping: dict[str, str] | None = None, chunk_size: int = 1000,
                          progress: Progress | None = None) -> ImportResult:
    """Imports a dataset CSV (the fixtures' format and common Kaggle/TidyTuesday variants), upserting
    tracks by Spotify id and their `dataset` features. Bulk writes, one transaction per chunk."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"No such file: {path}", field="path")
    used, rows, total = _dataset_rows(path, mapping)
    result = ImportResult(mapping=used)
    chunk: list[dict] = []
    for row in rows:
        result.rows += 1
        chunk.append(row)
        if len(chunk) >= chunk_size:
            _import_chunk(chunk, result)
            chunk = []
            if progress:
                progress(result.rows, total, result.summary())
    if chunk:
        _import_chunk(chunk, result)
    if progress:
        progress(result.rows, max(total, result.rows), result.summary())
    metrics.record_timing(name="recommend.import_rows", duration=0.0)
    return result


def _import_chunk(rows: list[dict], result: ImportResult) -> None:
    parsed: dict[str, dict] = {}
    for row in rows:
        match = _TRACK_ID.match((row.get("track_id") or "").strip())
        title = (row.get("track_name") or "").strip()
        artist = (row.get("artist_name") or "").strip()
        if not match or not title:
            result.skipped += 1
            if len(result.errors) < 20:
                result.errors.append(f"row {result.rows - len(rows) + rows.index(row) + 1}: "
                                     f"{'bad track id' if not match else 'no title'}")
            continue
        values: dict[str, Any] = {}
        for name in (*fs.SPOTIFY_FIELDS, "time_signature", "duration_ms"):
            number = _to_float(row.get(name))
            if number is not None:
                values[name] = int(number) if name in ("key", "mode", "time_signature", "duration_ms") else number
        values["year"] = _year(row.get("year"))
        try:
            vector = fs.vector_from_values(values)
        except fs.FeatureError:
            result.skipped += 1
            continue
        popularity = _to_float(row.get("popularity"))
        parsed[match.group(1)] = {
            "title": title[:300], "artist": artist[:300] or "Unknown artist", "values": values, "vector": vector,
            "genre": normalise_genre(row.get("genre") or ""), "year": values["year"],
            "popularity": int(popularity) if popularity is not None and 0 <= popularity <= 100 else None,
            "duration_ms": int(values.get("duration_ms") or 0), "isrc": (row.get("isrc") or "").strip().upper()[:12],
        }
    if not parsed:
        return
    now = timezone.now()
    with transaction.atomic():
        names = {p["artist"] for p in parsed.values()}
        artists: dict[str, Artist] = {}
        for artist in Artist.objects.filter(name__in=names).order_by("spotify_id"):
            artists.setdefault(artist.name.lower(), artist)
        missing = [Artist(name=n) for n in names if n.lower() not in artists]
        if missing:
            Artist.objects.bulk_create(missing)
            for artist in Artist.objects.filter(name__in=[a.name for a in missing], spotify_id__isnull=True):
                artists.setdefault(artist.name.lower(), artist)
        existing = {t.spotify_id: t for t in Track.objects.filter(spotify_id__in=list(parsed))}
        new_tracks, changed = [], []
        for sid, p in parsed.items():
            track = existing.get(sid)
            fields = {"title": p["title"], "artist_names": p["artist"], "genre": p["genre"], "year": p["year"],
                      "popularity": p["popularity"], "duration_ms": p["duration_ms"],
                      "match_key": match_key(p["title"], p["artist"])}
            if p["isrc"]:
                fields["isrc"] = p["isrc"]
            if track is None:
                new_tracks.append(Track(spotify_id=sid, **fields))
            else:
                for name, value in fields.items():
                    if value not in (None, "") or name in ("genre",):
                        setattr(track, name, value if value is not None else getattr(track, name))
                changed.append(track)
        Track.objects.bulk_create(new_tracks)
        if changed:
            Track.objects.bulk_update(changed, ["title", "artist_names", "genre", "year", "popularity", "duration_ms",
                                                "match_key", "isrc"])
        tracks = {t.spotify_id: t for t in Track.objects.filter(spotify_id__in=list(parsed))}
        TrackArtist.objects.bulk_create(
            [TrackArtist(track=tracks[sid], artist=artists[p["artist"].lower()], position=0)
             for sid, p in parsed.items() if sid not in existing],
            ignore_conflicts=True,
        )
        TrackFeatures.objects.bulk_create(
            [TrackFeatures(track=tracks[sid], source=Source.DATASET, version=fs.FEATURE_VERSION,
                           vector=p["vector"].tobytes(), values=p["values"], confidence=Confidence.HIGH,
                           computed_at=now) for sid, p in parsed.items()],
            update_conflicts=True, unique_fields=["track", "source"],
            update_fields=["version", "vector", "values", "confidence", "computed_at"],
        )
    result.created += len(new_tracks)
    result.updated += len(changed)
    result.track_ids.extend(t.pk for t in tracks.values())


def dataset_import_start(*, user, path: str | Path, mapping: dict[str, str] | None = None) -> Job:
    """Starts a dataset import as a Job (admin upload); the task runs after commit."""
    from .tasks import import_dataset_task

    return job_start(user=user, kind="recommend.import", label=f"Import {Path(path).name}", task=import_dataset_task,
                     args=(str(path), mapping or {}))


def dataset_import_run(*, job_id: int, path: str, mapping: dict[str, str] | None = None) -> None:
    if not job_claim(job_id=job_id):
        return
    job = Job.objects.get(pk=job_id)
    try:
        result = track_features_import(
            path=path, mapping=mapping or None,
            progress=lambda done, total, message: job_progress(job=job, done=done, total=total, message=message))
    except InvalidInput as exc:
        job_finish(job=job, status=Job.Status.FAILED, message=exc.detail)
        return
    index_add_tracks(track_ids=result.track_ids, reason="dataset import")
    job_finish(job=job, message=result.summary(), result={"created": result.created, "updated": result.updated,
                                                          "skipped": result.skipped})


# -- features from audio ----------------------------------------------------------------------
def features_from_audio_file(*, user, path: str | Path, title: str, artist: str = "", audio_ref: str,
                             year: int | None = None) -> Track:
    """Analyses one audio file with librosa and stores an owner-private track with `audio` features."""
    from .audio import analyse_audio

    values = analyse_audio(path, max_seconds=settings.RECOMMEND_MAX_AUDIO_SECONDS)
    values["year"] = year
    with transaction.atomic():
        track = Track.objects.filter(owner=user, audio_ref=audio_ref).first() or Track(owner=user,
                                                                                      audio_ref=audio_ref[:300])
        track.title = (title or Path(str(path)).stem)[:300]
        track.artist_names = (artist or "")[:500]
        track.duration_ms = int(values.get("duration_ms") or 0)
        track.year = year
        track.match_key = match_key(track.title, artist)
        track.save()
        if artist:
            a = artist_upsert(name=artist)
            TrackArtist.objects.get_or_create(track=track, artist=a, defaults={"position": 0})
        features_store(track=track, source=Source.AUDIO, values=values, confidence=Confidence.MEDIUM)
    return track


def audio_upload_create(*, user, file, title: str, artist: str = "") -> tuple[AudioUpload, Job]:
    """Stores an uploaded audio file and starts its analysis as a Job."""
    from .tasks import analyse_upload_task

    size = getattr(file, "size", 0) or 0
    if size > settings.MAX_UPLOAD_BYTES:
        raise InvalidInput(f"The file is too large (limit {settings.MAX_UPLOAD_BYTES // (1024 * 1024)} MB).",
                           field="file")
    name = (getattr(file, "name", "") or "").lower()
    if not name.endswith((".mp3", ".wav", ".flac", ".ogg", ".oga", ".m4a", ".aiff", ".aif", ".opus")):
        raise InvalidInput("Upload an audio file (mp3, wav, flac, ogg, m4a, aiff or opus).", field="file")
    upload = AudioUpload.objects.create(user=user, file=file, title=(title or Path(name).stem)[:300],
                                        artist=artist[:300])
    return upload, job_start(user=user, kind="recommend.analyse", label=f"Analyse {upload.title}",
                             task=analyse_upload_task, args=(upload.pk,), total=1)


def audio_upload_analyse(*, job_id: int, upload_id: int) -> None:
    if not job_claim(job_id=job_id):
        return
    job = Job.objects.get(pk=job_id)
    upload = AudioUpload.objects.get(pk=upload_id)
    from .audio import AudioError

    try:
        track = features_from_audio_file(user=upload.user, path=upload.file.path, title=upload.title,
                                         artist=upload.artist, audio_ref=f"upload:{upload.pk}")
    except (AudioError, fs.FeatureError) as exc:
        AudioUpload.objects.filter(pk=upload.pk).update(status=AudioUpload.Status.FAILED, message=str(exc)[:500])
        job_finish(job=job, status=Job.Status.FAILED, message=str(exc))
        return
    AudioUpload.objects.filter(pk=upload.pk).update(status=AudioUpload.Status.DONE, track=track, message="")
    index_add_tracks(track_ids=[track.pk], reason="audio upload")
    job_finish(job=job, message=f"Analysed: {track.features.get(source=Source.AUDIO).values.get('tempo')} BPM",
               result={"track_id": track.pk})


def _archive_files(user) -> list[dict[str, Any]]:
    """The user's downloaded archive recordings as {"path", "title", "artist", "ref"} (empty when the
    archive app does not offer `completed_audio_files` yet)."""
    try:
        from archive import selectors as archive_selectors

        provider = archive_selectors.completed_audio_files
    except (ImportError, AttributeError):
        return []
    out = []
    for item in provider(user=user):
        get = item.get if isinstance(item, dict) else (lambda name, default=None, _i=item: getattr(_i, name, default))
        path = get("path") or get("local_path")
        if not path and get("file") is not None:
            path = getattr(get("file"), "path", None)
        if not path or not Path(str(path)).is_file():
            continue
        ref = get("ref") or get("id") or get("pk") or path
        out.append({"path": str(path), "title": get("title") or get("name") or Path(str(path)).stem,
                    "artist": get("artist") or get("creator") or "", "ref": f"archive:{ref}",
                    "year": _year(get("year") or get("date"))})
    return out


def features_from_archive_downloads(*, user) -> Job:
    """Starts "analyse my downloaded recordings" as a Job with progress (for the concerts pages)."""
    from .tasks import analyse_archive_task

    return job_start(user=user, kind="recommend.analyse_archive", label="Analyse downloaded recordings",
                     task=analyse_archive_task)


def archive_downloads_analyse(*, job_id: int) -> None:
    if not job_claim(job_id=job_id):
        return
    job = Job.objects.select_related("user").get(pk=job_id)
    from .audio import AudioError

    files = _archive_files(job.user)
    done_refs = set(Track.objects.filter(owner=job.user, audio_ref__in=[f["ref"] for f in files],
                                         features__source=Source.AUDIO).values_list("audio_ref", flat=True))
    todo = [f for f in files if f["ref"] not in done_refs]
    job_progress(job=job, done=0, total=len(todo), message=f"{len(files)} recordings, {len(todo)} to analyse")
    analysed, failed, track_ids = 0, 0, []
    for i, item in enumerate(todo, start=1):
        try:
            track = features_from_audio_file(user=job.user, path=item["path"], title=item["title"],
                                             artist=item["artist"], audio_ref=item["ref"], year=item["year"])
            track_ids.append(track.pk)
            analysed += 1
        except (AudioError, fs.FeatureError) as exc:
            failed += 1
            log.info("recommend: could not analyse %s: %s", item["path"], exc)
        job_progress(job=job, done=i, total=len(todo), message=item["title"])
    if track_ids:
        index_add_tracks(track_ids=track_ids, reason="archive downloads")
    message = (f"Analysed {analysed} recordings" + (f", {failed} failed" if failed else "")
               + (f", {len(done_refs)} already done" if done_refs else "")) if files else \
        "No downloaded recordings to analyse yet."
    job_finish(job=job, message=message, result={"analysed": analysed, "failed": failed})


def metadata_features(*, track: Track) -> TrackFeatures | None:
    """Low-confidence fallback: the mean of the catalogue's vectors for the track's genres, with its year."""
    genres = _track_genres(track)
    if not genres:
        return None
    peers = list(TrackFeatures.objects.filter(
        ~Q(track=track), version=fs.FEATURE_VERSION, track__genre__in=genres,
        source__in=[Source.SPOTIFY, Source.DATASET, Source.AUDIO],
    ).values_list("values", flat=True)[:500])
    if len(peers) < 3:
        return None
    values = fs.mean_values(peers)
    values.pop("key", None)
    values["year"] = track.year
    values["metadata"] = {"genres": genres, "year": track.year, "popularity": track.popularity, "peers": len(peers)}
    return features_store(track=track, source=Source.METADATA, values=values, confidence=Confidence.LOW)


def _track_genres(track: Track) -> list[str]:
    genres = [track.genre] if track.genre else []
    for artist in track.artists.all():
        genres.extend(artist.genres or [])
    return list(dict.fromkeys(normalise_genre(g) for g in genres if g))


def normalise_genre(value: str) -> str:
    """"Indie-Pop" and "indie pop" are one genre (datasets hyphenate, Spotify does not)."""
    return " ".join((value or "").lower().replace("-", " ").replace("_", " ").split())[:100]


# -- Spotify ---------------------------------------------------------------------------------
def spotify_token_for(user) -> str | None:
    """The user's Spotify OAuth access token (accounts owns the allauth login), if any."""
    from accounts.services import spotify_token_for as token_for

    return token_for(user=user)


def _client(user=None) -> SpotifyClient:
    token = spotify_token_for(user)
    if token is None and not SpotifyClient.configured():
        raise NotConfigured("Spotify is not configured (SPOTIFY_CLIENT_ID/SECRET unset).", service="spotify")
    return SpotifyClient(user_token=token)


def _enrich_from_spotify(client: SpotifyClient, tracks: list[Track], *, artist_genres: bool = True,
                         max_artists: int = 50) -> None:
    """Audio features (while the endpoint answers) and artist genres for catalogue tracks."""
    wanted = [t for t in tracks if t.spotify_id]
    if not wanted:
        return
    if SpotifyClient.audio_features_available():
        feats = client.get_audio_features([t.spotify_id for t in wanted])
        for track in wanted:
            if track.spotify_id in feats:
                try:
                    features_store(track=track, source=Source.SPOTIFY,
                                   values=_spotify_values(feats[track.spotify_id], year=track.year))
                except fs.FeatureError:
                    continue
    if artist_genres:
        pending = list(Artist.objects.filter(tracks__in=wanted, spotify_id__isnull=False, genres=[])
                       .distinct()[:max_artists])
        if pending:
            try:
                infos = client.get_artists([a.spotify_id for a in pending])
            except PermanentError as exc:  # genres are a bonus: a refused artist lookup must not sink the ingest
                log.info("recommend: artist genres unavailable: %s", exc)
                infos = []
            for info in infos:
                Artist.objects.filter(spotify_id=info.id).update(genres=sorted({normalise_genre(g) for g in info.genres}),
                                                                 popularity=info.popularity,
                                                                 image_url=info.image_url[:500])


def _upstream_error(exc: IntegrationError) -> Exception:
    if isinstance(exc, NotConfigured):
        return ServiceUnavailable("Spotify is not configured on this server, and the link is not in the catalogue. "
                                  "Import a dataset that contains it, or analyse its audio.", retry_after=3600)
    if isinstance(exc, RateLimited):
        return ServiceUnavailable("Spotify is rate-limiting us; try again shortly.",
                                  retry_after=int(exc.retry_after or 30))
    if isinstance(exc, AuthFailed):
        return ServiceUnavailable(f"Spotify refused the request: {exc}", retry_after=300)
    return ServiceUnavailable("Spotify is unavailable right now; try again shortly.",
                              retry_after=int(getattr(exc, "retry_after", None) or 60))


# -- playlist ingest --------------------------------------------------------------------------
def playlist_ingest_start(*, user, spotify_id: str) -> Job:
    """Starts ingesting a playlist as a Job with live progress."""
    from .tasks import ingest_playlist_task

    return job_start(user=user, kind="recommend.ingest", label=f"Import playlist {spotify_id}",
                     task=ingest_playlist_task, args=(spotify_id,))


@dataclass
class IngestResult:
    status: str  # "ingested", "unchanged", "busy"
    playlist_id: int | None = None
    tracks: int = 0


def playlist_ingest(*, spotify_id: str, user=None, progress: Progress | None = None,
                    client: SpotifyClient | None = None, index_now: bool = True) -> IngestResult:
    """Fetches a playlist and its items into the catalogue. A Redis lock makes concurrent ingests of one
    playlist do the work once; an unchanged snapshot id skips the item fetch."""
    with locks.exclusive(f"recommend:ingest:{spotify_id}", ttl=30 * 60) as mine:
        if not mine:
            return IngestResult(status="busy")
        client = client or _client(user)
        meta = client.get_playlist(spotify_id)
        playlist, _ = Playlist.objects.get_or_create(spotify_id=spotify_id)
        playlist.name, playlist.owner_name = meta.name[:300], meta.owner_name[:200]
        playlist.image_url, playlist.snapshot_id = meta.image_url[:500], meta.snapshot_id[:200]
        playlist.total_tracks = meta.total_tracks
        playlist.is_private = playlist.is_private or meta.public is False
        playlist.save()
        if user is not None:
            playlist.imported_by.add(user)
        if meta.snapshot_id and meta.snapshot_id == playlist.ingested_snapshot_id:
            if progress:
                progress(meta.total_tracks, meta.total_tracks, "unchanged since the last import")
            return IngestResult(status="unchanged", playlist_id=playlist.pk, tracks=playlist.entries.count())
        entries: list[tuple[int, Track, datetime | None]] = []
        for page in client.iter_playlist_items(spotify_id):
            batch = [(item.position, track_upsert_from_spotify(data=item.track), item.added_at) for item in page.items]
            _enrich_from_spotify(client, [t for _, t, _ in batch if not t.features.exists()])
            entries.extend(batch)
            if progress:
                progress(page.offset + page.fetched, max(page.total, 1), f"{len(entries)} tracks")
        with transaction.atomic():
            PlaylistTrack.objects.filter(playlist=playlist).delete()
            PlaylistTrack.objects.bulk_create([PlaylistTrack(playlist=playlist, track=t, position=pos, added_at=at)
                                               for pos, t, at in entries])
            playlist.ingested_snapshot_id = meta.snapshot_id
            playlist.last_ingested_at = timezone.now()
            playlist.save(update_fields=["ingested_snapshot_id", "last_ingested_at", "updated_at"])
        if index_now:
            index_add_tracks(track_ids=[t.pk for _, t, _ in entries], reason="playlist ingest")
        else:
            index_add_later(track_ids=[t.pk for _, t, _ in entries])
        return IngestResult(status="ingested", playlist_id=playlist.pk, tracks=len(entries))


def playlist_ingest_run(*, job_id: int, spotify_id: str) -> None:
    if not job_claim(job_id=job_id):
        return
    job = Job.objects.select_related("user").get(pk=job_id)
    try:
        result = playlist_ingest(
            spotify_id=spotify_id, user=job.user,
            progress=lambda done, total, message: job_progress(job=job, done=done, total=total, message=message))
    except UpstreamNotFound:
        job_finish(job=job, status=Job.Status.FAILED, message="Spotify has no such playlist (or it is private).")
        return
    except IntegrationError as exc:
        if exc.transient:
            Job.objects.filter(pk=job.pk).update(status=Job.Status.PENDING)  # the retry claims it again
            raise
        job_finish(job=job, status=Job.Status.FAILED, message=str(_upstream_error(exc)))
        return
    messages = {"ingested": f"Imported {result.tracks} tracks", "unchanged": "Unchanged since the last import",
                "busy": "Another import of this playlist is running"}
    job_finish(job=job, message=messages[result.status],
               result={"status": result.status, "playlist_id": result.playlist_id, "tracks": result.tracks})


def library_import_start(*, user) -> Job:
    """Imports the user's own playlists and saved tracks (needs a Spotify login)."""
    from .tasks import import_library_task

    if spotify_token_for(user) is None:
        raise InvalidInput("Log in with Spotify first to import your playlists and saved tracks.")
    return job_start(user=user, kind="recommend.library", label="Import my Spotify library", task=import_library_task)


def library_import_run(*, job_id: int) -> None:
    if not job_claim(job_id=job_id):
        return
    job = Job.objects.select_related("user").get(pk=job_id)
    token = spotify_token_for(job.user)
    if token is None:
        job_finish(job=job, status=Job.Status.FAILED, message="Your Spotify login has expired: log in again.")
        return
    client = SpotifyClient(user_token=token)
    try:
        saved = client.get_saved_tracks()
        tracks = [track_upsert_from_spotify(data=t) for t in saved]
        for track in tracks:
            SavedTrack.objects.get_or_create(user=job.user, track=track)
        _enrich_from_spotify(client, tracks)
        playlists = client.get_my_playlists()
        job_progress(job=job, done=0, total=len(playlists), message=f"{len(tracks)} saved tracks")
        for i, pl in enumerate(playlists, start=1):
            playlist_ingest(spotify_id=pl.id, user=job.user, client=client)
            job_progress(job=job, done=i, total=len(playlists), message=pl.name)
    except AuthFailed as exc:
        job_finish(job=job, status=Job.Status.FAILED, message=str(exc))
        return
    index_add_tracks(track_ids=[t.pk for t in tracks], reason="library import")
    job_finish(job=job, message=f"{len(tracks)} saved tracks and {len(playlists)} playlists imported")


# -- index lifecycle --------------------------------------------------------------------------
def _best_vectors(track_ids: Iterable[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(ids, vectors) with each track's best current-version vector."""
    qs = TrackFeatures.objects.filter(version=fs.FEATURE_VERSION)
    if track_ids is not None:
        qs = qs.filter(track_id__in=list(track_ids))
    best: dict[int, tuple[int, bytes]] = {}
    for track_id, source, vector in qs.values_list("track_id", "source", "vector").iterator(chunk_size=20_000):
        rank = TrackFeatures.PRIORITY.get(source, 9)
        if track_id not in best or rank < best[track_id][0]:
            best[track_id] = (rank, bytes(vector))
    if not best:
        return np.zeros(0, dtype=np.int64), np.zeros((0, fs.FEATURE_DIM), dtype=np.float32)
    ids = np.fromiter(best.keys(), dtype=np.int64, count=len(best))
    vectors = np.frombuffer(b"".join(v for _, v in best.values()), dtype=np.float32).reshape(len(best), -1)
    return ids, vectors


def index_rebuild(*, reason: str = "manual", progress: Progress | None = None) -> IndexBuild:
    """Rebuilds the whole index from the database and swaps it in atomically. Only one build runs at a
    time: a concurrent call returns a SKIPPED record at once."""
    with locks.exclusive(BUILD_LOCK, ttl=3 * 3600) as mine:
        if not mine:
            return IndexBuild.objects.create(status=IndexBuild.Status.SKIPPED, reason=reason[:100],
                                             message="Another index build was running.", finished_at=timezone.now())
        return _rebuild_locked(reason=reason, progress=progress)


def _rebuild_locked(*, reason: str, progress: Progress | None = None) -> IndexBuild:
    build = IndexBuild.objects.create(reason=reason[:100], kind=IndexBuild.Kind.FULL)
    report = progress or (lambda done, total, message: None)
    try:
        report(0, 1, "reading vectors")
        ids, vectors = _best_vectors()
        n = len(ids)

        def step(stage: str, done: int, total: int) -> None:
            report(done, max(total, 1), {"train": "training", "add": "adding vectors", "tune": "tuning nprobe"}[stage])

        index, info = faiss_index.build(vectors, ids, progress=step)
        manifest = faiss_index.write(index, info, feature_version=fs.FEATURE_VERSION)
    except Exception as exc:
        build.status, build.message, build.finished_at = IndexBuild.Status.FAILED, str(exc)[:500], timezone.now()
        build.save()
        raise
    _record_build(build, info, manifest)
    report(n, max(n, 1), f"built {info.index_type} with {n} vectors")
    return build


def _record_build(build: IndexBuild, info: faiss_index.BuildInfo, manifest: faiss_index.Manifest) -> None:
    build.status = IndexBuild.Status.SUCCEEDED
    build.version, build.index_type, build.size, build.dim = manifest.version, info.index_type, info.size, info.dim
    build.nlist, build.nprobe, build.recall_at_10 = info.nlist, info.nprobe, info.recall_at_10
    build.train_seconds, build.build_seconds = info.train_seconds, info.build_seconds
    build.bytes_on_disk = (faiss_index.index_dir() / manifest.file).stat().st_size
    build.finished_at = timezone.now()
    build.save()
    metrics.record_timing(name="recommend.index_build", duration=info.build_seconds)


class IndexBusy(Exception):
    """Another build holds the index lock (raised only when asked: tasks retry later)."""


def index_add_later(*, track_ids: Iterable[int]) -> None:
    """Queues an incremental add after commit (request paths: never rewrite the index inside a request)."""
    from .tasks import index_add_task

    ids = list(dict.fromkeys(int(i) for i in track_ids))
    if ids:
        transaction.on_commit(lambda: index_add_task.delay(ids))


def index_add_tracks(*, track_ids: Iterable[int], reason: str = "incremental",
                     raise_if_busy: bool = False) -> IndexBuild | None:
    """Adds (or replaces) these tracks' vectors in the current index as a new version. Falls back to a
    full rebuild when there is no usable index, the size crosses the Flat/IVF threshold, or the feature
    version changed. Returns None when another build holds the lock (that build, or the nightly one,
    picks the rows up)."""
    track_ids = list(dict.fromkeys(track_ids))
    if not track_ids:
        return None
    with locks.exclusive(BUILD_LOCK, ttl=3 * 3600) as mine:
        if not mine:
            if raise_if_busy:
                raise IndexBusy("Another index build is running.")
            return None
        try:
            manifest = faiss_index.read_manifest()
        except faiss_index.IndexCorrupt:
            manifest = None
        if manifest is None or manifest.feature_version != fs.FEATURE_VERSION or manifest.size == 0:
            return _rebuild_locked(reason=f"{reason} (no index yet)")
        ids, vectors = _best_vectors(track_ids)
        if len(ids) == 0:
            return None
        crossing = manifest.index_type == "IndexFlatIP" and manifest.size + len(ids) > settings.RECOMMEND_FLAT_MAX
        if crossing:
            return _rebuild_locked(reason=f"{reason} (crossed the Flat/IVF threshold)")
        try:
            loaded = faiss_index.load(manifest)
        except faiss_index.IndexCorrupt:
            return _rebuild_locked(reason=f"{reason} (corrupt index)")
        import faiss

        start = time.perf_counter()
        # a private, writable copy: the loaded one may be memory-mapped and shared with queries
        index = faiss.deserialize_index(faiss.serialize_index(loaded.index))
        index.remove_ids(faiss.IDSelectorBatch(ids))
        index.add_with_ids(vectors, ids)
        info = faiss_index.BuildInfo(index_type=manifest.index_type, size=int(index.ntotal), dim=manifest.dim,
                                     nlist=manifest.nlist, nprobe=manifest.nprobe, recall_at_10=manifest.recall_at_10,
                                     train_seconds=0.0, build_seconds=round(time.perf_counter() - start, 3))
        new_manifest = faiss_index.write(index, info, feature_version=fs.FEATURE_VERSION)
        build = IndexBuild.objects.create(reason=reason[:100], kind=IndexBuild.Kind.INCREMENTAL)
        _record_build(build, info, new_manifest)
        return build


def index_rebuild_start(*, user) -> Job:
    """Starts a full rebuild as a Job with progress (staff button and admin action)."""
    from .tasks import rebuild_index_task

    return job_start(user=user, kind="recommend.rebuild", label="Rebuild the recommendation index",
                     task=rebuild_index_task)


def index_rebuild_run(*, job_id: int | None, reason: str = "job") -> None:
    job = None
    if job_id is not None:
        if not job_claim(job_id=job_id):
            return
        job = Job.objects.get(pk=job_id)
    progress = (lambda done, total, message: job_progress(job=job, done=done, total=total, message=message)) \
        if job else None
    try:
        build = index_rebuild(reason=reason, progress=progress)
    except Exception as exc:
        if job:
            job_finish(job=job, status=Job.Status.FAILED, message=str(exc))
        raise
    if job:
        if build.status == IndexBuild.Status.SKIPPED:
            job_finish(job=job, status=Job.Status.CANCELLED, message=build.message)
        else:
            job_finish(job=job, message=f"Built {build.index_type} v{build.version} with {build.size} vectors",
                       result={"build_id": build.pk})


def _live_index() -> faiss_index.LoadedIndex:
    """The current index; a corrupt file is replaced by a rebuild from the database."""
    try:
        return faiss_index.current()
    except faiss_index.IndexCorrupt as exc:
        log.error("recommend: %s; rebuilding from the database", exc)
        faiss_index.forget()
        if TrackFeatures.objects.count() > settings.RECOMMEND_FLAT_MAX:
            # too big to rebuild inside a request: a worker does it, the caller retries
            from .tasks import nightly_rebuild_task

            nightly_rebuild_task.delay(reason="corrupt index detected")
            raise ServiceUnavailable("The recommendation index was damaged and is being rebuilt; try again in a "
                                     "few minutes.", retry_after=120) from exc
        build = index_rebuild(reason="corrupt index detected")
        if build.status != IndexBuild.Status.SUCCEEDED:
            raise ServiceUnavailable("The recommendation index was damaged and is being rebuilt; try again in a "
                                     "minute.", retry_after=60) from exc
        return faiss_index.current()
    except faiss_index.IndexUnavailable as exc:
        raise ServiceUnavailable(
            f"{exc} The recommendation index is not ready: import features (manage.py import_track_features) and "
            "rebuild it (manage.py rebuild_index, or Rebuild on the catalogue page).", retry_after=60) from exc


# -- recommendations --------------------------------------------------------------------------
@dataclass
class Recommendation:
    track: Track
    similarity: float
    explanation: str
    source: str
    confidence: str
    genres: list[str]
    artists: list[str] = field(default_factory=list)


@dataclass
class RecommendationResult:
    kind: str  # "track" or "playlist"
    seed_title: str
    seed_tracks: list[Track]
    seed_source: str
    seed_confidence: str
    items: list[Recommendation]
    index_version: int
    notes: list[str] = field(default_factory=list)

    @property
    def low_confidence(self) -> bool:
        return self.seed_confidence == Confidence.LOW


class SeedNotInCatalogue(NotFound):
    """404: the seed is not in the catalogue and cannot be fetched."""


class SeedHasNoFeatures(InvalidInput):
    """422: the seed is known but has no feature vector yet."""


REMEDY = ("Import a dataset that contains it (manage.py import_track_features, or the admin upload), "
          "or analyse its audio on the catalogue page.")


def best_features(track: Track) -> TrackFeatures | None:
    rows = [f for f in track.features.all() if f.version == fs.FEATURE_VERSION]
    return min(rows, key=lambda f: TrackFeatures.PRIORITY.get(f.source, 9)) if rows else None


def _seed_track(ref: SpotifyRef, *, user, market: str | None) -> tuple[Track, TrackFeatures]:
    track = Track.objects.filter(spotify_id=ref.id).prefetch_related("features", "artists").first()
    if track is None:
        try:
            client = _client(user)
            track = track_upsert_from_spotify(data=client.get_track(ref.id, market=market))
            _enrich_from_spotify(client, [track])
            index_add_later(track_ids=[track.pk])
        except UpstreamNotFound as exc:
            raise SeedNotInCatalogue(f"Spotify has no track {ref.id}.") from exc
        except NotConfigured as exc:
            raise SeedNotInCatalogue(f"This track ({ref.id}) is not in the Stylus catalogue, and Spotify is not "
                                     f"configured here to fetch it. {REMEDY}") from exc
        except IntegrationError as exc:
            raise _upstream_error(exc) from exc
        track = Track.objects.prefetch_related("features", "artists").get(pk=track.pk)
    best = best_features(track)
    if best is None:
        best = metadata_features(track=track)
        if best is not None:
            index_add_later(track_ids=[track.pk])
    if best is None:
        raise SeedHasNoFeatures(f"“{track}” is in the catalogue but has no audio features yet "
                                f"(Spotify no longer gives them to new apps). {REMEDY}", field="url")
    return track, best


def _seed_playlist(ref: SpotifyRef, *, user) -> tuple[Playlist, list[tuple[Track, TrackFeatures]]]:
    playlist = Playlist.objects.filter(spotify_id=ref.id).first()
    if playlist is None or not playlist.entries.exists():
        if playlist is None and not SpotifyClient.configured() and spotify_token_for(user) is None:
            raise SeedNotInCatalogue(f"This playlist ({ref.id}) has not been imported, and Spotify is not "
                                     "configured here to fetch it.")
        try:
            playlist_ingest(spotify_id=ref.id, user=user, index_now=False)  # the query uses the seeds' own vectors
        except UpstreamNotFound as exc:
            raise SeedNotInCatalogue("Spotify has no such playlist (or it is private: log in with Spotify).") from exc
        except IntegrationError as exc:
            raise _upstream_error(exc) from exc
        playlist = Playlist.objects.filter(spotify_id=ref.id).first()
        if playlist is None:
            raise ServiceUnavailable("This playlist is being imported right now; try again in a moment.",
                                     retry_after=10)
    if playlist.is_private and (user is None or not playlist.imported_by.filter(pk=user.pk).exists()):
        raise SeedNotInCatalogue("This playlist has not been imported.")
    tracks = list(Track.objects.filter(playlist_entries__playlist=playlist).prefetch_related("features", "artists")
                  .distinct())
    seeds = [(t, f) for t in tracks if (f := best_features(t)) is not None]
    if not seeds:
        raise SeedHasNoFeatures(f"None of the {len(tracks)} tracks of “{playlist}” has audio features yet. {REMEDY}",
                                field="url")
    return playlist, seeds


def recommend_from_link(*, user, url: str, limit: int = 15, market: str | None = None,
                        max_per_artist: int | None = None) -> RecommendationResult:
    """Ranked recommendations for a Spotify track or playlist link."""
    if not 1 <= limit <= 50:
        raise InvalidInput("limit must be between 1 and 50.", field="limit")
    if market is not None and not re.fullmatch(r"[A-Z]{2}", market):
        raise InvalidInput("market must be a two-letter country code such as US or GB.", field="market")
    try:
        ref = parse_spotify_link(url, kinds=SEED_KINDS)
    except InvalidSpotifyLink as exc:
        raise InvalidInput(str(exc), field="url") from exc
    search_log_record(section="recommend", query=url.strip(), user=user)
    start = time.perf_counter()
    loaded = _live_index()
    notes: list[str] = []
    if ref.kind == "track":
        track, feats = _seed_track(ref, user=user, market=market)
        seeds = [(track, feats)]
        query, seed_values = feats.as_array(), feats.values
        title = str(track)
    else:
        playlist, seeds = _seed_playlist(ref, user=user)
        query = fs.centroid(f.as_array() for _, f in seeds)
        seed_values = fs.mean_values(f.values for _, f in seeds)
        title = playlist.name or playlist.spotify_id
        missing = playlist.entries.count() - len(seeds)
        if missing > 0:
            notes.append(f"{missing} of the playlist's tracks have no features yet and were left out of the centroid.")
    worst = max((f for _, f in seeds), key=lambda f: TrackFeatures.PRIORITY.get(f.source, 9))
    if worst.confidence == Confidence.LOW:
        notes.append("Low confidence: the seed has no audio features, so it is placed by its genre and year only.")
    items = _rank(loaded, query=query, seeds=[t for t, _ in seeds], seed_values=seed_values, user=user,
                  limit=limit, max_per_artist=settings.RECOMMEND_MAX_PER_ARTIST if max_per_artist is None
                  else max_per_artist)
    metrics.record_timing(name="recommend.query", duration=time.perf_counter() - start)
    return RecommendationResult(kind=ref.kind, seed_title=title, seed_tracks=[t for t, _ in seeds][:50],
                                seed_source=worst.source, seed_confidence=worst.confidence, items=items,
                                index_version=loaded.manifest.version, notes=notes)


def recommend_for_track(*, user, track: Track, limit: int = 15,
                        max_per_artist: int | None = None) -> RecommendationResult:
    """Recommendations for a track already in the catalogue (or the user's own analysed audio)."""
    feats = best_features(track)
    if feats is None:
        raise SeedHasNoFeatures(f"“{track}” has no features yet. {REMEDY}")
    loaded = _live_index()
    items = _rank(loaded, query=feats.as_array(), seeds=[track], seed_values=feats.values, user=user, limit=limit,
                  max_per_artist=settings.RECOMMEND_MAX_PER_ARTIST if max_per_artist is None else max_per_artist)
    notes = ["Low confidence: placed by genre and year only."] if feats.confidence == Confidence.LOW else []
    return RecommendationResult(kind="track", seed_title=str(track), seed_tracks=[track], seed_source=feats.source,
                                seed_confidence=feats.confidence, items=items, index_version=loaded.manifest.version,
                                notes=notes)


def _candidate_details(track_ids: list[int], *, user) -> tuple[dict[int, Track], dict[int, list[tuple[int, str, list]]],
                                                               dict[int, tuple[str, dict, str]]]:
    """Visible tracks, their artists (id, name, genres) and best features, in three flat queries (no
    per-row prefetch: this is the hot path of every recommendation)."""
    visible = Q(owner__isnull=True) | Q(owner=user) if user is not None else Q(owner__isnull=True)
    tracks = {t.pk: t for t in Track.objects.filter(visible, pk__in=track_ids).select_related("album")}
    artists: dict[int, list[tuple[int, str, list]]] = {}
    for track_id, artist_id, name, genres in TrackArtist.objects.filter(track_id__in=list(tracks)).order_by(
            "track_id", "position").values_list("track_id", "artist_id", "artist__name", "artist__genres"):
        artists.setdefault(track_id, []).append((artist_id, name, genres or []))
    best: dict[int, tuple[str, dict, str]] = {}
    for track_id, source, values, confidence in TrackFeatures.objects.filter(
            track_id__in=list(tracks), version=fs.FEATURE_VERSION).values_list("track_id", "source", "values",
                                                                               "confidence"):
        rank = TrackFeatures.PRIORITY.get(source, 9)
        if track_id not in best or rank < TrackFeatures.PRIORITY.get(best[track_id][0], 9):
            best[track_id] = (source, values, confidence)
    return tracks, artists, best


def _rank(loaded: faiss_index.LoadedIndex, *, query: np.ndarray, seeds: list[Track], seed_values: dict, user,
          limit: int, max_per_artist: int) -> list[Recommendation]:
    seed_ids = {t.pk for t in seeds}
    seed_isrcs = {t.isrc for t in seeds if t.isrc}
    seed_keys = {t.match_key for t in seeds if t.match_key}
    seed_genres: list[str] = []
    for t in seeds[:50]:
        seed_genres.extend(_track_genres(t))
    seed_genres = list(dict.fromkeys(seed_genres))
    seed_genre_set = set(seed_genres)
    boost = settings.RECOMMEND_GENRE_BOOST
    k = min(loaded.manifest.size, max(limit * 4 + len(seed_ids), 50))
    while True:
        scores, ids = loaded.search(query, k)
        tracks, artists, best = _candidate_details([int(i) for i in ids], user=user)
        scored = []
        for score, track_id in zip(scores, ids, strict=True):
            track = tracks.get(int(track_id))
            if track is None or track.pk not in best:
                continue
            genre_list = [track.genre] if track.genre else []
            for _, _, artist_genres in artists.get(track.pk, []):
                genre_list.extend(artist_genres)
            genres = list(dict.fromkeys(normalise_genre(g) for g in genre_list if g))
            similarity = fs.similarity_from_ip(score)
            if seed_genre_set and seed_genre_set.intersection(genres):
                similarity = min(1.0, similarity + boost)  # a light boost: it reorders near-ties only
            scored.append((similarity, float(score), track, genres))
        scored.sort(key=lambda s: (-s[0], -s[1], s[2].pk))
        out: list[Recommendation] = []
        seen_isrc, seen_keys = set(seed_isrcs), set(seed_keys)
        per_artist: dict[str, int] = {}
        for similarity, _, track, genres in scored:
            if track.pk in seed_ids or (track.isrc and track.isrc in seen_isrc) or \
                    (track.match_key and track.match_key in seen_keys):
                continue
            track_artists = artists.get(track.pk, [])
            artist_keys = [str(a) for a, _, _ in track_artists] or [normalise_text(track.artist_names)]
            if max_per_artist and any(per_artist.get(a, 0) >= max_per_artist for a in artist_keys):
                continue
            for a in artist_keys:
                per_artist[a] = per_artist.get(a, 0) + 1
            if track.isrc:
                seen_isrc.add(track.isrc)
            if track.match_key:
                seen_keys.add(track.match_key)
            source, values, confidence = best[track.pk]
            out.append(Recommendation(
                track=track, similarity=round(similarity, 4),
                explanation=fs.explain(seed=seed_values, other=values, seed_genres=seed_genres, other_genres=genres),
                source=source, confidence=confidence, genres=genres,
                artists=[name for _, name, _ in track_artists] or [x for x in [track.artist_names] if x]))
            if len(out) == limit:
                return out
        if k >= loaded.manifest.size:
            return out
        k = min(loaded.manifest.size, k * 4)


def recommendations_save_to_spotify(*, user, name: str, spotify_ids: list[str]) -> str:
    """Creates a private Spotify playlist in the user's account with these tracks; returns its URL."""
    token = spotify_token_for(user)
    if token is None:
        raise InvalidInput("Log in with Spotify to save playlists to your account.")
    ids = [i for i in spotify_ids if re.fullmatch(r"[0-9A-Za-z]{22}", i or "")][:100]
    if not ids:
        raise InvalidInput("No Spotify tracks to save.", field="spotify_ids")
    client = SpotifyClient(user_token=token)
    try:
        playlist = client.create_playlist(name[:100] or "Stylus recommendations",
                                          description="Recommended by Stylus", public=False)
        client.add_playlist_items(playlist.id, [f"spotify:track:{i}" for i in ids])
    except IntegrationError as exc:
        raise _upstream_error(exc) from exc
    return f"https://open.spotify.com/playlist/{playlist.id}"


# -- periodic tasks ---------------------------------------------------------------------------
def schedule_nightly_rebuild() -> None:
    """Creates (idempotently) the django-celery-beat row for the nightly full rebuild."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    schedule, _ = CrontabSchedule.objects.get_or_create(minute="17", hour=str(settings.RECOMMEND_NIGHTLY_REBUILD_HOUR),
                                                        day_of_week="*", day_of_month="*", month_of_year="*",
                                                        timezone="UTC")
    PeriodicTask.objects.update_or_create(name="recommend: nightly index rebuild",
                                          defaults={"task": "recommend.tasks.nightly_rebuild_task",
                                                    "crontab": schedule, "enabled": True})
