"""API schemas for tracks. Statuses are the readable strings; dates forgive "" and junk (stored as null)."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.urls import reverse
from ninja import Field, FilterSchema, Schema
from pydantic import BeforeValidator, field_validator

from integrations.spotify.client import is_spotify_id

from .fields import safe_date
from .models import BIO_MAX, LONG_TEXT_MAX

StatusStr = Literal["Future Plans", "In Progress", "Released"]
Priority = Annotated[int, Field(ge=1, le=5)]
SafeDate = Annotated[dt.date | None, BeforeValidator(safe_date)]
PermissionStr = Literal["song_edit", "pack_view", "pack_edit"]


# -- songs ---------------------------------------------------------------------------------------
class SongStepOut(Schema):
    step_id: int
    name: str
    position: int
    done: bool


class SongOut(Schema):
    id: int
    title: str
    artist: str
    album: str
    year: int | None
    status: StatusStr
    priority: int
    owner: str
    pack_id: int | None
    pack_name: str | None
    album_series_id: int | None
    notes: str
    release_date: dt.date | None
    cover_url: str
    spotify_track_id: str
    spotify_album: str
    spotify_cover_url: str
    spotify_release_year: int | None
    spotify_duration_ms: int | None
    steps_done: int
    steps_total: int
    progress: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_owner(obj) -> str:
        return obj.owner.username

    @staticmethod
    def resolve_pack_name(obj) -> str | None:
        return obj.pack.name if obj.pack_id else None

    @staticmethod
    def resolve_cover_url(obj) -> str:
        return obj.cover_src or ""

    @staticmethod
    def resolve_spotify_cover_url(obj) -> str:
        # our cover route (stored copy or placeholder), never Spotify's CDN
        return reverse("tracks:song_cover", args=[obj.pk]) if obj.spotify_cover_url else ""

    @staticmethod
    def resolve_steps_done(obj) -> int:
        return getattr(obj, "steps_done", 0)

    @staticmethod
    def resolve_steps_total(obj) -> int:
        return getattr(obj, "steps_total", 0)

    @staticmethod
    def resolve_progress(obj) -> int:
        return 100 if obj.status == "Released" else getattr(obj, "steps_pct", 0)


class SongDetailOut(SongOut):
    steps: list[SongStepOut]
    role: str

    @staticmethod
    def resolve_steps(obj) -> list[dict]:
        return [{"step_id": s.step_id, "name": s.step.name, "position": s.step.position, "done": s.done}
                for s in obj.steps.all()]

    @staticmethod
    def resolve_role(obj) -> str:
        return obj.role.name.lower() if hasattr(obj, "role") else "owner"


class SongIn(Schema):
    title: str = Field(min_length=1, max_length=200)
    artist: str = Field(min_length=1, max_length=200)
    album: str = Field("", max_length=200)
    year: int | None = Field(None, ge=1000, le=2999)
    status: StatusStr = "Future Plans"
    priority: Priority = 3
    pack_id: int | None = None
    album_series_id: int | None = None
    notes: str = Field("", max_length=LONG_TEXT_MAX)
    release_date: SafeDate = None

    @field_validator("year", mode="before")
    @classmethod
    def _blank_year(cls, value: Any) -> Any:
        return None if value == "" else value


class SongPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=200)
    artist: str | None = Field(None, min_length=1, max_length=200)
    album: str | None = Field(None, max_length=200)
    year: int | None = Field(None, ge=1000, le=2999)
    status: StatusStr | None = None
    priority: Priority | None = None
    pack_id: int | None = None
    album_series_id: int | None = None
    notes: str | None = Field(None, max_length=LONG_TEXT_MAX)
    release_date: SafeDate = None

    @field_validator("year", mode="before")
    @classmethod
    def _blank_year(cls, value: Any) -> Any:
        return None if value == "" else value


class SongBatchIn(Schema):
    songs: list[SongIn] = Field(min_length=1, max_length=500)


class SongIdsIn(Schema):
    ids: list[int] = Field(min_length=1, max_length=1000)


class SongBulkStatusIn(SongIdsIn):
    status: StatusStr


class SongBulkPackIn(SongIdsIn):
    pack_id: int | None


class StepSetIn(Schema):
    done: bool


class SongFilter(FilterSchema):
    status: StatusStr | None = None
    pack_id: int | None = None
    album_series_id: int | None = None
    artist: str | None = Field(None, max_length=200)
    search: str | None = Field(None, max_length=200)
    scope: Literal["all", "mine", "shared"] = "all"
    sort: Literal["priority", "title", "artist", "status", "updated", "created", "year", "progress"] = "priority"


class CountOut(Schema):
    count: int


# -- workflow -----------------------------------------------------------------------------------------
class WorkflowStepOut(Schema):
    id: int
    name: str
    position: int


class WorkflowStepIn(Schema):
    name: str = Field(min_length=1, max_length=80)
    position: int | None = Field(None, ge=0)


class WorkflowStepPatch(Schema):
    name: str = Field(min_length=1, max_length=80)


class WorkflowOrderIn(Schema):
    step_ids: list[int]


# -- packs ------------------------------------------------------------------------------------------
class PackOut(Schema):
    id: int
    name: str
    priority: int
    status: StatusStr
    owner: str
    release_date: dt.date | None
    release_notes: str
    download_url: str
    video_url: str
    cover_url: str
    song_count: int
    released_count: int

    @staticmethod
    def resolve_owner(obj) -> str:
        return obj.owner.username

    @staticmethod
    def resolve_cover_url(obj) -> str:
        return obj.cover.url if obj.cover else ""

    @staticmethod
    def resolve_song_count(obj) -> int:
        if hasattr(obj, "song_count"):
            return obj.song_count
        return obj.songs.count()

    @staticmethod
    def resolve_released_count(obj) -> int:
        if hasattr(obj, "released_count"):
            return obj.released_count
        return obj.songs.filter(status="Released").count()


class PackIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    priority: Priority = 3
    status: StatusStr = "Future Plans"
    release_date: SafeDate = None
    release_notes: str = Field("", max_length=LONG_TEXT_MAX)
    download_url: str = Field("", max_length=500)
    video_url: str = Field("", max_length=500)


class PackPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    priority: Priority | None = None
    status: StatusStr | None = None
    release_date: SafeDate = None
    release_notes: str | None = Field(None, max_length=LONG_TEXT_MAX)
    download_url: str | None = Field(None, max_length=500)
    video_url: str | None = Field(None, max_length=500)


class PackReleaseIn(Schema):
    release_date: SafeDate = None


class PackFilter(FilterSchema):
    status: StatusStr | None = None
    search: str | None = Field(None, max_length=200)


# -- album series -------------------------------------------------------------------------------------
class TrackOut(Schema):
    number: int
    title: str
    state: Literal["done", "in_progress", "planned", "missing", "irrelevant"]
    song_id: int | None
    duration_ms: int | None


class AlbumSeriesOut(Schema):
    id: int
    series_number: int | None
    artist: str
    album: str
    year: int | None
    cover_url: str
    description: str
    status: StatusStr
    spotify_album_id: str
    song_count: int
    tracklist_fetched_at: dt.datetime | None

    @staticmethod
    def resolve_cover_url(obj) -> str:
        if isinstance(obj, dict):  # the detail view passes a ready dict
            return obj["cover_url"]
        return obj.cover_src

    @staticmethod
    def resolve_song_count(obj) -> int:
        if isinstance(obj, dict):
            return obj["song_count"]
        return obj.song_count if hasattr(obj, "song_count") else obj.songs.count()


class AlbumSeriesDetailOut(AlbumSeriesOut):
    tracks: list[TrackOut]
    extras: list[int]
    counts: dict[str, int]
    percent: int


class AlbumSeriesIn(Schema):
    series_number: int | None = Field(None, ge=0)
    artist: str = Field(min_length=1, max_length=200)
    album: str = Field(min_length=1, max_length=200)
    year: int | None = Field(None, ge=1000, le=2999)
    description: str = Field("", max_length=LONG_TEXT_MAX)
    status: StatusStr = "Future Plans"
    spotify_album_id: str = Field("", max_length=64, description="Empty, or a 22-character Spotify album id.")

    @field_validator("spotify_album_id")
    @classmethod
    def _spotify_album_id(cls, value: str | None) -> str | None:
        if value and not is_spotify_id(value):
            raise ValueError("a Spotify album id is 22 letters and digits")
        return value


class AlbumSeriesPatch(Schema):
    series_number: int | None = Field(None, ge=0)
    artist: str | None = Field(None, min_length=1, max_length=200)
    album: str | None = Field(None, min_length=1, max_length=200)
    year: int | None = Field(None, ge=1000, le=2999)
    description: str | None = Field(None, max_length=LONG_TEXT_MAX)
    status: StatusStr | None = None
    spotify_album_id: str | None = Field(None, max_length=64)

    @field_validator("spotify_album_id")
    @classmethod
    def _spotify_album_id(cls, value: str | None) -> str | None:
        if value and not is_spotify_id(value):
            raise ValueError("a Spotify album id is 22 letters and digits")
        return value


class TrackMarkIn(Schema):
    title: str = Field(min_length=1, max_length=300)
    irrelevant: bool = True


class SeriesFilter(FilterSchema):
    status: StatusStr | None = None
    search: str | None = Field(None, max_length=200)


# -- collaborations --------------------------------------------------------------------------------------
class CollaborationOut(Schema):
    id: int
    song_id: int | None
    pack_id: int | None
    target: str
    username: str
    invited_by: str
    permission: PermissionStr
    state: Literal["pending", "accepted", "declined"]
    message: str
    created_at: dt.datetime

    @staticmethod
    def resolve_target(obj) -> str:
        return str(obj.song or obj.pack)

    @staticmethod
    def resolve_username(obj) -> str:
        return obj.user.username

    @staticmethod
    def resolve_invited_by(obj) -> str:
        return obj.invited_by.username


class CollaborationIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    song_id: int | None = None
    pack_id: int | None = None
    permission: PermissionStr | None = None
    message: str = Field("", max_length=300)


class CollaborationBatchIn(Schema):
    pack_id: int
    usernames: list[str] = Field(min_length=1, max_length=50)
    permission: Literal["pack_view", "pack_edit"] = "pack_view"
    message: str = Field("", max_length=300)


class CollaborationPatch(Schema):
    permission: PermissionStr


class CollaborationFilter(FilterSchema):
    state: Literal["pending", "accepted", "declined"] | None = None


# -- achievements and profile ----------------------------------------------------------------------------
class AchievementOut(Schema):
    code: str
    name: str
    description: str
    category: str
    points: int
    rarity: str
    earned: bool
    awarded_at: dt.datetime | None
    new: bool


class AchievementsOut(Schema):
    points: int
    possible: int
    earned_count: int
    items: list[AchievementOut]


class ProfileOut(Schema):
    username: str
    display_name: str
    bio: str
    image_url: str
    is_public: bool


class ProfileIn(Schema):
    display_name: str | None = Field(None, max_length=80)
    bio: str | None = Field(None, max_length=BIO_MAX)
    is_public: bool | None = None


class StatsOut(Schema):
    songs: int
    in_progress: int
    released: int
    finished: int
    packs: int
    packs_released: int
    album_series: int
    collaborations: int
    streak_days: int


class PublicSongOut(Schema):
    title: str
    artist: str
    album: str
    release_date: dt.date | None
    pack_name: str | None

    @staticmethod
    def resolve_pack_name(obj) -> str | None:
        return obj.pack.name if obj.pack_id else None


class PublicPackOut(Schema):
    name: str
    release_date: dt.date | None
    download_url: str
    video_url: str
    song_count: int


class PublicProfileOut(Schema):
    username: str
    display_name: str
    bio: str
    image_url: str
    points: int
    stats: StatsOut
    songs: list[PublicSongOut]
    packs: list[PublicPackOut]
    achievements: list[AchievementOut]


class DashboardOut(Schema):
    counts: dict[str, int]
    total: int
    average_pct: int
    points: int
    invitations: int


# -- Spotify ---------------------------------------------------------------------------------------------
class SpotifyMatchOut(Schema):
    track_id: str
    title: str
    artists: str
    album: str
    year: int | None
    cover_url: str
    duration_ms: int | None
    score: float


class EnrichIn(Schema):
    track_id: str | None = Field(None, max_length=64, description="Apply this Spotify track instead of searching.")


class EnrichOut(Schema):
    applied: bool
    song: SongOut | None
    candidates: list[SpotifyMatchOut]
    detail: str


class BulkEnrichIn(Schema):
    ids: list[int] | None = Field(None, max_length=1000, description="Songs to enrich; default: all not yet enriched.")


class JobOut(Schema):
    id: int
    status: str
    done: int
    total: int
    label: str
    message: str


class PlaylistImportIn(Schema):
    url: str = Field(min_length=1, max_length=500, description="A Spotify playlist link, URI or id.")


class PlaylistImportOut(Schema):
    created: int
    skipped: int
    songs: list[SongOut]
