from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ListenPayload:
    """One listen as ListenBrainz's submit-listens takes it (listened_at is left out for playing_now)."""

    track_name: str
    artist_name: str
    release_name: str = ""
    listened_at: int | None = None
    duration_ms: int | None = None
    recording_mbid: str = ""
    release_mbid: str = ""
    origin_url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        info: dict[str, Any] = {"media_player": "Stylus", "submission_client": "Stylus", **self.extra}
        if self.duration_ms:
            info["duration_ms"] = self.duration_ms
        if self.recording_mbid:
            info["recording_mbid"] = self.recording_mbid
        if self.release_mbid:
            info["release_mbid"] = self.release_mbid
        if self.origin_url:
            info["origin_url"] = self.origin_url
        meta: dict[str, Any] = {"artist_name": self.artist_name, "track_name": self.track_name, "additional_info": info}
        if self.release_name:
            meta["release_name"] = self.release_name
        item: dict[str, Any] = {"track_metadata": meta}
        if self.listened_at is not None:
            item["listened_at"] = self.listened_at
        return item


@dataclass(frozen=True)
class TokenInfo:
    valid: bool
    user_name: str = ""
