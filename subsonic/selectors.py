"""Reads for Subsonic clients: who is calling, and the library shaped as OpenSubsonic artists, albums and songs.

The library is what Stylus already holds, read through the owning apps' selectors and services:
- artists: concert artists, plus the artists of the user's uploaded audio;
- albums: a concert (its best recording), each other recording as its own album with its source in the
  name and `version`, and the user's uploads by one artist;
- songs: the audio files of a recording (item metadata: title, track, length, size, bitrate, format), and
  uploaded files.
A user sees public concerts plus their own downloads, uploads, stars, playlists and queue.
"""
from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import hmac
import logging
import random
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.cache import cache
from django.db.models import Case, Count, F, FilteredRelation, Min, Q, QuerySet, When
from django.db.models.functions import Substr
from django.utils import timezone

from archive import selectors as archive_selectors
from archive import services as archive_services
from common.exceptions import StylusError
from common.types import AuthUser
from concerts import selectors as concert_selectors
from recommend import selectors as recommend_selectors
from recommend import services as recommend_services

from . import ids
from .models import AppPassword, Play, PlaylistEntry, PlayQueue, Rating, Star
from .models import Playlist as PlaylistModel
from .protocol import (
    CONFLICTING_AUTH,
    INVALID_API_KEY,
    WRONG_CREDENTIALS,
    Params,
    SubsonicError,
    missing,
    not_found,
)

log = logging.getLogger(__name__)

GENRE = "Live"
FOLDER_CONCERTS = 1
FOLDER_UPLOADS = 2
IGNORED_ARTICLES = "The El La Los Las Le Les"
_ARTICLES = tuple(f"{a.lower()} " for a in IGNORED_ARTICLES.split())
# Which of an item's audio formats a client gets: one playable set, never transcoded. Lossy first, because
# phones stream it; a user who downloaded another format gets that format (see _song_group).
FORMAT_PREFERENCE = ("VBR MP3", "MP3", "128Kbps MP3", "64Kbps MP3", "Ogg Vorbis", "Flac", "24bit Flac",
                     "Apple Lossless Audio", "WAVE", "Shorten")
CONTENT_TYPES = {"mp3": "audio/mpeg", "flac": "audio/flac", "ogg": "audio/ogg", "opus": "audio/ogg",
                 "m4a": "audio/mp4", "wav": "audio/wav", "shn": "audio/x-shorten", "aac": "audio/aac"}
AUDIO_EXTENSIONS = frozenset(archive_selectors.AUDIO_EXTENSIONS) | {"aac"}
_HEX = re.compile(r"(?:[0-9a-fA-F]{2})+")
_MD5 = re.compile(r"[0-9a-fA-F]{32}")


# -- who is calling -----------------------------------------------------------------------------------------
def user_from_params(*, params: Params) -> AuthUser:
    """The user the request authenticates as: `apiKey` (a personal API token), or `u` with `t`+`s` or `p`
    checked against the user's Subsonic app password. Raises SubsonicError 10/40/43/44."""
    from accounts.services import user_for_bearer_token

    api_key = params.get("apiKey")
    username = params.get("u")
    if api_key:
        if params.has("u") or params.has("p") or params.has("t") or params.has("s"):
            raise SubsonicError(CONFLICTING_AUTH, "Multiple conflicting authentication mechanisms provided.")
        user = user_for_bearer_token(token=api_key) if len(api_key) < 2048 else None
        if user is None or not user.is_active:
            raise SubsonicError(INVALID_API_KEY, "Invalid API key.")
        return user
    if not username:
        raise missing("u")
    token, salt, password = params.get("t"), params.get("s"), params.get("p")
    if not password and not (token and salt):
        raise missing("t" if not token else "s") if (token or salt) else missing("p")
    row = _app_password(username) if len(username) <= 150 else None
    secret = row.secret if row is not None else ""
    if not secret:
        raise SubsonicError(WRONG_CREDENTIALS, "Wrong username or password.")
    if password:
        if password.startswith("enc:"):
            hexed = password[4:]
            if not _HEX.fullmatch(hexed):
                raise SubsonicError(WRONG_CREDENTIALS, "Wrong username or password.")
            try:
                password = bytes.fromhex(hexed).decode()
            except UnicodeDecodeError:
                raise SubsonicError(WRONG_CREDENTIALS, "Wrong username or password.") from None
        ok = hmac.compare_digest(password.encode(), secret.encode())
    else:
        expected = hashlib.md5((secret + salt).encode(), usedforsecurity=False).hexdigest()
        ok = bool(_MD5.fullmatch(token)) and hmac.compare_digest(expected, token.lower())
    if not ok:
        raise SubsonicError(WRONG_CREDENTIALS, "Wrong username or password.")
    assert row is not None
    return row.user


