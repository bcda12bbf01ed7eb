"""Reads for concerts: lists, detail with recordings best first, artist timelines, cross-links."""
from __future__ import annotations

import datetime as dt
import re
from collections import OrderedDict
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Avg, Count, F, Max, Min, Q, QuerySet, Sum
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from .aggregation import artist_key
from .models import AggregationRun, Concert, Performance, Recording, RecordingQuality, Song
from .setlist_reconcile import set_name
from .song_match import normalise_title

AnyUser = AbstractBaseUser | AnonymousUser


def concert_list(*, artist: str = "", year: int | None = None, q: str = "", order: str = "date") -> QuerySet[Concert]:
    """Concerts filtered by artist (name or slug), year and free text (artist, venue, location, date)."""
    qs = Concert.objects.all()
    if artist:
        qs = qs.filter(Q(artist_key=artist_key(artist)) | Q(artist_slug=artist))
    if year:
        qs = qs.filter(year=year)
    if q:
        for term in q.split()[:6]:
            qs = qs.filter(Q(artist__icontains=term) | Q(venue__icontains=term) | Q(location__icontains=term)
                           | Q(date_text__startswith=term))
    if order == "added":
        return qs.order_by("-latest_added", "-date_text", "pk")
    return qs.order_by("-date_text", "artist", "pk")


def concert_recent(*, limit: int | None = None) -> QuerySet[Concert]:
    """Concerts with the most recently added recordings first."""
    qs = Concert.objects.order_by("-latest_added", "-date_text", "pk")
    return qs[:limit] if limit else qs


def concert_get(*, concert_id: int) -> Concert:
    concert = Concert.objects.filter(pk=concert_id).first()
    if concert is None:
        raise Http404("No such concert.")
    return concert


def recordings_for_concert(*, concert: Concert) -> QuerySet[Recording]:
    """The concert's recordings, best first."""
    return concert.recordings.order_by("rank", "-score", "identifier")


def artist_timeline(*, slug: str) -> tuple[str, OrderedDict[int, list[Concert]]]:
    """(artist name, {year: concerts in date order}) for the artist page; Http404 when unknown."""
    concerts = list(Concert.objects.filter(artist_slug=slug).order_by("date_text", "pk"))
    if not concerts:
        raise Http404("No concerts for that artist.")
    years: OrderedDict[int, list[Concert]] = OrderedDict()
    for concert in concerts:
        years.setdefault(concert.year, []).append(concert)
    return concerts[0].artist, years


def artist_list(*, limit: int = 50) -> list[dict[str, Any]]:
    rows = Concert.objects.values("artist_slug").annotate(concerts=Count("id")).order_by("-concerts", "artist_slug")
    return [dict(row) for row in rows[:limit]]


def concerts_for_artist(*, artist_name: str, limit: int = 20) -> list[dict]:
    """Concerts of an artist (matched case-insensitively), for album pages' cross-links."""
    key = artist_key(artist_name)
    if not key:
        return []
    rows = Concert.objects.filter(artist_key=key).order_by("-date_text")[:limit]
    return [{"id": c.pk, "artist": c.artist, "date": c.date_text, "venue": c.venue, "location": c.location,
             "recordings": c.recordings_count, "url": reverse("concerts:detail", args=[c.pk])} for c in rows]


def last_successful_run() -> AggregationRun | None:
    return AggregationRun.objects.filter(status=AggregationRun.Status.SUCCEEDED).order_by("-created_at").first()


def concerts_statistics() -> dict:
    last = last_successful_run()
    totals = Recording.objects.aggregate(recordings=Count("id"), bytes=Sum("total_size"))
    return {"concerts": Concert.objects.count(), "recordings": totals["recordings"],
            "artists": Concert.objects.values("artist_key").distinct().count(),
            "last_run": last.finished_at.isoformat() if last and last.finished_at else None}


