"""Concert pages: list (recent, by artist, by year, search), detail with setlist and quality, the artist
timeline and song index, song pages, and "on this day"."""
from __future__ import annotations

import datetime as dt

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from django_htmx.middleware import HtmxDetails

from albums.selectors import albums_for_artist
from common.services import search_log_record

from . import selectors


class HtmxHttpRequest(HttpRequest):
    """A request that passed django-htmx's middleware (which sets request.htmx)."""

    htmx: HtmxDetails


@require_GET
def index(request: HtmxHttpRequest) -> HttpResponse:
    """Concerts: recently added by default, or filtered by artist, year and free text."""
    q = request.GET.get("q", "").strip()[:200]
    artist = request.GET.get("artist", "").strip()[:300]
    try:
        year = int(request.GET.get("year") or 0) or None
    except ValueError:
        year = None
    view = "search" if (q or artist or year) else "recent"
    if q:
        search_log_record(section="concerts", query=q, user=request.user)
    qs = selectors.concert_list(artist=artist, year=year, q=q) if view == "search" else selectors.concert_recent()
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    context = {"page": page, "q": q, "artist": artist, "year": year or "", "view": view,
               "artists": selectors.artist_list(limit=30)}
    template = "concerts/concert_list.html#results" if request.htmx else "concerts/concert_list.html"
    return render(request, template, context)


@require_GET
def detail(request: HttpRequest, concert_id: int) -> HttpResponse:
    """A concert with its recordings compared side by side, the best first."""
    concert = selectors.concert_get(concert_id=concert_id)
    recordings = list(selectors.recordings_for_concert(concert=concert).select_related("quality"))
    return render(request, "concerts/concert_detail.html", {
        "concert": concert, "recordings": recordings, "best": recordings[0] if recordings else None,
        "sets": selectors.concert_setlist(concert=concert),
        "artist_name": concert.artist, "aoty_albums": albums_for_artist(artist_name=concert.artist),
    })


@require_GET
def artist(request: HttpRequest, slug: str) -> HttpResponse:
    """An artist's concerts as a year-by-year timeline."""
    name, years = selectors.artist_timeline(slug=slug)
    return render(request, "concerts/artist_detail.html", {
        "artist": name, "slug": slug, "years": years, "total": sum(len(v) for v in years.values()),
        "artist_name": name, "aoty_albums": albums_for_artist(artist_name=name),
    })


@require_GET
def artist_songs(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """An artist's songs, sortable by title, times played, last played and average length."""
    name = selectors.artist_name_for_slug(slug=slug)
    order = request.GET.get("order", "played")
    if order not in selectors.SONG_ORDERS:
        order = "played"
    songs = selectors.song_list(artist=slug, order=order)
    page = Paginator(songs, 100).get_page(request.GET.get("page"))
    context = {"artist": name, "slug": slug, "page": page, "order": order, "orders": selectors.SONG_ORDERS}
    template = "concerts/song_list.html#songs" if request.htmx else "concerts/song_list.html"
    return render(request, template, context)


@require_GET
def song(request: HttpRequest, song_id: int) -> HttpResponse:
    """A song: every performance (streamable from the best recording) and its statistics."""
    song = selectors.song_get(song_id=song_id)
    try:
        year = int(request.GET.get("year") or 0) or None
    except ValueError:
        year = None
    performances = selectors.song_performances(song=song)
    shown = [p for p in performances if p["date"][:4] == str(year)] if year else performances
    return render(request, "concerts/song_detail.html", {
        "song": song, "performances": shown, "stats": selectors.song_stats(song=song, performances=performances),
        "year": year, "chart": [[int(p["date"][:4]), round(p["length"] / 60, 2)] for p in performances if p["length"]],
    })


@require_GET
def on_this_day(request: HtmxHttpRequest) -> HttpResponse:
    """Concerts on today's month and day (or ?date=MM-DD) across all years, for all artists or one."""
    today = timezone.localdate()
    raw = request.GET.get("date", "").strip()[:5]
    parsed = selectors.parse_month_day(raw) if raw else (today.month, today.day)
    error = "" if parsed else "Give the date as MM-DD, e.g. 04-23."
    month, day = parsed or (today.month, today.day)
    artist = request.GET.get("artist", "").strip()[:300]
    concerts = selectors.on_this_day(month=month, day=day, artist=artist)
    page = Paginator(concerts, 50).get_page(request.GET.get("page"))
    context = {"page": page, "month": month, "day": day, "artist": artist, "error": error,
               "date_value": f"{month:02d}-{day:02d}", "label": f"{dt.date(2000, month, day):%B} {day}",
               "artists": selectors.artist_list(limit=30)}
    template = "concerts/on_this_day.html#results" if request.htmx else "concerts/on_this_day.html"
    return render(request, template, context, status=400 if error else 200)
