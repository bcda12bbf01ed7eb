from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Session:
    name: str
    key: str


@dataclass(frozen=True)
class Scrobble:
    artist: str
    track: str
    timestamp: int
    album: str = ""
    duration: int | None = None
    mbid: str = ""
