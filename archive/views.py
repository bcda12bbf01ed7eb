"""Archive pages: search, item, directory browsing, downloads, library, player and file serving."""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.exceptions import StylusError
from common.ratelimit import external_page_limit
from common.types import AuthUser

from . import cache as archive_cache
from . import selectors, services
from .files import download_file_response
from .models import Download


def _template(request: HttpRequest, template: str, partial: str) -> str:
    return f"{template}#{partial}" if getattr(request, "htmx", False) else template


def _me(request: HttpRequest) -> AuthUser:
    """The signed-in user of a login_required view."""
    if not isinstance(request.user, User):  # login_required lets nobody else in
        raise Http404("Sign in first.")
    return request.user


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _search_params(request: HttpRequest) -> services.SearchParams:
    g = request.GET
    return services.SearchParams(
        q=g.get("q", "").strip(), artist=g.get("artist", "").strip(), venue=g.get("venue", "").strip(),
        year=_int(g.get("year")), range=g.get("range", ""), date_from=_date(g.get("date_from")),
        date_to=_date(g.get("date_to")), sort=g.get("sort", "relevance") or "relevance",
        page=_int(g.get("page")) or 1, rows=25,
    )


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The search page: filters, results and (for a logged-in user) their recent searches."""
    params = _search_params(request)
    context = {"params": params, "ranges": services.RANGES, "sorts": ["relevance", "date", "addeddate", "title"],
               "history": selectors.search_history_for_user(user=request.user), "page": None, "error": ""}
    if not params.is_empty:
        try:
            params.validate()
            # a search the cache cannot answer reaches the archive: it spends the visitor's external budget
            if not selectors.search_served_without_archive(cache_key=params.cache_key()):
                limited = external_page_limit(request)
                if limited is not None:
                    return limited
            page, cached = services.archive_search(params=params, user=request.user)
            context.update(page=page, cached=cached, query=params.as_query(),
                           has_next=params.page * params.rows < page.total)
        except StylusError as exc:
            context["error"] = exc.detail
    status = 200
    return render(request, _template(request, "archive/search.html", "results"), context, status=status)


def _archive_budget(request: HttpRequest, identifier: str) -> HttpResponse | None:
    """The 429 page when the item must come from the archive and the visitor's external budget is spent;
    stored items (cached, pinned) are never charged."""
    if selectors.item_served_without_archive(identifier=identifier):
        return None
    return external_page_limit(request)


def _item_context(request: HttpRequest, identifier: str) -> dict[str, Any]:
    try:
        meta = services.archive_item_get(identifier=identifier)
    except StylusError as exc:
        if exc.status_code in (404, 422):
            raise Http404(exc.detail) from exc
        raise
    return {"meta": meta, "identifier": identifier}


@require_GET
def item_detail(request: HttpRequest, identifier: str) -> HttpResponse:
    """An item's full metadata, files grouped by kind, and the user's downloads of it."""
    if (limited := _archive_budget(request, identifier)) is not None:
        return limited
    try:
        context = _item_context(request, identifier)
    except StylusError as exc:
        return render(request, "archive/item_unavailable.html", {"identifier": identifier, "error": exc.detail},
                      status=exc.status_code)
    meta = context["meta"]
    downloads = selectors.downloads_for_item(user=request.user, identifier=identifier)
    groups = selectors.item_file_groups(meta)
    open_format = next((g.format for g in groups.audio if g.downloadable), groups.audio[0].format if groups.audio else "")
    context.update(groups=groups, downloads=downloads, open_format=open_format,
                   active=[d for d in downloads.values() if d.is_active],
                   completed_audio=any(d.status == Download.Status.COMPLETED and selectors.is_audio(d)
                                       for d in downloads.values()))
    return render(request, _template(request, "archive/item_detail.html", "downloads"), context)


@require_GET
def item_browse(request: HttpRequest, identifier: str, path: str = "") -> HttpResponse:
    """Directory browsing of an item's files."""
    if (limited := _archive_budget(request, identifier)) is not None:
        return limited
    try:
        context = _item_context(request, identifier)
    except StylusError as exc:
        return render(request, "archive/item_unavailable.html", {"identifier": identifier, "error": exc.detail},
                      status=exc.status_code)
    directories, files = selectors.item_directory(context["meta"], path)
    path = path.strip("/")
    crumbs, acc = [], []
    for part in path.split("/") if path else []:
        acc.append(part)
        crumbs.append({"name": part, "path": "/".join(acc)})
    context.update(path=path, directories=directories, files=files, crumbs=crumbs,
                   downloads=selectors.downloads_for_item(user=request.user, identifier=identifier))
    return render(request, "archive/item_browse.html", context)


