"""Albums and songs: a concert (its best recording), each other recording, the user's uploads by one
artist, an item the user downloaded; their songs from the item metadata or the user's files; and where a
song's bytes are."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from archive import selectors as archive_selectors
from archive import services as archive_services
from common.exceptions import StylusError
from common.types import AuthUser
from recommend import selectors as recommend_selectors

from .. import ids
from ..protocol import SubsonicError, not_found
from .base import (
    AUDIO_EXTENSIONS,
    CONTENT_TYPES,
    FORMAT_PREFERENCE,
    GENRE,
    concerts_with_best,
    created_time,
    upload_artists,
)
from .marks import marked

log = logging.getLogger(__name__)


# -- albums ------------------------------------------------------------------------------------------------
def concert_name(concert: Any) -> str:
    place = concert.venue or concert.location
    return f"{concert.date_text} {place}".strip()


def _version(source_type: str, identifier: str) -> str:
    return f"{source_type or 'Recording'} · {identifier}"


def concert_album(concert: Any) -> dict[str, Any]:
    """AlbumID3 for a concert (from a concerts_with_best() row, or any Concert with its best recording looked up)."""
    length = getattr(concert, "best_length", None)
    tracks = getattr(concert, "best_tracks", None)
    source = getattr(concert, "best_source", "") or ""
    album_id = ids.concert_album_id(concert.pk)
    album: dict[str, Any] = {
        "id": album_id, "name": concert_name(concert), "artist": concert.artist,
        "artistId": ids.artist_id(concert.artist_slug or ids.artist_slug(concert.artist)), "coverArt": album_id,
        "songCount": tracks or 0, "duration": int(length or 0), "created": created_time(concert.created_at),
        "year": concert.year or None, "genre": GENRE, "isDir": True, "title": concert_name(concert),
        "parent": ids.artist_id(concert.artist_slug or ids.artist_slug(concert.artist)),
    }
    if concert.best_identifier:
        album["version"] = _version(source, concert.best_identifier)
    return album


def recording_album(concert: Any, recording: Any) -> dict[str, Any]:
    """AlbumID3 for a recording other than the concert's best: its source is in the name and `version`."""
    album_id = ids.recording_album_id(recording.identifier)
    version = _version(recording.source_type, recording.identifier)
    name = f"{concert_name(concert)} [{version}]"
    artist_id = ids.artist_id(concert.artist_slug or ids.artist_slug(concert.artist))
    return {"id": album_id, "name": name, "title": name, "artist": concert.artist, "artistId": artist_id,
            "parent": artist_id, "isDir": True, "coverArt": album_id, "songCount": recording.track_count or 0,
            "duration": int(recording.length or 0), "created": created_time(recording.created_at),
            "year": concert.year or None, "genre": GENRE, "version": version}


def uploads_album(*, user: AuthUser, slug: str, name: str) -> dict[str, Any]:
    uploads = [u for u in recommend_selectors.uploads_for_user(user=user).select_related("track")
               if ids.artist_slug(u.artist or "Unknown artist") == slug]
    album_id = ids.uploads_album_id(slug)
    created = min((u.created_at for u in uploads), default=None)
    return {"id": album_id, "name": f"{name}: uploads", "title": f"{name}: uploads", "artist": name,
            "artistId": ids.artist_id(slug), "parent": ids.artist_id(slug), "isDir": True, "coverArt": album_id,
            "songCount": len(uploads), "duration": sum(_upload_seconds(u) for u in uploads),
            "created": created_time(created)}


@dataclass
class AlbumContext:
    """What a song needs from its album."""

    album: dict[str, Any]
    identifier: str = ""
    concert: Any = None
    venue: str = ""


def _concert_by_identifier(identifier: str) -> Any:
    return concerts_with_best().filter(recordings__identifier=identifier).first()


def album_context(*, user: AuthUser, album_id: str) -> AlbumContext:
    """The album an id names, as the user may see it; SubsonicError 70 otherwise."""
    ref = ids.parse(album_id)
    if ref is None:
        raise not_found("Album")
    if ref.kind == "concert":
        concert = concerts_with_best().filter(pk=ref.number).first()
        if concert is None:
            raise not_found("Album")
        return AlbumContext(album=concert_album(concert), identifier=concert.best_identifier, concert=concert)
    if ref.kind == "recording":
        concert = _concert_by_identifier(ref.key)
        if concert is not None:
            if concert.best_identifier == ref.key:
                return AlbumContext(album=concert_album(concert), identifier=ref.key, concert=concert)
            recording = concert.recordings.filter(identifier=ref.key).first()
            return AlbumContext(album=recording_album(concert, recording), identifier=ref.key, concert=concert)
        return _download_album(user=user, identifier=ref.key)
    if ref.kind == "uploads":
        artist = upload_artists(user).get(ref.key)
        if artist is None:
            raise not_found("Album")
        return AlbumContext(album=uploads_album(user=user, slug=ref.key, name=artist["name"]))
    raise not_found("Album")


