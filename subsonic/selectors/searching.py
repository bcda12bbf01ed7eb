"""search3 over artists, concerts (a memoised haystack) and the audio the user holds."""
from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from archive import selectors as archive_selectors
from common.types import AuthUser
from concerts import selectors as concert_selectors
from recommend import selectors as recommend_selectors

from ..protocol import SubsonicError
from .albums import AlbumContext, concert_album, download_song, upload_song, visible_item
from .artists import artist_rows
from .base import concerts_with_best, memoised
from .marks import marked


@dataclass(frozen=True)
class Haystack:
    """Every concert's "artist venue location" (case-folded) in one string, newest date first, so a term is
    found with str.find in C instead of a Python test per row."""

    pks: list[int]
    dates: list[str]
    starts: list[int]  # where each row's text begins in `text`
    text: str

    def rows_matching(self, term: str) -> set[int]:
        """Indexes of rows whose text contains `term` or whose date starts with it."""
        found: set[int] = set()
        pos = self.text.find(term)
        while pos != -1:
            row = bisect.bisect_right(self.starts, pos) - 1
            found.add(row)
            nxt = self.starts[row + 1] if row + 1 < len(self.starts) else len(self.text)
            pos = self.text.find(term, nxt)
        if term[:1].isdigit():
            found.update(i for i, date in enumerate(self.dates) if date.startswith(term))
        return found


def _concert_haystack() -> Haystack:
    rows = (concert_selectors.concert_list().order_by("-date_text", "pk")
            .values_list("pk", "artist", "venue", "location", "date_text"))
    pks, dates, starts, parts = [], [], [], []
    offset = 0
    for pk, artist, venue, location, date in rows:
        text = f"{artist}\t{venue}\t{location}\n".casefold()
        pks.append(pk)
        dates.append(date)
        starts.append(offset)
        parts.append(text)
        offset += len(text)
    return Haystack(pks=pks, dates=dates, starts=starts, text="".join(parts))


# -- search --------------------------------------------------------------------------------------------------
def search(*, user: AuthUser, query: str, artist_count: int, artist_offset: int, album_count: int,
           album_offset: int, song_count: int, song_offset: int) -> dict[str, list[dict[str, Any]]]:
    """search3. An empty query lists everything (clients such as Symfonium sync the library that way)."""
    query = query.strip().strip('"').strip()
    terms = query.split()[:6]
    artists: list[dict[str, Any]] = []
    if artist_count:
        rows = artist_rows(user=user)
        if terms:
            rows = [r for r in rows if all(t.lower() in r["name"].lower() for t in terms)]
        artists = rows[artist_offset:artist_offset + artist_count]
    albums: list[dict[str, Any]] = []
    if album_count:
        # The same match as the concerts page (artist, venue or location contain each term, or the date
        # starts with it), over the memoised haystack; then one query for the page of matches.
        haystack: Haystack = memoised("haystack", _concert_haystack)
        if terms:
            hits = set.intersection(*(haystack.rows_matching(t.casefold()) for t in terms))
            matches = [haystack.pks[i] for i in sorted(hits)]
        else:
            matches = haystack.pks
        page = matches[album_offset:album_offset + album_count]
        found = {c.pk: c for c in concerts_with_best().filter(pk__in=page)}
        albums = marked(user, [concert_album(found[pk]) for pk in page if pk in found])
    songs: list[dict[str, Any]] = []
    if song_count:
        songs = _search_own_songs(user=user, terms=terms)[song_offset:song_offset + song_count]
    return {"artist": artists, "album": albums, "song": marked(user, songs)}


def _search_own_songs(*, user: AuthUser, terms: list[str]) -> list[dict[str, Any]]:
    """Song search covers the audio the user holds (downloads and uploads): item files elsewhere are only
    known after a metadata fetch, which a search must not wait for."""
    songs: list[dict[str, Any]] = []
    downloads = archive_selectors.download_list_for_user(user=user, status="completed")
    for term in terms:
        downloads = downloads.filter(Q(track_title__icontains=term) | Q(title__icontains=term)
                                     | Q(creator__icontains=term) | Q(file_name__icontains=term))
    contexts: dict[str, AlbumContext | None] = {}
    for download in downloads.order_by("identifier", "track", "file_name")[:500]:
        if not archive_selectors.is_audio(download):
            continue
        if download.identifier not in contexts:
            try:
                contexts[download.identifier] = visible_item(user=user, identifier=download.identifier)
            except SubsonicError:
                contexts[download.identifier] = None
        context = contexts[download.identifier]
        if context is not None:
            songs.append(download_song(context=context, download=download))
    uploads = recommend_selectors.uploads_for_user(user=user).select_related("track")
    for term in terms:
        uploads = uploads.filter(Q(title__icontains=term) | Q(artist__icontains=term))
    songs.extend(upload_song(u) for u in uploads[:500] if u.file)
    return songs
