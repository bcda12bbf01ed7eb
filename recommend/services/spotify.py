"""Spotify: the client for a user, enrichment, playlist ingest and library import."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from common import locks
from common.exceptions import InvalidInput, ServiceUnavailable
from common.models import Job
from common.services import job_claim, job_finish, job_progress, job_start
from common.types import AnyUser, AuthUser
from integrations.errors import (
    AuthFailed,
    IntegrationError,
    InvalidRequest,
    NotConfigured,
    PermanentError,
    RateLimited,
)
from integrations.errors import NotFound as UpstreamNotFound
from integrations.spotify.client import SpotifyClient
from recommend import features as fs
from recommend.models import Artist, Playlist, PlaylistTrack, SavedTrack, Track, TrackFeatures
from recommend.text import normalise_genre

from .catalogue import features_store, spotify_values, track_upsert_from_spotify
from .index import Progress, index_add_later, index_add_tracks

log = logging.getLogger(__name__)

Source = TrackFeatures.Source


# -- Spotify ---------------------------------------------------------------------------------
def spotify_token_for(user: AnyUser | None) -> str | None:
    """The user's Spotify OAuth access token (accounts owns the allauth login), if any."""
    from accounts.services import spotify_token_for as token_for

    return token_for(user=user)


def spotify_client(user: AnyUser | None = None) -> SpotifyClient:
    token = spotify_token_for(user)
    if token is None and not SpotifyClient.configured():
        raise NotConfigured("Spotify is not configured (SPOTIFY_CLIENT_ID/SECRET unset).", service="spotify")
    return SpotifyClient(user_token=token)


def enrich_from_spotify(client: SpotifyClient, tracks: list[Track], *, artist_genres: bool = True,
                         max_artists: int = 50) -> None:
    """Audio features (while the endpoint answers) and artist genres for catalogue tracks."""
    wanted = [t for t in tracks if t.spotify_id]
    if not wanted:
        return
    if SpotifyClient.audio_features_available():
        feats = client.get_audio_features([t.spotify_id for t in wanted if t.spotify_id])
        for track in wanted:
            if track.spotify_id in feats:
                try:
                    features_store(track=track, source=Source.SPOTIFY,
                                   values=spotify_values(feats[track.spotify_id], year=track.year))
                except fs.FeatureError:
                    continue
    if artist_genres:
        pending = list(Artist.objects.filter(tracks__in=wanted, spotify_id__isnull=False, genres=[])
                       .distinct()[:max_artists])
        if pending:
            try:
                infos = client.get_artists([a.spotify_id for a in pending if a.spotify_id is not None])
            except PermanentError as exc:  # genres are a bonus: a refused artist lookup must not sink the ingest
                log.info("recommend: artist genres unavailable: %s", exc)
                infos = []
            for info in infos:
                Artist.objects.filter(spotify_id=info.id).update(genres=sorted({normalise_genre(g) for g in info.genres}),
                                                                 popularity=info.popularity,
                                                                 image_url=info.image_url[:500])


def upstream_error(exc: IntegrationError) -> Exception:
    if isinstance(exc, InvalidRequest):  # the input made a URL no client can send: the caller's mistake
        return InvalidInput("That Spotify link cannot be looked up: check it and try again.", field="url")
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
def playlist_ingest_start(*, user: AuthUser, spotify_id: str) -> Job:
    """Starts ingesting a playlist as a Job with live progress."""
    from recommend.tasks import ingest_playlist_task

    return job_start(user=user, kind="recommend.ingest", label=f"Import playlist {spotify_id}",
                     task=ingest_playlist_task, args=(spotify_id,))


@dataclass
class IngestResult:
    status: str  # "ingested", "unchanged", "busy"
    playlist_id: int | None = None
    tracks: int = 0


def playlist_ingest(*, spotify_id: str, user: AuthUser | None = None, progress: Progress | None = None,
                    client: SpotifyClient | None = None, index_now: bool = True) -> IngestResult:
    """Fetches a playlist and its items into the catalogue. A Redis lock makes concurrent ingests of one
    playlist do the work once; an unchanged snapshot id skips the item fetch."""
    with locks.exclusive(f"recommend:ingest:{spotify_id}", ttl=30 * 60) as mine:
        if not mine:
            return IngestResult(status="busy")
        client = client or spotify_client(user)
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
            enrich_from_spotify(client, [t for _, t, _ in batch if not t.features.exists()])
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
        job_finish(job=job, status=Job.Status.FAILED, message=str(upstream_error(exc)))
        return
    messages = {"ingested": f"Imported {result.tracks} tracks", "unchanged": "Unchanged since the last import",
                "busy": "Another import of this playlist is running"}
    job_finish(job=job, message=messages[result.status],
               result={"status": result.status, "playlist_id": result.playlist_id, "tracks": result.tracks})


def library_import_start(*, user: AuthUser) -> Job:
    """Imports the user's own playlists and saved tracks (needs a Spotify login)."""
    from recommend.tasks import import_library_task

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
        enrich_from_spotify(client, tracks)
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
