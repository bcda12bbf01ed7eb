"""AOTY user profiles API."""
from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema

from albums.schemas import ErrorOut
from albums.selectors import album_summary_payload
from common.api import auth_optional, external_throttle

from . import selectors, services
from .schemas import AotyUserOut

router = Router(tags=["AOTY users"])


class UserIn(Schema):
    refresh: bool = False


def _rating(r) -> dict:
    return {"album": album_summary_payload(r.album), "rating": r.rating, "text": r.text, "date": r.date_text}


@router.get("/{username}", response={200: AotyUserOut, 404: ErrorOut, 503: ErrorOut}, auth=auth_optional, throttle=external_throttle(),
            summary="An AOTY user's profile: counts, favourites, recent ratings and rating distribution")
def aoty_user_get(request: HttpRequest, username: str, params: Query[UserIn]):
    served = services.aoty_user_serve(username=username, refresh=params.refresh)
    user = selectors.aoty_user_detail(username=served.obj.username)
    notice = served.error
    if served.blocked and user.fetched_at:
        notice = f"AOTY is blocking automated access right now, showing data from {user.fetched_at:%Y-%m-%d %H:%M} UTC."
    ratings = list(user.ratings.all())
    return {
        "username": user.username, "display_name": user.display_name, "avatar_url": user.avatar_url,
        "location": user.location, "about": user.about, "member_since": user.member_since,
        "ratings_count": user.ratings_count, "reviews_count": user.reviews_count, "lists_count": user.lists_count,
        "followers_count": user.followers_count, "following_count": user.following_count,
        "rating_distribution": user.rating_distribution, "social_links": user.social_links,
        "favorites": [album_summary_payload(f.album) for f in user.favorites.all()],
        "recent_ratings": [_rating(r) for r in ratings if r.kind == "rating"],
        "recent_reviews": [_rating(r) for r in ratings if r.kind == "review"],
        "fetched_at": user.fetched_at, "stale": served.stale, "refreshing": served.refreshing, "notice": notice,
    }
