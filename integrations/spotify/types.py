"""Typed results of the Spotify client. Clients return these, never raw JSON."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class SpotifyRef:
    """A parsed link or URI: kind is "track", "playlist" or "album"; id is the 22-character base62 id."""

    kind: str
    id: str

    @property
    def uri(self) -> str:
        return f"spotify:{self.kind}:{self.id}"

    @property
    def url(self) -> str:
        return f"https://open.spotify.com/{self.kind}/{self.id}"


@dataclass(frozen=True)
class ArtistRef:
    id: str
    name: str


@dataclass(frozen=True)
class AlbumRef:
    id: str
    name: str
    release_date: str = ""
    image_url: str = ""
    album_type: str = ""
    artists: tuple[ArtistRef, ...] = ()

    @property
    def year(self) -> int | None:
        head = (self.release_date or "")[:4]
        return int(head) if head.isdigit() else None


@dataclass(frozen=True)
class SpotifyTrack:
    id: str
    name: str
    artists: tuple[ArtistRef, ...]
    album: AlbumRef | None = None
    duration_ms: int = 0
    popularity: int | None = None
    isrc: str = ""
    preview_url: str = ""
    explicit: bool = False
    track_number: int | None = None
    disc_number: int | None = None
    is_local: bool = False

    @property
    def uri(self) -> str:
        return f"spotify:track:{self.id}"

    @property
    def url(self) -> str:
        return f"https://open.spotify.com/track/{self.id}"

    @property
    def artist_names(self) -> list[str]:
        return [a.name for a in self.artists]


@dataclass(frozen=True)
class SpotifyArtist:
    id: str
    name: str
    genres: tuple[str, ...] = ()
    popularity: int | None = None
    followers: int | None = None
    image_url: str = ""


@dataclass(frozen=True)
class SpotifyAlbum:
    id: str
    name: str
    artists: tuple[ArtistRef, ...]
    release_date: str = ""
    album_type: str = ""
    image_url: str = ""
    total_tracks: int = 0
    upc: str = ""
    label: str = ""
    genres: tuple[str, ...] = ()

    @property
    def year(self) -> int | None:
        head = (self.release_date or "")[:4]
        return int(head) if head.isdigit() else None


@dataclass(frozen=True)
class SpotifyPlaylist:
    id: str
    name: str
    owner_id: str = ""
    owner_name: str = ""
    snapshot_id: str = ""
    description: str = ""
    public: bool | None = None
    image_url: str = ""
    total_tracks: int = 0


@dataclass(frozen=True)
class PlaylistItem:
    """One entry of a playlist: its position in the playlist, when it was added, and the track."""

    position: int
    added_at: datetime | None
    track: SpotifyTrack


@dataclass(frozen=True)
class AudioFeatures:
    """Spotify's audio-features for one track (only apps with legacy access still get these)."""

    id: str
    danceability: float
    energy: float
    key: int
    loudness: float
    mode: int
    speechiness: float
    acousticness: float
    instrumentalness: float
    liveness: float
    valence: float
    tempo: float
    duration_ms: int = 0
    time_signature: int = 4


@dataclass(frozen=True)
class AudioAnalysisSummary:
    """The track-level part of audio-analysis plus structure counts."""

    id: str
    tempo: float
    tempo_confidence: float
    key: int
    mode: int
    loudness: float
    time_signature: int
    duration: float
    bars: int = 0
    beats: int = 0
    sections: int = 0
    segments: int = 0


@dataclass
class Page(Generic[T]):
    items: list[T] = field(default_factory=list)
    total: int = 0
    offset: int = 0
    limit: int = 0
    has_next: bool = False
    fetched: int = 0  # raw entries on this page, including ones dropped (episodes, local files)
    next_offset: int | None = None  # the offset Spotify's own `next` link asks for


@dataclass(frozen=True)
class SpotifyUser:
    id: str
    display_name: str = ""
