"""Artists: concert artists plus the artists of the user's uploads, as an index and one by one."""
from __future__ import annotations

from typing import Any

from django.db.models import Count, Min

from common.types import AuthUser
from concerts import selectors as concert_selectors

from .. import ids
from ..protocol import not_found
from .albums import concert_album, recording_album, uploads_album
from .base import FOLDER_CONCERTS, FOLDER_UPLOADS, concerts_with_best, memoised, sort_name, upload_artists
from .marks import marked


def _concert_artists() -> list[tuple[str, str, int, str]]:
    """(slug, name, concert count, sort name) of every concert artist."""
    return [(row["artist_slug"] or ids.artist_slug(row["name"]), row["name"], row["albums"], sort_name(row["name"]))
            for row in (concert_selectors.concert_list().order_by().values("artist_slug")
                        .annotate(name=Min("artist"), albums=Count("id")))]


def _artist_rows_keyed(*, user: AuthUser, folder: int | None = None, uploaded: dict[str, dict[str, Any]] | None = None,
                       mark: bool = True) -> list[tuple[str, dict[str, Any]]]:
    """(sort name, ArtistID3 row) for every artist the user sees, sorted without leading articles.
    `uploaded`: the user's upload artists, when the caller has them; `mark=False` leaves stars and ratings
    to the caller (search3 reads them once for artists, albums and songs)."""
    rows: dict[str, dict[str, Any]] = {}
    keys: dict[str, str] = {}
    if folder in (None, FOLDER_CONCERTS):
        for slug, name, albums, key in memoised("artists", _concert_artists):
            artist_id = f"ar-{slug}"
            rows[slug] = {"id": artist_id, "name": name, "coverArt": artist_id, "albumCount": albums}
            keys[slug] = key
    if folder in (None, FOLDER_UPLOADS):
        for slug, entry in (uploaded if uploaded is not None else upload_artists(user)).items():
            row = rows.setdefault(slug, {"id": ids.artist_id(slug), "name": entry["name"],
                                         "coverArt": ids.artist_id(slug), "albumCount": 0})
            keys.setdefault(slug, sort_name(entry["name"]))
            row["albumCount"] += 1
    ordered = sorted(rows, key=keys.__getitem__)
    if mark:
        marked(user, [rows[slug] for slug in ordered])
    return [(keys[slug], rows[slug]) for slug in ordered]


def artist_rows(*, user: AuthUser, folder: int | None = None, uploaded: dict[str, dict[str, Any]] | None = None,
                mark: bool = True) -> list[dict[str, Any]]:
    """ArtistID3 rows, sorted by name without leading articles."""
    return [row for _key, row in _artist_rows_keyed(user=user, folder=folder, uploaded=uploaded, mark=mark)]


def artist_index(*, user: AuthUser, folder: int | None = None) -> list[dict[str, Any]]:
    """Artists grouped by the first letter of their sort name (getArtists, getIndexes)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for key, row in _artist_rows_keyed(user=user, folder=folder):
        first = key[:1].upper()
        groups.setdefault(first if first.isalpha() else "#", []).append(row)
    return [{"name": letter, "artist": groups[letter]} for letter in sorted(groups)]


def artist_get(*, user: AuthUser, artist_id: str) -> dict[str, Any]:
    """ArtistWithAlbumsID3: every concert (and every other recording of it) plus the user's uploads."""
    ref = ids.parse(artist_id)
    if ref is None or ref.kind != "artist":
        raise not_found("Artist")
    concerts = list(concerts_with_best().filter(artist_slug=ref.key).order_by("date_text", "pk"))
    albums: list[dict[str, Any]] = []
    name = concerts[0].artist if concerts else ""
    others = _other_recordings([c.pk for c in concerts])
    for concert in concerts:
        albums.append(concert_album(concert))
        albums.extend(recording_album(concert, rec) for rec in others.get(concert.pk, []))
    uploads = upload_artists(user).get(ref.key)
    if uploads:
        name = name or uploads["name"]
        albums.append(uploads_album(user=user, slug=ref.key, name=uploads["name"]))
    if not albums:
        raise not_found("Artist")
    artist = {"id": artist_id, "name": name, "coverArt": artist_id, "albumCount": len(albums),
              "album": marked(user, albums)}
    return marked(user, [artist])[0]


def _other_recordings(concert_ids: list[int]) -> dict[int, list[Any]]:
    """Each concert's recordings other than the best, best first."""
    result: dict[int, list[Any]] = {}
    if not concert_ids:
        return result
    for concert in (concert_selectors.concert_list().filter(pk__in=concert_ids)
                    .prefetch_related("recordings")):
        result[concert.pk] = [r for r in sorted(concert.recordings.all(), key=lambda r: (r.rank, r.identifier))
                              if r.identifier != concert.best_identifier]
    return result
