"""Spotify enrichment through the shared client in integrations/spotify: matching, playlist import,
album tracklists."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from common.exceptions import InvalidInput, NotFound, ServiceUnavailable
from common.models import Job
from common.types import AnyUser, AuthUser
from tracks import selectors
from tracks.models import (
    AlbumSeries,
    Song,
    Status,
)
from tracks.permissions import Role

from .covers import album_series_cover_schedule, song_cover_schedule
from .profile import _evaluate, activity_record
from .songs import _duplicate, song_create

if TYPE_CHECKING:  # the client itself is imported where it is used, so Spotify stays optional at start-up
    from integrations.spotify.client import SpotifyClient
    from integrations.spotify.types import SpotifyTrack

log = logging.getLogger(__name__)


# -- Spotify enrichment (the one shared client in integrations/spotify) ---------------------------------------
@dataclass
class SpotifyMatch:
    track_id: str
    title: str
    artists: str
    album: str
    year: int | None
    cover_url: str
    duration_ms: int | None
    score: float


@dataclass
class EnrichResult:
    applied: bool
    song: Song | None
    candidates: list[SpotifyMatch] = field(default_factory=list)
    detail: str = ""


@contextmanager
def spotify_errors(action: str = "Spotify") -> Iterator[None]:
    """Turns the client's typed errors into the platform's domain errors, with messages for people."""
    from integrations.errors import AuthFailed, IntegrationError, InvalidRequest, NotConfigured, RateLimited
    from integrations.errors import NotFound as RemoteNotFound
    from integrations.spotify.errors import InvalidSpotifyLink

    try:
        yield
    except InvalidSpotifyLink as exc:
        raise InvalidInput(str(exc), field=getattr(exc, "field", "url"))
    except InvalidRequest:
        raise InvalidInput(f"That cannot be looked up on Spotify ({action}): check the link or ID.")
    except NotConfigured:
        raise ServiceUnavailable("Spotify is not configured on this server (SPOTIFY_CLIENT_ID and "
                                 "SPOTIFY_CLIENT_SECRET are unset), so enrichment is off.", retry_after=3600)
    except RateLimited as exc:
        wait = int(exc.retry_after or 30) + 1
        raise ServiceUnavailable(f"Spotify is rate limiting us; try again in {wait} seconds.", retry_after=wait)
    except AuthFailed as exc:
        what = "refused access (403)" if exc.status == 403 else "rejected our credentials (401)"
        raise ServiceUnavailable(f"Spotify {what}; {action} is unavailable until an administrator fixes it.",
                                 retry_after=3600)
    except RemoteNotFound:
        raise NotFound(f"Spotify has no such item ({action}).")
    except IntegrationError as exc:
        raise ServiceUnavailable(f"Spotify is unavailable right now ({exc.__class__.__name__}); try again later.",
                                 retry_after=int(getattr(exc, "retry_after", None) or 60))


def _spotify_user_token(user: AnyUser | None) -> str | None:
    """The user's own Spotify access token (reads private playlists), from accounts."""
    from accounts.services import spotify_token_for

    return spotify_token_for(user=user)


def _spotify_client(user: AnyUser | None = None) -> SpotifyClient:
    """The shared client: with the user's Spotify login when they have one, else the app's credentials."""
    from integrations.spotify.client import SpotifyClient

    return SpotifyClient(user_token=_spotify_user_token(user))


def _match_from_track(track: SpotifyTrack, *, score: float = 0.0) -> SpotifyMatch:
    album = track.album
    return SpotifyMatch(track_id=track.id, title=track.name, artists=", ".join(track.artist_names),
                        album=album.name if album else "", year=album.year if album else None,
                        cover_url=album.image_url if album else "", duration_ms=track.duration_ms or None,
                        score=round(score, 1))


def spotify_score(*, title: str, artist: str, track: SpotifyTrack) -> float:
    """0–100: how well a Spotify track matches a song's title and artist (title weighs more)."""
    from rapidfuzz import fuzz

    title_score = fuzz.ratio(selectors.normalise_title(title), selectors.normalise_title(track.name))
    artists = [selectors.normalise_title(a) for a in track.artist_names] or [""]
    artist_score = max(fuzz.token_set_ratio(selectors.normalise_title(artist), a) for a in artists)
    return 0.6 * title_score + 0.4 * artist_score


def spotify_candidates(*, song: Song, limit: int = 5) -> list[SpotifyMatch]:
    """Spotify's top matches for "{title} {artist}", best first."""
    client = _spotify_client()
    with spotify_errors("search"):
        tracks = client.search_tracks(f"{song.title} {song.artist}", limit=limit)
    scored = [_match_from_track(t, score=spotify_score(title=song.title, artist=song.artist, track=t)) for t in tracks]
    return sorted(scored, key=lambda m: -m.score)


