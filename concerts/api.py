"""Concerts API, mounted at /api/v1/concerts."""

from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate

from common.api import Pagination, auth_optional, request_user
from common.services import search_log_record

from . import selectors
from .schemas import ConcertDetailOut, ConcertFilter, ConcertOut, ConcertSearch

router = Router(tags=["Concerts"])


@router.get("", response=list[ConcertOut], auth=auth_optional, summary="Concerts, newest date first")
@paginate(Pagination)
def concert_list(request: HttpRequest, filters: Query[ConcertFilter]):
    return selectors.concert_list(artist=filters.artist, year=filters.year, q=filters.q)


@router.get("/recent", response=list[ConcertOut], auth=auth_optional,
            summary="Concerts with recently added recordings")
@paginate(Pagination)
def concert_recent(request: HttpRequest):
    return selectors.concert_recent()


@router.get("/search", response=list[ConcertOut], auth=auth_optional, summary="Search concerts")
@paginate(Pagination)
def concert_search(request: HttpRequest, filters: Query[ConcertSearch]):
    search_log_record(section="concerts", query=filters.q, user=request_user(request))
    return selectors.concert_list(q=filters.q)


@router.get("/{concert_id}", response=ConcertDetailOut, auth=auth_optional,
            summary="A concert with its recordings, best first")
def concert_detail(request: HttpRequest, concert_id: int):
    return selectors.concert_get(concert_id=concert_id)