@login_required
@require_POST
def download_create(request: HttpRequest) -> HttpResponse:
    """Form target: queue one file or a whole format of an item, then go back to the item."""
    identifier = request.POST.get("identifier", "")
    try:
        downloads, created = services.download_request(user=_me(request), identifier=identifier,
                                                       file=request.POST.get("file", ""),
                                                       format=request.POST.get("format", ""))
        if created:
            messages.success(request, f"Queued {sum(1 for d in downloads if d.is_active)} file(s) for download.")
        else:
            messages.info(request, "Already in your library.")
    except StylusError as exc:
        messages.error(request, exc.detail)
        if not services.is_valid_identifier(identifier):
            return redirect("archive:downloads")
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("archive:item", args=[identifier])
        return response
    return HttpResponseRedirect(reverse("archive:item", args=[identifier]))


@login_required
@require_GET
def download_list(request: HttpRequest) -> HttpResponse:
    """The user's download history with a filter by status; live bars for active ones."""
    status = request.GET.get("status", "")
    if status not in dict(Download.Status.choices):
        status = ""
    paginator = Paginator(selectors.download_list_for_user(user=_me(request), status=status), 50)
    page = paginator.get_page(request.GET.get("page"))
    context = {"page": page, "status": status, "statuses": Download.Status.choices,
               "counts": selectors.download_counts_for_user(user=_me(request)),
               "quota_used": selectors.quota_used(user=_me(request))}
    return render(request, _template(request, "archive/download_list.html", "table"), context)


@login_required
@require_POST
def download_cancel(request: HttpRequest, download_id: int) -> HttpResponse:
    download = selectors.download_get_for_user(user=request.user, download_id=download_id)
    result = services.download_cancel(download=download)
    messages.success(request, "Download cancelled." if result else "Download removed.")
    return redirect(request.POST.get("next", "") if _safe_next(request) else "archive:downloads")


@login_required
@require_POST
def download_retry(request: HttpRequest, download_id: int) -> HttpResponse:
    download = selectors.download_get_for_user(user=request.user, download_id=download_id)
    try:
        services.download_retry(download=download)
        messages.success(request, "Download queued again.")
    except StylusError as exc:
        messages.error(request, exc.detail)
    return redirect(request.POST.get("next", "") if _safe_next(request) else "archive:downloads")


def _safe_next(request: HttpRequest) -> bool:
    value = request.POST.get("next", "")
    return value.startswith("/archive/") and "//" not in value


@login_required
@require_GET
def library(request: HttpRequest) -> HttpResponse:
    """My library: the concerts the user has downloaded."""
    return render(request, "archive/library_list.html", {"items": selectors.library_for_user(user=_me(request))})


@login_required
@require_GET
def player(request: HttpRequest, identifier: str) -> HttpResponse:
    """The in-browser player for one downloaded concert (queue, next/previous, seeking)."""
    tracks = selectors.playlist_for_user(user=request.user, identifier=identifier)
    return render(request, "archive/library_player.html", {"identifier": identifier, "tracks": tracks,
                                                            "first": tracks[0]})


@login_required
@require_http_methods(["GET", "HEAD"])
def download_file(request: HttpRequest, download_id: int) -> HttpResponseBase:
    """Serves one of the user's downloaded files, with HTTP Range so the player can seek."""
    download = selectors.download_file_get_for_user(user=request.user, download_id=download_id)
    return download_file_response(request, download)


@login_required
@require_POST
def history_clear(request: HttpRequest) -> HttpResponse:
    services.search_history_clear(user=_me(request))
    messages.success(request, "Search history cleared.")
    return redirect("archive:index")


@staff_member_required
@require_http_methods(["GET", "POST"])
def cache_admin(request: HttpRequest) -> HttpResponse:
    """Staff: archive cache statistics, and a button to clear it."""
    if request.method == "POST":
        removed = services.archive_cache_clear()
        messages.success(request, f"Cleared {removed} cached entries.")
        return redirect("archive:cache")
    return render(request, "archive/cache_stats.html", {"stats": archive_cache.stats()})