def global_search(*, user: AnyUser, query: str, limit: int = 5) -> list[dict]:
    """Concerts matching the header search (public data): artist, venue, location or date."""
    query = (query or "").strip()
    if not query:
        return []
    return [{"kind": "concert", "title": f"{c.artist} — {c.date_text}",
             "subtitle": ", ".join(v for v in (c.venue, c.location) if v),
             "url": reverse("concerts:detail", args=[c.pk])}
            for c in concert_list(q=query)[:limit]]


# -- setlists -------------------------------------------------------------------------------------------
def concert_setlist(*, concert: Concert) -> list[dict[str, Any]]:
    """The concert's agreed setlist grouped by set: [{"label", "name", "performances": [...]}]."""
    sets: list[dict[str, Any]] = []
    for p in concert.performances.select_related("song").order_by("position"):
        if not sets or sets[-1]["label"] != p.set_label:
            sets.append({"label": p.set_label, "name": set_name(p.set_label), "performances": []})
        sets[-1]["performances"].append(p)
    return sets


def concert_setlist_out(*, concert_id: int) -> dict[str, Any]:
    """The setlist API's answer; Http404 for an unknown concert."""
    concert = concert_get(concert_id=concert_id)
    return {"concert_id": concert.pk, "source_identifier": concert.setlist_identifier,
            "disagreements": concert.setlist_disagreements,
            "sets": [{"label": s["label"], "name": s["name"], "songs": s["performances"]}
                     for s in concert_setlist(concert=concert)]}


# -- songs ----------------------------------------------------------------------------------------------
# Songs never played (or never timed) sort last in descending orders, as SQLite does; PostgreSQL puts NULLs first.
SONG_ORDERS = {"title": (F("title").asc(),), "played": (F("times_played").desc(), F("title").asc()),
               "last": (F("last_played").desc(nulls_last=True), F("title").asc()),
               "length": (F("avg_length").desc(nulls_last=True), F("title").asc())}


def song_list(*, artist: str = "", q: str = "", order: str = "title") -> QuerySet[Song]:
    """Songs with times played, first/last played and average length (non-songs never count)."""
    qs = Song.objects.all()
    if artist:
        qs = qs.filter(Q(artist_key=artist_key(artist)) | Q(artist_slug=artist))
    if q:
        key = normalise_title(q).key
        qs = qs.filter(Q(title__icontains=q) | Q(key__icontains=key) | Q(aliases__key__icontains=key)).distinct()
    played = Q(performances__non_song=False)
    qs = qs.annotate(times_played=Count("performances", filter=played),
                     first_played=Min("performances__concert__date_text", filter=played),
                     last_played=Max("performances__concert__date_text", filter=played),
                     avg_length=Avg("performances__length", filter=played))
    return qs.order_by(*SONG_ORDERS.get(order, SONG_ORDERS["title"]), "pk")


def song_get(*, song_id: int) -> Song:
    song = Song.objects.filter(pk=song_id).first()
    if song is None:
        raise Http404("No such song.")
    return song


def song_performances(*, song: Song, year: int | None = None) -> list[dict[str, Any]]:
    """Every performance of the song, oldest first, with what to play it from (one query)."""
    qs = Performance.objects.filter(song=song, non_song=False)
    if year:
        qs = qs.filter(concert__year=year)
    rows = qs.order_by("concert__date_text", "position").values_list(  # tuples: one dict a row, built here
        "id", "concert_id", "concert__date_text", "concert__venue", "concert__location", "length", "segue_in",
        "segue_out", "reprise", "set_label", "identifier", "file_name", "title")
    return [{"id": pk, "concert_id": concert_id, "date": date, "venue": venue, "location": location, "length": length,
             "segue_in": segue_in, "segue_out": segue_out, "reprise": reprise, "set": set_name(set_label),
             "identifier": identifier, "file_name": file_name, "title": title}
            for (pk, concert_id, date, venue, location, length, segue_in, segue_out, reprise, set_label, identifier,
                 file_name, title) in rows]


