"""What the other selector modules share: the library's constants, the public concerts with their best
recording, the user's upload artists, the per-process library memo, and time formatting."""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from typing import Any

from django.db.models import F, FilteredRelation, Q, QuerySet

from archive import selectors as archive_selectors
from common.types import AuthUser
from concerts import selectors as concert_selectors
from recommend import selectors as recommend_selectors

from .. import ids

GENRE = "Live"
FOLDER_CONCERTS = 1
FOLDER_UPLOADS = 2
IGNORED_ARTICLES = "The El La Los Las Le Les"
ARTICLES = tuple(f"{a.lower()} " for a in IGNORED_ARTICLES.split())
# Which of an item's audio formats a client gets: one playable set, never transcoded. Lossy first, because
# phones stream it; a user who downloaded another format gets that format (see _song_group).
FORMAT_PREFERENCE = ("VBR MP3", "MP3", "128Kbps MP3", "64Kbps MP3", "Ogg Vorbis", "Flac", "24bit Flac",
                     "Apple Lossless Audio", "WAVE", "Shorten")
CONTENT_TYPES = {"mp3": "audio/mpeg", "flac": "audio/flac", "ogg": "audio/ogg", "opus": "audio/ogg",
                 "m4a": "audio/mp4", "wav": "audio/wav", "shn": "audio/x-shorten", "aac": "audio/aac"}
AUDIO_EXTENSIONS = frozenset(archive_selectors.AUDIO_EXTENSIONS) | {"aac"}


def iso_time(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if value else None


def concerts_with_best() -> QuerySet:
    """Public concerts, each annotated with its best recording (rank 1) in the same query."""
    best = FilteredRelation("recordings", condition=Q(recordings__rank=1))
    # Only what an album shows: a concert row also carries JSON (setlist notes) that would be decoded per row.
    fields = ("artist", "artist_key", "artist_slug", "date_text", "year", "venue", "location", "best_identifier",
              "best_reason", "latest_added", "created_at")
    return (concert_selectors.concert_list().only(*fields).annotate(best=best)
            .annotate(best_length=F("best__length"), best_tracks=F("best__track_count"),
                      best_source=F("best__source_type"), best_taper=F("best__taper")))


def upload_artists(user: AuthUser, *, names: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
    """The artists of the user's uploads by slug, with their upload counts; `names` when the caller has read
    the uploads' artist names already."""
    artists: dict[str, dict[str, Any]] = {}
    if names is None:
        names = recommend_selectors.uploads_for_user(user=user).values_list("artist", flat=True)
    for name in names:
        slug = ids.artist_slug(name or "Unknown artist")
        entry = artists.setdefault(slug, {"name": name or "Unknown artist", "uploads": 0})
        entry["uploads"] += 1
    return artists


# Clients fetch the artist index and search on every start and keystroke; the concert side changes only
# when an aggregation runs, so it is kept for LIBRARY_MEMO_SECONDS per process (new concerts show up
# within that time).
LIBRARY_MEMO_SECONDS = 60.0
_memo: dict[str, tuple[float, Any]] = {}


def memoised(key: str, build: Any) -> Any:
    hit = _memo.get(key)
    now_ = time.monotonic()
    if hit is not None and hit[0] > now_:
        return hit[1]
    value = build()
    _memo[key] = (now_ + LIBRARY_MEMO_SECONDS, value)
    return value


def library_memo_clear() -> None:
    _memo.clear()


def sort_name(name: str) -> str:
    lowered = name.lower()
    for article in ARTICLES:
        if lowered.startswith(article):
            return lowered[len(article):]
    return lowered


def created_time(value: dt.datetime | None) -> str:
    return iso_time(value) or "1970-01-01T00:00:00Z"
