"""API schemas for concerts."""
from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field


class ConcertFilter(Schema):
    artist: str = Field("", max_length=300)
    year: int | None = Field(None, ge=1800, le=2100)
    q: str = Field("", max_length=200)


class ConcertSearch(Schema):
    q: str = Field(..., min_length=1, max_length=200)


class RecordingOut(Schema):
    identifier: str
    rank: int
    score: float
    title: str
    source_type: str
    soundboard: bool
    lossless: bool
    source: str
    taper: str
    transferer: str
    lineage: str
    format: str
    track_count: int | None
    total_size: int | None
    length: float | None
    avg_rating: float | None
    num_reviews: int
    downloads: int
    addeddate: str


class ConcertOut(Schema):
    id: int
    artist: str
    artist_slug: str
    date: str = Field(..., description="YYYY-MM-DD; 00 marks an unknown month or day.")
    partial_date: bool
    year: int
    venue: str
    location: str
    recordings_count: int
    best_identifier: str
    best_reason: str
    updated_at: dt.datetime

    @staticmethod
    def resolve_date(obj) -> str:
        return obj.date_text

    @staticmethod
    def resolve_partial_date(obj) -> bool:
        return obj.date is None


class ConcertDetailOut(ConcertOut):
    recordings: list[RecordingOut] = Field(..., description="Best first.")

    @staticmethod
    def resolve_recordings(obj) -> list:
        from .selectors import recordings_for_concert

        return list(recordings_for_concert(concert=obj))
