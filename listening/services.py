"""Writes for listening: record listens (web, Subsonic, imports, ListenBrainz clients), now playing,
privacy and scrobble-target settings, the player queue, and sending scrobbles out."""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from common.exceptions import InvalidInput
from common.types import AuthUser
from integrations.errors import IntegrationError
from integrations.lastfm.client import LastfmClient
from integrations.lastfm.types import Scrobble
from integrations.listenbrainz.client import ListenBrainzClient
from integrations.listenbrainz.types import ListenPayload

from .models import TEXT_MAX, Listen, ListeningProfile, NowPlaying

log = logging.getLogger(__name__)

# A web play counts once half the track or this much has played, whichever comes first (Last.fm's and
# ListenBrainz's rule).
COUNT_AFTER_SECONDS = 240
NOW_PLAYING_DEFAULT_SECONDS = 10 * 60
EARLIEST = dt.datetime(2002, 1, 1, tzinfo=dt.UTC)  # ListenBrainz refuses listens before 2002
STATS_VERSION_KEY = "listening:stats-version:{}"
_NON_WORD = re.compile(r"[^\w]+")
_TAIL = re.compile(r"\s*[-(\[]\s*(remaster(ed)?|\d{4} remaster(ed)?|live|mono|stereo|radio edit|single version)"
                   r"[^)\]]*[)\]]?\s*$", re.I)


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


# -- helpers --------------------------------------------------------------------------------------
def normalise(text: str) -> str:
    """Lower case, accents and punctuation dropped, remaster/live tails cut: "Song (2011 Remaster)" == "song"."""
    text = _TAIL.sub("", text or "")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode() or text
    return " ".join(_NON_WORD.sub(" ", text.lower()).split())


def match_key_for(*, track_title: str, artist_name: str) -> str:
    return hashlib.sha1(f"{normalise(track_title)}|{normalise(artist_name)}".encode()).hexdigest()


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


def profile_for(*, user: AuthUser) -> ListeningProfile:
    """The user's listening settings, created on first use."""
    profile, _ = ListeningProfile.objects.get_or_create(user=user)
    return profile


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


_LINKS = ("recording_identifier", "filename", "catalogue_track_key", "album_id")


def _link(*, user: AuthUser, listens: list[Listen]) -> None:
    """Links incoming listens to what Stylus knows, by MBID first, else by normalised artist and title.

    Both look at the user's earlier listens that carry links (a web play of a concert track links a later
    Navidrome scrobble of it); the catalogue and album lookups run afterwards in listens_link_catalogue.
    """
    todo = [x for x in listens if not x.recording_identifier]
    if not todo:
        return
    known = Listen.objects.filter(user=user).exclude(recording_identifier="", catalogue_track_key="", album__isnull=True)
    mbids = {x.recording_mbid for x in todo if x.recording_mbid}
    by_mbid: dict[str, dict] = {}
    if mbids:
        for row in known.filter(recording_mbid__in=mbids).order_by("listened_at").values("recording_mbid", *_LINKS):
            by_mbid[row.pop("recording_mbid")] = row
    keys = {x.match_key for x in todo if x.recording_mbid not in by_mbid}
    by_key: dict[str, dict] = {}
    if keys:
        for row in known.filter(match_key__in=keys).order_by("listened_at").values("match_key", *_LINKS):
            by_key[row.pop("match_key")] = row
    for listen in todo:
        links = by_mbid.get(listen.recording_mbid) if listen.recording_mbid else None
        links = links or by_key.get(listen.match_key)
        if links:
            for name, value in links.items():
                if value and not getattr(listen, name):
                    setattr(listen, name, value)
    if len(todo) <= CATALOGUE_LOOKUPS_MAX:
        _link_catalogue(user=user, listens=[x for x in todo if not (x.catalogue_track_key and x.album_id)])


# Catalogue and album lookups are text searches, one per listen: done for what players send one at a time (and
# small batches), not for history imports of thousands, which link through the user's own history above.
CATALOGUE_LOOKUPS_MAX = 25


def _link_catalogue(*, user: AuthUser, listens: list[Listen]) -> None:
    """Links to a recommend catalogue track and an albums album whose normalised artist and title are the same."""
    from albums import selectors as album_selectors
    from recommend import selectors as recommend_selectors

    for listen in listens:
        title, artist = normalise(listen.track_title), normalise(listen.artist_name)
        if not listen.catalogue_track_key:
            for track in recommend_selectors.track_search(user=user, query=f"{listen.artist_name} {listen.track_title}"[:200],
                                                          limit=5):
                if normalise(track.title) == title and artist in {normalise(a) for a in track.artist_names.split(",")}:
                    listen.catalogue_track_key = str(track.pk)
                    break
        if listen.release_name and not listen.album_id:
            release = normalise(listen.release_name)
            for album in album_selectors.album_search_local(query=f"{listen.artist_name} {listen.release_name}"[:200], limit=5):
                if normalise(album.title) == release and normalise(album.artist_name) == artist:
                    listen.album_id = album.pk
                    break


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
    _link(user=user, listens=[listen])
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
    _link(user=user, listens=fresh)
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
    return len(fresh)


def _after_new_listens(*, user_id: int, listen_ids: list[int], scrobble: bool) -> None:
    _stats_changed(user_id)
    if not scrobble or not listen_ids:
        return
    from . import tasks

    def queue() -> None:
        for listen_id in listen_ids:
            tasks.scrobble_listenbrainz_task.delay(listen_id)
            tasks.scrobble_lastfm_task.delay(listen_id)

    transaction.on_commit(queue)


def listen_delete(*, user: AuthUser, listen_id: int) -> bool:
    """Deletes one of the user's listens; False when it is not theirs or does not exist."""
    deleted, _ = Listen.objects.filter(user=user, pk=listen_id).delete()
    if deleted:
        _stats_changed(user.pk)
    return bool(deleted)


def listens_delete_all(*, user: AuthUser) -> int:
    """Deletes the user's whole history; returns how many listens went."""
    deleted, _ = Listen.objects.filter(user=user).delete()
    _stats_changed(user.pk)
    return deleted


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
    from . import tasks

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


def scrobble_listenbrainz(*, user_id: int, listen_ids: list[int]) -> int:
    """Sends these listens (still unsent) to the user's ListenBrainz server; returns how many were sent.

    Safe to run twice: sent listens are skipped. A transient error marks them failed (the periodic resend and
    the task's own retries pick them up) and is re-raised; a refused token is recorded for the settings page.
    """
    profile = ListeningProfile.objects.filter(user_id=user_id).first()
    listens = list(Listen.objects.filter(user_id=user_id, pk__in=listen_ids, listenbrainz_state__in=["pending", "failed"])
                   .order_by("listened_at"))
    if not listens:
        return 0
    if profile is None or not profile.listenbrainz_token:
        Listen.objects.filter(pk__in=[x.pk for x in listens]).update(listenbrainz_state="")
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
    profile = ListeningProfile.objects.filter(user_id=user_id).first()
    listens = list(Listen.objects.filter(user_id=user_id, pk__in=listen_ids, lastfm_state__in=["pending", "failed"])
                   .order_by("listened_at"))
    if not listens:
        return 0
    if profile is None or not profile.lastfm_session_key:
        Listen.objects.filter(pk__in=[x.pk for x in listens]).update(lastfm_state="")
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
    from . import tasks

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
