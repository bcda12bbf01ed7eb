"""Writes for Subsonic clients: the app password, stars, ratings, playlists, the play queue and scrobbles."""
from __future__ import annotations

import datetime as dt
import logging
import secrets

from django.apps import apps
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from common.types import AuthUser

from . import selectors
from .models import COMMENT_MAX, ITEM_ID_MAX, NAME_MAX, AppPassword, Play, PlaylistEntry, PlayQueue, Rating, Star
from .models import Playlist as PlaylistModel
from .protocol import NOT_AUTHORIZED, SubsonicError, not_found

log = logging.getLogger(__name__)

PLAYLIST_MAX_SONGS = 5000
QUEUE_MAX_SONGS = 5000
SCAN_FLAG = "subsonic:scan-started"


def app_password_create(*, user: AuthUser) -> str:
    """A new random Subsonic app password for the user (replacing any old one); returned once in plain text."""
    secret = secrets.token_urlsafe(18)
    AppPassword.objects.update_or_create(user=user, defaults={"secret": secret})
    selectors.app_password_forget(username=user.get_username())
    return secret


def app_password_delete(*, user: AuthUser) -> bool:
    deleted = AppPassword.objects.filter(user=user).delete()[0] > 0
    selectors.app_password_forget(username=user.get_username())
    return deleted


# -- stars and ratings -----------------------------------------------------------------------------------------
def _check_id(item_id: str) -> str:
    if len(item_id) > ITEM_ID_MAX:
        raise not_found("Item")
    return item_id


def items_star(*, user: AuthUser, item_ids: list[str]) -> int:
    """Stars items the user can see (idempotent); SubsonicError 70 naming the first unknown id, nothing stored."""
    kinds = [(selectors.item_exists(user=user, item_id=_check_id(i)), i) for i in item_ids]
    with transaction.atomic():
        for kind, item_id in kinds:
            Star.objects.get_or_create(user=user, kind=kind, item_id=item_id)
    selectors.marks_forget(user=user)
    return len(kinds)


def items_unstar(*, user: AuthUser, item_ids: list[str]) -> int:
    """Removes stars (unknown ids are simply not starred: unstar is idempotent)."""
    removed = Star.objects.filter(user=user, item_id__in=item_ids).delete()[0]
    selectors.marks_forget(user=user)
    return removed


def rating_set(*, user: AuthUser, item_id: str, rating: int) -> None:
    """0 removes the rating; 1-5 sets it."""
    if not 0 <= rating <= 5:
        raise SubsonicError(0, "Parameter rating must be between 0 and 5.")
    selectors.item_exists(user=user, item_id=_check_id(item_id))
    if rating == 0:
        Rating.objects.filter(user=user, item_id=item_id).delete()
    else:
        Rating.objects.update_or_create(user=user, item_id=item_id, defaults={"rating": rating})
    selectors.marks_forget(user=user)


# -- playlists -------------------------------------------------------------------------------------------------
def _checked_songs(*, user: AuthUser, song_ids: list[str]) -> list[str]:
    if len(song_ids) > PLAYLIST_MAX_SONGS:
        raise SubsonicError(0, f"A playlist holds at most {PLAYLIST_MAX_SONGS} songs.")
    for song_id in set(song_ids):
        selectors.song_source(user=user, song_id=_check_id(song_id), describe=False)
    return song_ids


def _text(value: str, *, field: str, limit: int) -> str:
    if len(value) > limit:
        raise SubsonicError(0, f"Parameter {field} is longer than {limit} characters.")
    return value


def _own(*, user: AuthUser, playlist_id: str) -> PlaylistModel:
    playlist = selectors.playlist_get_for_user(user=user, playlist_id=playlist_id)
    if playlist.user_id != user.pk:  # a public playlist of someone else: visible, not editable
        raise SubsonicError(NOT_AUTHORIZED, "Only the owner can change this playlist.")
    return playlist


@transaction.atomic
def playlist_create(*, user: AuthUser, name: str, song_ids: list[str]) -> PlaylistModel:
    playlist = PlaylistModel.objects.create(user=user, name=_text(name, field="name", limit=NAME_MAX))
    for position, song_id in enumerate(_checked_songs(user=user, song_ids=song_ids)):
        PlaylistEntry.objects.create(playlist=playlist, position=position, song_id=song_id)
    return playlist


@transaction.atomic
def playlist_replace(*, user: AuthUser, playlist_id: str, song_ids: list[str]) -> PlaylistModel:
    """createPlaylist with a playlistId: the playlist's songs become exactly these."""
    playlist = _own(user=user, playlist_id=playlist_id)
    checked = _checked_songs(user=user, song_ids=song_ids)
    playlist.entries.all().delete()
    PlaylistEntry.objects.bulk_create(PlaylistEntry(playlist=playlist, position=i, song_id=s)
                                      for i, s in enumerate(checked))
    playlist.save(update_fields=["updated_at"])
    return playlist


