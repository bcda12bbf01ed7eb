"""Sending listens and "now playing" to the user's ListenBrainz (or compatible) server and Last.fm."""
from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.utils import timezone

from integrations.errors import IntegrationError
from integrations.lastfm.client import LastfmClient
from integrations.lastfm.types import Scrobble
from integrations.listenbrainz.client import ListenBrainzClient
from integrations.listenbrainz.types import ListenPayload

from ..models import Listen, ListeningProfile

log = logging.getLogger(__name__)


# -- scrobbling out ----------------------------------------------------------------------------------
def _error_text(exc: Exception) -> str:
    return str(exc)[:500] or exc.__class__.__name__


def _target_failed(*, user_id: int, target: str, exc: Exception) -> None:
    now = timezone.now()
    if target == "listenbrainz":
        ListeningProfile.objects.filter(user_id=user_id).update(listenbrainz_error=_error_text(exc), listenbrainz_error_at=now)
    else:
        ListeningProfile.objects.filter(user_id=user_id).update(lastfm_error=_error_text(exc), lastfm_error_at=now)


def _target_ok(*, user_id: int, target: str) -> None:
    if target == "listenbrainz":
        ListeningProfile.objects.filter(user_id=user_id).exclude(listenbrainz_error="").update(
            listenbrainz_error="", listenbrainz_error_at=None)
    else:
        ListeningProfile.objects.filter(user_id=user_id).exclude(lastfm_error="").update(lastfm_error="", lastfm_error_at=None)


def _payload(listen: Listen) -> ListenPayload:
    return ListenPayload(track_name=listen.track_title, artist_name=listen.artist_name, release_name=listen.release_name,
                         listened_at=int(listen.listened_at.timestamp()),
                         duration_ms=listen.duration_seconds * 1000 if listen.duration_seconds else None,
                         recording_mbid=listen.recording_mbid, release_mbid=listen.release_mbid)


def _unsent(*, user_id: int, listen_ids: list[int], state: str, credential: str
            ) -> tuple[ListeningProfile | None, list[Listen]]:
    """The user's profile and these listens still waiting for one target (`state` is its column). Without the
    target's credential nothing can be sent: the listens are taken off its queue and none are returned."""
    profile = ListeningProfile.objects.filter(user_id=user_id).first()
    listens = list(Listen.objects.filter(user_id=user_id, pk__in=listen_ids,
                                         **{f"{state}__in": [Listen.Scrobble.PENDING, Listen.Scrobble.FAILED]})
                   .order_by("listened_at"))
    if listens and (profile is None or not getattr(profile, credential)):
        Listen.objects.filter(pk__in=[x.pk for x in listens]).update(**{state: Listen.Scrobble.NONE})
        return profile, []
    return profile, listens


def scrobble_listenbrainz(*, user_id: int, listen_ids: list[int]) -> int:
    """Sends these listens (still unsent) to the user's ListenBrainz server; returns how many were sent.

    Safe to run twice: sent listens are skipped. A transient error marks them failed (the periodic resend and
    the task's own retries pick them up) and is re-raised; a refused token is recorded for the settings page.
    """
    profile, listens = _unsent(user_id=user_id, listen_ids=listen_ids, state="listenbrainz_state",
                               credential="listenbrainz_token")
    if profile is None or not listens:
        return 0
    client = ListenBrainzClient(token=profile.listenbrainz_token, base_url=profile.listenbrainz_url, max_retries=0)
    ids = [x.pk for x in listens]
    try:
        client.submit_listens(listen_type="single" if len(listens) == 1 else "import",
                              listens=[_payload(x) for x in listens])
    except IntegrationError as exc:
        Listen.objects.filter(pk__in=ids).update(listenbrainz_state=Listen.Scrobble.FAILED)
        _target_failed(user_id=user_id, target="listenbrainz", exc=exc)
        if exc.transient:
            raise
        return 0
    finally:
        client.close()
    Listen.objects.filter(pk__in=ids).update(listenbrainz_state=Listen.Scrobble.SENT)
    _target_ok(user_id=user_id, target="listenbrainz")
    return len(ids)


