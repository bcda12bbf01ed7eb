"""API schemas for listening, with the model's limits (texts ≤ 1000 characters, times from 2002 on)."""
from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

from .models import TEXT_MAX


class ListenOut(Schema):
    id: int
    listened_at: dt.datetime
    track_title: str
    artist_name: str
    release_name: str
    recording_identifier: str
    filename: str
    catalogue_track_key: str
    album_id: int | None
    recording_mbid: str
    release_mbid: str
    duration_seconds: int | None
    seconds_played: int | None
    source: str
    listenbrainz_state: str
    lastfm_state: str


class ListenIn(Schema):
    listened_at: dt.datetime | None = Field(None, description="When it was played; now when left out.")
    track_title: str = Field(..., min_length=1, max_length=TEXT_MAX)
    artist_name: str = Field(..., min_length=1, max_length=TEXT_MAX)
    release_name: str = Field("", max_length=TEXT_MAX)
    recording_identifier: str = Field("", max_length=100)
    filename: str = Field("", max_length=500)
    duration_seconds: int | None = Field(None, ge=0, le=86400)
    seconds_played: int | None = Field(None, ge=0, le=86400)
    recording_mbid: str = Field("", max_length=36)
    release_mbid: str = Field("", max_length=36)
    source: Literal["web", "import"] = "web"


class ListenFilter(Schema):
    since: dt.datetime | None = None
    until: dt.datetime | None = None


class StatsFilter(Schema):
    range: Literal["week", "month", "year", "all"] = "month"


class NamedCount(Schema):
    name: str
    plays: int
    artist: str | None = None
    identifier: str | None = None


class PeriodCount(Schema):
    period: str
    plays: int


class WeekdayCount(Schema):
    day: str
    plays: int


class ListenStatsOut(Schema):
    range: str
    since: str | None
    plays: int
    listening_seconds: int
    top_artists: list[NamedCount]
    top_releases: list[NamedCount]
    top_tracks: list[NamedCount]
    top_shows: list[NamedCount]
    by_hour: list[int]
    by_weekday: list[WeekdayCount]
    over_time: list[PeriodCount]
    period: str


class NowPlayingIn(Schema):
    track_title: str = Field(..., min_length=1, max_length=TEXT_MAX)
    artist_name: str = Field(..., min_length=1, max_length=TEXT_MAX)
    release_name: str = Field("", max_length=TEXT_MAX)
    recording_identifier: str = Field("", max_length=100)
    filename: str = Field("", max_length=500)
    duration_seconds: int | None = Field(None, ge=0, le=86400)


class NowPlayingOut(Schema):
    user_id: int
    username: str
    title: str
    artist: str
    release: str
    recording_identifier: str
    filename: str
    source: str
    minutes_ago: int


class QueueItem(Schema):
    identifier: str = Field("", max_length=100)
    file: str = Field("", max_length=500)
    title: str = Field("", max_length=TEXT_MAX)
    artist: str = Field("", max_length=TEXT_MAX)
    album: str = Field("", max_length=TEXT_MAX)
    url: str = Field("", max_length=TEXT_MAX)
    duration: float | None = Field(None, ge=0, le=86400)


class QueueIn(Schema):
    items: list[QueueItem] = Field(default_factory=list, max_length=2000)
    index: int = Field(0, ge=0, le=2000)
    position: float = Field(0, ge=0, le=86400)


class QueueOut(Schema):
    items: list[QueueItem] = []
    index: int = 0
    position: float = 0


class PlayerTrack(Schema):
    identifier: str
    file: str
    title: str
    artist: str
    album: str
    duration: float | None
    url: str


class PlayerTracksOut(Schema):
    identifier: str
    title: str
    local: bool
    tracks: list[PlayerTrack]