# Every Subsonic request authenticates; a client playing an album sends dozens a minute. The row is kept
# for a few seconds per process (like accounts' personal tokens), and dropped here when it changes.
_PASSWORD_SECONDS = 5.0
_passwords: dict[str, tuple[float, AppPassword | None]] = {}


def _app_password(username: str) -> AppPassword | None:
    hit = _passwords.get(username)
    if hit is not None and hit[0] > time.monotonic():
        return hit[1]
    row = AppPassword.objects.select_related("user").filter(user__username=username, user__is_active=True).first()
    if len(_passwords) > 10_000:  # bounded: drop everything rather than grow without limit
        _passwords.clear()
    _passwords[username] = (time.monotonic() + _PASSWORD_SECONDS, row)
    return row


def app_password_forget(*, username: str) -> None:
    _passwords.pop(username, None)


def app_password_for(*, user: AuthUser) -> AppPassword | None:
    return AppPassword.objects.filter(user=user).first()


# -- the user's marks (stars, ratings, plays) ---------------------------------------------------------------
def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if value else None


@dataclass
class Marks:
    starred: dict[str, dt.datetime]
    ratings: dict[str, int]

    def apply(self, item: dict[str, Any]) -> dict[str, Any]:
        item_id = item["id"]
        if item_id in self.starred:
            item["starred"] = _iso(self.starred[item_id])
        if item_id in self.ratings:
            item["userRating"] = self.ratings[item_id]
        return item


def marks_for(*, user: AuthUser, item_ids: Iterable[str]) -> Marks:
    """The user's stars and ratings among these items. A few ids are looked up; a long list (a whole artist
    index) reads all of the user's marks instead of sending hundreds of ids to the database."""
    wanted = set(item_ids)
    if not wanted:
        return Marks({}, {})
    starred_all, rated_all = user_marks(user=user)
    return Marks({k: v for k, v in starred_all.items() if k in wanted},
                 {k: v for k, v in rated_all.items() if k in wanted})


MARKS_KEY = "subsonic:marks:{}"


def user_marks(*, user: AuthUser) -> tuple[dict[str, dt.datetime], dict[str, int]]:
    """All the user's stars and ratings, from the cache: every list answer needs them, and they change only
    through subsonic.services, which drops the entry (marks_forget)."""
    key = MARKS_KEY.format(user.pk)
    marks = cache.get(key)
    if marks is None:
        marks = (dict(Star.objects.filter(user=user).values_list("item_id", "starred_at")),
                 dict(Rating.objects.filter(user=user).values_list("item_id", "rating")))
        cache.set(key, marks, 600)
    return marks


def marks_forget(*, user: AuthUser) -> None:
    cache.delete(MARKS_KEY.format(user.pk))


