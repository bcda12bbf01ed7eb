"""Per-user listening settings (privacy, scrobble targets, the player queue) and who is playing what now."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db import transaction
from django.utils import timezone

from common.types import AuthUser
from integrations.errors import IntegrationError
from integrations.lastfm.client import LastfmClient
from integrations.listenbrainz.client import ListenBrainzClient

from ..models import TEXT_MAX, Listen, ListeningProfile, NowPlaying
from .listens import ListenRejected

NOW_PLAYING_DEFAULT_SECONDS = 10 * 60


def profile_for(*, user: AuthUser) -> ListeningProfile:
    """The user's listening settings, created on first use."""
    profile, _ = ListeningProfile.objects.get_or_create(user=user)
    return profile



# -- now playing -------------------------------------------------------------------------------------
def now_playing_set(*, user: AuthUser, track_title: str, artist_name: str, source: str,
                    release_name: str = "", recording_identifier: str = "", filename: str = "",
                    duration_seconds: int | None = None) -> None:
    """Records what the user is playing now (expires after the track's length, or 10 minutes) and sends
    "now playing" to their scrobble targets after commit."""
    track_title, artist_name = (track_title or "").strip()[:TEXT_MAX], (artist_name or "").strip()[:TEXT_MAX]
    if not track_title or not artist_name:
        raise ListenRejected("track_title and artist_name are required.", field="track_title" if not track_title else "artist_name")
    now = timezone.now()
    seconds = duration_seconds if duration_seconds and 0 < duration_seconds <= 24 * 3600 else NOW_PLAYING_DEFAULT_SECONDS
    NowPlaying.objects.update_or_create(user=user, defaults={
        "track_title": track_title, "artist_name": artist_name, "release_name": (release_name or "")[:TEXT_MAX],
        "recording_identifier": (recording_identifier or "")[:100], "filename": (filename or "")[:500],
        "source": source if source in Listen.Source.values else Listen.Source.WEB,
        "started_at": now, "expires_at": now + dt.timedelta(seconds=seconds),
    })
    profile = ListeningProfile.objects.filter(user=user).first()
    if profile is None or not (profile.listenbrainz_token or profile.lastfm_session_key):
        return
    from .. import tasks

    payload = {"track_title": track_title, "artist_name": artist_name, "release_name": release_name or "",
               "duration_seconds": duration_seconds}
    transaction.on_commit(lambda: tasks.now_playing_send_task.delay(user.pk, payload))


def now_playing_clear(*, user: AuthUser) -> None:
    NowPlaying.objects.filter(user=user).delete()


# -- settings ----------------------------------------------------------------------------------------
def profile_update(*, user: AuthUser, history_public: bool | None = None,
                   listenbrainz_url: str | None = None) -> ListeningProfile:
    """Changes privacy and the custom ListenBrainz URL."""
    profile = profile_for(user=user)
    if history_public is not None:
        profile.history_public = history_public
    if listenbrainz_url is not None:
        url = listenbrainz_url.strip().rstrip("/")
        if url and not re.fullmatch(r"https?://[^\s/$.?#][^\s]*", url):
            raise ListenRejected("Enter an http(s) URL.", field="listenbrainz_url")
        if len(url) > 300:
            raise ListenRejected("The URL is longer than 300 characters.", field="listenbrainz_url")
        profile.listenbrainz_url = url
    profile.save()
    return profile


def listenbrainz_connect(*, user: AuthUser, token: str, url: str = "") -> ListeningProfile:
    """Checks the token with the server (validate-token) and stores it encrypted; ListenRejected if refused."""
    token = (token or "").strip()
    if not re.fullmatch(r"[A-Za-z0-9._~-]{8,100}", token):
        raise ListenRejected("That does not look like a ListenBrainz user token.", field="token")
    profile = profile_update(user=user, listenbrainz_url=url)
    client = ListenBrainzClient(token=token, base_url=profile.listenbrainz_url)
    try:
        client.validate_token()
    except IntegrationError as exc:
        if exc.transient:
            raise ListenRejected(f"The server could not be reached ({exc}); try again later.", field="token") from exc
        raise ListenRejected("The server refused that token.", field="token") from exc
    finally:
        client.close()
    profile.listenbrainz_token = token
    profile.listenbrainz_error, profile.listenbrainz_error_at = "", None
    profile.save()
    return profile


def listenbrainz_disconnect(*, user: AuthUser) -> None:
    ListeningProfile.objects.filter(user=user).update(listenbrainz_token="", listenbrainz_error="", listenbrainz_error_at=None)
    # Nothing is left waiting for a target that is gone.
    Listen.objects.filter(user=user, listenbrainz_state__in=["pending", "failed"]).update(listenbrainz_state="")


def lastfm_connect(*, user: AuthUser, token: str) -> ListeningProfile:
    """Finishes Last.fm's web auth: exchanges the callback's token for a session key, stored encrypted."""
    token = (token or "").strip()
    if not re.fullmatch(r"[A-Za-z0-9]{16,64}", token):
        raise ListenRejected("Last.fm sent back no valid token.", field="token")
    client = LastfmClient()
    try:
        session = client.session_for_token(token=token)
    except IntegrationError as exc:
        raise ListenRejected(f"Last.fm did not confirm the connection ({exc}).", field="token") from exc
    finally:
        client.close()
    profile = profile_for(user=user)
    profile.lastfm_session_key, profile.lastfm_username = session.key, session.name[:100]
    profile.lastfm_error, profile.lastfm_error_at = "", None
    profile.save()
    return profile


def lastfm_disconnect(*, user: AuthUser) -> None:
    ListeningProfile.objects.filter(user=user).update(lastfm_session_key="", lastfm_username="", lastfm_error="",
                                                       lastfm_error_at=None)
    Listen.objects.filter(user=user, lastfm_state__in=["pending", "failed"]).update(lastfm_state="")


QUEUE_MAX_ITEMS = 2000


def queue_save(*, user: AuthUser, queue: dict) -> None:
    """Stores the player's queue document (items, index, position) as sent, bounded."""
    items = queue.get("items") if isinstance(queue, dict) else None
    if not isinstance(items, list) or len(items) > QUEUE_MAX_ITEMS:
        raise ListenRejected(f"items must be a list of at most {QUEUE_MAX_ITEMS} tracks.", field="items")
    clean = []
    for raw in items:
        if not isinstance(raw, dict):
            raise ListenRejected("Each item must be an object.", field="items")
        clean.append({k: (str(raw.get(k) or "")[:TEXT_MAX]) for k in ("identifier", "file", "title", "artist", "album", "url")}
                     | {"duration": _number(raw.get("duration"))})
    index = _number(queue.get("index")) or 0
    position = _number(queue.get("position")) or 0
    profile = profile_for(user=user)
    profile.queue = {"items": clean, "index": int(min(max(index, 0), max(len(clean) - 1, 0))),
                     "position": max(0.0, position)}
    profile.save(update_fields=["queue", "updated_at"])


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) < 1e9 else None  # no NaN or absurd values
