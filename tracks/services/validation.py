"""Input checks shared by pages, the API and imports, and the owner-scoped lookups they use."""
from __future__ import annotations

import logging
from typing import Any

from common.exceptions import InvalidInput
from common.types import AuthUser
from integrations.spotify.client import is_spotify_id
from tracks.models import LONG_TEXT_MAX, AlbumSeries, Pack, Status

log = logging.getLogger(__name__)


STATUSES = [s.value for s in Status]
SONG_FIELDS = {"title", "artist", "album", "year", "status", "priority", "pack_id", "album_series_id", "notes",
               "release_date", "spotify_track_id", "spotify_album", "spotify_cover_url", "spotify_release_year",
               "spotify_duration_ms"}
PACK_FIELDS = {"name", "priority", "status", "release_date", "release_notes", "download_url", "video_url"}
SERIES_FIELDS = {"series_number", "artist", "album", "year", "description", "status", "spotify_album_id", "cover_url"}


# -- validation shared by pages, API and imports -------------------------------------------------------
def _check_status(status: Any, field: str = "status") -> str:
    if status not in STATUSES:
        raise InvalidInput(f"Status must be one of: {', '.join(STATUSES)}.", field=field)
    return status


def _check_priority(priority: Any, field: str = "priority") -> int:
    try:
        value = int(priority)
    except (TypeError, ValueError):
        raise InvalidInput("Priority must be a whole number from 1 to 5.", field=field)
    if not 1 <= value <= 5:
        raise InvalidInput("Priority must be between 1 and 5.", field=field)
    return value


def _clean_text(value: Any, *, field: str, required: bool = False, max_length: int = 200) -> str:
    text = " ".join(str(value or "").split())
    if required and not text:
        raise InvalidInput(f"{field.replace('_', ' ').capitalize()} is required.", field=field)
    if len(text) > max_length:
        raise InvalidInput(f"{field.replace('_', ' ').capitalize()} is longer than {max_length} characters.", field=field)
    return text


def _check_long_text(value: Any, *, field: str, max_length: int = LONG_TEXT_MAX) -> str:
    text = str(value or "")
    if len(text) > max_length:
        raise InvalidInput(f"{field.replace('_', ' ').capitalize()} is longer than {max_length} characters.", field=field)
    return text


def _check_spotify_album_id(value: Any, field: str = "spotify_album_id") -> str:
    text = str(value or "").strip()
    if text and not is_spotify_id(text):
        raise InvalidInput("A Spotify album ID is 22 letters and digits.", field=field)
    return text


def _clean_year(value: Any, field: str = "year") -> int | None:
    if value in (None, ""):
        return None
    try:
        year = int(value)
    except (TypeError, ValueError):
        raise InvalidInput("Year must be a number like 1997.", field=field)
    if not 1000 <= year <= 2999:
        raise InvalidInput("Year must be between 1000 and 2999.", field=field)
    return year


def _owned_pack(*, user: AuthUser, pack_id: int | None) -> Pack | None:
    if not pack_id:
        return None
    pack = Pack.objects.filter(pk=pack_id, owner=user).first()
    if pack is None:
        raise InvalidInput("No such pack of yours.", field="pack_id")
    return pack


def _owned_series(*, user: AuthUser, series_id: int | None) -> AlbumSeries | None:
    if not series_id:
        return None
    series = AlbumSeries.objects.filter(pk=series_id, owner=user).first()
    if series is None:
        raise InvalidInput("No such album series of yours.", field="album_series_id")
    return series
