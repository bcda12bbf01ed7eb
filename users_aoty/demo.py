"""Offline demo content for AOTY users: one profile whose albums come from albums/demo.py. No network."""
from __future__ import annotations

from typing import Any

from common.types import AuthUser
from integrations.aoty.types import UserProfile, UserRatingItem

DEMO_USERNAME = "vinylmole"


def load(*, user: AuthUser, staff: AuthUser, stdout: Any) -> None:
    from albums.demo import ALBUMS, summary

    from .models import AotyUser
    from .services import aoty_user_save

    was_real = AotyUser.objects.filter(username=DEMO_USERNAME, is_demo=False).exists()

    by_id = {row[0]: row for row in ALBUMS}
    aoty_user_save(profile=UserProfile(
        username=DEMO_USERNAME, display_name="VinylMole", location="Leeds, UK", member_since="May 2019",
        about="Crate digger. Mostly jazz, dub and whatever the Needle Drop hated this week.",
        ratings_count=2418, reviews_count=312, lists_count=27, followers_count=1045, following_count=88,
        favorites=[summary(by_id[i]) for i in (29250, 3840, 1709944)],
        recent_ratings=[UserRatingItem(album=summary(by_id[1679045]), rating=85, date_text="2d"),
                        UserRatingItem(album=summary(by_id[1773807]), rating=62, date_text="5d")],
        recent_reviews=[UserRatingItem(album=summary(by_id[564912]), rating=78, date_text="3mo",
                                       text="Eight years for this? Honestly, yes. The second half is his best run of songs.")],
        rating_distribution={"100": 12, "90-99": 131, "80-89": 604, "70-79": 898, "60-69": 455, "50-59": 197, "40-49": 74,
                             "30-39": 28, "20-29": 11, "10-19": 5, "0-9": 3},
        social_links={"lastfm": "https://www.last.fm/user/vinylmole"},
    ))
    if not was_real:
        AotyUser.objects.filter(username=DEMO_USERNAME).update(is_demo=True)
    stdout.write(f"  users_aoty: 1 AOTY user profile ({DEMO_USERNAME})")


def unload(*, stdout: Any) -> None:
    """Removes the demo profile (a profile a real scrape stored is never marked, so it stays)."""
    from .models import AotyUser

    removed, _ = AotyUser.objects.filter(is_demo=True).delete()
    stdout.write(f"  users_aoty: removed {removed} demo rows")
