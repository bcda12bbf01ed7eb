"""Reads for listening: history (always scoped to its user), stats, now playing, the player's tracks."""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone

from common.types import AnyUser, AuthUser

from .models import Listen, ListeningProfile, NowPlaying


def listen_list_for_user(*, user: AuthUser, since: dt.datetime | None = None,
                         until: dt.datetime | None = None) -> QuerySet[Listen]:
    qs = Listen.objects.filter(user=user)
    if since is not None:
        qs = qs.filter(listened_at__gte=since)
    if until is not None:
        qs = qs.filter(listened_at__lt=until)
    return qs.order_by("-listened_at", "-id")


def now_playing_list(*, viewer: AnyUser | None = None) -> list[dict[str, Any]]:
    """Who is playing what now: user id, username, title, artist, recording_identifier, filename, minutes ago.

    With a viewer, only what they may see: their own, and that of users who made their history public (listening
    is private by default). Without one, everyone's (Subsonic's getNowPlaying is server-wide by its spec).
    """
    now = timezone.now()
    rows = NowPlaying.objects.filter(expires_at__gt=now).select_related("user").order_by("-started_at")
    if viewer is not None:
        public = Q(user__listening_profile__history_public=True)
        rows = rows.filter(public | Q(user_id=viewer.pk)) if viewer.is_authenticated else rows.filter(public)
    return [{"user_id": r.user_id, "username": r.user.get_username(), "title": r.track_title, "artist": r.artist_name,
             "release": r.release_name, "recording_identifier": r.recording_identifier, "filename": r.filename,
             "source": r.source, "minutes_ago": int((now - r.started_at).total_seconds() // 60)} for r in rows]


def profile_get(*, user: AuthUser) -> ListeningProfile | None:
    return ListeningProfile.objects.filter(user=user).first()


def public_history(*, username: str, limit: int = 50) -> list[Listen] | None:
    """The user's recent listens if they made their history public, else None (the page answers 404)."""
    profile = ListeningProfile.objects.select_related("user").filter(user__username=username, history_public=True).first()
    if profile is None or not profile.user.is_active:
        return None
    return list(Listen.objects.filter(user=profile.user).order_by("-listened_at")[:limit])


def player_queue(*, user: AnyUser) -> dict:
    if not user.is_authenticated:
        return {}
    profile = ListeningProfile.objects.filter(user=user).only("queue").first()
    return profile.queue if profile else {}


def continue_listening(*, user: AuthUser, limit: int = 6) -> list[dict]:
    """Shows the user started lately, newest first, with the last track played in each (to resume there)."""
    rows = (Listen.objects.filter(user=user).exclude(recording_identifier="").values("recording_identifier")
            .annotate(last=Max("listened_at"), plays=Count("id")).order_by("-last")[:limit])
    result = []
    for row in rows:
        last = (Listen.objects.filter(user=user, recording_identifier=row["recording_identifier"])
                .order_by("-listened_at").first())
        if last is not None:
            result.append({"identifier": row["recording_identifier"], "file": last.filename, "title": last.track_title,
                           "artist": last.artist_name, "release": last.release_name, "last": row["last"],
                           "plays": row["plays"]})
    return result


def on_this_day(*, user: AuthUser, today: dt.date | None = None, limit: int = 20) -> list[Listen]:
    """Listens from this calendar day in earlier years."""
    today = today or timezone.localdate()
    return list(Listen.objects.filter(user=user, listened_at__month=today.month, listened_at__day=today.day,
                                      listened_at__year__lt=today.year).order_by("-listened_at")[:limit])


# -- stats -------------------------------------------------------------------------------------------
RANGES = {"week": 7, "month": 30, "year": 365, "all": None}
STATS_CACHE_SECONDS = 600
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def listen_stats(*, user: AuthUser, range: str = "month", now: dt.datetime | None = None) -> dict[str, Any]:
    """Top artists, releases, tracks and shows, listening time, plays over time and by hour and weekday.

    Cached per user and range until the user's history changes (services bump a version on every write).
    """
    from django.core.cache import cache

    from .services import STATS_VERSION_KEY

    if range not in RANGES:
        raise ValueError(f"range must be one of {', '.join(RANGES)}")
    version = cache.get(STATS_VERSION_KEY.format(user.pk)) or 1
    key = f"listening:stats:{user.pk}:{range}:{version}"
    if now is None:
        cached = cache.get(key)
        if cached is not None:
            return cached
    if range == "all" and now is None:
        stats = _stats_from_tallies(user=user)
    else:
        stats = _compute_stats(user=user, range=range, now=now or timezone.now())
    cache.set(key, stats, STATS_CACHE_SECONDS)
    return stats


def _stats_from_tallies(*, user: AuthUser) -> dict[str, Any]:
    """All-time stats from the tallies (brought up to date first): the same shape as _compute_stats."""
    from .models import ListenTally
    from .services import tallies_refresh

    tallies_refresh(user=user)
    rows = ListenTally.objects.filter(user=user)
    kind = ListenTally.Kind

    def top(which: str) -> list[ListenTally]:
        return list(rows.filter(kind=which).order_by("-plays", "bucket")[:10])

    by_hour, by_weekday = [0] * 24, [0] * 7
    plays = seconds = 0
    for bucket, n, s in rows.filter(kind=kind.HOUR).values_list("bucket", "plays", "seconds"):
        day, hour = (int(x) for x in bucket.split(":"))
        by_hour[hour] += n
        by_weekday[day - 1] += n
        plays, seconds = plays + n, seconds + s
    months = sorted(rows.filter(kind=kind.MONTH).values_list("bucket", "plays"))
    return {
        "range": "all", "since": None, "plays": plays, "listening_seconds": seconds,
        "top_artists": [{"name": t.name, "plays": t.plays} for t in top(kind.ARTIST)],
        "top_releases": [{"name": t.name, "artist": t.artist, "plays": t.plays} for t in top(kind.RELEASE)],
        "top_tracks": [{"name": t.name, "artist": t.artist, "plays": t.plays} for t in top(kind.TRACK)],
        "top_shows": [{"identifier": t.bucket, "name": t.name, "artist": t.artist, "plays": t.plays}
                      for t in top(kind.SHOW)],
        "by_hour": by_hour,
        "by_weekday": [{"day": WEEKDAYS[i], "plays": n} for i, n in enumerate(by_weekday)],
        "over_time": [{"period": f"{month}-01", "plays": n} for month, n in months],
        "period": "month",
    }


def _compute_stats(*, user: AuthUser, range: str, now: dt.datetime) -> dict[str, Any]:
    from django.db.models.functions import Coalesce, ExtractHour, ExtractIsoWeekDay, TruncDate, TruncMonth

    days = RANGES[range]
    qs = Listen.objects.filter(user=user)
    since = None
    if days is not None:
        since = now - dt.timedelta(days=days)
        qs = qs.filter(listened_at__gte=since, listened_at__lte=now)
    totals = qs.aggregate(plays=Count("id"), seconds=Sum(Coalesce("seconds_played", "duration_seconds", 0)))
    top_artists = list(qs.values("artist_name").annotate(plays=Count("id")).order_by("-plays", "artist_name")[:10])
    top_releases = list(qs.exclude(release_name="").values("release_name", "artist_name").annotate(plays=Count("id"))
                        .order_by("-plays", "release_name")[:10])
    top_tracks = list(qs.values("track_title", "artist_name").annotate(plays=Count("id"))
                      .order_by("-plays", "track_title")[:10])
    top_shows = list(qs.exclude(recording_identifier="").values("recording_identifier")
                     .annotate(plays=Count("id"), title=Max("release_name"), artist=Max("artist_name"))
                     .order_by("-plays", "recording_identifier")[:10])
    # Hour and weekday in one pass: at most 24 x 7 groups, split in Python.
    by_hour = [0] * 24
    by_weekday = [0] * 7
    for row in (qs.annotate(h=ExtractHour("listened_at"), d=ExtractIsoWeekDay("listened_at"))
                .values("h", "d").annotate(n=Count("id")).order_by()):
        by_hour[row["h"]] += row["n"]
        by_weekday[row["d"] - 1] += row["n"]
    bucket = TruncMonth if days is None or days > 31 else TruncDate
    over_time = [{"period": row["p"].isoformat()[:10] if row["p"] else "", "plays": row["n"]}
                 for row in qs.annotate(p=bucket("listened_at")).values("p").annotate(n=Count("id")).order_by("p")]
    return {
        "range": range,
        "since": since.isoformat() if since else None,
        "plays": totals["plays"],
        "listening_seconds": int(totals["seconds"] or 0),
        "top_artists": [{"name": r["artist_name"], "plays": r["plays"]} for r in top_artists],
        "top_releases": [{"name": r["release_name"], "artist": r["artist_name"], "plays": r["plays"]} for r in top_releases],
        "top_tracks": [{"name": r["track_title"], "artist": r["artist_name"], "plays": r["plays"]} for r in top_tracks],
        "top_shows": [{"identifier": r["recording_identifier"], "name": r["title"] or r["recording_identifier"],
                       "artist": r["artist"], "plays": r["plays"]} for r in top_shows],
        "by_hour": by_hour,
        "by_weekday": [{"day": WEEKDAYS[i], "plays": n} for i, n in enumerate(by_weekday)],
        "over_time": over_time,
        "period": "month" if bucket is TruncMonth else "day",
    }


# -- platform hooks ------------------------------------------------------------------------------------
def home_card(*, user: AnyUser) -> dict | None:
    if not user.is_authenticated:
        return None
    recent = list(Listen.objects.filter(user=user).order_by("-listened_at")[:5])
    return {"title": "Listening", "template": "listening/_home_card.html", "recent": recent,
            "total": Listen.objects.filter(user=user).count()}


def statistics() -> dict:
    day = timezone.now() - dt.timedelta(days=1)
    agg = Listen.objects.aggregate(total=Count("id"), last_day=Count("id", filter=Q(listened_at__gte=day)),
                                   unsent=Count("id", filter=Q(listenbrainz_state="failed") | Q(lastfm_state="failed")))
    return {"listens": agg["total"], "listens_last_24h": agg["last_day"], "scrobbles_failed": agg["unsent"],
            "playing_now": NowPlaying.objects.filter(expires_at__gt=timezone.now()).count()}


# -- what the player plays ------------------------------------------------------------------------------
# Browser-playable streams in order of preference after FLAC: the highest bitrate first within a format.
STREAM_FORMATS = ("Flac", "VBR MP3", "Ogg Vorbis", "MP3", "128Kbps MP3", "64Kbps MP3")
LOCAL_PLAYABLE = {"flac", "mp3", "ogg", "wav", "m4a", "opus"}


def _file_url(identifier: str, name: str) -> str:
    from urllib.parse import quote

    from django.conf import settings

    return f"{settings.IA_BASE_URL.rstrip('/')}/download/{quote(identifier, safe='')}/{quote(name)}"


def _best_group(files: list, *, flac: bool) -> list:
    """The files of the format to stream: FLAC where the browser plays it, else the highest-bitrate MP3/Ogg."""
    by_format: dict[str, list] = {}
    for f in files:
        if not f.private and f.format in STREAM_FORMATS:
            by_format.setdefault(f.format, []).append(f)
    if flac and by_format.get("Flac"):
        return by_format["Flac"]
    lossy = [fmt for fmt in STREAM_FORMATS if fmt != "Flac" and by_format.get(fmt)]
    if not lossy:
        return []

    def bitrate(fmt: str) -> float:
        rates = [f.bitrate for f in by_format[fmt] if f.bitrate]
        if rates:
            return sum(rates) / len(rates)
        sizes = [(f.size or 0) / f.length for f in by_format[fmt] if f.length]  # bytes per second as a proxy
        return sum(sizes) * 8 / 1000 / len(sizes) if sizes else 0.0

    return by_format[max(lossy, key=bitrate)]


def player_tracks(*, user: AnyUser, identifier: str, flac: bool = True) -> dict[str, Any]:
    """The tracks of one recording for the player: the user's verified local download when complete (played
    from Stylus), else the archive's own file URLs. Raises the archive's errors when the item is unknown."""
    from django.http import Http404
    from django.urls import reverse

    from archive import selectors as archive_selectors
    from archive import services as archive_services

    if user.is_authenticated:
        try:
            local = archive_selectors.playlist_for_user(user=user, identifier=identifier)
        except Http404:
            local = []
        local = [d for d in local if d.file_name.rsplit(".", 1)[-1].lower() in LOCAL_PLAYABLE
                 and (flac or not d.file_name.lower().endswith(".flac"))]
        if local:
            return {"identifier": identifier, "title": local[0].title or identifier, "local": True, "tracks": [
                {"identifier": identifier, "file": d.file_name, "title": d.track_title or d.file_name.rsplit("/", 1)[-1],
                 "artist": d.creator, "album": d.title, "duration": d.length,
                 "url": reverse("archive:file", args=[d.pk])} for d in local]}
    meta = archive_services.archive_item_get(identifier=identifier)
    # archive_selectors.best_files picks among a user's downloads; what the archive itself offers is picked here.
    files = _best_group(list(meta.files), flac=flac)
    files.sort(key=lambda f: (f.track is None, f.track or 0, f.name))
    return {"identifier": identifier, "title": meta.title or identifier, "local": False, "tracks": [
        {"identifier": identifier, "file": f.name, "title": f.title or f.basename, "artist": f.creator or meta.creator,
         "album": meta.title, "duration": f.length, "url": _file_url(identifier, f.name)} for f in files]}


def unsent_counts(*, user: AuthUser) -> dict[str, int]:
    """Listens still waiting for each target (pending or failed), for the settings page."""
    return Listen.objects.filter(user=user).aggregate(
        listenbrainz=Count("id", filter=Q(listenbrainz_state__in=["pending", "failed"])),
        lastfm=Count("id", filter=Q(lastfm_state__in=["pending", "failed"])))
