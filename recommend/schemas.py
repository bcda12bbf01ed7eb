"""API schemas for recommend."""
from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema
from pydantic import field_validator


class RecommendIn(Schema):
    url: str = Field(..., max_length=500, description="A Spotify track or playlist link or URI.")
    limit: int = Field(15, description="How many tracks, 1 to 50.")
    market: str | None = Field(None, description="Two-letter country code (ISO 3166-1 alpha-2), e.g. US.")

    @field_validator("limit")
    @classmethod
    def _limit(cls, value: int) -> int:
        if not 1 <= value <= 50:
            raise ValueError("limit must be between 1 and 50")
        return value

    @field_validator("market")
    @classmethod
    def _market(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if len(value) != 2 or not value.isascii() or not value.isalpha():
            raise ValueError("market must be a two-letter country code such as US or GB")
        return value.upper()


class RecommendationOut(Schema):
    spotify_id: str | None
    title: str
    artists: list[str]
    album: str | None = None
    year: int | None = None
    cover_url: str = ""
    preview_url: str = ""
    spotify_url: str = ""
    similarity: float = Field(..., ge=0, le=1)
    explanation: str
    source: str
    confidence: str
    genres: list[str] = []


class RecommendSeedOut(Schema):
    kind: str
    title: str
    source: str
    confidence: str
    tracks: list[str]


class RecommendOut(Schema):
    seed: RecommendSeedOut
    index_version: int
    notes: list[str]
    items: list[RecommendationOut]


class RecommendHealthOut(Schema):
    ok: bool
    index_size: int
    index_type: str | None
    built_at: datetime | None
    message: str = ""


class RecommendPlaylistIn(Schema):
    url: str = Field(..., max_length=500)


class RecommendJobOut(Schema):
    job_id: int
    status: str
    label: str
    ws_url: str


class RecommendCatalogueOut(Schema):
    tracks: int
    with_features: int
    playlists: int
    by_source: dict[str, int]
    index: RecommendHealthOut
