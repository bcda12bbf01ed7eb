"""Writes for AOTY user profiles: scrape, store, and serve with stale-while-revalidate (TTL: AOTY_USER_TTL)."""
from __future__ import annotations

import re

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from albums import services as album_services
from common.exceptions import InvalidInput
from integrations.aoty import parser
from integrations.aoty.types import UserProfile

from .models import AotyUser, AotyUserFavorite, AotyUserRating

# fullmatch, never ^...$ with .match: "$" also matches before a trailing newline.
USERNAME = re.compile(r"[A-Za-z0-9_.\-]{1,60}")


def username_normalize(username: str) -> str:
    """AOTY profile slugs are lower-case, with underscores shown as hyphens in URLs."""
    username = (username or "").strip(" /")
    if not USERNAME.fullmatch(username):
        raise InvalidInput("A username has 1–60 letters, digits, dots, hyphens or underscores.", field="username")
    return username.lower().replace("_", "-")


@transaction.atomic
def aoty_user_save(*, profile: UserProfile) -> AotyUser:
    """Stores a parsed profile: counts, distribution, favourites and recent ratings/reviews (albums as stubs)."""
    user, _ = AotyUser.objects.select_for_update().update_or_create(
        username=profile.username.lower(),
        defaults={
            "display_name": profile.display_name[:150], "avatar_url": parser.http_url(profile.avatar_url)[:500], "location": profile.location[:200],
            "about": profile.about, "member_since": profile.member_since[:60],
            "ratings_count": profile.ratings_count, "reviews_count": profile.reviews_count,
            "lists_count": profile.lists_count, "followers_count": profile.followers_count,
            "following_count": profile.following_count, "rating_distribution": profile.rating_distribution,
            "social_links": profile.social_links, "fetched_at": timezone.now(),
            "is_demo": False,  # a real scrape makes a demo profile real (unload_demo keeps it)
        },
    )
    user.favorites.all().delete()
    AotyUserFavorite.objects.bulk_create(
        [AotyUserFavorite(aoty_user=user, album=album_services.album_stub_upsert(summary=s), position=i)
         for i, s in enumerate(profile.favorites)], ignore_conflicts=True)
    user.ratings.all().delete()
    rows = []
    for kind, items in ((AotyUserRating.Kind.RATING, profile.recent_ratings), (AotyUserRating.Kind.REVIEW, profile.recent_reviews)):
        for i, item in enumerate(items):
            rows.append(AotyUserRating(aoty_user=user, album=album_services.album_stub_upsert(summary=item.album), kind=kind,
                                       rating=item.rating, text=item.text, date_text=item.date_text[:60], position=i))
    AotyUserRating.objects.bulk_create(rows, ignore_conflicts=True)
    return user


def aoty_user_fetch(*, username: str, refresh: bool = False) -> AotyUser:
    """Fetches (or reads from cache), parses and stores /user/<username>/. Raises integration errors."""
    profile = album_services.fetch_parsed(kind="user", path=f"/user/{username}/", parse=parser.parse_user_profile,
                                          ttl=settings.AOTY_USER_TTL, refresh=refresh)
    return aoty_user_save(profile=profile)


def aoty_user_refresh(*, aoty_user_id: int) -> AotyUser | None:
    """Re-scrapes a stored profile (background refresh). Returns None when the profile is gone."""
    user = AotyUser.objects.filter(pk=aoty_user_id).first()
    if user is None:
        return None
    try:
        return aoty_user_fetch(username=user.username, refresh=True)
    finally:
        album_services.refresh_done(kind="aoty_user", object_id=aoty_user_id)


def aoty_user_serve(*, username: str, refresh: bool = False) -> album_services.Served:
    """A stored profile (fetched when unknown or refresh=True; refreshed in the background when stale)."""
    from .tasks import aoty_user_refresh_task

    username = username_normalize(username)
    user = AotyUser.objects.filter(username=username).first()
    if user is not None and not refresh:
        AotyUser.objects.filter(pk=user.pk).update(view_count=F("view_count") + 1)
    return album_services.serve(
        stored=user, fetch_now=user is None or refresh,
        fetch=lambda: aoty_user_fetch(username=username, refresh=refresh),
        stale=user is not None and album_services.is_stale(user.fetched_at, settings.AOTY_USER_TTL),
        refresh_kind="aoty_user", refresh_task=aoty_user_refresh_task,
        not_found=f"AOTY has no user called {username}.",
    )
