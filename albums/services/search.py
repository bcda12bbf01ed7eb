"""Finding albums: AOTY's search (cached) merged after the stored matches, and the artist-and-title lookup."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

from django.conf import settings
from django.db.models import Q
from rapidfuzz import fuzz

from common.exceptions import InvalidInput, NotFound
from common.services import search_log_record
from common.types import AnyUser
from integrations.aoty import client as aoty
from integrations.aoty import parser
from integrations.aoty.errors import AotyBlocked
from integrations.aoty.types import SearchResults
from integrations.errors import IntegrationError
from integrations.errors import NotFound as UpstreamNotFound

from ..models import Album, Artist
from .catalogue import _artist_upsert, album_serve, album_stub_upsert
from .kernel import Served, block_notice, fetch_parsed, unavailable

# -- lookup and search ------------------------------------------------------------------------------------------
SEARCH_QUERY_MAX = 200  # the search box and the API alike


def search_remote(*, query: str, kind: str = "albums", refresh: bool = False) -> SearchResults:
    """AOTY's own search, cached for AOTY_SEARCH_TTL. Raises integration errors."""
    path = f"{aoty.SEARCH_KINDS[kind]}?q={quote_plus(' '.join(query.lower().split()))}"
    return fetch_parsed(kind=f"search.{kind}", path=path, parse=parser.parse_search_page, ttl=settings.AOTY_SEARCH_TTL,
                        refresh=refresh)


def _match_score(summary_artist: str, summary_title: str, artist: str, album: str) -> float:
    return (fuzz.token_sort_ratio(summary_artist.lower(), artist.lower()) + 2 * fuzz.ratio(summary_title.lower(), album.lower())) / 3


def album_lookup(*, artist: str, album: str, refresh: bool = False, user: AnyUser | None = None) -> Served:
    """The seed's lookup: a stored album by artist and title, else AOTY's search and album page.

    No match is NotFound at once (nothing is fetched beyond the one search).
    """
    artist, album = artist.strip(), album.strip()
    if not artist or not album:
        raise InvalidInput("Both artist and album are required.", field="artist" if not artist else "album")
    search_log_record(section="albums", query=f"{artist} {album}", user=user)
    if not refresh:
        stored = (Album.objects.filter(fetched_at__isnull=False, title__iexact=album)
                  .filter(Q(artist_name__iexact=artist) | Q(artists__name__iexact=artist)).order_by("-user_count").first())
        if stored is not None:
            return album_serve(album_id=stored.pk)
    try:
        results = search_remote(query=f"{artist} {album}", kind="albums", refresh=refresh)
        if not results.albums:
            results = search_remote(query=album, kind="albums", refresh=refresh)
    except UpstreamNotFound:
        raise NotFound(f"No album matching {artist} – {album} on AOTY.")
    except IntegrationError as error:
        raise unavailable(error)
    ranked = sorted(((_match_score(s.artist, s.title, artist, album), s) for s in results.albums), key=lambda p: -p[0])
    if not ranked or ranked[0][0] < 60:
        raise NotFound(f"No album matching {artist} – {album} on AOTY.")
    best = album_stub_upsert(summary=ranked[0][1])
    return album_serve(album_id=best.pk, refresh=refresh)


@dataclass
class SearchOutcome:
    albums: list[Album]
    artists: list[Artist]
    remote: bool = False
    blocked: dict[str, Any] | None = None
    error: str = ""


def album_search(*, query: str, limit: int = 10, user: AnyUser | None = None, remote: bool = True,
                 log_search: bool = True) -> SearchOutcome:
    """Albums and artists matching `query`: AOTY's search (cached) merged after the stored matches.

    With AOTY unreachable the stored matches are still returned (with the reason).
    """
    from .. import selectors

    query = query.strip()
    if not query:
        raise InvalidInput("Enter something to search for.", field="query")
    if log_search:
        search_log_record(section="albums", query=query, user=user)
    albums = list(selectors.album_search_local(query=query, limit=limit))
    artists = list(selectors.artist_search_local(query=query, limit=limit))
    outcome = SearchOutcome(albums=albums, artists=artists)
    if not remote:
        return outcome
    try:
        results = search_remote(query=query, kind="all")
    except UpstreamNotFound:
        return outcome
    except IntegrationError as error:
        outcome.error = unavailable(error).detail
        outcome.blocked = block_notice() if isinstance(error, AotyBlocked) else None
        if not albums and not artists:
            raise unavailable(error)
        return outcome
    outcome.remote = True
    seen = {a.aoty_id for a in albums}
    for summary in results.albums:
        if len(outcome.albums) >= limit:
            break
        if summary.aoty_id not in seen:
            seen.add(summary.aoty_id)
            outcome.albums.append(album_stub_upsert(summary=summary))
    seen_artists = {a.aoty_id for a in artists}
    for ref in results.artists:
        if len(outcome.artists) >= limit:
            break
        if ref.aoty_id not in seen_artists:
            seen_artists.add(ref.aoty_id)
            outcome.artists.append(_artist_upsert(ref))
    return outcome