def _marked(user: AuthUser, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    marks = marks_for(user=user, item_ids=[i["id"] for i in items])
    return [marks.apply(i) for i in items]


# -- artists ---------------------------------------------------------------------------------------------------
def _concerts() -> QuerySet:
    """Public concerts, each annotated with its best recording (rank 1) in the same query."""
    best = FilteredRelation("recordings", condition=Q(recordings__rank=1))
    # Only what an album shows: a concert row also carries JSON (setlist notes) that would be decoded per row.
    fields = ("artist", "artist_key", "artist_slug", "date_text", "year", "venue", "location", "best_identifier",
              "best_reason", "latest_added", "created_at")
    return (concert_selectors.concert_list().only(*fields).annotate(best=best)
            .annotate(best_length=F("best__length"), best_tracks=F("best__track_count"),
                      best_source=F("best__source_type"), best_taper=F("best__taper")))


def _upload_artists(user: AuthUser) -> dict[str, dict[str, Any]]:
    artists: dict[str, dict[str, Any]] = {}
    for name in recommend_selectors.uploads_for_user(user=user).values_list("artist", flat=True):
        slug = ids.artist_slug(name or "Unknown artist")
        entry = artists.setdefault(slug, {"name": name or "Unknown artist", "uploads": 0})
        entry["uploads"] += 1
    return artists


# Clients fetch the artist index and search on every start and keystroke; the concert side changes only
# when an aggregation runs, so it is kept for LIBRARY_MEMO_SECONDS per process (new concerts show up
# within that time).
LIBRARY_MEMO_SECONDS = 60.0
_memo: dict[str, tuple[float, Any]] = {}


def _memoised(key: str, build: Any) -> Any:
    hit = _memo.get(key)
    now_ = time.monotonic()
    if hit is not None and hit[0] > now_:
        return hit[1]
    value = build()
    _memo[key] = (now_ + LIBRARY_MEMO_SECONDS, value)
    return value


def library_memo_clear() -> None:
    _memo.clear()


def _concert_artists() -> list[tuple[str, str, int, str]]:
    """(slug, name, concert count, sort name) of every concert artist."""
    return [(row["artist_slug"] or ids.artist_slug(row["name"]), row["name"], row["albums"], sort_name(row["name"]))
            for row in (concert_selectors.concert_list().order_by().values("artist_slug")
                        .annotate(name=Min("artist"), albums=Count("id")))]


@dataclass(frozen=True)
class Haystack:
    """Every concert's "artist venue location" (case-folded) in one string, newest date first, so a term is
    found with str.find in C instead of a Python test per row."""

    pks: list[int]
    dates: list[str]
    starts: list[int]  # where each row's text begins in `text`
    text: str

    def rows_matching(self, term: str) -> set[int]:
        """Indexes of rows whose text contains `term` or whose date starts with it."""
        found: set[int] = set()
        pos = self.text.find(term)
        while pos != -1:
            row = bisect.bisect_right(self.starts, pos) - 1
            found.add(row)
            nxt = self.starts[row + 1] if row + 1 < len(self.starts) else len(self.text)
            pos = self.text.find(term, nxt)
        if term[:1].isdigit():
            found.update(i for i, date in enumerate(self.dates) if date.startswith(term))
        return found


def _concert_haystack() -> Haystack:
    rows = (concert_selectors.concert_list().order_by("-date_text", "pk")
            .values_list("pk", "artist", "venue", "location", "date_text"))
    pks, dates, starts, parts = [], [], [], []
    offset = 0
    for pk, artist, venue, location, date in rows:
        text = f"{artist}\t{venue}\t{location}\n".casefold()
        pks.append(pk)
        dates.append(date)
        starts.append(offset)
        parts.append(text)
        offset += len(text)
    return Haystack(pks=pks, dates=dates, starts=starts, text="".join(parts))


def _artist_rows_keyed(*, user: AuthUser, folder: int | None = None) -> list[tuple[str, dict[str, Any]]]:
    """(sort name, ArtistID3 row) for every artist the user sees, sorted without leading articles."""
    rows: dict[str, dict[str, Any]] = {}
    keys: dict[str, str] = {}
    if folder in (None, FOLDER_CONCERTS):
        for slug, name, albums, key in _memoised("artists", _concert_artists):
            artist_id = f"ar-{slug}"
            rows[slug] = {"id": artist_id, "name": name, "coverArt": artist_id, "albumCount": albums}
            keys[slug] = key
    if folder in (None, FOLDER_UPLOADS):
        for slug, entry in _upload_artists(user).items():
            row = rows.setdefault(slug, {"id": ids.artist_id(slug), "name": entry["name"],
                                         "coverArt": ids.artist_id(slug), "albumCount": 0})
            keys.setdefault(slug, sort_name(entry["name"]))
            row["albumCount"] += 1
    ordered = sorted(rows, key=keys.__getitem__)
    _marked(user, [rows[slug] for slug in ordered])
    return [(keys[slug], rows[slug]) for slug in ordered]


def artist_rows(*, user: AuthUser, folder: int | None = None) -> list[dict[str, Any]]:
    """ArtistID3 rows, sorted by name without leading articles."""
    return [row for _key, row in _artist_rows_keyed(user=user, folder=folder)]


def sort_name(name: str) -> str:
    lowered = name.lower()
    for article in _ARTICLES:
        if lowered.startswith(article):
            return lowered[len(article):]
    return lowered


def artist_index(*, user: AuthUser, folder: int | None = None) -> list[dict[str, Any]]:
    """Artists grouped by the first letter of their sort name (getArtists, getIndexes)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for key, row in _artist_rows_keyed(user=user, folder=folder):
        first = key[:1].upper()
        groups.setdefault(first if first.isalpha() else "#", []).append(row)
    return [{"name": letter, "artist": groups[letter]} for letter in sorted(groups)]


def artist_get(*, user: AuthUser, artist_id: str) -> dict[str, Any]:
    """ArtistWithAlbumsID3: every concert (and every other recording of it) plus the user's uploads."""
    ref = ids.parse(artist_id)
    if ref is None or ref.kind != "artist":
        raise not_found("Artist")
    concerts = list(_concerts().filter(artist_slug=ref.key).order_by("date_text", "pk"))
    albums: list[dict[str, Any]] = []
    name = concerts[0].artist if concerts else ""
    others = _other_recordings([c.pk for c in concerts])
    for concert in concerts:
        albums.append(concert_album(concert))
        albums.extend(recording_album(concert, rec) for rec in others.get(concert.pk, []))
    uploads = _upload_artists(user).get(ref.key)
    if uploads:
        name = name or uploads["name"]
        albums.append(uploads_album(user=user, slug=ref.key, name=uploads["name"]))
    if not albums:
        raise not_found("Artist")
    artist = {"id": artist_id, "name": name, "coverArt": artist_id, "albumCount": len(albums),
              "album": _marked(user, albums)}
    return _marked(user, [artist])[0]


def _other_recordings(concert_ids: list[int]) -> dict[int, list[Any]]:
    """Each concert's recordings other than the best, best first."""
    result: dict[int, list[Any]] = {}
    if not concert_ids:
        return result
    for concert in (concert_selectors.concert_list().filter(pk__in=concert_ids)
                    .prefetch_related("recordings")):
        result[concert.pk] = [r for r in sorted(concert.recordings.all(), key=lambda r: (r.rank, r.identifier))
                              if r.identifier != concert.best_identifier]
    return result


# -- albums ------------------------------------------------------------------------------------------------
def concert_name(concert: Any) -> str:
    place = concert.venue or concert.location
    return f"{concert.date_text} {place}".strip()


def _created(value: dt.datetime | None) -> str:
    return _iso(value) or "1970-01-01T00:00:00Z"


def _version(source_type: str, identifier: str) -> str:
    return f"{source_type or 'Recording'} · {identifier}"


def concert_album(concert: Any) -> dict[str, Any]:
    """AlbumID3 for a concert (from a _concerts() row, or any Concert with its best recording looked up)."""
    length = getattr(concert, "best_length", None)
    tracks = getattr(concert, "best_tracks", None)
    source = getattr(concert, "best_source", "") or ""
    album_id = ids.concert_album_id(concert.pk)
    album: dict[str, Any] = {
        "id": album_id, "name": concert_name(concert), "artist": concert.artist,
        "artistId": ids.artist_id(concert.artist_slug or ids.artist_slug(concert.artist)), "coverArt": album_id,
        "songCount": tracks or 0, "duration": int(length or 0), "created": _created(concert.created_at),
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
            "duration": int(recording.length or 0), "created": _created(recording.created_at),
            "year": concert.year or None, "genre": GENRE, "version": version}


def uploads_album(*, user: AuthUser, slug: str, name: str) -> dict[str, Any]:
    uploads = [u for u in recommend_selectors.uploads_for_user(user=user).select_related("track")
               if ids.artist_slug(u.artist or "Unknown artist") == slug]
    album_id = ids.uploads_album_id(slug)
    created = min((u.created_at for u in uploads), default=None)
    return {"id": album_id, "name": f"{name}: uploads", "title": f"{name}: uploads", "artist": name,
            "artistId": ids.artist_id(slug), "parent": ids.artist_id(slug), "isDir": True, "coverArt": album_id,
            "songCount": len(uploads), "duration": sum(_upload_seconds(u) for u in uploads),
            "created": _created(created)}


@dataclass
class AlbumContext:
    """What a song needs from its album."""

    album: dict[str, Any]
    identifier: str = ""
    concert: Any = None
    venue: str = ""


def _concert_by_identifier(identifier: str) -> Any:
    return _concerts().filter(recordings__identifier=identifier).first()


def album_context(*, user: AuthUser, album_id: str) -> AlbumContext:
    """The album an id names, as the user may see it; SubsonicError 70 otherwise."""
    ref = ids.parse(album_id)
    if ref is None:
        raise not_found("Album")
    if ref.kind == "concert":
        concert = _concerts().filter(pk=ref.number).first()
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
        artist = _upload_artists(user).get(ref.key)
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
             "duration": int(sum(d.length or 0 for d in downloads)), "created": _created(first.created_at)}
    return AlbumContext(album=album, identifier=identifier)


