"""Albums API: lookup, album, similar, search and discovery lists. Operations that may scrape AOTY are throttled."""
from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from common.api import auth_optional, external_throttle, request_user
from common.exceptions import InvalidInput, NotFound
from common.schemas import errors

from . import selectors, services
from .models import Artist, DiscoveryList
from .schemas import AlbumOut, DiscoverOut, SearchOut, SimilarOut

router = Router(tags=["Albums"])


# Limits follow the models the input is matched against or stored in (422 naming the field past them).
_NAME_MAX = Artist._meta.get_field("name").max_length or 300  # the lookup compares with Artist.name too
_SEARCH_MAX = services.SEARCH_QUERY_MAX  # the search page trims its box to the same length
_LIST_KEY_MAX = DiscoveryList._meta.get_field("key").max_length or 200


class LookupIn(Schema):
    artist: str = Field(..., min_length=1, max_length=_NAME_MAX)
    album: str = Field(..., min_length=1, max_length=_NAME_MAX)
    refresh: bool = False


class SearchIn(Schema):
    query: str = Field(..., min_length=1, max_length=_SEARCH_MAX)
    limit: int = Field(10, ge=1, le=20)


class SimilarIn(Schema):
    limit: int = Field(5, ge=1, le=10)
    refresh: bool = False


class AlbumIn(Schema):
    refresh: bool = False


class DiscoverIn(Schema):
    page: int = Field(1, ge=1, le=services.MAX_DISCOVERY_PAGE)
    refresh: bool = False


def _notice(served: services.Served) -> str:
    """The notice an API answer carries when it serves stored data despite a block or an error."""
    if served.blocked and served.fetched_at:
        return f"AOTY is blocking automated access right now, showing data from {served.fetched_at:%Y-%m-%d %H:%M} UTC."
    return served.error


def _album_out(served: services.Served) -> dict[str, Any]:
    payload = selectors.album_payload(album_id=served.obj.pk)
    if payload is None:
        raise NotFound("No such album.")
    return {**payload, "stale": served.stale, "refreshing": served.refreshing, "notice": _notice(served)}


@router.get("/lookup", response={200: AlbumOut, **errors(404, 422, 429, 503)}, auth=auth_optional, throttle=external_throttle(),
            summary="Find an album by artist and title (stored, else scraped from AOTY)")
def album_lookup(request: HttpRequest, params: Query[LookupIn]) -> dict[str, Any]:
    served = services.album_lookup(artist=params.artist, album=params.album, refresh=params.refresh, user=request_user(request))
    return _album_out(served)


@router.get("/search", response={200: SearchOut, **errors(404, 422, 429, 503)}, auth=auth_optional, throttle=external_throttle(),
            summary="Search albums and artists (stored, plus AOTY's search)")
def album_search(request: HttpRequest, params: Query[SearchIn]) -> dict[str, Any]:
    outcome = services.album_search(query=params.query, limit=params.limit, user=request_user(request))
    if not outcome.albums and not outcome.artists:
        raise NotFound(f"Nothing matches {params.query!r}.")
    return {
        "query": params.query,
        "albums": [selectors.album_summary_payload(a) for a in outcome.albums[:params.limit]],
        "artists": [{"id": a.pk, "name": a.name, "aoty_id": a.aoty_id, "url": a.get_absolute_url()} for a in outcome.artists[:params.limit]],
        "from_aoty": outcome.remote,
        "notice": outcome.error,
    }


@router.get("/discover/{path:key}", response={200: DiscoverOut, **errors(404, 422, 429, 503)}, auth=auth_optional, throttle=external_throttle(),
            summary="A discovery list: releases, upcoming, must-hear, popular, anticipated, under-radar, must-hear/<decade>")
def discover(request: HttpRequest, key: str, params: Query[DiscoverIn]) -> dict[str, Any]:
    key = key.strip("/")
    if len(key) > (_LIST_KEY_MAX or 200):
        raise InvalidInput(f"key has at most {_LIST_KEY_MAX} characters.", field="key")
    served = services.discovery_serve(key=key, page=params.page, refresh=params.refresh)
    dlist = served.obj
    entries = selectors.discovery_entries(discovery_list=dlist, page=params.page)
    return {
        "key": dlist.key, "title": dlist.title, "page": params.page,
        "has_next": params.page < dlist.pages_fetched or dlist.has_more,
        "fetched_at": dlist.fetched_at, "stale": served.stale, "refreshing": served.refreshing, "notice": _notice(served),
        "items": [{"position": i, "rank": e.rank, "date": e.date_text, "blurb": e.blurb,
                   "album": selectors.album_summary_payload(e.album)} for i, e in enumerate(entries, 1)],
    }


@router.get("/{int:album_id}", response={200: AlbumOut, **errors(404, 422, 429, 503)}, auth=auth_optional, throttle=external_throttle(),
            summary="An album with tracks, reviews and similar albums")
def album_get(request: HttpRequest, album_id: int, params: Query[AlbumIn]) -> dict[str, Any]:
    return _album_out(services.album_serve(album_id=album_id, refresh=params.refresh))


@router.get("/{int:album_id}/similar", response={200: SimilarOut, **errors(404, 422, 429, 503)}, auth=auth_optional, throttle=external_throttle(),
            summary="Albums AOTY lists as similar ('You May Also Like')")
def album_similar(request: HttpRequest, album_id: int, params: Query[SimilarIn]) -> dict[str, Any]:
    served = services.similar_serve(album_id=album_id, limit=params.limit, refresh=params.refresh)
    return {"album_id": album_id, "similar": [selectors.album_summary_payload(a) for a in served.extra["similar"]],
            "fetched_at": served.obj.similar_fetched_at, "stale": served.stale, "notice": _notice(served)}
