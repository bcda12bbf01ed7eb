"""Getting features in: dataset CSV imports, uploaded audio and downloaded archive recordings."""
from __future__ import annotations

import csv
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from common.db import ANALYZE_AFTER_ROWS, planner_statistics_refresh
from common.exceptions import InvalidInput
from common.metrics import metrics
from common.models import Job
from common.services import job_claim, job_finish, job_progress, job_start
from common.types import AuthUser
from recommend import features as fs
from recommend.models import Artist, AudioUpload, Track, TrackArtist, TrackFeatures
from recommend.text import match_key, normalise_genre

from .catalogue import artist_upsert, features_store, parse_year, to_float
from .index import Progress, index_add_tracks

log = logging.getLogger(__name__)

Source = TrackFeatures.Source
Confidence = TrackFeatures.Confidence


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
_TRACK_ID = re.compile(r"(?:spotify:track:)?([0-9A-Za-z]{22})")


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
    if result.created + result.updated >= ANALYZE_AFTER_ROWS:  # recommendations query these tables at once
        planner_statistics_refresh(Track, TrackArtist, TrackFeatures, Artist)
    if progress:
        progress(result.rows, max(total, result.rows), result.summary())
    metrics.record_timing(name="recommend.import_rows", duration=0.0)
    return result


def _import_chunk(rows: list[dict], result: ImportResult) -> None:
    parsed: dict[str, dict] = {}
    for row in rows:
        match = _TRACK_ID.fullmatch((row.get("track_id") or "").strip())
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
            number = to_float(row.get(name))
            if number is not None:
                values[name] = int(number) if name in ("key", "mode", "time_signature", "duration_ms") else number
        values["year"] = parse_year(row.get("year"))
        try:
            vector = fs.vector_from_values(values)
        except fs.FeatureError:
            result.skipped += 1
            continue
        popularity = to_float(row.get("popularity"))
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


def dataset_import_start(*, user: AuthUser, path: str | Path, mapping: dict[str, str] | None = None) -> Job:
    """Starts a dataset import as a Job (admin upload); the task runs after commit."""
    from recommend.tasks import import_dataset_task

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
def features_from_audio_file(*, user: AuthUser, path: str | Path, title: str, artist: str = "", audio_ref: str,
                             year: int | None = None) -> Track:
    """Analyses one audio file with librosa and stores an owner-private track with `audio` features."""
    from recommend.audio import analyse_audio

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


def audio_upload_create(*, user: AuthUser, file, title: str, artist: str = "") -> tuple[AudioUpload, Job]:
    """Stores an uploaded audio file and starts its analysis as a Job."""
    from recommend.tasks import analyse_upload_task

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
    from recommend.audio import AudioError

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


def _archive_files(user: AuthUser) -> list[dict[str, Any]]:
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
                    "year": parse_year(get("year") or get("date"))})
    return out


def features_from_archive_downloads(*, user: AuthUser) -> Job:
    """Starts "analyse my downloaded recordings" as a Job with progress (for the concerts pages)."""
    from recommend.tasks import analyse_archive_task

    return job_start(user=user, kind="recommend.analyse_archive", label="Analyse downloaded recordings",
                     task=analyse_archive_task)


def archive_downloads_analyse(*, job_id: int) -> None:
    if not job_claim(job_id=job_id):
        return
    job = Job.objects.select_related("user").get(pk=job_id)
    from recommend.audio import AudioError

    user = job.user
    if user is None:  # features_from_archive_downloads always sets one; without it there are no downloads to read
        job_finish(job=job, status=Job.Status.FAILED, message="This job has no user.")
        return
    files = _archive_files(user)
    done_refs = set(Track.objects.filter(owner=user, audio_ref__in=[f["ref"] for f in files],
                                         features__source=Source.AUDIO).values_list("audio_ref", flat=True))
    todo = [f for f in files if f["ref"] not in done_refs]
    job_progress(job=job, done=0, total=len(todo), message=f"{len(files)} recordings, {len(todo)} to analyse")
    analysed, failed, track_ids = 0, 0, []
    for i, item in enumerate(todo, start=1):
        try:
            track = features_from_audio_file(user=user, path=item["path"], title=item["title"],
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