def album_songs(*, user: AuthUser, context: AlbumContext) -> list[dict[str, Any]]:
    """The album's songs in track order (uploads, or an item's files from its metadata)."""
    album_id = context.album["id"]
    if album_id.startswith("au-"):
        slug = album_id[3:]
        uploads = [u for u in recommend_selectors.uploads_for_user(user=user).select_related("track")
                   if ids.artist_slug(u.artist or "Unknown artist") == slug]
        return _marked(user, [upload_song(u) for u in reversed(uploads)])
    return _marked(user, _item_songs(user=user, context=context))


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


def _item_songs(*, user: AuthUser, context: AlbumContext) -> list[dict[str, Any]]:
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
            "artistId": ids.artist_id(slug), "created": _created(upload.created_at)}


# -- one song -----------------------------------------------------------------------------------------------
@dataclass
class SongSource:
    """Where a song's bytes are: a local file (verified download or upload) or an archive item's file."""

    song: dict[str, Any]
    local_path: str = ""
    identifier: str = ""
    filename: str = ""


def _visible_item(*, user: AuthUser, identifier: str) -> AlbumContext:
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
        return SongSource(song=_marked(user, [upload_song(upload)])[0], local_path=upload.file.path)
    if ref.filename.rsplit(".", 1)[-1].lower() not in AUDIO_EXTENSIONS:
        raise not_found("Song")
    try:
        context = _visible_item(user=user, identifier=ref.key)
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
        song = _marked(user, [song])[0]
    return SongSource(song=song or {}, local_path=local, identifier=ref.key, filename=ref.filename)