def _confident(candidates: list[SpotifyMatch]) -> bool:
    """Apply without asking only when the best match is good and clearly ahead of a different song."""
    if not candidates or candidates[0].score < settings.TRACKS_SPOTIFY_MATCH_THRESHOLD:
        return False
    if len(candidates) == 1:
        return True
    best, second = candidates[0], candidates[1]
    same_song = (selectors.normalise_title(best.title) == selectors.normalise_title(second.title)
                 and best.artists == second.artists)
    return same_song or best.score - second.score >= 5


def song_apply_spotify(*, user: AuthUser, song: Song, match: SpotifyMatch) -> Song:
    """Stores a chosen Spotify track on the song, filling album and year when the song has none."""
    song.spotify_track_id = match.track_id
    song.spotify_album = match.album[:200]
    song.spotify_cover_url = match.cover_url[:500]
    song.spotify_release_year = match.year
    song.spotify_duration_ms = match.duration_ms
    if not song.album:
        song.album = match.album[:200]
    if not song.year and match.year:
        song.year = match.year
    song.enriched_at = timezone.now()
    with transaction.atomic():
        song.save()
        activity_record(user=user, verb="song_enriched", text=f"{song.title}: matched on Spotify", song=song)
        _evaluate(song.owner)
        song_cover_schedule(song=song)  # after commit: the cover is fetched once, by a task
    return song


def song_enrich(*, user: AuthUser, song: Song, track_id: str | None = None) -> EnrichResult:
    """Fills album, cover, year and track id from Spotify: the given track, or the confident best search match.

    When unsure, nothing is stored and the top matches come back for the user to pick from.
    """
    if track_id:
        from integrations.spotify.client import is_spotify_id, parse_spotify_link

        with spotify_errors("track lookup"):
            ident = track_id if is_spotify_id(track_id) else parse_spotify_link(track_id, kinds=("track",)).id
            track = _spotify_client().get_track(ident)
        match = _match_from_track(track, score=spotify_score(title=song.title, artist=song.artist, track=track))
        return EnrichResult(applied=True, song=song_apply_spotify(user=user, song=song, match=match),
                            candidates=[match], detail=f"Matched {match.title} by {match.artists}.")
    candidates = spotify_candidates(song=song)
    if not candidates:
        return EnrichResult(applied=False, song=song, detail="Spotify found nothing for this title and artist.")
    if _confident(candidates):
        best = candidates[0]
        return EnrichResult(applied=True, song=song_apply_spotify(user=user, song=song, match=best),
                            candidates=candidates, detail=f"Matched {best.title} by {best.artists}.")
    return EnrichResult(applied=False, song=song, candidates=candidates,
                        detail="Not sure which of these it is: pick one.")


def songs_enrich_bulk_start(*, user: AuthUser, song_ids: list[int] | None = None) -> Job:
    """A background job enriching the given songs (default: the user's songs not yet enriched)."""
    from common import services as common_services
    from tracks.tasks import enrich_songs

    if song_ids:
        ids = [s.pk for s in selectors.songs_by_ids_for_user(user=user, song_ids=song_ids, need=Role.EDITOR)]
    else:
        ids = list(Song.objects.filter(owner=user, enriched_at__isnull=True).order_by("priority", "id")
                   .values_list("id", flat=True)[:1000])
    if not ids:
        raise InvalidInput("No songs to enrich: every song already has Spotify details.", field="ids")
    if not _spotify_client().configured():
        raise ServiceUnavailable("Spotify is not configured on this server (SPOTIFY_CLIENT_ID and "
                                 "SPOTIFY_CLIENT_SECRET are unset), so enrichment is off.", retry_after=3600)
    return common_services.job_start(user=user, kind="tracks.enrich", label=f"Spotify details for {len(ids)} songs",
                                     task=enrich_songs, total=len(ids), result={"song_ids": ids})


