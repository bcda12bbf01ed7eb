"""Recording listens (web, Subsonic, imports, ListenBrainz clients) and deleting them."""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from common.exceptions import InvalidInput
from common.types import AuthUser

from ..models import TEXT_MAX, Listen, ListeningProfile
from .matching import link, match_key_for
from .tallies import tallies_drop, tallies_fold_soon

# A web play counts once half the track or this much has played, whichever comes first (Last.fm's and
# ListenBrainz's rule).
COUNT_AFTER_SECONDS = 240
EARLIEST = dt.datetime(2002, 1, 1, tzinfo=dt.UTC)  # ListenBrainz refuses listens before 2002
STATS_VERSION_KEY = "listening:stats-version:{}"


class ListenRejected(InvalidInput):
    """A listen or setting that cannot be stored (empty title, time out of range...); `field` names the culprit."""


@dataclass
class ListenIn:
    """One incoming listen, already parsed from whatever protocol brought it."""

    listened_at: dt.datetime
    track_title: str
    artist_name: str
    release_name: str = ""
    recording_identifier: str = ""
    filename: str = ""
    duration_seconds: int | None = None
    seconds_played: int | None = None
    mbids: dict[str, str] = field(default_factory=dict)
    submitted: dict[str, Any] = field(default_factory=dict)



def dedupe_key_for(*, listened_at: dt.datetime, track_title: str, artist_name: str) -> str:
    # Whole seconds: ListenBrainz timestamps are integers, so a resubmission lands on the same key.
    stamp = int(listened_at.timestamp())
    return hashlib.sha256(f"{stamp}|{track_title}|{artist_name}".encode()).hexdigest()


def play_counts(*, seconds_played: float, duration_seconds: float | None) -> bool:
    """The scrobble rule: half the track or 4 minutes, whichever comes first (an unknown length needs 4 minutes)."""
    threshold = COUNT_AFTER_SECONDS if not duration_seconds else min(duration_seconds / 2, COUNT_AFTER_SECONDS)
    return seconds_played >= threshold


def _clean(item: ListenIn) -> ListenIn:
    item.track_title = (item.track_title or "").strip()
    item.artist_name = (item.artist_name or "").strip()
    item.release_name = (item.release_name or "").strip()
    if not item.track_title:
        raise ListenRejected("track_title is required.", field="track_title")
    if not item.artist_name:
        raise ListenRejected("artist_name is required.", field="artist_name")
    for name in ("track_title", "artist_name", "release_name"):
        if len(getattr(item, name)) > TEXT_MAX:
            raise ListenRejected(f"{name} is longer than {TEXT_MAX} characters.", field=name)
    if timezone.is_naive(item.listened_at):
        raise ListenRejected("listened_at must carry a time zone.", field="listened_at")
    if item.listened_at < EARLIEST:
        raise ListenRejected("listened_at is before 2002.", field="listened_at")
    if item.listened_at > timezone.now() + dt.timedelta(minutes=5):  # a little clock skew is forgiven
        raise ListenRejected("listened_at is in the future.", field="listened_at")
    for name in ("duration_seconds", "seconds_played"):
        value = getattr(item, name)
        if value is not None and not 0 <= value <= 24 * 3600:
            raise ListenRejected(f"{name} must be between 0 and 86400.", field=name)
    item.recording_identifier = (item.recording_identifier or "")[:100]
    item.filename = (item.filename or "")[:500]
    return item



def _stats_changed(user_id: int) -> None:
    # Stats are cached per (user, range, version): bumping the version retires every cached range at once.
    try:
        cache.incr(STATS_VERSION_KEY.format(user_id))
    except ValueError:
        cache.set(STATS_VERSION_KEY.format(user_id), 2, None)


def _build(*, user: AuthUser, item: ListenIn, source: str) -> Listen:
    mbids = item.mbids or {}
    return Listen(
        user=user, listened_at=item.listened_at, track_title=item.track_title, artist_name=item.artist_name,
        release_name=item.release_name, recording_identifier=item.recording_identifier, filename=item.filename,
        duration_seconds=item.duration_seconds, seconds_played=item.seconds_played, source=source,
        recording_mbid=str(mbids.get("recording_mbid") or "")[:36], release_mbid=str(mbids.get("release_mbid") or "")[:36],
        submitted=item.submitted or {},
        dedupe_key=dedupe_key_for(listened_at=item.listened_at, track_title=item.track_title, artist_name=item.artist_name),
        match_key=match_key_for(track_title=item.track_title, artist_name=item.artist_name),
    )



