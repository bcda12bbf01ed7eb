"""Recommendations from a Spotify link or a catalogue track, and saving them back to Spotify."""
from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field

from django.conf import settings

from common.exceptions import InvalidInput, NotFound, ServiceUnavailable
from common.metrics import metrics
from common.services import search_log_record
from common.types import AuthUser
from integrations.errors import IntegrationError, NotConfigured
from integrations.errors import NotFound as UpstreamNotFound
from integrations.spotify.client import SpotifyClient, parse_spotify_link
from integrations.spotify.errors import InvalidSpotifyLink
from integrations.spotify.types import SpotifyRef
from recommend import features as fs
from recommend.models import Playlist, Track, TrackFeatures
from recommend.ranking import Recommendation, rank_candidates

from .catalogue import metadata_features, track_upsert_from_spotify
from .index import index_add_later, live_index
from .spotify import enrich_from_spotify, playlist_ingest, spotify_client, spotify_token_for, upstream_error

log = logging.getLogger(__name__)

Confidence = TrackFeatures.Confidence


SEED_KINDS = ("track", "playlist")


# -- recommendations --------------------------------------------------------------------------
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


def _seed_track(ref: SpotifyRef, *, user: AuthUser | None, market: str | None) -> tuple[Track, TrackFeatures]:
    track = Track.objects.filter(spotify_id=ref.id).prefetch_related("features", "artists").first()
    if track is None:
        try:
            client = spotify_client(user)
            track = track_upsert_from_spotify(data=client.get_track(ref.id, market=market))
            enrich_from_spotify(client, [track])
            index_add_later(track_ids=[track.pk])
        except UpstreamNotFound as exc:
            raise SeedNotInCatalogue(f"Spotify has no track {ref.id}.") from exc
        except NotConfigured as exc:
            raise SeedNotInCatalogue(f"This track ({ref.id}) is not in the Stylus catalogue, and Spotify is not "
                                     f"configured here to fetch it. {REMEDY}") from exc
        except IntegrationError as exc:
            raise upstream_error(exc) from exc
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


def _seed_playlist(ref: SpotifyRef, *, user: AuthUser | None) -> tuple[Playlist, list[tuple[Track, TrackFeatures]]]:
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
            raise upstream_error(exc) from exc
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


def recommend_from_link(*, user: AuthUser | None, url: str, limit: int = 15, market: str | None = None,
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
    loaded = live_index()
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
    items = rank_candidates(loaded, query=query, seeds=[t for t, _ in seeds], seed_values=seed_values, user=user,
                  limit=limit, max_per_artist=settings.RECOMMEND_MAX_PER_ARTIST if max_per_artist is None
                  else max_per_artist)
    metrics.record_timing(name="recommend.query", duration=time.perf_counter() - start)
    return RecommendationResult(kind=ref.kind, seed_title=title, seed_tracks=[t for t, _ in seeds][:50],
                                seed_source=worst.source, seed_confidence=worst.confidence, items=items,
                                index_version=loaded.manifest.version, notes=notes)


def recommend_for_track(*, user: AuthUser | None, track: Track, limit: int = 15,
                        max_per_artist: int | None = None) -> RecommendationResult:
    """Recommendations for a track already in the catalogue (or the user's own analysed audio)."""
    feats = best_features(track)
    if feats is None:
        raise SeedHasNoFeatures(f"“{track}” has no features yet. {REMEDY}")
    loaded = live_index()
    items = rank_candidates(loaded, query=feats.as_array(), seeds=[track], seed_values=feats.values, user=user, limit=limit,
                  max_per_artist=settings.RECOMMEND_MAX_PER_ARTIST if max_per_artist is None else max_per_artist)
    notes = ["Low confidence: placed by genre and year only."] if feats.confidence == Confidence.LOW else []
    return RecommendationResult(kind="track", seed_title=str(track), seed_tracks=[track], seed_source=feats.source,
                                seed_confidence=feats.confidence, items=items, index_version=loaded.manifest.version,
                                notes=notes)


def recommendations_save_to_spotify(*, user: AuthUser, name: str, spotify_ids: list[str]) -> str:
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
        raise upstream_error(exc) from exc
    return f"https://open.spotify.com/playlist/{playlist.id}"
