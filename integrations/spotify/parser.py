"""Pure conversions from Spotify's JSON to the typed results in types.py (tested on real recordings).

Both the pre-2026 shapes (`playlist.tracks`, `entry.track`) and the 2026 ones (`playlist.items`,
`entry.item`) are accepted.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from .errors import MalformedResponse
from .types import (
    AlbumRef,
    ArtistRef,
    AudioAnalysisSummary,
    AudioFeatures,
    Page,
    PlaylistItem,
    SpotifyAlbum,
    SpotifyArtist,
    SpotifyPlaylist,
    SpotifyTrack,
    SpotifyUser,
)

T = TypeVar("T")
# A JSON object as Spotify sends it; values are checked where they are read.
JSONObject = dict[str, Any]


def _image(images: Any) -> str:
    """The largest image's URL (Spotify lists them largest first, but not always)."""
    if not isinstance(images, list) or not images:
        return ""
    best = max(images, key=lambda i: (i.get("width") or 0) if isinstance(i, dict) else 0)
    return (best or {}).get("url") or ""


def parse_artist_ref(data: JSONObject) -> ArtistRef:
    return ArtistRef(id=data.get("id") or "", name=data.get("name") or "")


def parse_album_ref(data: JSONObject | None) -> AlbumRef | None:
    if not data:
        return None
    return AlbumRef(
        id=data.get("id") or "",
        name=data.get("name") or "",
        release_date=data.get("release_date") or "",
        image_url=_image(data.get("images")),
        album_type=data.get("album_type") or "",
        artists=tuple(parse_artist_ref(a) for a in data.get("artists") or []),
    )


def parse_track(data: Any, *, album: AlbumRef | None = None) -> SpotifyTrack | None:
    """A track object (full or simplified); None for episodes and id-less local files."""
    if not isinstance(data, dict) or data.get("type", "track") != "track" or not data.get("id"):
        return None
    try:
        return SpotifyTrack(
            id=data["id"],
            name=data.get("name") or "",
            artists=tuple(parse_artist_ref(a) for a in data.get("artists") or []),
            album=parse_album_ref(data.get("album")) or album,
            duration_ms=int(data.get("duration_ms") or 0),
            popularity=data.get("popularity"),
            isrc=((data.get("external_ids") or {}).get("isrc") or "").upper(),
            preview_url=data.get("preview_url") or "",
            explicit=bool(data.get("explicit")),
            track_number=data.get("track_number"),
            disc_number=data.get("disc_number"),
            is_local=bool(data.get("is_local")),
        )
    except (TypeError, ValueError) as exc:
        raise MalformedResponse(f"unexpected Spotify track object: {exc}", service="spotify") from exc


def parse_artist(data: JSONObject) -> SpotifyArtist:
    return SpotifyArtist(
        id=data.get("id") or "",
        name=data.get("name") or "",
        genres=tuple(g.lower() for g in data.get("genres") or []),
        popularity=data.get("popularity"),
        followers=(data.get("followers") or {}).get("total"),
        image_url=_image(data.get("images")),
    )


def parse_album(data: JSONObject) -> SpotifyAlbum:
    return SpotifyAlbum(
        id=data.get("id") or "",
        name=data.get("name") or "",
        artists=tuple(parse_artist_ref(a) for a in data.get("artists") or []),
        release_date=data.get("release_date") or "",
        album_type=data.get("album_type") or "",
        image_url=_image(data.get("images")),
        total_tracks=int(data.get("total_tracks") or (data.get("tracks") or {}).get("total") or 0),
        upc=(data.get("external_ids") or {}).get("upc") or "",
        label=data.get("label") or "",
        genres=tuple(g.lower() for g in data.get("genres") or []),
    )


def _playlist_container(data: JSONObject) -> JSONObject:
    """The embedded paging object: `items` since 2026, `tracks` before."""
    box = data.get("items")
    if isinstance(box, dict):
        return box
    box = data.get("tracks")
    return box if isinstance(box, dict) else {}