def _scrobble_states(profile: ListeningProfile | None, *, forward: bool) -> tuple[str, str]:
    if not forward or profile is None:
        return "", ""
    lb = Listen.Scrobble.PENDING if profile.listenbrainz_token else ""
    fm = Listen.Scrobble.PENDING if profile.lastfm_session_key else ""
    return lb, fm


# -- listens -------------------------------------------------------------------------------------
def listen_record(*, user: AuthUser, listened_at: dt.datetime, track_title: str, artist_name: str,
                  source: str, release_name: str = "", recording_identifier: str = "", filename: str = "",
                  duration_seconds: int | None = None, seconds_played: int | None = None,
                  mbids: dict | None = None, submitted: dict | None = None) -> Listen:
    """Stores one listen (idempotent on user, time, title and artist), links it to what Stylus knows and
    queues the scrobbles out once committed. Raises ListenRejected for bad input."""
    if source not in Listen.Source.values:
        raise ListenRejected(f"source must be one of {', '.join(Listen.Source.values)}.", field="source")
    item = _clean(ListenIn(listened_at=listened_at, track_title=track_title, artist_name=artist_name,
                           release_name=release_name, recording_identifier=recording_identifier, filename=filename,
                           duration_seconds=duration_seconds, seconds_played=seconds_played, mbids=mbids or {},
                           submitted=submitted or {}))
    listen = _build(user=user, item=item, source=source)
    existing = Listen.objects.filter(user=user, dedupe_key=listen.dedupe_key).first()
    if existing is not None:
        return existing
    link(user=user, listens=[listen])
    profile = ListeningProfile.objects.filter(user=user).first()
    listen.listenbrainz_state, listen.lastfm_state = _scrobble_states(profile, forward=source != Listen.Source.IMPORT)
    try:
        with transaction.atomic():
            listen.save(force_insert=True)
    except IntegrityError:  # the same listen arrived twice at once (a client retrying): keep the first
        return Listen.objects.get(user=user, dedupe_key=listen.dedupe_key)
    _after_new_listens(user_id=user.pk, listen_ids=[listen.pk],
                       scrobble=bool(listen.listenbrainz_state or listen.lastfm_state))
    return listen


def listens_import(*, user: AuthUser, items: list[ListenIn], source: str, forward: bool = False) -> int:
    """Stores a batch (≤ 1000) in one insert, skipping ones already stored; returns how many were new.

    forward=True (a client's single listens) queues the scrobbles out; a history import is never forwarded.
    """
    listens = [_build(user=user, item=_clean(item), source=source) for item in items]
    unique = {x.dedupe_key: x for x in listens}
    have = set(Listen.objects.filter(user=user, dedupe_key__in=list(unique)).values_list("dedupe_key", flat=True))
    fresh = [x for key, x in unique.items() if key not in have]
    if not fresh:
        return 0
    link(user=user, listens=fresh)
    profile = ListeningProfile.objects.filter(user=user).first() if forward else None
    lb, fm = _scrobble_states(profile, forward=forward)
    for listen in fresh:
        listen.listenbrainz_state, listen.lastfm_state = lb, fm
    with transaction.atomic():
        Listen.objects.bulk_create(fresh, ignore_conflicts=True, batch_size=1000)
    ids = []
    if lb or fm:
        ids = list(Listen.objects.filter(user=user, dedupe_key__in=[x.dedupe_key for x in fresh]).values_list("pk", flat=True))
    _after_new_listens(user_id=user.pk, listen_ids=ids, scrobble=bool(ids))
    if not forward:  # a history import: thousands of listens the next stats read would otherwise fold itself
        tallies_fold_soon(user_id=user.pk)
    return len(fresh)


def _after_new_listens(*, user_id: int, listen_ids: list[int], scrobble: bool) -> None:
    _stats_changed(user_id)
    if not scrobble or not listen_ids:
        return
    from .. import tasks

    def queue() -> None:
        for listen_id in listen_ids:
            tasks.scrobble_listenbrainz_task.delay(listen_id)
            tasks.scrobble_lastfm_task.delay(listen_id)

    transaction.on_commit(queue)


def listen_delete(*, user: AuthUser, listen_id: int) -> bool:
    """Deletes one of the user's listens; False when it is not theirs or does not exist."""
    deleted, _ = Listen.objects.filter(user=user, pk=listen_id).delete()
    if deleted:
        tallies_drop(user=user)
        _stats_changed(user.pk)
    return bool(deleted)


def listens_delete_all(*, user: AuthUser) -> int:
    """Deletes the user's whole history; returns how many listens went."""
    deleted, _ = Listen.objects.filter(user=user).delete()
    tallies_drop(user=user)
    _stats_changed(user.pk)
    return deleted
