"""search3 over artists, concerts (a memoised haystack) and the audio the user holds."""
from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from archive import selectors as archive_selectors
from common.types import AuthUser
from recommend import selectors as recommend_selectors

from ..protocol import SubsonicError
from .albums import AlbumContext, concert_album, download_song, upload_song, visible_item
from .artists import artist_rows
from .base import concerts_with_best, memoised, upload_artists
from .marks import marks_for

SONGS_MAX = 500


@dataclass(frozen=True, slots=True)
class ConcertRow:
    """What an album shows of a concert (the attributes concert_album reads), kept in the haystack so a
    page of matches needs no query."""

    pk: int
    artist: str
    artist_slug: str
    date_text: str
    year: int | None
    venue: str
    location: str
    created_at: dt.datetime | None
    best_identifier: str
    best_length: float | None
    best_tracks: int | None
    best_source: str | None


@dataclass(frozen=True)
class Haystack:
    """Every concert's "artist venue location" (case-folded) in one string, newest date first, so a term is
    found with str.find in C instead of a Python test per row."""

    rows: list[ConcertRow]
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
            found.update(i for i, row in enumerate(self.rows) if row.date_text.startswith(term))
        return found


_ROW_FIELDS = ("pk", "artist", "artist_slug", "date_text", "year", "venue", "location", "created_at",
               "best_identifier", "best_length", "best_tracks", "best_source")


def _concert_haystack() -> Haystack:
    rows, starts, parts = [], [], []
    offset = 0
    for values in concerts_with_best().order_by("-date_text", "pk").values_list(*_ROW_FIELDS):
        row = ConcertRow(*values)
        text = f"{row.artist}\t{row.venue}\t{row.location}\n".casefold()
        rows.append(row)
        starts.append(offset)
        parts.append(text)
        offset += len(text)
    return Haystack(rows=rows, starts=starts, text="".join(parts))


# -- search --------------------------------------------------------------------------------------------------
def search(*, user: AuthUser, query: str, artist_count: int, artist_offset: int, album_count: int,
           album_offset: int, song_count: int, song_offset: int) -> dict[str, list[dict[str, Any]]]:
    """search3. An empty query lists everything (clients such as Symfonium sync the library that way).

    Clients search on every keystroke, so the answer costs the user's uploads (one light read shared by
    artists and songs), their matching downloads, and one read of their marks; concerts come from the
    memoised haystack."""
    query = query.strip().strip('"').strip()
    terms = [t.casefold() for t in query.split()[:6]]
    uploads = _upload_titles(user) if (artist_count or song_count) else []
    artists: list[dict[str, Any]] = []
    if artist_count:
        uploaded = upload_artists(user, names=[artist for _pk, artist, _title in uploads])
        rows = artist_rows(user=user, uploaded=uploaded, mark=False)
        if terms:
            rows = [r for r in rows if all(t in r["name"].casefold() for t in terms)]
        artists = rows[artist_offset:artist_offset + artist_count]
    albums: list[dict[str, Any]] = []
    if album_count:
        # The same match as the concerts page (artist, venue or location contain each term, or the date
        # starts with it).
        haystack: Haystack = memoised("haystack", _concert_haystack)
        if terms:
            hits = set.intersection(*(haystack.rows_matching(t) for t in terms))
            matches = [haystack.rows[i] for i in sorted(hits)]
        else:
            matches = haystack.rows
        albums = [concert_album(row) for row in matches[album_offset:album_offset + album_count]]
    songs: list[dict[str, Any]] = []
    if song_count:
        songs = _search_own_songs(user=user, terms=terms, uploads=uploads)[song_offset:song_offset + song_count]
    marks = marks_for(user=user, item_ids=[item["id"] for item in (*artists, *albums, *songs)])
    return {"artist": [marks.apply(a) for a in artists], "album": [marks.apply(a) for a in albums],
            "song": [marks.apply(s) for s in songs]}


def _upload_titles(user: AuthUser) -> list[tuple[int, str, str]]:
    """(pk, artist, title) of each of the user's uploads, newest first."""
    return list(recommend_selectors.uploads_for_user(user=user).values_list("pk", "artist", "title"))


def _search_own_songs(*, user: AuthUser, terms: list[str], uploads: list[tuple[int, str, str]]
                      ) -> list[dict[str, Any]]:
    """Song search covers the audio the user holds (downloads and uploads): item files elsewhere are only
    known after a metadata fetch, which a search must not wait for. `terms` are case-folded."""
    songs: list[dict[str, Any]] = []
    downloads = archive_selectors.download_list_for_user(user=user, status="completed")
    for term in terms:
        downloads = downloads.filter(Q(track_title__icontains=term) | Q(title__icontains=term)
                                     | Q(creator__icontains=term) | Q(file_name__icontains=term))
    contexts: dict[str, AlbumContext | None] = {}
    for download in downloads.order_by("identifier", "track", "file_name")[:SONGS_MAX]:
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
    wanted = [pk for pk, artist, title in uploads
              if all(t in (title or "").casefold() or t in (artist or "").casefold() for t in terms)][:SONGS_MAX]
    if wanted:  # only then the whole rows (file, track length) of the matches
        found = {u.pk: u for u in recommend_selectors.uploads_for_user(user=user).select_related("track")
                 .filter(pk__in=wanted)}
        songs.extend(upload_song(found[pk]) for pk in wanted if pk in found and found[pk].file)
    return songs