def scrobble_lastfm(*, user_id: int, listen_ids: list[int]) -> int:
    """Sends these listens (still unsent) to Last.fm, 50 per call; same guarantees as scrobble_listenbrainz."""
    profile, listens = _unsent(user_id=user_id, listen_ids=listen_ids, state="lastfm_state",
                               credential="lastfm_session_key")
    if profile is None or not listens:
        return 0
    sent = 0
    try:
        client = LastfmClient(session_key=profile.lastfm_session_key, max_retries=0)
    except IntegrationError as exc:  # Last.fm not configured on this server: keep them pending, say so
        _target_failed(user_id=user_id, target="lastfm", exc=exc)
        return 0
    try:
        for start in range(0, len(listens), 50):
            chunk = listens[start:start + 50]
            client.scrobble(scrobbles=[Scrobble(artist=x.artist_name, track=x.track_title,
                                                timestamp=int(x.listened_at.timestamp()), album=x.release_name,
                                                duration=x.duration_seconds, mbid=x.recording_mbid) for x in chunk])
            Listen.objects.filter(pk__in=[x.pk for x in chunk]).update(lastfm_state=Listen.Scrobble.SENT)
            sent += len(chunk)
    except IntegrationError as exc:
        Listen.objects.filter(pk__in=[x.pk for x in listens], lastfm_state=Listen.Scrobble.PENDING).update(
            lastfm_state=Listen.Scrobble.FAILED)
        _target_failed(user_id=user_id, target="lastfm", exc=exc)
        if exc.transient:
            raise
        return sent
    finally:
        client.close()
    _target_ok(user_id=user_id, target="lastfm")
    return sent


def now_playing_send(*, user_id: int, track_title: str, artist_name: str, release_name: str = "",
                     duration_seconds: int | None = None) -> None:
    """Sends "now playing" to every connected target; a failure is only logged (it is stale in minutes)."""
    profile = ListeningProfile.objects.filter(user_id=user_id).first()
    if profile is None:
        return
    if profile.listenbrainz_token:
        client = ListenBrainzClient(token=profile.listenbrainz_token, base_url=profile.listenbrainz_url, max_retries=0)
        try:
            client.submit_listens(listen_type="playing_now", listens=[ListenPayload(
                track_name=track_title, artist_name=artist_name, release_name=release_name,
                duration_ms=duration_seconds * 1000 if duration_seconds else None)])
        except IntegrationError as exc:
            log.info("now playing to ListenBrainz failed for user %s: %s", user_id, exc)
        finally:
            client.close()
    if profile.lastfm_session_key:
        try:
            fm = LastfmClient(session_key=profile.lastfm_session_key, max_retries=0)
        except IntegrationError:
            return
        try:
            fm.update_now_playing(artist=artist_name, track=track_title, album=release_name, duration=duration_seconds)
        except IntegrationError as exc:
            log.info("now playing to Last.fm failed for user %s: %s", user_id, exc)
        finally:
            fm.close()


RESEND_AFTER = dt.timedelta(minutes=5)  # younger ones are still in their task's own retries
RESEND_BATCH = 500


def scrobbles_resend() -> dict[str, int]:
    """Queues every unsent listen older than a few minutes again, per user and target (the periodic task)."""
    from .. import tasks

    cutoff = timezone.now() - RESEND_AFTER
    queued = {"listenbrainz": 0, "lastfm": 0}
    for target, state_field, task in (("listenbrainz", "listenbrainz_state", tasks.scrobble_listenbrainz_batch_task),
                                      ("lastfm", "lastfm_state", tasks.scrobble_lastfm_batch_task)):
        rows = (Listen.objects.filter(**{f"{state_field}__in": ["pending", "failed"]}, created_at__lt=cutoff)
                .order_by("user_id", "listened_at").values_list("user_id", "pk")[:RESEND_BATCH * 20])
        per_user: dict[int, list[int]] = {}
        for user_id, pk in rows:
            per_user.setdefault(user_id, []).append(pk)
        for user_id, ids in per_user.items():
            for start in range(0, len(ids), RESEND_BATCH):
                task.delay(user_id, ids[start:start + RESEND_BATCH])
                queued[target] += len(ids[start:start + RESEND_BATCH])
    return queued


def settings_summary() -> dict[str, bool]:
    return {"lastfm_configured": bool(settings.LASTFM_API_KEY and settings.LASTFM_API_SECRET)}
