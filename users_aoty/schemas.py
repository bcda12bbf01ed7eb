"""API schemas for AOTY user profiles."""
from __future__ import annotations

from datetime import datetime

from ninja import Schema

from albums.schemas import AlbumSummaryOut


class UserRatingOut(Schema):
    album: AlbumSummaryOut
    rating: int | None = None
    text: str = ""
    date: str = ""


class AotyUserOut(Schema):
    username: str
    display_name: str
    avatar_url: str = ""
    location: str = ""
    about: str = ""
    member_since: str = ""
    ratings_count: int
    reviews_count: int
    lists_count: int
    followers_count: int
    following_count: int
    rating_distribution: dict[str, int]
    social_links: dict[str, str]
    favorites: list[AlbumSummaryOut]
    recent_ratings: list[UserRatingOut]
    recent_reviews: list[UserRatingOut]
    fetched_at: datetime | None = None
    stale: bool = False
    refreshing: bool = False
    notice: str = ""
