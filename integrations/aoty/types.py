"""Typed results of the AOTY parsers. Plain dataclasses: pure data, no Django."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class ArtistRef:
    name: str
    aoty_id: int | None = None
    slug: str = ""
    url: str = ""
    image_url: str = ""


@dataclass(frozen=True)
class NamedRef:
    """A label, genre, publication or tag: a name and, when linked, its AOTY id and path."""

    name: str
    aoty_id: int | None = None
    url: str = ""


@dataclass
class AlbumSummary:
    """An album as it appears in a grid, search result, list or similar block."""

    aoty_id: int
    slug: str
    title: str
    url: str
    artist: str = ""
    artist_ref: ArtistRef | None = None
    cover_url: str = ""
    album_type: str = ""
    date_text: str = ""
    year: int | None = None
    critic_score: int | None = None
    critic_count: int | None = None
    user_score: int | None = None
    user_count: int | None = None
    must_hear: bool = False


@dataclass
class Track:
    number: int
    title: str
    disc: int = 1
    length_seconds: int | None = None
    rating: int | None = None
    rating_count: int | None = None
    featured_artists: list[str] = field(default_factory=list)
    notes: str = ""
    aoty_song_id: int | None = None


@dataclass
class CriticReview:
    publication: str
    score: int | None
    excerpt: str = ""
    author: str = ""
    url: str = ""
    publication_url: str = ""
    aoty_id: int | None = None
    date_text: str = ""


@dataclass
class UserReview:
    username: str
    display_name: str
    rating: int | None
    text: str = ""
    likes: int = 0
    date_text: str = ""
    aoty_id: int | None = None
    section: str = "popular"  # "popular" or "recent"
    avatar_url: str = ""


@dataclass
class ExternalLink:
    name: str
    url: str
    kind: str = "buy"  # "buy" or "stream"


@dataclass
class AlbumPage:
    aoty_id: int
    slug: str
    url: str
    title: str
    artists: list[ArtistRef]
    release_date: date | None = None
    release_date_text: str = ""
    album_type: str = ""
    labels: list[NamedRef] = field(default_factory=list)
    genres: list[NamedRef] = field(default_factory=list)
    secondary_genres: list[NamedRef] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    cover_url: str = ""
    critic_score: int | None = None
    critic_score_exact: float | None = None
    critic_count: int | None = None
    user_score: int | None = None
    user_score_exact: float | None = None
    user_count: int | None = None
    must_hear: bool = False
    tracks: list[Track] = field(default_factory=list)
    total_length_text: str = ""
    critic_reviews: list[CriticReview] = field(default_factory=list)
    user_reviews: list[UserReview] = field(default_factory=list)
    links: list[ExternalLink] = field(default_factory=list)
    similar: list[AlbumSummary] = field(default_factory=list)
    more_by_artist: list[AlbumSummary] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SearchResults:
    query: str
    albums: list[AlbumSummary] = field(default_factory=list)
    artists: list[ArtistRef] = field(default_factory=list)
    labels: list[NamedRef] = field(default_factory=list)
    total_albums: int | None = None
    total_artists: int | None = None
    total_labels: int | None = None


@dataclass
class AlbumGrid:
    title: str
    albums: list[AlbumSummary]
    page: int = 1
    has_next: bool = False


@dataclass
class ListEntry:
    rank: int
    album: AlbumSummary
    blurb: str = ""
    review_url: str = ""


@dataclass
class PublicationList:
    title: str
    entries: list[ListEntry]
    source_url: str = ""
    aoty_id: int | None = None


@dataclass
class ListLink:
    title: str
    publication: str
    url: str
    aoty_id: int | None = None


@dataclass
class ListIndex:
    title: str
    lists: list[ListLink]


@dataclass
class UserRatingItem:
    album: AlbumSummary
    rating: int | None
    text: str = ""
    date_text: str = ""


@dataclass
class UserProfile:
    username: str
    display_name: str
    avatar_url: str = ""
    location: str = ""
    about: str = ""
    member_since: str = ""
    ratings_count: int = 0
    reviews_count: int = 0
    lists_count: int = 0
    followers_count: int = 0
    following_count: int = 0
    favorites: list[AlbumSummary] = field(default_factory=list)
    recent_ratings: list[UserRatingItem] = field(default_factory=list)
    recent_reviews: list[UserRatingItem] = field(default_factory=list)
    rating_distribution: dict[str, int] = field(default_factory=dict)
    social_links: dict[str, str] = field(default_factory=dict)


@dataclass
class AlbumStats:
    favorites: int | None = None
    likes: int | None = None
    listens: int | None = None
    in_library: int | None = None
    lists: int | None = None


@dataclass
class Credit:
    name: str
    roles: list[str]
    artist: ArtistRef | None = None


@dataclass
class AlbumCredits:
    sections: dict[str, list[Credit]]