def songs_by_ids(*, user: AuthUser, song_ids: list[str]) -> list[dict[str, Any]]:
    """Songs in the given order, skipping those the user may not see (or that are gone)."""
    songs: list[dict[str, Any]] = []
    cache: dict[str, dict[str, Any] | None] = {}
    for song_id in song_ids:
        if song_id not in cache:
            try:
                cache[song_id] = song_source(user=user, song_id=song_id).song
            except SubsonicError:
                cache[song_id] = None
        if cache[song_id] is not None:
            songs.append(dict(cache[song_id]))  # type: ignore[arg-type]
    return songs


# -- lists ---------------------------------------------------------------------------------------------------
ALBUM_LIST_TYPES = ("random", "newest", "highest", "frequent", "recent", "alphabeticalByName",
                    "alphabeticalByArtist", "starred", "byYear", "byGenre")


def album_list(*, user: AuthUser, list_type: str, size: int, offset: int, from_year: int | None = None,
               to_year: int | None = None, genre: str = "", folder: int | None = None) -> list[dict[str, Any]]:
    """getAlbumList2: concerts in the order the type asks for (starred/highest/recent/frequent: any album)."""
    if folder == FOLDER_UPLOADS:
        return []
    qs = _concerts()
    if list_type in ("starred", "highest", "frequent", "recent"):
        return _personal_albums(user=user, list_type=list_type, size=size, offset=offset)
    if list_type == "random":
        qs = qs.order_by("?")
    elif list_type == "newest":
        qs = qs.order_by("-latest_added", "-date_text", "pk")
    elif list_type == "alphabeticalByName":
        qs = qs.order_by("date_text", "venue", "pk")
    elif list_type == "alphabeticalByArtist":
        qs = qs.annotate(sort_artist=_without_article("artist_key")).order_by("sort_artist", "date_text", "pk")
    elif list_type == "byYear":
        low, high = sorted((from_year or 0, to_year or 9999))
        qs = qs.filter(year__gte=low, year__lte=high)
        qs = qs.order_by("-date_text", "pk") if (from_year or 0) > (to_year or 9999) else qs.order_by("date_text", "pk")
    elif list_type == "byGenre":
        if genre.lower() != GENRE.lower():
            return []
        qs = qs.order_by("-date_text", "pk")
    return _marked(user, [concert_album(c) for c in qs[offset:offset + size]])


def _without_article(field: str) -> Case:
    """The (case-folded) name without a leading ignored article, as the artist index sorts it."""
    return Case(*[When(**{f"{field}__startswith": article}, then=Substr(field, len(article) + 1))
                  for article in _ARTICLES], default=F(field))


def _personal_albums(*, user: AuthUser, list_type: str, size: int, offset: int) -> list[dict[str, Any]]:
    if list_type == "starred":
        album_ids = list(Star.objects.filter(user=user, kind=Star.Kind.ALBUM).values_list("item_id", flat=True))
    elif list_type == "highest":
        album_ids = list(Rating.objects.filter(user=user, item_id__regex=r"^(al|rc|au)-")
                         .order_by("-rating", "-rated_at").values_list("item_id", flat=True))
    elif list_type == "frequent":
        album_ids = list(Play.objects.filter(user=user).exclude(album_id="").values("album_id")
                         .annotate(n=Count("id")).order_by("-n", "album_id").values_list("album_id", flat=True))
    else:
        album_ids = _recent_album_ids(user)
    albums = []
    for album_id in album_ids[offset:offset + size]:
        try:
            albums.append(album_context(user=user, album_id=album_id).album)
        except SubsonicError:
            continue
    return _marked(user, albums)


def _recent_album_ids(user: AuthUser) -> list[str]:
    seen: list[str] = []
    for album_id in Play.objects.filter(user=user).exclude(album_id="").order_by("-played_at").values_list(
            "album_id", flat=True)[:2000]:
        if album_id not in seen:
            seen.append(album_id)
    return seen


def play_counts(*, user: AuthUser, album_ids: list[str]) -> dict[str, int]:
    return dict(Play.objects.filter(user=user, album_id__in=album_ids).values("album_id")
                .annotate(n=Count("id")).values_list("album_id", "n"))


def random_songs(*, user: AuthUser, size: int, from_year: int | None = None, to_year: int | None = None,
                 genre: str = "") -> list[dict[str, Any]]:
    """Songs from the user's own files first, then from a few random concerts."""
    songs: list[dict[str, Any]] = []
    for upload in recommend_selectors.uploads_for_user(user=user).select_related("track")[:500]:
        if upload.file:
            songs.append(upload_song(upload))
    if genre and genre.lower() != GENRE.lower():
        return _marked(user, random.sample(songs, min(size, len(songs))))
    qs = _concerts()
    if from_year or to_year:
        qs = qs.filter(year__gte=from_year or 0, year__lte=to_year or 9999)
    for concert in qs.order_by("?")[:3]:
        context = AlbumContext(album=concert_album(concert), identifier=concert.best_identifier, concert=concert)
        songs.extend(_item_songs(user=user, context=context))
        if len(songs) >= size * 2:
            break
    return _marked(user, random.sample(songs, min(size, len(songs))))


