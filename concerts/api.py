"""Concerts API: /api/v1/concerts, /api/v1/songs and /api/v1/recordings."""

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router
from ninja.pagination import paginate

from common.api import Pagination, auth_optional, request_user
from common.exceptions import InvalidInput
from common.schemas import errors
from common.services import search_log_record

from . import selectors
from .models import Concert, RecordingQuality, Song
from .schemas import (
    ConcertDetailOut,
    ConcertFilter,
    ConcertOut,
    ConcertSearch,
    ConcertSongDetailOut,
    ConcertSongFilter,
    ConcertSongOut,
    OnThisDayFilter,
    QualityOut,
    SetlistOut,
)

router = Router(tags=["Concerts"])
songs_router = Router(tags=["Concerts"])
recordings_router = Router(tags=["Concerts"])


@router.get("", response={200: list[ConcertOut], **errors(422, 429)}, auth=auth_optional,
            summary="Concerts, newest date first")
@paginate(Pagination)
def concert_list(request: HttpRequest, filters: Query[ConcertFilter]):
    return selectors.concert_list(artist=filters.artist, year=filters.year, q=filters.q)


@router.get("/recent", response={200: list[ConcertOut], **errors(422, 429)}, auth=auth_optional,
            summary="Concerts with recently added recordings")
@paginate(Pagination)
def concert_recent(request: HttpRequest):
    return selectors.concert_recent()


@router.get("/search", response={200: list[ConcertOut], **errors(422, 429)}, auth=auth_optional,
            summary="Search concerts")
@paginate(Pagination)
def concert_search(request: HttpRequest, filters: Query[ConcertSearch]):
    search_log_record(section="concerts", query=filters.q, user=request_user(request))
    return selectors.concert_list(q=filters.q)


@router.get("/on-this-day", response={200: list[ConcertOut], **errors(422, 429)}, auth=auth_optional,
            summary="Concerts on a month and day (MM-DD, today by default) across all years")
@paginate(Pagination)
def concert_on_this_day(request: HttpRequest, filters: Query[OnThisDayFilter]):
    if filters.date:
        parsed = selectors.parse_month_day(filters.date)
        if parsed is None:
            raise InvalidInput("date must be a real month and day as MM-DD, e.g. 04-23.", field="date")
    else:
        today = timezone.localdate()
        parsed = (today.month, today.day)
    return selectors.on_this_day(month=parsed[0], day=parsed[1], artist=filters.artist)


@router.get("/{concert_id}", response={200: ConcertDetailOut, **errors(404, 422, 429)}, auth=auth_optional,
            summary="A concert with its recordings, best first")
def concert_detail(request: HttpRequest, concert_id: int) -> Concert:
    return selectors.concert_get(concert_id=concert_id)


@router.get("/{concert_id}/setlist", response={200: SetlistOut, **errors(404, 422, 429)}, auth=auth_optional,
            summary="The concert's setlist, agreed from its recordings (the best one wins)")
def concert_setlist(request: HttpRequest, concert_id: int) -> dict:
    return selectors.concert_setlist_out(concert_id=concert_id)


@songs_router.get("", response={200: list[ConcertSongOut], **errors(422, 429)}, auth=auth_optional,
                  summary="Songs, by artist and title")
@paginate(Pagination)
def song_list(request: HttpRequest, filters: Query[ConcertSongFilter]):
    return selectors.song_list(artist=filters.artist, q=filters.q, order=filters.order)


@songs_router.get("/{song_id}", response={200: ConcertSongDetailOut, **errors(404, 422, 429)}, auth=auth_optional,
                  summary="A song with every performance and its statistics")
def song_detail(request: HttpRequest, song_id: int) -> dict:
    song: Song = selectors.song_get(song_id=song_id)
    performances = selectors.song_performances(song=song)
    stats = selectors.song_stats(song=song, performances=performances)
    return {"id": song.pk, "artist": song.artist, "artist_slug": song.artist_slug, "title": song.title,
            "performances": performances,
            "stats": {**stats, "first_played": stats["first"]["date"] if stats["first"] else None,
                      "last_played": stats["last"]["date"] if stats["last"] else None}}


@recordings_router.get("/{identifier}/quality", response={200: QualityOut, **errors(404, 422, 429)},
                       auth=auth_optional, summary="A recording's measured quality card")
def recording_quality(request: HttpRequest, identifier: str) -> RecordingQuality:
    if len(identifier) > 100:
        raise InvalidInput("identifier is too long (100 characters at most).", field="identifier")
    return selectors.recording_quality_get(identifier=identifier)
