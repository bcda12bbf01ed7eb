"""Concert pages: list (recent, by artist, by year, search), detail, and the artist timeline."""
from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from albums.selectors import albums_for_artist
from common.services import search_log_record

from . import selectors


@require_GET
def index(request: HttpRequest) -> HttpResponse:
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
    recordings = list(selectors.recordings_for_concert(concert=concert))
    return render(request, "concerts/concert_detail.html", {
        "concert": concert, "recordings": recordings, "best": recordings[0] if recordings else None,
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