def _download_album(*, user: AuthUser, identifier: str) -> AlbumContext:
    """An item the user downloaded that is not one of the concerts: visible to that user only."""
    downloads = list(archive_selectors.downloads_for_item(user=user, identifier=identifier).values())
    if not downloads:
        raise not_found("Album")
    first = downloads[0]
    name = first.title or identifier
    artist = first.creator or "Unknown artist"
    album_id = ids.recording_album_id(identifier)
    slug = ids.artist_slug(artist)
    album = {"id": album_id, "name": name, "title": name, "artist": artist, "artistId": ids.artist_id(slug),
             "parent": ids.artist_id(slug), "isDir": True, "coverArt": album_id, "songCount": len(downloads),
             "duration": int(sum(d.length or 0 for d in downloads)), "created": created_time(first.created_at)}
    return AlbumContext(album=album, identifier=identifier)


def album_songs(*, user: AuthUser, context: AlbumContext) -> list[dict[str, Any]]:
    """The album's songs in track order (uploads, or an item's files from its metadata)."""
    album_id = context.album["id"]
    if album_id.startswith("au-"):
        slug = album_id[3:]
        uploads = [u for u in recommend_selectors.uploads_for_user(user=user).select_related("track")
                   if ids.artist_slug(u.artist or "Unknown artist") == slug]
        return marked(user, [upload_song(u) for u in reversed(uploads)])
    return marked(user, item_songs(user=user, context=context))


def _item_files(*, user: AuthUser, identifier: str) -> tuple[list[Any], dict[str, Any]]:
    """(the item's files, or [] when its metadata cannot be had; the user's downloads of the item by file)."""
    downloads = archive_selectors.downloads_for_item(user=user, identifier=identifier)
    try:
        meta = archive_services.archive_item_get(identifier=identifier)
    except StylusError as exc:  # unreachable or removed: the user's own files still play
        log.info("subsonic: no metadata for %s (%s)", identifier, exc)
        return [], downloads
    return list(meta.files), downloads


def _song_group(files: list[Any], downloads: dict[str, Any]) -> list[Any]:
    """One playable set of the item's audio files, in track order."""
    by_format: dict[str, list[Any]] = {}
    for f in files:
        if f.private or f.extension not in AUDIO_EXTENSIONS:
            continue
        by_format.setdefault(f.format, []).append(f)
    if not by_format:
        return []
    held = {f.format for f in files if f.name in downloads and downloads[f.name].status == "completed"}
    order = sorted(by_format, key=lambda fmt: (fmt not in held, FORMAT_PREFERENCE.index(fmt)
                                               if fmt in FORMAT_PREFERENCE else len(FORMAT_PREFERENCE)))
    chosen = by_format[order[0]]
    return sorted(chosen, key=lambda f: (f.track is None, f.track or 0, f.name))


def item_songs(*, user: AuthUser, context: AlbumContext) -> list[dict[str, Any]]:
    if not context.identifier:
        return []
    files, downloads = _item_files(user=user, identifier=context.identifier)
    group = _song_group(files, downloads)
    if group:
        return [file_song(context=context, f=f) for f in group]
    # No metadata: the user's completed downloads of the item are still songs.
    held = [d for d in downloads.values() if d.status == "completed" and archive_selectors.is_audio(d)]
    return [download_song(context=context, download=d)
            for d in sorted(held, key=lambda d: (d.track is None, d.track or 0, d.file_name))]


def _bitrate(size: int | None, length: float | None, given: int | None = None) -> int | None:
    if given:
        return int(given)
    if size and length:
        return max(1, round(size * 8 / length / 1000))
    return None


def _song_base(*, context: AlbumContext, song_id: str, title: str, filename: str) -> dict[str, Any]:
    album = context.album
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return {"id": song_id, "parent": album["id"], "isDir": False, "title": title, "album": album["name"],
            "artist": album["artist"], "year": album.get("year"), "genre": album.get("genre"),
            "coverArt": album["id"], "contentType": CONTENT_TYPES.get(suffix, "application/octet-stream"),
            "suffix": suffix, "path": f"{album['artist']}/{album['name']}/{filename.rsplit('/', 1)[-1]}",
            "isVideo": False, "type": "music", "mediaType": "song", "albumId": album["id"],
            "artistId": album["artistId"], "created": album["created"], "discNumber": 1}