def songs_enrich_bulk(*, job_id: int) -> None:
    """Runs a bulk enrichment job: confident matches are applied, unsure ones left for the user to pick."""
    from common import services as common_services
    from common.models import Job as JobModel

    if not common_services.job_claim(job_id=job_id):
        return
    job = JobModel.objects.select_related("user").get(pk=job_id)
    user = job.user
    if user is None:  # songs_enrich_start always sets one; a job without a user has no songs to enrich
        common_services.job_finish(job=job, status=JobModel.Status.FAILED, message="This job has no user.")
        return
    ids = list(job.result.get("song_ids") or [])
    applied: list[int] = []
    unsure: list[int] = []
    failed: list[int] = []
    status, message = JobModel.Status.SUCCEEDED, ""
    for index, song_id in enumerate(ids, start=1):
        song = Song.objects.filter(pk=song_id).first()
        if song is None:
            failed.append(song_id)
        else:
            try:
                result = song_enrich(user=user, song=song)
            except ServiceUnavailable as exc:
                status, message = JobModel.Status.FAILED, exc.detail
                break
            except NotFound:
                failed.append(song_id)
            else:
                (applied if result.applied else unsure).append(song_id)
        common_services.job_progress(job=job, done=index, total=len(ids),
                                     message=f"{len(applied)} matched, {len(unsure)} to pick")
    summary = f"{len(applied)} matched, {len(unsure)} need a pick, {len(failed)} failed."
    common_services.job_finish(job=job, status=status, message=f"{message} {summary}".strip(),
                               result={"song_ids": ids, "applied": applied, "unsure": unsure, "failed": failed})


def playlist_import(*, user: AuthUser, url: str) -> tuple[list[Song], int]:
    """Adds a Spotify playlist's tracks as "Future Plans" songs; ones already tracked are skipped.

    With the user's Spotify login their private playlists work too; otherwise the app token reads public ones.
    """
    from integrations.spotify.client import parse_spotify_link

    with spotify_errors("playlist import"):
        ref = parse_spotify_link(url, kinds=("playlist",))
        items = _spotify_client(user).get_playlist_items(ref.id)
    created: list[Song] = []
    skipped = 0
    seen: set[tuple[str, str]] = set()
    with transaction.atomic():
        for item in items:
            track = item.track
            if track is None or getattr(track, "is_local", False) or not track.name or not track.artists:
                skipped += 1
                continue
            title, artist = track.name[:200], track.artists[0].name[:200]
            key = (title.lower(), artist.lower())
            if key in seen or _duplicate(owner=user, title=title, artist=artist):
                skipped += 1
                continue
            seen.add(key)
            song = song_create(user=user, evaluate=False, data={
                "title": title, "artist": artist, "album": track.album.name if track.album else "",
                "year": track.album.year if track.album else None, "status": Status.FUTURE,
                "spotify_track_id": track.id, "spotify_album": track.album.name if track.album else "",
                "spotify_cover_url": track.album.image_url if track.album else "",
                "spotify_release_year": track.album.year if track.album else None,
                "spotify_duration_ms": track.duration_ms or None})
            Song.objects.filter(pk=song.pk).update(enriched_at=timezone.now())
            created.append(song)
        activity_record(user=user, verb="playlist_imported",
                        text=f"Imported {len(created)} songs from a Spotify playlist")
        _evaluate(user)
    return created, skipped


def album_series_fetch_tracklist(*, user: AuthUser, series: AlbumSeries, album: str = "") -> AlbumSeries:
    """Stores the album's Spotify tracklist (and cover and year) on the series.

    The album comes from `album` (a Spotify album link or id), the series' stored id, or a track search
    "album:<album> artist:<artist>" (the shared client has no album search; a track search names the album).
    """
    from integrations.spotify.client import is_spotify_id, parse_spotify_link

    client = _spotify_client()
    with spotify_errors("album tracklist"):
        album_id = ""
        if album.strip():
            text = album.strip()
            album_id = text if is_spotify_id(text) else parse_spotify_link(text, kinds=("album",)).id
        album_id = album_id or series.spotify_album_id
        if not album_id:
            wanted = selectors.normalise_title(series.album)
            tracks = client.search_tracks(f"album:{series.album} artist:{series.artist}", limit=10)
            albums = [t.album for t in tracks if t.album]
            best = next((a for a in albums if selectors.normalise_title(a.name) == wanted), None) or (
                albums[0] if albums else None)
            if best is None:
                raise NotFound(f"Spotify found no album called {series.album!r} by {series.artist}.")
            album_id = best.id
        info = client.get_album(album_id)
        tracks = client.get_album_tracks(album_id)
    series.spotify_album_id = album_id
    series.tracklist = [{"number": t.track_number or i, "disc": t.disc_number or 1, "title": t.name,
                         "spotify_id": t.id, "duration_ms": t.duration_ms or None}
                        for i, t in enumerate(tracks, start=1)]
    series.tracklist_fetched_at = timezone.now()
    if info.image_url and not series.cover_url:
        series.cover_url = info.image_url[:500]
    if not series.year and info.year:
        series.year = info.year
    series.save()
    album_series_cover_schedule(series=series)
    return series