def song_stats(*, song: Song, performances: list[dict[str, Any]]) -> dict[str, Any]:
    """Times played, first and last played, longest and shortest version, and the gap (shows since last played)."""
    if not performances:
        return {"times_played": 0, "first": None, "last": None, "longest": None, "shortest": None, "gap": None}
    timed = [p for p in performances if p["length"]]
    last = performances[-1]
    gap = Concert.objects.filter(artist_key=song.artist_key, date_text__gt=last["date"]).count()
    return {"times_played": len({p["concert_id"] for p in performances}), "first": performances[0], "last": last,
            "longest": max(timed, key=lambda p: p["length"]) if timed else None,
            "shortest": min(timed, key=lambda p: p["length"]) if timed else None, "gap": gap}


_YEAR = re.compile(r"(?:19|20)\d\d")


def song_search(*, user: AnyUser, query: str, limit: int = 5) -> list[dict]:
    """Songs for the header search; a year in the query ("scarlet begonias 1977") narrows to that year."""
    words = (query or "").split()
    years = [int(w) for w in words if _YEAR.fullmatch(w)]
    text = " ".join(w for w in words if not _YEAR.fullmatch(w))
    if len(text) < 2:
        return []
    results = []
    for song in song_list(q=text, order="played")[:limit]:
        url = reverse("concerts:song", args=[song.pk])
        times: int = getattr(song, "times_played", 0)  # annotated by song_list
        subtitle = f"{song.artist} · played {times} time{'s' if times != 1 else ''}"
        if years:
            n = Performance.objects.filter(song=song, non_song=False, concert__year=years[0]).count()
            url += f"?year={years[0]}"
            subtitle = f"{song.artist} · {n} performance{'s' if n != 1 else ''} in {years[0]}"
        results.append({"kind": "song", "title": song.title, "subtitle": subtitle, "url": url})
    return results


def artist_name_for_slug(*, slug: str) -> str:
    song = Song.objects.filter(artist_slug=slug).first()
    if song is not None:
        return song.artist
    concert = Concert.objects.filter(artist_slug=slug).first()
    if concert is None:
        raise Http404("No such artist.")
    return concert.artist


# -- on this day -----------------------------------------------------------------------------------------
def on_this_day(*, month: int, day: int, artist: str = "") -> QuerySet[Concert]:
    """Concerts on this month and day in any year, newest first."""
    qs = Concert.objects.filter(date_text__endswith=f"-{month:02d}-{day:02d}")
    if artist:
        qs = qs.filter(Q(artist_key=artist_key(artist)) | Q(artist_slug=artist))
    return qs.order_by("-date_text", "artist", "pk")


def on_this_day_card(*, user: AnyUser) -> dict | None:
    """The home page card: today's concerts across the years."""
    today = timezone.localdate()
    concerts = list(on_this_day(month=today.month, day=today.day)[:5])
    if not concerts:
        return None
    return {"title": f"On this day ({today:%B} {today.day})", "url": reverse("concerts:on_this_day"),
            "template": "concerts/_on_this_day_card.html", "concerts": concerts}


def parse_month_day(value: str) -> tuple[int, int] | None:
    """"04-23" -> (4, 23); None unless it is a real month and day (29 February counts)."""
    match = re.fullmatch(r"(\d{1,2})-(\d{1,2})", value or "")
    if not match:
        return None
    month, day = int(match.group(1)), int(match.group(2))
    try:
        dt.date(2000, month, day)  # a leap year, so 02-29 is valid
    except ValueError:
        return None
    return month, day


# -- quality ---------------------------------------------------------------------------------------------
def recording_quality_get(*, identifier: str) -> RecordingQuality:
    """A recording's quality card; Http404 when the recording is unknown or not measured yet."""
    card = RecordingQuality.objects.select_related("recording").filter(recording__identifier=identifier).first()
    if card is None:
        raise Http404("This recording has not been measured.")
    return card
