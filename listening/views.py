"""Listening pages: /listening/ (history, continue, on this day, stats), settings (privacy, scrobble targets),
the public history page, the offline storage page, and the service worker and web app manifest."""
from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from common.exceptions import InvalidInput
from common.types import AuthUser
from integrations.errors import NotConfigured
from integrations.internet_archive.parser import is_valid_identifier
from integrations.lastfm.client import web_auth_url

from . import selectors, services


def _me(request: HttpRequest) -> AuthUser:
    """The signed-in user (login_required lets nobody else in)."""
    if not isinstance(request.user, User):
        raise Http404
    return request.user


def _htmx(request: HttpRequest) -> bool:
    """A plain htmx request (not boosted navigation, which gets the whole page)."""
    details = getattr(request, "htmx", None)
    return bool(details) and not getattr(details, "boosted", False)


def _range(request: HttpRequest) -> str:
    value = request.GET.get("range", "month")
    return value if value in selectors.RANGES else "month"


@login_required
@require_GET
@vary_on_headers("HX-Request")
def index(request: HttpRequest) -> HttpResponse:
    """Recent plays, continue listening, on this day, and the stats with charts for one range."""
    stats_range = _range(request)
    user = _me(request)
    context: dict[str, Any] = {"range": stats_range, "ranges": list(selectors.RANGES),
                               "stats": selectors.listen_stats(user=user, range=stats_range)}
    if _htmx(request):
        return render(request, "listening/listening_index.html#stats", context)
    page = Paginator(selectors.listen_list_for_user(user=_me(request)), 25).get_page(request.GET.get("page"))
    context.update(page=page, continue_items=selectors.continue_listening(user=_me(request)),
                   on_this_day=selectors.on_this_day(user=_me(request)), profile=selectors.profile_get(user=_me(request)))
    return render(request, "listening/listening_index.html", context)


@login_required
@require_POST
def listen_delete(request: HttpRequest, listen_id: int) -> HttpResponse:
    if not services.listen_delete(user=_me(request), listen_id=listen_id):
        raise Http404("No such listen.")  # someone else's listen looks the same as a missing one
    if _htmx(request):
        return HttpResponse("")
    messages.success(request, "Listen deleted.")
    return redirect("listening:index")


@login_required
@require_POST
def listens_delete_all(request: HttpRequest) -> HttpResponse:
    if request.POST.get("confirm") != "yes":
        messages.error(request, "Tick the box to confirm deleting your whole history.")
        return redirect("listening:settings")
    count = services.listens_delete_all(user=_me(request))
    messages.success(request, f"Deleted {count} listen{'s' if count != 1 else ''}.")
    return redirect("listening:index")


@login_required
@require_GET
def settings_page(request: HttpRequest) -> HttpResponse:
    """Privacy, ListenBrainz and Last.fm connections, and what failed to send."""
    profile = services.profile_for(user=_me(request))
    failed = selectors.unsent_counts(user=_me(request))
    return render(request, "listening/settings.html", {
        "profile": profile, "failed": failed, "lastfm_configured": bool(settings.LASTFM_API_KEY and settings.LASTFM_API_SECRET),
        "default_listenbrainz_url": settings.LISTENBRAINZ_API_URL,
    })


def _back_with_error(request: HttpRequest, exc: InvalidInput) -> HttpResponse:
    messages.error(request, exc.detail)
    return redirect("listening:settings")


@login_required
@require_POST
def privacy_update(request: HttpRequest) -> HttpResponse:
    services.profile_update(user=_me(request), history_public=request.POST.get("history_public") == "on")
    messages.success(request, "Privacy saved.")
    return redirect("listening:settings")


@login_required
@require_POST
def listenbrainz_connect(request: HttpRequest) -> HttpResponse:
    try:
        services.listenbrainz_connect(user=_me(request), token=request.POST.get("token", ""),
                                      url=request.POST.get("url", ""))
    except InvalidInput as exc:
        return _back_with_error(request, exc)
    messages.success(request, "ListenBrainz connected: your listens will be sent there.")
    return redirect("listening:settings")


@login_required
@require_POST
def listenbrainz_disconnect(request: HttpRequest) -> HttpResponse:
    services.listenbrainz_disconnect(user=_me(request))
    messages.success(request, "ListenBrainz disconnected.")
    return redirect("listening:settings")


@login_required
@require_POST
def lastfm_start(request: HttpRequest) -> HttpResponse:
    try:
        url = web_auth_url(callback_url=request.build_absolute_uri(reverse("listening:lastfm_callback")))
    except NotConfigured as exc:
        messages.error(request, str(exc))
        return redirect("listening:settings")
    return HttpResponseRedirect(url)


@login_required
@require_GET
def lastfm_callback(request: HttpRequest) -> HttpResponse:
    try:
        services.lastfm_connect(user=_me(request), token=request.GET.get("token", ""))
    except InvalidInput as exc:
        return _back_with_error(request, exc)
    messages.success(request, "Last.fm connected: your listens will be scrobbled there.")
    return redirect("listening:settings")


@login_required
@require_POST
def lastfm_disconnect(request: HttpRequest) -> HttpResponse:
    services.lastfm_disconnect(user=_me(request))
    messages.success(request, "Last.fm disconnected.")
    return redirect("listening:settings")


@require_GET
def public_history(request: HttpRequest, username: str) -> HttpResponse:
    """A user's listening history, only when they made it public (404 otherwise, whoever asks)."""
    listens = selectors.public_history(username=username)
    if listens is None:
        raise Http404("No public listening history here.")
    return render(request, "listening/history_public.html", {"username": username, "listens": listens})


@require_GET
def play(request: HttpRequest, identifier: str) -> HttpResponse:
    """A shared moment: /listening/play/<identifier>/?file=...&t=12:34 starts that track there."""
    if not is_valid_identifier(identifier):  # e.g. a trailing newline: no such item, so no page to play from
        raise Http404("No such recording.")
    return render(request, "listening/play.html", {"identifier": identifier, "file": request.GET.get("file", "")[:500],
                                                   "t": request.GET.get("t", "")[:12]})


@require_GET
def storage(request: HttpRequest) -> HttpResponse:
    """What the browser keeps offline (read from the Cache Storage by static/js/player.js)."""
    return render(request, "listening/storage.html", {"offline_cache_mb": settings.OFFLINE_CACHE_MB})


@require_GET
@cache_control(no_cache=True)
def service_worker(request: HttpRequest) -> HttpResponse:
    # Served from the site root so its scope covers every page; the logic lives in a static file.
    config = {"workbox": static("vendor/workbox-7.4.1/"), "offlineCacheMb": settings.OFFLINE_CACHE_MB,
              "iaOrigin": settings.IA_MEDIA_ORIGIN}
    body = (f"self.STYLUS_SW = {json.dumps(config)};\n"
            f"importScripts({json.dumps(static('vendor/workbox-7.4.1/workbox-sw.js'))}, "
            f"{json.dumps(static('js/listening-sw.js'))});\n")
    response = HttpResponse(body, content_type="application/javascript")
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
@cache_control(max_age=3600)
def manifest(request: HttpRequest) -> JsonResponse:
    return JsonResponse({
        "name": "Stylus", "short_name": "Stylus", "start_url": "/", "scope": "/", "display": "standalone",
        "background_color": "#111111", "theme_color": "#111111",
        "description": "Music discovery and live concerts, with a player that keeps going.",
        "icons": [{"src": static("manifest/stylus-icon.svg"), "sizes": "any", "type": "image/svg+xml"}],
    }, content_type="application/manifest+json")
