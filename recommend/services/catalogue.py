"""The catalogue: artists, tracks and their feature vectors (Spotify, datasets, the Internet Archive,
metadata fallback)."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from common.exceptions import InvalidInput
from integrations.spotify.types import AudioFeatures, SpotifyTrack
from recommend import features as fs
from recommend.models import Album, Artist, Track, TrackArtist, TrackFeatures
from recommend.ranking import track_genres
from recommend.text import match_key, normalise_genre

from .covers import album_cover_schedule
from .index import index_add_later

Source = TrackFeatures.Source
Confidence = TrackFeatures.Confidence


def parse_year(value: Any) -> int | None:
    text = str(value or "")[:4]
    return int(text) if text.isdigit() and 1000 < int(text) < 3000 else None


def to_float(value: Any) -> float | None:
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
            album_cover_schedule(album=album)  # after commit: the cover is fetched once, by a task
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


def spotify_values(feats: AudioFeatures, *, year: int | None) -> dict[str, Any]:
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
    number = to_float(value)
    return int(number) if number is not None and number.is_integer() and 0 <= number <= 11 else None


def _archive_mode(value: Any) -> int | None:
    if isinstance(value, str) and value.strip().lower() in ("major", "minor"):
        return 1 if value.strip().lower() == "major" else 0
    number = to_float(value)
    return int(number) if number in (0.0, 1.0) else None


def archive_values(values: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The archive's analysis mapped onto our feature names, and an honest confidence for it."""
    out: dict[str, Any] = {}
    for name, (low, high) in _ARCHIVE_RANGES.items():
        number = to_float(values.get(name))
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
    if isinstance(mfcc, list | tuple) and all(to_float(v) is not None for v in mfcc):
        out["mfcc_mean"] = [float(v) for v in mfcc][:40]  # kept for a later feature version, not in the vector
    year = parse_year(values.get("year") or values.get("date"))
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

def metadata_features(*, track: Track) -> TrackFeatures | None:
    """Low-confidence fallback: the mean of the catalogue's vectors for the track's genres, with its year."""
    genres = track_genres(track)
    if not genres:
        return None
    peers = list(TrackFeatures.objects.filter(
        ~Q(track=track), version=fs.FEATURE_VERSION, track__genre__in=genres,
        source__in=[Source.SPOTIFY, Source.DATASET, Source.ARCHIVE, Source.AUDIO],
        track__is_demo=track.is_demo,  # made-up demo features must not place a real track (nor the reverse)
    ).values_list("values", flat=True)[:500])
    if len(peers) < 3:
        return None
    values: dict[str, Any] = dict(fs.mean_values(peers))
    values.pop("key", None)
    values["year"] = track.year
    values["metadata"] = {"genres": genres, "year": track.year, "popularity": track.popularity, "peers": len(peers)}
    return features_store(track=track, source=Source.METADATA, values=values, confidence=Confidence.LOW)
