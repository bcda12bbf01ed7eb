"""Reads for concerts: lists, detail with recordings best first, artist timelines, cross-links."""
from __future__ import annotations

from collections import OrderedDict

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.urls import reverse

from .aggregation import artist_key
from .models import AggregationRun, Concert, Recording


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


def artist_list(*, limit: int = 50) -> list[dict]:
    return list(Concert.objects.values("artist_slug").annotate(concerts=Count("id"))
                .order_by("-concerts", "artist_slug")[:limit])


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


def global_search(*, user, query: str, limit: int = 5) -> list[dict]:
    """Concerts matching the header search (public data): artist, venue, location or date."""
    query = (query or "").strip()
    if not query:
        return []
    return [{"kind": "concert", "title": f"{c.artist} — {c.date_text}",
             "subtitle": ", ".join(v for v in (c.venue, c.location) if v),
             "url": reverse("concerts:detail", args=[c.pk])}
            for c in concert_list(q=query)[:limit]]
