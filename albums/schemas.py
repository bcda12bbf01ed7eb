"""API schemas for albums, each with explicit fields."""
from __future__ import annotations

from datetime import date, datetime

from ninja import Schema


class ArtistOut(Schema):
    id: int
    name: str
    aoty_id: int | None = None
    url: str = ""


class AlbumTrackOut(Schema):
    disc: int
    number: int
    title: str
    length_seconds: int | None = None
    length: str = ""
    rating: int | None = None
    rating_count: int | None = None
    featured_artists: list[str] = []
    notes: str = ""


class CriticReviewOut(Schema):
    publication: str
    author: str = ""
    score: int | None = None
    excerpt: str = ""
    url: str = ""


class UserReviewOut(Schema):
    username: str
    display_name: str = ""
    rating: int | None = None
    text: str = ""
    likes: int = 0
    date: str = ""
    section: str


class LinkOut(Schema):
    name: str
    url: str
    kind: str


class CreditOut(Schema):
    name: str
    roles: list[str] = []
    aoty_id: int | None = None


class AlbumSummaryOut(Schema):
    id: int
    aoty_id: int
    title: str
    artist: str
    year: int | None = None
    type: str = ""
    cover: str = ""  # this site's copy (or placeholder): works offline
    cover_url: str = ""  # AOTY's image, for reference only
    critic_score: int | None = None
    critic_count: int | None = None
    user_score: int | None = None
    user_count: int | None = None
    must_hear: bool = False
    url: str
    aoty_url: str = ""
    fetched: bool


class AlbumOut(Schema):
    id: int
    aoty_id: int
    aoty_url: str
    url: str
    title: str
    artist: str
    artists: list[ArtistOut]
    release_date: date | None = None
    release_date_text: str = ""
    year: int | None = None
    type: str = ""
    labels: list[str]
    genres: list[str]
    secondary_genres: list[str]
    tags: list[str]
    cover: str = ""
    cover_url: str = ""
    critic_score: int | None = None
    critic_count: int | None = None
    user_score: int | None = None
    user_count: int | None = None
    must_hear: bool
    total_length: str = ""
    tracks: list[AlbumTrackOut]
    critic_reviews: list[CriticReviewOut]
    user_reviews: list[UserReviewOut]
    buy_links: list[LinkOut]
    stream_links: list[LinkOut]
    similar: list[AlbumSummaryOut]
    stats: dict[str, int] = {}
    credits: dict[str, list[CreditOut]] = {}
    fetched_at: datetime | None = None
    stale: bool = False
    refreshing: bool = False
    notice: str = ""


class SimilarOut(Schema):
    album_id: int
    similar: list[AlbumSummaryOut]
    fetched_at: datetime | None = None
    stale: bool = False
    notice: str = ""


class SearchOut(Schema):
    query: str
    albums: list[AlbumSummaryOut]
    artists: list[ArtistOut]
    from_aoty: bool
    notice: str = ""


class DiscoverEntryOut(Schema):
    position: int
    rank: int | None = None
    date: str = ""
    blurb: str = ""
    album: AlbumSummaryOut


class DiscoverOut(Schema):
    key: str
    title: str
    page: int
    has_next: bool
    fetched_at: datetime | None = None
    stale: bool = False
    refreshing: bool = False
    notice: str = ""
    items: list[DiscoverEntryOut]