@transaction.atomic
def playlist_update(*, user: AuthUser, playlist_id: str, name: str | None = None, comment: str | None = None,
                    public: bool | None = None, add_ids: list[str] | None = None,
                    remove_indexes: list[int] | None = None) -> PlaylistModel:
    """updatePlaylist: rename, comment, share, append songs and remove songs by their index before the change."""
    playlist = _own(user=user, playlist_id=playlist_id)
    if name is not None:
        playlist.name = _text(name, field="name", limit=NAME_MAX)
    if comment is not None:
        playlist.comment = _text(comment, field="comment", limit=COMMENT_MAX)
    if public is not None:
        playlist.public = public
    current = list(playlist.entries.order_by("position").values_list("song_id", flat=True))
    drop = set(remove_indexes or [])
    if any(i < 0 or i >= len(current) for i in drop):
        raise SubsonicError(0, "Parameter songIndexToRemove is out of range.")
    kept = [s for i, s in enumerate(current) if i not in drop]
    added = _checked_songs(user=user, song_ids=add_ids or [])
    songs = kept + added
    if len(songs) > PLAYLIST_MAX_SONGS:
        raise SubsonicError(0, f"A playlist holds at most {PLAYLIST_MAX_SONGS} songs.")
    if drop or added:
        playlist.entries.all().delete()
        PlaylistEntry.objects.bulk_create(PlaylistEntry(playlist=playlist, position=i, song_id=s)
                                          for i, s in enumerate(songs))
    playlist.save()
    return playlist


def playlist_delete(*, user: AuthUser, playlist_id: str) -> None:
    _own(user=user, playlist_id=playlist_id).delete()


# -- play queue and scrobbles -----------------------------------------------------------------------------------
def play_queue_save(*, user: AuthUser, song_ids: list[str], current: str = "", position_ms: int = 0,
                    client: str = "") -> PlayQueue:
    """savePlayQueue: the queue replaces the stored one; an empty list clears it."""
    if len(song_ids) > QUEUE_MAX_SONGS:
        raise SubsonicError(0, f"A play queue holds at most {QUEUE_MAX_SONGS} songs.")
    for song_id in set(song_ids):
        selectors.song_source(user=user, song_id=_check_id(song_id), describe=False)
    if current and current not in song_ids:
        raise SubsonicError(0, "Parameter current must be one of the queued ids.")
    queue, _ = PlayQueue.objects.update_or_create(user=user, defaults={
        "song_ids": song_ids, "current": current, "position_ms": max(0, position_ms), "changed_by": client[:200]})
    return queue


def _listening():
    """listening.services when that app is installed (the play history), else None."""
    if not apps.is_installed("listening"):
        return None
    try:
        from listening import services as listening_services
    except ImportError:
        return None
    return listening_services


def scrobble(*, user: AuthUser, song_ids: list[str], times: list[dt.datetime | None], submission: bool) -> int:
    """scrobble: a submission stores a play (album lists) and a Listen with source `subsonic`; otherwise the
    song becomes the user's now playing. Unknown ids answer 70 before anything is stored."""
    songs = [selectors.song_source(user=user, song_id=_check_id(song_id)).song for song_id in song_ids]
    listening = _listening()
    for index, song in enumerate(songs):
        when: dt.datetime = (times[index] if index < len(times) else None) or timezone.now()
        identifier, filename = _archive_file(song["id"])
        common = {"track_title": song.get("title") or "", "artist_name": song.get("artist") or "",
                  "release_name": song.get("album") or "", "recording_identifier": identifier,
                  "filename": filename, "duration_seconds": song.get("duration")}
        if not submission:
            if listening is not None:
                listening.now_playing_set(user=user, source="subsonic", **common)
            continue
        forwarded = False
        if listening is not None:
            try:
                listening.listen_record(user=user, listened_at=when, source="subsonic", **common)
                forwarded = True
            except Exception:  # the play still counts here; forwarded=False marks it for a later merge
                log.warning("subsonic: listen_record failed for user %s", user.pk, exc_info=True)
        try:
            with transaction.atomic():
                Play.objects.create(user=user, song_id=song["id"], album_id=song.get("albumId") or "",
                                    played_at=when, forwarded=forwarded)
        except IntegrityError:
            pass  # the same play sent twice (clients retry): idempotent
    return len(songs)


def _archive_file(song_id: str) -> tuple[str, str]:
    from . import ids

    ref = ids.parse(song_id)
    if ref is not None and ref.kind == "file":
        return ref.key, ref.filename
    return "", ""


def scan_start(*, user: AuthUser) -> None:
    """startScan (staff only): re-aggregates concerts from the archive in the background."""
    if not user.is_staff:
        raise SubsonicError(NOT_AUTHORIZED, "Only staff can start a scan.")
    from celery import current_app

    # By name: concerts' task module is not its public API, and the worker may live in another process.
    transaction.on_commit(lambda: current_app.send_task("concerts.tasks.concerts_aggregate_incremental"))
    cache.set(SCAN_FLAG, True, 60)


def scan_running() -> bool:
    return bool(cache.get(SCAN_FLAG))
