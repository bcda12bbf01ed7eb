"""API schemas for archive."""
from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field, model_validator


class SearchFilter(Schema):
    q: str = Field("", max_length=200)
    artist: str = Field("", max_length=200)
    venue: str = Field("", max_length=200)
    year: int | None = Field(None, ge=1900, le=2100)
    range: str = Field("", pattern=r"^(|7d|30d|90d|1y)$", description="Added recently: 7d, 30d, 90d or 1y.")
    date_from: dt.date | None = Field(None, description="Concert date from (YYYY-MM-DD).")
    date_to: dt.date | None = None
    sort: str = Field("relevance", pattern=r"^(relevance|date|addeddate|title)$")
    page: int = Field(1, ge=1, le=1000)
    rows: int = Field(25, ge=1, le=100)


class SearchDocOut(Schema):
    identifier: str
    title: str
    creator: str
    date: str
    venue: str
    coverage: str
    source: str
    source_type: str
    formats: list[str]
    avg_rating: float | None
    num_reviews: int
    downloads: int
    addeddate: str


class ArchiveSearchOut(Schema):
    total: int
    page: int
    rows: int
    cached: bool
    results: list[SearchDocOut]


class FileOut(Schema):
    name: str
    format: str
    size: int | None
    md5: str
    sha1: str
    length: float | None
    title: str
    track: int | None
    private: bool
    source: str


class AudioGroupOut(Schema):
    format: str
    label: str
    lossless: bool
    downloadable: bool
    total_size: int
    total_length: float
    tracks: list[FileOut]


class FileGroupsOut(Schema):
    audio: list[AudioGroupOut]
    checksums: list[FileOut]
    text: list[FileOut]
    images: list[FileOut]
    other: list[FileOut]


class ReviewOut(Schema):
    title: str
    body: str
    reviewer: str
    date: str
    stars: int | None


class ItemOut(Schema):
    identifier: str
    title: str
    creator: str
    date: str
    venue: str
    coverage: str
    source: str
    source_type: str
    taper: str
    transferer: str
    lineage: str
    notes: str
    description: str
    runtime: str
    collections: list[str]
    stream_only: bool
    avg_rating: float | None
    num_reviews: int
    reviews: list[ReviewOut]
    files: FileGroupsOut


class DirectoryOut(Schema):
    identifier: str
    path: str
    directories: list[str]
    files: list[FileOut]


class CacheStatsOut(Schema):
    entries: int
    size_bytes: int
    hits: int
    misses: int
    hit_rate: float
    by_kind: dict[str, int]


class DownloadIn(Schema):
    identifier: str = Field(..., min_length=1, max_length=100)  # the model's (and the archive's) limit
    file: str = Field("", max_length=1000)
    format: str = Field("", max_length=64)

    @model_validator(mode="after")
    def one_of(self) -> DownloadIn:
        if bool(self.file) == bool(self.format):
            raise ValueError("give either file (one file) or format (a whole recording)")
        return self


class DownloadOut(Schema):
    id: int
    identifier: str
    file: str
    title: str
    track_title: str
    creator: str
    format: str
    status: str
    bytes_done: int
    bytes_total: int
    progress: int
    md5: str
    sha1: str
    path: str
    source_url: str
    error: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    completed_at: dt.datetime | None
    updated_at: dt.datetime

    @staticmethod
    def resolve_file(obj: Any) -> str:
        return obj.file_name


class DownloadBatchOut(Schema):
    identifier: str
    format: str
    created: bool
    downloads: list[DownloadOut]


class DownloadFilter(Schema):
    status: str = Field("", pattern=r"^(|pending|downloading|completed|failed|cancelled)$")
    identifier: str = Field("", max_length=100)
