"""System answers (genres, library size, the time) and cover art for any id the user may see."""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from archive import services as archive_services
from common.exceptions import StylusError
from common.types import AuthUser
from concerts import selectors as concert_selectors

from .. import ids
from ..protocol import not_found
from .albums import album_context, song_source, visible_item
from .base import GENRE, concerts_with_best, upload_artists
from .user_data import playlist_get_for_user


# -- system -----------------------------------------------------------------------------------------------------
def genres() -> list[dict[str, Any]]:
    concerts = concert_selectors.concert_list().order_by()
    albums = concerts.count()
    songs = sum(n or 0 for n in concerts_with_best().order_by().values_list("best_tracks", flat=True))
    return [{"value": GENRE, "songCount": songs, "albumCount": albums}] if albums else []


def library_size() -> int:
    return concert_selectors.concert_list().order_by().count()


def now() -> dt.datetime:
    return timezone.now()


# -- cover art ---------------------------------------------------------------------------------------------------
COVER_FORMATS = ("JPEG", "PNG", "GIF", "Item Tile", "JPEG Thumb")


def _item_image(identifier: str) -> tuple[str, str] | None:
    """The item's own picture (artwork before the archive's tile), or None."""
    try:
        meta = archive_services.archive_item_get(identifier=identifier)
    except StylusError:
        return None
    images = [f for f in meta.files if f.format in COVER_FORMATS and not f.private]
    if not images:
        return None
    best = min(images, key=lambda f: (COVER_FORMATS.index(f.format), f.name))
    return identifier, best.name


def cover_for(*, user: AuthUser, cover_id: str) -> tuple[str, tuple[str, str] | None]:
    """(a title for a generated cover, the archive image to use if any) for a coverArt id the user may see."""
    if cover_id.startswith("pl-"):
        playlist = playlist_get_for_user(user=user, playlist_id=cover_id[3:])
        return playlist.name, None
    ref = ids.parse(cover_id)
    if ref is None:
        raise not_found("Cover art")
    if ref.kind == "artist":
        name = (concert_selectors.concert_list().filter(artist_slug=ref.key).values_list("artist", flat=True).first()
                or (upload_artists(user).get(ref.key) or {}).get("name"))
        if not name:
            raise not_found("Artist")
        return name, None
    if ref.kind in ("file", "upload"):
        song = song_source(user=user, song_id=cover_id, describe=False)
        if ref.kind == "upload":
            return song.song.get("artist") or "?", None
        context = visible_item(user=user, identifier=song.identifier)
    else:
        context = album_context(user=user, album_id=cover_id)
    image = _item_image(context.identifier) if context.identifier else None
    return context.album["artist"], image
