"""Pages: paste a link and get result cards, the catalogue, playlist import, audio analysis."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common import selectors as common_selectors
from common.covers import cover_response
from common.exceptions import StylusError
from common.ratelimit import external_page_limit
from common.views import HtmxHttpRequest
from integrations.spotify.client import SpotifyClient, parse_spotify_link
from integrations.spotify.errors import InvalidSpotifyLink

from . import selectors, services
from .http import AuthedHttpRequest


def _page(request: HtmxHttpRequest, template: str, partial: str, context: dict, status: int = 200) -> HttpResponse:
    name = f"{template}#{partial}" if request.htmx else template
    return render(request, name, context, status=status)


@require_GET
def index(request: HtmxHttpRequest) -> HttpResponse:
    """The form, and result cards when `url` is given (GET keeps results linkable)."""
    url = (request.GET.get("url") or "").strip()
    form = {"url": url, "limit": request.GET.get("limit") or "15", "market": request.GET.get("market") or ""}
    context: dict = {"form": form, "result": None, "error": None, "demo": selectors.demo_tracks(),
                     "spotify_login": bool(services.spotify_token_for(request.user))}
    status = 200
    if url and selectors.link_needs_spotify(url=url) and (limited := external_page_limit(request)):
        return limited  # an unknown seed is fetched from Spotify while the visitor waits: it costs budget
    retry_after = None
    if url:
        user = request.user if request.user.is_authenticated else None
        try:
            limit = int(form["limit"])
        except ValueError:
            limit = 0
        try:
            context["result"] = services.recommend_from_link(user=user, url=url, limit=limit,
                                                             market=form["market"].upper() or None)
        except StylusError as exc:
            context["error"] = exc.detail
            # htmx swaps only 2xx answers: the error partial goes out as 200 there, with its status otherwise
            status = 200 if request.htmx else exc.status_code
            retry_after = getattr(exc, "retry_after", None)
    response = _page(request, "recommend/recommendation_index.html", "results", context, status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


@require_GET
def track_cover(request: HtmxHttpRequest, pk: int) -> HttpResponseBase:
    """The track's album cover: the copy stored in media storage, else a generated placeholder.

    Result cards and the API link here instead of Spotify's CDN, so pages work with no internet.
    """
    track = selectors.track_cover_get(user=request.user, track_id=pk)
    if track.album is not None:
        return cover_response(stored=track.album.cover_file, key=f"recommend-album:{track.album.pk}",
                              title=track.album.title)
    return cover_response(stored=None, key=f"recommend-track:{track.pk}", title=track.title)


@require_GET
def catalogue(request: HtmxHttpRequest) -> HttpResponse:
    context = {"counts": selectors.catalogue_counts(), "status": selectors.index_status(),
               "builds": selectors.index_builds(limit=8)}
    return _page(request, "recommend/catalogue_detail.html", "status", context)


@staff_member_required
@require_POST
def rebuild(request: AuthedHttpRequest) -> HttpResponse:
    job = services.index_rebuild_start(user=request.user)
    return redirect("recommend:job", pk=job.pk)


@login_required
@require_http_methods(["GET", "POST"])
def playlists(request: AuthedHttpRequest) -> HttpResponse:
    error = None
    if request.method == "POST":
        try:
            ref = parse_spotify_link(request.POST.get("url", ""), kinds=("playlist",))
        except InvalidSpotifyLink as exc:
            error = str(exc)
        else:
            job = services.playlist_ingest_start(user=request.user, spotify_id=ref.id)
            return redirect("recommend:job", pk=job.pk)
    context = {"playlists": selectors.playlists_for_user(user=request.user), "error": error,
               "spotify_login": bool(services.spotify_token_for(request.user)),
               "spotify_configured": SpotifyClient.configured()}
    return render(request, "recommend/playlist_list.html", context, status=422 if error else 200)


@login_required
@require_POST
def library_import(request: AuthedHttpRequest) -> HttpResponse:
    try:
        job = services.library_import_start(user=request.user)
    except StylusError as exc:
        messages.error(request, exc.detail)
        return redirect("recommend:playlists")
    return redirect("recommend:job", pk=job.pk)


@login_required
@require_http_methods(["GET", "POST"])
def analyse(request: AuthedHttpRequest) -> HttpResponse:
    """Upload an audio file to compute its features; lists the user's analysed audio."""
    error = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = "Choose an audio file to upload."
        else:
            try:
                _, job = services.audio_upload_create(user=request.user, file=upload,
                                                      title=request.POST.get("title", "").strip(),
                                                      artist=request.POST.get("artist", "").strip())
            except StylusError as exc:
                error = exc.detail
            else:
                return redirect("recommend:job", pk=job.pk)
    context = {"uploads": selectors.uploads_for_user(user=request.user),
               "tracks": selectors.own_tracks_for_user(user=request.user)[:50], "error": error}
    return render(request, "recommend/upload_form.html", context, status=422 if error else 200)


@login_required
@require_POST
def analyse_archive(request: AuthedHttpRequest) -> HttpResponse:
    job = services.features_from_archive_downloads(user=request.user)
    return redirect("recommend:job", pk=job.pk)


@login_required
@require_GET
def own_track(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    track = selectors.own_track_get_for_user(user=request.user, track_id=pk)
    context: dict = {"track": track, "result": None, "error": None,
                     "features": services.best_features(track)}
    try:
        context["result"] = services.recommend_for_track(user=request.user, track=track, limit=15)
    except StylusError as exc:
        context["error"] = exc.detail
    return render(request, "recommend/track_detail.html", context)


@login_required
@require_GET
def job_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    job = common_selectors.job_get_for_user(user=request.user, job_id=pk)
    return _page(request, "recommend/job_detail.html", "job", {"job": job})


@login_required
@require_POST
def save_playlist(request: AuthedHttpRequest) -> HttpResponse:
    """"Save these as a Spotify playlist" (needs a Spotify login)."""
    if limited := external_page_limit(request):
        return limited
    try:
        url = services.recommendations_save_to_spotify(user=request.user, name=request.POST.get("name", ""),
                                                       spotify_ids=request.POST.getlist("spotify_id"))
    except StylusError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"Saved to Spotify: {url}")
    target = request.POST.get("next") or ""
    return redirect(target if target.startswith("/recommend/") and "//" not in target else "recommend:index")
