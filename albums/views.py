"""Album pages: discovery, search as you type, album detail with review tabs, artists, year lists.

Pages never 500 on AOTY trouble: stored data is shown with a notice, and with nothing stored a
clear message (503). Each view renders the whole page, or its named partial for htmx requests.
"""
from __future__ import annotations

import mimetypes
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.middleware import HtmxDetails

from common.covers import placeholder_svg
from common.exceptions import InvalidInput, NotFound, ServiceUnavailable
from common.ratelimit import external_page_limit
from integrations.errors import IntegrationError

from . import selectors, services
from .tasks import album_refresh_task


class HtmxHttpRequest(HttpRequest):
    """A request that went through django-htmx's middleware (django-htmx's documented typing pattern)."""

    htmx: HtmxDetails


DISCOVER_TABS = [(key, title) for key, (title, _, _) in services.DISCOVERY.items()]
REVIEW_TABS = {"critics": "Critic reviews", "users": "User reviews"}


def _page_number(request: HtmxHttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("page", 1)), services.MAX_DISCOVERY_PAGE))
    except ValueError:
        return 1


def _unavailable(request: HtmxHttpRequest, error: ServiceUnavailable, *, title: str) -> HttpResponse:
    response = render(request, "albums/unavailable.html", {"title": title, "detail": error.detail,
                                                          "retry_after": error.retry_after}, status=503)
    response["Retry-After"] = str(error.retry_after)
    return response


@require_GET
@vary_on_headers("HX-Request")
def index(request: HtmxHttpRequest) -> HttpResponse:
    return discover(request, key="releases")


@require_GET
@vary_on_headers("HX-Request")
def discover(request: HtmxHttpRequest, key: str) -> HttpResponse:
    key = key.strip("/")
    page = _page_number(request)
    # The key is checked against AOTY's real slugs before anything is fetched or stored, and only a
    # page not stored yet spends the visitor's external budget.
    if not services.discovery_stored(key=key, page=page):
        if not services.discovery_key_valid(key=key):
            raise Http404("No such discovery list.")
        if limited := external_page_limit(request):
            return limited
    try:
        served = services.discovery_serve(key=key, page=page)
    except NotFound as exc:
        raise Http404(exc.detail)
    except InvalidInput as exc:
        raise Http404(exc.detail)
    except ServiceUnavailable as exc:
        return _unavailable(request, exc, title=dict(DISCOVER_TABS).get(key, "Discover"))
    dlist = served.obj
    context = {
        "served": served, "dlist": dlist, "key": key, "page": page, "tabs": DISCOVER_TABS,
        "entries": selectors.discovery_entries(discovery_list=dlist, page=page),
        "has_next": page < dlist.pages_fetched or dlist.has_more,
        "stored_lists": selectors.discovery_lists().filter(key__startswith="list/")[:12],
    }
    template = "albums/discover_list.html#grid" if request.htmx else "albums/discover_list.html"
    return render(request, template, context)


@require_GET
@vary_on_headers("HX-Request")
def search(request: HtmxHttpRequest) -> HttpResponse:
    """Search as you type over stored albums and artists; `remote=1` also asks AOTY (cached)."""
    query = request.GET.get("q", "").strip()[:services.SEARCH_QUERY_MAX]
    remote = request.GET.get("remote") == "1"
    outcome = None
    error = ""
    if query and remote and (limited := external_page_limit(request)):
        return limited
    if query:
        try:
            # Keystrokes search what is stored; only an explicit search is logged and reaches AOTY.
            outcome = services.album_search(query=query, limit=12, user=request.user, remote=remote, log_search=remote)
        except ServiceUnavailable as exc:
            error = exc.detail
        except InvalidInput as exc:
            error = exc.detail
    context = {"query": query, "outcome": outcome, "remote": remote, "error": error}
    template = "albums/album_search.html#results" if request.htmx else "albums/album_search.html"
    return render(request, template, context)


@require_GET
@vary_on_headers("HX-Request")
def detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    tab = request.GET.get("tab", "critics")
    tab = tab if tab in REVIEW_TABS else "critics"
    if request.htmx and request.GET.get("tab"):
        album = selectors.album_detail(album_id=pk)
        if album is None:
            raise Http404("No such album.")
        return render(request, "albums/album_detail.html#reviews", {"album": album, "tab": tab, "review_tabs": REVIEW_TABS})
    # A stub's page is fetched from AOTY while the visitor waits: that costs a call from their budget.
    if selectors.album_needs_fetch(album_id=pk) and (limited := external_page_limit(request)):
        return limited
    try:
        served = services.album_serve(album_id=pk)
    except NotFound as exc:
        stub = selectors.album_get(album_id=pk)
        if stub is None:
            raise Http404(exc.detail)
        # Known from a link, but AOTY has no page for it: say so, and offer a search instead of a bare 404.
        query = f"{stub.artist_name} {stub.title}".strip()
        return render(request, "albums/album_missing.html",
                      {"album": stub, "search_url": f"{reverse('albums:search')}?{urlencode({'q': query, 'remote': 1})}"},
                      status=404)
    except ServiceUnavailable as exc:
        return _unavailable(request, exc, title="Album")
    album = selectors.album_detail(album_id=pk)
    if album is None:  # deleted while it was being served
        raise Http404("No such album.")
    context = {
        "album": album, "served": served, "tab": tab, "review_tabs": REVIEW_TABS, "refreshing": served.refreshing,
        "genres": [g for g in album.albumgenre_set.all() if g.primary],
        "secondary_genres": [g for g in album.albumgenre_set.all() if not g.primary],
        "similar": [link.to_album for link in album.similar_links.all()],
        "cross": selectors.album_cross_links(album=album),
    }
    return render(request, "albums/album_detail.html", context)


