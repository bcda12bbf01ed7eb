"""AOTY user profiles API."""
from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from albums.selectors import album_summary_payload
from common.api import auth_optional, external_throttle
from common.exceptions import NotFound
from common.schemas import errors
from integrations.aoty.parser import http_url

from . import selectors, services
from .models import AotyUserRating
from .schemas import AotyUserOut

router = Router(tags=["AOTY users"])


class UserIn(Schema):
    refresh: bool = False


def _rating(r: AotyUserRating) -> dict[str, Any]:
    return {"album": album_summary_payload(r.album), "rating": r.rating, "text": r.text, "date": r.date_text}


@router.get("/{username}", response={200: AotyUserOut, **errors(404, 422, 429, 503)}, auth=auth_optional, throttle=external_throttle(),
            summary="An AOTY user's profile: counts, favourites, recent ratings and rating distribution")
def aoty_user_get(request: HttpRequest, username: str, params: Query[UserIn]) -> dict[str, Any]:
    served = services.aoty_user_serve(username=username, refresh=params.refresh)
    user = selectors.aoty_user_detail(username=served.obj.username)
    if user is None:  # deleted between serving and reading
        raise NotFound("No such AOTY user.")
    notice = served.error
    if served.blocked and user.fetched_at:
        notice = f"AOTY is blocking automated access right now, showing data from {user.fetched_at:%Y-%m-%d %H:%M} UTC."
    ratings = list(user.ratings.all())
    return {
        "username": user.username, "display_name": user.display_name, "avatar_url": http_url(user.avatar_url),
        "location": user.location, "about": user.about, "member_since": user.member_since,
        "ratings_count": user.ratings_count, "reviews_count": user.reviews_count, "lists_count": user.lists_count,
        "followers_count": user.followers_count, "following_count": user.following_count,
        "rating_distribution": user.rating_distribution, "social_links": {k: v for k, v in (user.social_links or {}).items() if http_url(v)},
        "favorites": [album_summary_payload(f.album) for f in user.favorites.all()],
        "recent_ratings": [_rating(r) for r in ratings if r.kind == "rating"],
        "recent_reviews": [_rating(r) for r in ratings if r.kind == "review"],
        "fetched_at": user.fetched_at, "stale": served.stale, "refreshing": served.refreshing, "notice": notice,
    }
