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


class PerformanceLineOut(Schema):
    position: int
    set_label: str
    title: str
    song_id: int | None
    segue_in: bool
    segue_out: bool
    reprise: bool
    non_song: bool
    length: float | None
    identifier: str = Field(..., description="The recording to play it from.")
    file_name: str


class SetOut(Schema):
    label: str = Field(..., description="1, 2, 3 or E.")
    name: str
    songs: list[PerformanceLineOut]


class SetlistOut(Schema):
    concert_id: int
    source_identifier: str = Field(..., description="The recording whose setlist was agreed (the best one).")
    disagreements: list[dict] = Field(..., description="Other recordings whose setlists differ, and how.")
    sets: list[SetOut]


class ConcertSongFilter(Schema):
    artist: str = Field("", max_length=300)
    q: str = Field("", max_length=200)
    order: str = Field("title", pattern=r"^(title|played|last|length)$")


class ConcertSongOut(Schema):
    id: int
    artist: str
    artist_slug: str
    title: str
    times_played: int
    first_played: str | None
    last_played: str | None
    avg_length: float | None


class SongPerformanceOut(Schema):
    concert_id: int
    date: str
    venue: str
    location: str
    set: str
    length: float | None
    segue_in: bool
    segue_out: bool
    reprise: bool
    identifier: str
    file_name: str


class SongStatsOut(Schema):
    times_played: int
    first_played: str | None
    last_played: str | None
    longest: SongPerformanceOut | None
    shortest: SongPerformanceOut | None
    gap: int | None = Field(None, description="The artist's shows since it was last played.")


class ConcertSongDetailOut(Schema):
    id: int
    artist: str
    artist_slug: str
    title: str
    stats: SongStatsOut
    performances: list[SongPerformanceOut]


class OnThisDayFilter(Schema):
    date: str = Field("", max_length=5, description="MM-DD; today when empty.")
    artist: str = Field("", max_length=300)


class QualityTrackOut(Schema):
    file_name: str
    duration: float
    sample_rate: int
    channels: int
    bandwidth_hz: float
    shelf_hz: float | None
    clipping_ratio: float
    loudness_lufs: float | None
    loudness_range: float | None
    peak: float


class QualityOut(Schema):
    identifier: str
    rank: int
    duration: float
    bandwidth_hz: float | None
    shelf_hz: float | None
    lossy_sourced: bool
    clipping_ratio: float
    loudness_lufs: float | None
    loudness_range: float | None
    shortfall: float
    reference_identifier: str
    gaps: list[dict]
    reasons: list[str]
    tracks: list[QualityTrackOut]
    updated_at: dt.datetime

    @staticmethod
    def resolve_identifier(obj) -> str:
        return obj.recording.identifier

    @staticmethod
    def resolve_rank(obj) -> int:
        return obj.recording.rank