@require_GET
@vary_on_headers("HX-Request")
def extras(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Stats (favourites, likes, listens…) and full credits: AOTY's two side requests, loaded lazily."""
    error, served = "", None
    if not selectors.album_extras_stored(album_id=pk) and (limited := external_page_limit(request)):
        return limited
    try:
        served = services.album_extras_serve(album_id=pk)
    except NotFound as exc:
        if selectors.album_get(album_id=pk) is None:
            raise Http404(exc.detail)
        error = exc.detail
    except ServiceUnavailable as exc:
        error = exc.detail
    album = served.obj if served else selectors.album_get(album_id=pk)
    template = "albums/album_extras.html#extras" if request.htmx else "albums/album_extras.html"
    return render(request, template, {"album": album, "served": served, "error": error})


@require_GET
def refresh_status(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The live 'refreshing…' indicator: polled while a background refresh runs; 286 stops the polling."""
    album = selectors.album_get(album_id=pk)
    if album is None:
        raise Http404("No such album.")
    refreshing = services.is_refreshing(kind="album", object_id=pk)
    response = render(request, "albums/album_detail.html#refresh", {"album": album, "refreshing": refreshing,
                                                                      "just_finished": not refreshing})
    if not refreshing:
        response.status_code = 286
    return response


@login_required
@require_POST
def refresh(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Queues a background re-scrape of the album (the page shows the live indicator)."""
    album = selectors.album_get(album_id=pk)
    if album is None:
        raise Http404("No such album.")
    queued = services.refresh_enqueue(kind="album", object_id=pk, task=album_refresh_task)
    if request.htmx:
        refreshing = queued or services.is_refreshing(kind="album", object_id=pk)
        return render(request, "albums/album_detail.html#refresh", {"album": album, "refreshing": refreshing,
                                                                      "blocked": services.block_notice()})
    if not queued and services.block_notice():
        messages.warning(request, "AOTY is blocking automated access right now; try again later.")
    return redirect(album.get_absolute_url())


@require_GET
def artist(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    found = selectors.artist_get(artist_id=pk)
    if found is None:
        raise Http404("No such artist.")
    return render(request, "albums/artist_detail.html", {"artist": found, "albums": selectors.artist_albums(artist=found)})


@require_GET
def year_lists(request: HtmxHttpRequest) -> HttpResponse:
    """Year-end critic lists for a year; opening one stores it as a ranked discovery list."""
    from django.utils import timezone

    try:
        year = int(request.GET.get("year") or timezone.now().year - 1)
    except ValueError:
        year = timezone.now().year - 1
    context: dict[str, Any] = {"year": year, "index": None, "error": "", "tabs": DISCOVER_TABS,
               "stored_lists": selectors.discovery_lists().filter(key__startswith="list/")}
    if not services.year_lists_stored(year=year) and (limited := external_page_limit(request)):
        return limited
    try:
        context["index"] = services.year_lists_get(year=year)
    except InvalidInput as exc:
        context["error"] = exc.detail
    except IntegrationError as exc:
        context["error"] = services.unavailable(exc).detail
    return render(request, "albums/year_lists.html", context)


@require_POST
def list_open(request: HtmxHttpRequest) -> HttpResponse:
    path = request.POST.get("path", "")
    if not url_has_allowed_host_and_scheme(path, allowed_hosts=None) or not path.startswith("/list/"):
        raise Http404("No such list.")
    if not services.publication_list_stored(path=path) and (limited := external_page_limit(request)):
        return limited
    try:
        dlist = services.publication_list_fetch(path=path)
    except InvalidInput:
        raise Http404("No such list.")
    except IntegrationError as exc:
        messages.error(request, services.unavailable(exc).detail)
        return redirect(reverse("albums:year_lists"))
    return redirect(reverse("albums:discover", args=[dlist.key]))


@require_GET
@cache_control(public=True, max_age=300)
def cover(request: HtmxHttpRequest, pk: int) -> HttpResponse | FileResponse:
    """The album's cover: the copy stored in media storage, else its generated placeholder.

    Pages link here instead of AOTY's CDN, so they work with no internet and leak no visits.
    """
    found = selectors.album_cover_file(album_id=pk)
    if found is None:
        raise Http404("No such album.")
    album, stored = found
    if stored:
        content_type = mimetypes.guess_type(album.cover_file.name or "")[0] or "application/octet-stream"
        stored_copy = FileResponse(album.cover_file.open("rb"), content_type=content_type)
        stored_copy["Cache-Control"] = "public, max-age=86400"
        return stored_copy
    svg = placeholder_svg(key=f"album:{album.pk}", title=album.title)
    return HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
