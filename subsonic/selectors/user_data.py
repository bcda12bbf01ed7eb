"""The user's playlists (and others' public ones), play queue, and what is playing now."""
from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db.models import Count, Q, QuerySet

from common.types import AuthUser

from .. import ids
from ..models import Playlist as PlaylistModel
from ..models import PlaylistEntry, PlayQueue
from ..protocol import not_found
from .albums import songs_by_ids
from .base import created_time


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
            "duration": duration, "created": created_time(playlist.created_at), "changed": created_time(playlist.updated_at),
            "coverArt": f"pl-{playlist.pk}"}


def playlist_songs(*, user: AuthUser, playlist: PlaylistModel) -> list[dict[str, Any]]:
    song_ids = list(PlaylistEntry.objects.filter(playlist=playlist).order_by("position")
                    .values_list("song_id", flat=True))
    return songs_by_ids(user=user, song_ids=song_ids)


def play_queue_for_user(*, user: AuthUser) -> PlayQueue | None:
    return PlayQueue.objects.filter(user=user).first()


# -- now playing, similarity ------------------------------------------------------------------------------------
def now_playing(*, user: AuthUser) -> list[dict[str, Any]]:
    """getNowPlaying from the play history's now-playing list (listening app), as NowPlayingEntry rows.

    Only what `user` may see: their own playback and that of users whose history is public. The Subsonic spec
    has the list server-wide, but Stylus keeps listening private by default, for every client alike."""
    if not apps.is_installed("listening"):
        return []
    try:
        from listening.selectors import now_playing_list
    except ImportError:
        return []
    entries = []
    for row in now_playing_list(viewer=user):
        identifier, filename = row.get("recording_identifier") or "", row.get("filename") or ""
        song_id = ids.file_song_id(identifier, filename) if identifier and filename else f"np-{row.get('user_id')}"
        entries.append({"id": song_id, "isDir": False, "title": row.get("title") or row.get("track_title") or "",
                        "artist": row.get("artist") or row.get("artist_name") or "", "album": row.get("release") or "",
                        "username": row.get("username") or "", "minutesAgo": int(row.get("minutes_ago") or 0),
                        "playerId": 0, "type": "music", "isVideo": False})
    return entries