def parse_playlist(data: JSONObject) -> SpotifyPlaylist:
    owner = data.get("owner") or {}
    return SpotifyPlaylist(
        id=data.get("id") or "",
        name=data.get("name") or "",
        owner_id=owner.get("id") or "",
        owner_name=owner.get("display_name") or owner.get("id") or "",
        snapshot_id=data.get("snapshot_id") or "",
        description=data.get("description") or "",
        public=data.get("public"),
        image_url=_image(data.get("images")),
        total_tracks=int(_playlist_container(data).get("total") or 0),
    )


def _parse_time(value: Any) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def parse_playlist_entry(entry: JSONObject, *, position: int) -> PlaylistItem | None:
    """One playlist entry; None when it holds no usable track (an episode, an id-less local file, a removed track)."""
    raw = entry.get("item") if "item" in entry else entry.get("track")
    track = parse_track(raw)
    if track is None:
        return None
    return PlaylistItem(position=position, added_at=_parse_time(entry.get("added_at")), track=track)


def parse_paging(data: JSONObject, convert: Callable[[Any, int], T | None], *,
                 start: int | None = None) -> Page[T]:
    """A paging object; `convert(entry, index)` makes each item (None results are dropped)."""
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise MalformedResponse("Spotify paging object without items", service="spotify")
    offset = int(data.get("offset") or 0) if start is None else start
    items: list[T] = []
    for i, entry in enumerate(data["items"]):
        value = convert(entry, offset + i)
        if value is not None:
            items.append(value)
    total = int(data.get("total") or 0)
    return Page(items=items, total=total, offset=offset, limit=int(data.get("limit") or 0),
                has_next=bool(data.get("next")) and offset + len(data["items"]) < max(total, offset + 1),
                fetched=len(data["items"]), next_offset=_next_offset(data.get("next")))


def _next_offset(url: Any) -> int | None:
    if not isinstance(url, str) or not url:
        return None
    from urllib.parse import parse_qs, urlsplit

    value = parse_qs(urlsplit(url).query).get("offset", [None])[0]
    return int(value) if value and value.isdigit() else None


def parse_playlist_items_page(data: JSONObject) -> Page[PlaylistItem]:
    """Entries without a usable track (episodes, id-less local files, removed tracks) are dropped;
    positions still count them, so they match the playlist's own order."""

    def convert(entry: Any, pos: int) -> PlaylistItem | None:
        return parse_playlist_entry(entry or {}, position=pos)

    return parse_paging(data, convert)


def parse_embedded_playlist_items(data: JSONObject) -> Page[PlaylistItem]:
    return parse_playlist_items_page(_playlist_container(data) or {"items": []})


def parse_audio_features(data: Any) -> AudioFeatures | None:
    if not isinstance(data, dict) or not data.get("id"):
        return None  # the API answers null for ids it has no features for
    try:
        return AudioFeatures(
            id=data["id"],
            danceability=float(data["danceability"]),
            energy=float(data["energy"]),
            key=int(data["key"]),
            loudness=float(data["loudness"]),
            mode=int(data["mode"]),
            speechiness=float(data["speechiness"]),
            acousticness=float(data["acousticness"]),
            instrumentalness=float(data["instrumentalness"]),
            liveness=float(data["liveness"]),
            valence=float(data["valence"]),
            tempo=float(data["tempo"]),
            duration_ms=int(data.get("duration_ms") or 0),
            time_signature=int(data.get("time_signature") or 4),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedResponse(f"unexpected audio-features object: {exc}", service="spotify") from exc


def parse_audio_analysis(track_id: str, data: JSONObject) -> AudioAnalysisSummary:
    track = data.get("track") or {}
    try:
        return AudioAnalysisSummary(
            id=track_id,
            tempo=float(track["tempo"]),
            tempo_confidence=float(track.get("tempo_confidence") or 0.0),
            key=int(track["key"]),
            mode=int(track["mode"]),
            loudness=float(track["loudness"]),
            time_signature=int(track.get("time_signature") or 4),
            duration=float(track.get("duration") or 0.0),
            bars=len(data.get("bars") or []),
            beats=len(data.get("beats") or []),
            sections=len(data.get("sections") or []),
            segments=len(data.get("segments") or []),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedResponse(f"unexpected audio-analysis object: {exc}", service="spotify") from exc


def parse_user(data: JSONObject) -> SpotifyUser:
    return SpotifyUser(id=data.get("id") or "", display_name=data.get("display_name") or "")
