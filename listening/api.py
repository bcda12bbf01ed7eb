"""Listening API, mounted at /api/v1/ itself: /listens..., and the player's /listening/... helpers."""
import re

from django.contrib.auth.models import User
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status
from ninja.pagination import paginate

from common.api import Pagination, auth_optional, auth_required, external_throttle
from common.exceptions import InvalidInput
from common.schemas import errors
from common.types import AuthUser

from . import selectors, services
from .schemas import (
    ListenFilter,
    ListenIn,
    ListenOut,
    ListenStatsOut,
    NowPlayingIn,
    NowPlayingOut,
    PlayerTracksOut,
    QueueIn,
    QueueOut,
    StatsFilter,
)

router = Router(tags=["Listening"])


def _me(request: HttpRequest) -> AuthUser:
    # auth_required has set request.user to the token's or the session's user.
    assert isinstance(request.user, User)
    return request.user
_IDENTIFIER = re.compile(r"[A-Za-z0-9._-]{1,100}")


@router.get("/listens", response={200: list[ListenOut], **errors(401, 422)}, auth=auth_required,
            summary="Your play history, newest first (filter by since/until)")
@paginate(Pagination)
def listen_list(request: HttpRequest, filters: Query[ListenFilter]):
    return selectors.listen_list_for_user(user=_me(request), since=filters.since, until=filters.until)


@router.post("/listens", response={201: ListenOut, **errors(401, 422)}, auth=auth_required,
             summary="Record a listen (a web play must have reached half the track or 4 minutes)")
def listen_create(request: HttpRequest, payload: ListenIn):
    if (payload.source == "web" and payload.seconds_played is not None
            and not services.play_counts(seconds_played=payload.seconds_played, duration_seconds=payload.duration_seconds)):
        raise InvalidInput("A play counts after half the track or 4 minutes, whichever comes first.", field="seconds_played")
    listen = services.listen_record(
        user=_me(request), listened_at=payload.listened_at or timezone.now(), track_title=payload.track_title,
        artist_name=payload.artist_name, release_name=payload.release_name, source=payload.source,
        recording_identifier=payload.recording_identifier, filename=payload.filename,
        duration_seconds=payload.duration_seconds, seconds_played=payload.seconds_played,
        mbids={"recording_mbid": payload.recording_mbid, "release_mbid": payload.release_mbid})
    return Status(201, listen)


@router.get("/listens/stats", response={200: ListenStatsOut, **errors(401, 422)}, auth=auth_required,
            summary="Top artists, releases, tracks and shows, listening time, plays over time, by hour and weekday")
def listen_stats(request: HttpRequest, filters: Query[StatsFilter]):
    return selectors.listen_stats(user=_me(request), range=filters.range)


@router.delete("/listens/{listen_id}", response={204: None, **errors(401, 404)}, auth=auth_required,
               summary="Delete one of your listens")
def listen_delete(request: HttpRequest, listen_id: int):
    if not services.listen_delete(user=_me(request), listen_id=listen_id):
        raise Http404("No such listen.")
    return Status(204, None)


@router.post("/listening/now-playing", response={204: None, **errors(401, 422)}, auth=auth_required,
             summary="Say what you are playing now (sent on to your scrobble targets)")
def now_playing_set(request: HttpRequest, payload: NowPlayingIn):
    services.now_playing_set(user=_me(request), source="web", **payload.dict())
    return Status(204, None)


@router.get("/listening/now-playing", response={200: list[NowPlayingOut], **errors(401)}, auth=auth_required,
            summary="What you and users with a public history are playing now")
def now_playing_list(request: HttpRequest):
    return selectors.now_playing_list(viewer=_me(request))


@router.get("/listening/queue", response={200: QueueOut, **errors(401)}, auth=auth_required,
            summary="Your player queue (kept on the server so it survives reloads and devices)")
def queue_get(request: HttpRequest):
    return selectors.player_queue(user=_me(request)) or {}


@router.put("/listening/queue", response={204: None, **errors(401, 422)}, auth=auth_required,
            summary="Replace your player queue")
def queue_put(request: HttpRequest, payload: QueueIn):
    services.queue_save(user=_me(request), queue=payload.dict())
    return Status(204, None)


@router.get("/listening/tracks/{identifier}", response={200: PlayerTracksOut, **errors(404, 422, 502, 503)},
            auth=auth_optional, throttle=external_throttle(),
            summary="The playable tracks of a recording: your verified download, else the archive's best format")
def player_tracks(request: HttpRequest, identifier: str, flac: bool = True):
    if not _IDENTIFIER.fullmatch(identifier):
        raise InvalidInput("Not an archive identifier.", field="identifier")
    return selectors.player_tracks(user=request.user, identifier=identifier, flac=flac)