def file_song(*, context: AlbumContext, f: Any) -> dict[str, Any]:
    """Child for a file of an archive item, from its metadata."""
    song = _song_base(context=context, song_id=ids.file_song_id(context.identifier, f.name),
                      title=f.title or f.basename.rsplit(".", 1)[0], filename=f.name)
    song.update({"track": f.track, "size": f.size, "duration": int(f.length) if f.length else None,
                 "bitRate": _bitrate(f.size, f.length, f.bitrate)})
    return song


def download_song(*, context: AlbumContext, download: Any) -> dict[str, Any]:
    song = _song_base(context=context, song_id=ids.file_song_id(download.identifier, download.file_name),
                      title=download.label, filename=download.file_name)
    size = download.bytes_total or None
    song.update({"track": download.track, "size": size, "duration": int(download.length) if download.length else None,
                 "bitRate": _bitrate(size, download.length)})
    return song


def _upload_seconds(upload: Any) -> int:
    track = upload.track
    return int(track.duration_ms / 1000) if track is not None and track.duration_ms else 0


def upload_song(upload: Any) -> dict[str, Any]:
    artist = upload.artist or "Unknown artist"
    slug = ids.artist_slug(artist)
    album_id = ids.uploads_album_id(slug)
    name = upload.file.name.rsplit("/", 1)[-1]
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    try:
        size: int | None = upload.file.size
    except (OSError, ValueError):
        size = None
    seconds = _upload_seconds(upload) or None
    return {"id": ids.upload_song_id(upload.pk), "parent": album_id, "isDir": False, "title": upload.title,
            "album": f"{artist}: uploads", "artist": artist, "coverArt": album_id, "size": size,
            "contentType": CONTENT_TYPES.get(suffix, "application/octet-stream"), "suffix": suffix,
            "duration": seconds, "bitRate": _bitrate(size, seconds), "path": f"{artist}/uploads/{name}",
            "isVideo": False, "type": "music", "mediaType": "song", "albumId": album_id,
            "artistId": ids.artist_id(slug), "created": created_time(upload.created_at)}


# -- one song -----------------------------------------------------------------------------------------------
@dataclass
class SongSource:
    """Where a song's bytes are: a local file (verified download or upload) or an archive item's file."""

    song: dict[str, Any]
    local_path: str = ""
    identifier: str = ""
    filename: str = ""


def visible_item(*, user: AuthUser, identifier: str) -> AlbumContext:
    concert = _concert_by_identifier(identifier)
    if concert is not None:
        return album_context(user=user, album_id=ids.recording_album_id(identifier))
    return _download_album(user=user, identifier=identifier)


def song_source(*, user: AuthUser, song_id: str, describe: bool = True) -> SongSource:
    """The song an id names, as this user may see it, and where its bytes are; SubsonicError 70 otherwise.
    `describe=False` skips the item metadata (streaming needs only the location)."""
    ref = ids.parse(song_id)
    if ref is None or ref.kind not in ("file", "upload"):
        raise not_found("Song")
    if ref.kind == "upload":
        upload = recommend_selectors.uploads_for_user(user=user).select_related("track").filter(pk=ref.number).first()
        if upload is None or not upload.file:
            raise not_found("Song")
        return SongSource(song=marked(user, [upload_song(upload)])[0], local_path=upload.file.path)
    if ref.filename.rsplit(".", 1)[-1].lower() not in AUDIO_EXTENSIONS:
        raise not_found("Song")
    try:
        context = visible_item(user=user, identifier=ref.key)
    except SubsonicError:
        raise not_found("Song") from None
    download = archive_selectors.downloads_for_item(user=user, identifier=ref.key).get(ref.filename)
    local = ""
    if download is not None and download.status == "completed":
        path = download.absolute_path
        local = str(path) if path is not None and path.is_file() else ""
    song: dict[str, Any] | None = None
    if describe:
        files, _ = _item_files(user=user, identifier=ref.key)
        match = next((f for f in files if f.name == ref.filename and not f.private), None)
        if match is not None:
            song = file_song(context=context, f=match)
        elif download is not None:
            song = download_song(context=context, download=download)
        else:
            raise not_found("Song")
        song = marked(user, [song])[0]
    return SongSource(song=song or {}, local_path=local, identifier=ref.key, filename=ref.filename)


def songs_by_ids(*, user: AuthUser, song_ids: list[str]) -> list[dict[str, Any]]:
    """Songs in the given order, skipping those the user may not see (or that are gone)."""
    songs: list[dict[str, Any]] = []
    seen: dict[str, dict[str, Any] | None] = {}
    for song_id in song_ids:
        if song_id not in seen:
            try:
                seen[song_id] = song_source(user=user, song_id=song_id).song
            except SubsonicError:
                seen[song_id] = None
        song = seen[song_id]
        if song is not None:
            songs.append(dict(song))
    return songs