def starred(*, user: AuthUser) -> dict[str, list[dict[str, Any]]]:
    """getStarred2: the user's starred artists, albums and songs that still exist."""
    stars = list(Star.objects.filter(user=user))
    artists, albums, song_ids = [], [], []
    for star in stars:
        try:
            if star.kind == Star.Kind.ARTIST:
                artists.append(_artist_summary(user=user, artist_id=star.item_id))
            elif star.kind == Star.Kind.ALBUM:
                albums.append(album_context(user=user, album_id=star.item_id).album)
            else:
                song_ids.append(star.item_id)
        except SubsonicError:
            continue
    return {"artist": _marked(user, artists), "album": _marked(user, albums),
            "song": songs_by_ids(user=user, song_ids=song_ids)}


def _artist_summary(*, user: AuthUser, artist_id: str) -> dict[str, Any]:
    artist = artist_get(user=user, artist_id=artist_id)
    return {k: v for k, v in artist.items() if k != "album"}


def item_exists(*, user: AuthUser, item_id: str) -> str:
    """The kind (artist, album, song) of an id the user may see; SubsonicError 70 otherwise."""
    ref = ids.parse(item_id)
    if ref is None:
        raise not_found("Item")
    if ref.kind == "artist":
        artist_get(user=user, artist_id=item_id)
        return Star.Kind.ARTIST
    if ref.kind in ("concert", "recording", "uploads"):
        album_context(user=user, album_id=item_id)
        return Star.Kind.ALBUM
    song_source(user=user, song_id=item_id, describe=False)
    return Star.Kind.SONG


# -- search --------------------------------------------------------------------------------------------------
def search(*, user: AuthUser, query: str, artist_count: int, artist_offset: int, album_count: int,
           album_offset: int, song_count: int, song_offset: int) -> dict[str, list[dict[str, Any]]]:
    """search3. An empty query lists everything (clients such as Symfonium sync the library that way)."""
    query = query.strip().strip('"').strip()
    terms = query.split()[:6]
    artists: list[dict[str, Any]] = []
    if artist_count:
        rows = artist_rows(user=user)
        if terms:
            rows = [r for r in rows if all(t.lower() in r["name"].lower() for t in terms)]
        artists = rows[artist_offset:artist_offset + artist_count]
    albums: list[dict[str, Any]] = []
    if album_count:
        # The same match as the concerts page (artist, venue or location contain each term, or the date
        # starts with it), over the memoised haystack; then one query for the page of matches.
        haystack: Haystack = _memoised("haystack", _concert_haystack)
        if terms:
            hits = set.intersection(*(haystack.rows_matching(t.casefold()) for t in terms))
            matches = [haystack.pks[i] for i in sorted(hits)]
        else:
            matches = haystack.pks
        page = matches[album_offset:album_offset + album_count]
        found = {c.pk: c for c in _concerts().filter(pk__in=page)}
        albums = _marked(user, [concert_album(found[pk]) for pk in page if pk in found])
    songs: list[dict[str, Any]] = []
    if song_count:
        songs = _search_own_songs(user=user, terms=terms)[song_offset:song_offset + song_count]
    return {"artist": artists, "album": albums, "song": _marked(user, songs)}


def _search_own_songs(*, user: AuthUser, terms: list[str]) -> list[dict[str, Any]]:
    """Song search covers the audio the user holds (downloads and uploads): item files elsewhere are only
    known after a metadata fetch, which a search must not wait for."""
    songs: list[dict[str, Any]] = []
    downloads = archive_selectors.download_list_for_user(user=user, status="completed")
    for term in terms:
        downloads = downloads.filter(Q(track_title__icontains=term) | Q(title__icontains=term)
                                     | Q(creator__icontains=term) | Q(file_name__icontains=term))
    contexts: dict[str, AlbumContext | None] = {}
    for download in downloads.order_by("identifier", "track", "file_name")[:500]:
        if not archive_selectors.is_audio(download):
            continue
        if download.identifier not in contexts:
            try:
                contexts[download.identifier] = _visible_item(user=user, identifier=download.identifier)
            except SubsonicError:
                contexts[download.identifier] = None
        context = contexts[download.identifier]
        if context is not None:
            songs.append(download_song(context=context, download=download))
    uploads = recommend_selectors.uploads_for_user(user=user).select_related("track")
    for term in terms:
        uploads = uploads.filter(Q(title__icontains=term) | Q(artist__icontains=term))
    songs.extend(upload_song(u) for u in uploads[:500] if u.file)
    return songs


