"""Album and song lists: getAlbumList2's orders, random songs, the user's starred items."""
from __future__ import annotations

import random
from typing import Any

from django.db.models import Case, Count, F, When
from django.db.models.functions import Substr

from common.types import AuthUser
from concerts import selectors as concert_selectors
from recommend import selectors as recommend_selectors

from .. import ids
from ..models import Play, Rating, Star
from ..protocol import SubsonicError, not_found
from .albums import AlbumContext, album_context, concert_album, item_songs, song_source, songs_by_ids, upload_song
from .artists import artist_get
from .base import ARTICLES, FOLDER_UPLOADS, GENRE, concerts_with_best
from .marks import marked

# -- lists ---------------------------------------------------------------------------------------------------
ALBUM_LIST_TYPES = ("random", "newest", "highest", "frequent", "recent", "alphabeticalByName",
                    "alphabeticalByArtist", "starred", "byYear", "byGenre")


def album_list(*, user: AuthUser, list_type: str, size: int, offset: int, from_year: int | None = None,
               to_year: int | None = None, genre: str = "", folder: int | None = None) -> list[dict[str, Any]]:
    """getAlbumList2: concerts in the order the type asks for (starred/highest/recent/frequent: any album)."""
    if folder == FOLDER_UPLOADS or size <= 0:
        return []
    if list_type in ("starred", "highest", "frequent", "recent"):
        return _personal_albums(user=user, list_type=list_type, size=size, offset=offset)
    qs = concert_selectors.concert_list()
    by_artist = list_type == "alphabeticalByArtist"
    if by_artist:
        qs = qs.annotate(sort_artist=_without_article("artist_key"))
    order: tuple[str, ...] = ("-date_text", "pk")
    if list_type == "random":
        order = ("?",)
    elif list_type == "newest":
        order = ("-latest_added", "-date_text", "pk")
    elif list_type == "alphabeticalByName":
        order = ("date_text", "venue", "pk")
    elif by_artist:
        order = ("sort_artist", "date_text", "pk")
    elif list_type == "byYear":
        low, high = sorted((from_year or 0, to_year or 9999))
        qs = qs.filter(year__gte=low, year__lte=high)
        order = ("-date_text", "pk") if (from_year or 0) > (to_year or 9999) else ("date_text", "pk")
    elif list_type == "byGenre" and genre.lower() != GENRE.lower():
        return []
    # The page of concerts first, then their best recordings for just that page, in one statement: joined
    # before the LIMIT, the database would join every concert that ties on the sort's leading column.
    page = qs.order_by(*order).values("pk")[offset:offset + size]
    rows = concerts_with_best().filter(pk__in=page)
    if by_artist:
        rows = rows.annotate(sort_artist=_without_article("artist_key"))
    return marked(user, [concert_album(c) for c in rows.order_by(*order)])


def _without_article(field: str) -> Case:
    """The (case-folded) name without a leading ignored article, as the artist index sorts it."""
    return Case(*[When(**{f"{field}__startswith": article}, then=Substr(field, len(article) + 1))
                  for article in ARTICLES], default=F(field))


def _personal_albums(*, user: AuthUser, list_type: str, size: int, offset: int) -> list[dict[str, Any]]:
    if list_type == "starred":
        album_ids = list(Star.objects.filter(user=user, kind=Star.Kind.ALBUM).values_list("item_id", flat=True))
    elif list_type == "highest":
        album_ids = list(Rating.objects.filter(user=user, item_id__regex=r"^(al|rc|au)-")
                         .order_by("-rating", "-rated_at").values_list("item_id", flat=True))
    elif list_type == "frequent":
        album_ids = list(Play.objects.filter(user=user).exclude(album_id="").values("album_id")
                         .annotate(n=Count("id")).order_by("-n", "album_id").values_list("album_id", flat=True))
    else:
        album_ids = _recent_album_ids(user)
    albums = []
    for album_id in album_ids[offset:offset + size]:
        try:
            albums.append(album_context(user=user, album_id=album_id).album)
        except SubsonicError:
            continue
    return marked(user, albums)


def _recent_album_ids(user: AuthUser) -> list[str]:
    seen: list[str] = []
    for album_id in Play.objects.filter(user=user).exclude(album_id="").order_by("-played_at").values_list(
            "album_id", flat=True)[:2000]:
        if album_id not in seen:
            seen.append(album_id)
    return seen


def play_counts(*, user: AuthUser, album_ids: list[str]) -> dict[str, int]:
    return dict(Play.objects.filter(user=user, album_id__in=album_ids).values("album_id")
                .annotate(n=Count("id")).values_list("album_id", "n"))


def random_songs(*, user: AuthUser, size: int, from_year: int | None = None, to_year: int | None = None,
                 genre: str = "") -> list[dict[str, Any]]:
    """Songs from the user's own files first, then from a few random concerts."""
    songs: list[dict[str, Any]] = []
    for upload in recommend_selectors.uploads_for_user(user=user).select_related("track")[:500]:
        if upload.file:
            songs.append(upload_song(upload))
    if genre and genre.lower() != GENRE.lower():
        return marked(user, random.sample(songs, min(size, len(songs))))
    qs = concerts_with_best()
    if from_year or to_year:
        qs = qs.filter(year__gte=from_year or 0, year__lte=to_year or 9999)
    for concert in qs.order_by("?")[:3]:
        context = AlbumContext(album=concert_album(concert), identifier=concert.best_identifier, concert=concert)
        songs.extend(item_songs(user=user, context=context))
        if len(songs) >= size * 2:
            break
    return marked(user, random.sample(songs, min(size, len(songs))))


def starred(*, user: AuthUser) -> dict[str, list[dict[str, Any]]]:
    """getStarred2: the user's starred artists, albums and songs that still exist."""
    stars = list(Star.objects.filter(user=user))
    artists, albums, song_ids = [], [], []
    for star in stars:
        try:
            if star.kind == Star.Kind.ARTIST:
                artists.append(_artist_summary(user=user, artist_id=star.item_id))
            elif star.kind == Star.Kind.ALBUM:
                albums.append(album_context(user=user, album_id=star.item_id).album)
            else:
                song_ids.append(star.item_id)
        except SubsonicError:
            continue
    return {"artist": marked(user, artists), "album": marked(user, albums),
            "song": songs_by_ids(user=user, song_ids=song_ids)}


def _artist_summary(*, user: AuthUser, artist_id: str) -> dict[str, Any]:
    artist = artist_get(user=user, artist_id=artist_id)
    return {k: v for k, v in artist.items() if k != "album"}


def item_exists(*, user: AuthUser, item_id: str) -> str:
    """The kind (artist, album, song) of an id the user may see; SubsonicError 70 otherwise."""
    ref = ids.parse(item_id)
    if ref is None:
        raise not_found("Item")
    if ref.kind == "artist":
        artist_get(user=user, artist_id=item_id)
        return Star.Kind.ARTIST
    if ref.kind in ("concert", "recording", "uploads"):
        album_context(user=user, album_id=item_id)
        return Star.Kind.ALBUM
    song_source(user=user, song_id=item_id, describe=False)
    return Star.Kind.SONG