# -- playlists and queue -----------------------------------------------------------------------------------------
def playlist_get_for_user(*, user: AuthUser, playlist_id: str) -> PlaylistModel:
    """The user's own playlist, or a public one; SubsonicError 70 for anything else (never 50: an
    outsider learns nothing about another user's playlists)."""
    if not playlist_id.isdigit() or len(playlist_id) > 18:
        raise not_found("Playlist")
    playlist = (PlaylistModel.objects.select_related("user").filter(pk=int(playlist_id))
                .filter(Q(user=user) | Q(public=True)).first())
    if playlist is None:
        raise not_found("Playlist")
    return playlist


def playlists_for_user(*, user: AuthUser) -> QuerySet[PlaylistModel]:
    return (PlaylistModel.objects.select_related("user").filter(Q(user=user) | Q(public=True))
            .annotate(entry_count=Count("entries")).order_by("name", "pk"))


def playlist_summary(playlist: PlaylistModel, *, song_count: int | None = None, duration: int = 0
                     ) -> dict[str, Any]:
    count = song_count if song_count is not None else getattr(playlist, "entry_count", None)
    if count is None:
        count = playlist.entries.count()
    return {"id": str(playlist.pk), "name": playlist.name, "comment": playlist.comment or None,
            "owner": playlist.user.get_username(), "public": playlist.public, "songCount": count,
            "duration": duration, "created": _created(playlist.created_at), "changed": _created(playlist.updated_at),
            "coverArt": f"pl-{playlist.pk}"}


def playlist_songs(*, user: AuthUser, playlist: PlaylistModel) -> list[dict[str, Any]]:
    song_ids = list(PlaylistEntry.objects.filter(playlist=playlist).order_by("position")
                    .values_list("song_id", flat=True))
    return songs_by_ids(user=user, song_ids=song_ids)


def play_queue_for_user(*, user: AuthUser) -> PlayQueue | None:
    return PlayQueue.objects.filter(user=user).first()


# -- now playing, similarity ------------------------------------------------------------------------------------
def now_playing(*, user: AuthUser) -> list[dict[str, Any]]:
    """getNowPlaying from the play history's now-playing list (listening app), as NowPlayingEntry rows."""
    if not apps.is_installed("listening"):
        return []
    try:
        from listening.selectors import now_playing_list
    except ImportError:
        return []
    entries = []
    for row in now_playing_list():
        identifier, filename = row.get("recording_identifier") or "", row.get("filename") or ""
        song_id = ids.file_song_id(identifier, filename) if identifier and filename else f"np-{row.get('user_id')}"
        entries.append({"id": song_id, "isDir": False, "title": row.get("title") or row.get("track_title") or "",
                        "artist": row.get("artist") or row.get("artist_name") or "", "album": row.get("release") or "",
                        "username": row.get("username") or "", "minutesAgo": int(row.get("minutes_ago") or 0),
                        "playerId": 0, "type": "music", "isVideo": False})
    return entries


def _recommend_track(*, user: AuthUser, song_id: str) -> Any:
    """The recommend catalogue track behind a song, or None."""
    ref = ids.parse(song_id)
    if ref is None:
        return None
    uploads = recommend_selectors.uploads_for_user(user=user)
    if ref.kind == "upload":
        upload = uploads.select_related("track").filter(pk=ref.number).first()
        return upload.track if upload is not None else None
    if ref.kind != "file":
        return None
    # recommend publishes no selector for a track by its external key; its own-tracks queryset names the
    # model without this app importing recommend.models.
    Track = recommend_selectors.own_tracks_for_user(user=user).model
    return (Track.objects.filter(external_key=f"ia:{ref.key}/{ref.filename}")
            .filter(Q(owner__isnull=True) | Q(owner=user)).first())


def _song_for_track(*, user: AuthUser, track: Any) -> dict[str, Any] | None:
    key = track.external_key or ""
    song_id = ""
    if key.startswith("ia:") and "/" in key:
        identifier, filename = key[3:].split("/", 1)
        song_id = ids.file_song_id(identifier, filename)
    else:
        upload = recommend_selectors.uploads_for_user(user=user).filter(track=track).first()
        if upload is not None:
            song_id = ids.upload_song_id(upload.pk)
    if not song_id:
        return None  # a Spotify-only catalogue track: nothing Stylus can play
    try:
        return song_source(user=user, song_id=song_id).song
    except SubsonicError:
        return None


def _vector(track: Any) -> Any:
    features = recommend_services.best_features(track)
    return features.as_array() if features is not None else None


def _index() -> Any:
    try:
        return recommend_services.live_index()
    except StylusError:  # no index yet: no similar songs, never an error
        return None


def _similarity(a: Any, b: Any) -> float:
    import numpy as np

    return round(float(max(0.0, min(1.0, (float(np.dot(a, b)) + 1) / 2))), 4)


def sonic_similar(*, user: AuthUser, song_id: str, count: int) -> list[dict[str, Any]]:
    """getSonicSimilarTracks: nearest neighbours in the recommend FAISS index, as playable songs."""
    track = _recommend_track(user=user, song_id=song_id)
    vector = _vector(track) if track is not None else None
    loaded = _index() if vector is not None else None
    if loaded is None:
        return []
    _scores, track_ids = loaded.search(vector, count * 4 + 1)
    Track = type(track)
    found = {t.pk: t for t in Track.objects.filter(pk__in=[int(i) for i in track_ids])
             .filter(Q(owner__isnull=True) | Q(owner=user))}
    matches: list[dict[str, Any]] = []
    for track_id in track_ids:
        candidate = found.get(int(track_id))
        if candidate is None or candidate.pk == track.pk:
            continue
        song = _song_for_track(user=user, track=candidate)
        other = _vector(candidate)
        if song is None or other is None:
            continue
        matches.append({"entry": song, "similarity": _similarity(vector, other)})
        if len(matches) >= count:
            break
    return matches


def sonic_path(*, user: AuthUser, start_id: str, end_id: str, count: int) -> list[dict[str, Any]]:
    """findSonicPath: from start to end through the nearest songs to evenly spaced points between them."""
    import numpy as np

    start, end = _recommend_track(user=user, song_id=start_id), _recommend_track(user=user, song_id=end_id)
    a = _vector(start) if start is not None else None
    b = _vector(end) if end is not None else None
    loaded = _index() if a is not None and b is not None else None
    first = _song_for_track(user=user, track=start) if start is not None else None
    last = _song_for_track(user=user, track=end) if end is not None else None
    if loaded is None or first is None or last is None or a is None or b is None:
        return []
    path = [{"entry": first, "similarity": 1.0}]
    used = {start.pk, end.pk}
    Track = type(start)
    steps = max(0, count - 2)
    for step in range(1, steps + 1):
        t = step / (steps + 1)
        point = (1 - t) * a + t * b
        norm = float(np.linalg.norm(point))
        if norm == 0:
            continue
        _scores, track_ids = loaded.search((point / norm).astype(np.float32), 10)
        candidates = {c.pk: c for c in Track.objects.filter(pk__in=[int(i) for i in track_ids])
                      .filter(Q(owner__isnull=True) | Q(owner=user))}
        for track_id in track_ids:
            candidate = candidates.get(int(track_id))
            if candidate is None or candidate.pk in used:
                continue
            song = _song_for_track(user=user, track=candidate)
            other = _vector(candidate)
            if song is None or other is None:
                continue
            used.add(candidate.pk)
            path.append({"entry": song, "similarity": _similarity(a, other)})
            break
    path.append({"entry": last, "similarity": _similarity(a, b)})
    return path


# -- system -----------------------------------------------------------------------------------------------------
def genres() -> list[dict[str, Any]]:
    concerts = concert_selectors.concert_list().order_by()
    albums = concerts.count()
    songs = sum(n or 0 for n in _concerts().order_by().values_list("best_tracks", flat=True))
    return [{"value": GENRE, "songCount": songs, "albumCount": albums}] if albums else []


def library_size() -> int:
    return concert_selectors.concert_list().order_by().count()


def now() -> dt.datetime:
    return timezone.now()


# -- cover art ---------------------------------------------------------------------------------------------------
COVER_FORMATS = ("JPEG", "PNG", "GIF", "Item Tile", "JPEG Thumb")


def _item_image(identifier: str) -> tuple[str, str] | None:
    """The item's own picture (artwork before the archive's tile), or None."""
    try:
        meta = archive_services.archive_item_get(identifier=identifier)
    except StylusError:
        return None
    images = [f for f in meta.files if f.format in COVER_FORMATS and not f.private]
    if not images:
        return None
    best = min(images, key=lambda f: (COVER_FORMATS.index(f.format), f.name))
    return identifier, best.name


def cover_for(*, user: AuthUser, cover_id: str) -> tuple[str, tuple[str, str] | None]:
    """(a title for a generated cover, the archive image to use if any) for a coverArt id the user may see."""
    if cover_id.startswith("pl-"):
        playlist = playlist_get_for_user(user=user, playlist_id=cover_id[3:])
        return playlist.name, None
    ref = ids.parse(cover_id)
    if ref is None:
        raise not_found("Cover art")
    if ref.kind == "artist":
        name = (concert_selectors.concert_list().filter(artist_slug=ref.key).values_list("artist", flat=True).first()
                or (_upload_artists(user).get(ref.key) or {}).get("name"))
        if not name:
            raise not_found("Artist")
        return name, None
    if ref.kind in ("file", "upload"):
        song = song_source(user=user, song_id=cover_id, describe=False)
        if ref.kind == "upload":
            return song.song.get("artist") or "?", None
        context = _visible_item(user=user, identifier=song.identifier)
    else:
        context = album_context(user=user, album_id=cover_id)
    image = _item_image(context.identifier) if context.identifier else None
    return context.album["artist"], image
