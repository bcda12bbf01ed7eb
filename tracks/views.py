"""Tracks pages (HTMX): dashboard, song list and detail, packs board, album series, collaborations,
achievements, workflow editor and profiles. One view per URL; `request.htmx` gets the named partial."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.exceptions import Conflict, InvalidInput, NotFound, ServiceUnavailable, StylusError

from . import achievements as catalogue
from . import selectors, services
from .forms import AlbumSeriesForm, InviteForm, PackForm, PlaylistImportForm, ProfileForm, SongForm, apply_error
from .http import AuthedHttpRequest
from .models import Collaboration, Song, Status
from .permissions import Role

STATUSES = [s.value for s in Status]
T = TypeVar("T")


def _notify_achievements(request: AuthedHttpRequest) -> None:
    """New achievements become toasts once, then count as seen."""
    fresh = selectors.achievements_for_user(user=request.user)["new"]
    if len(fresh) == 1:
        messages.success(request, f"Achievement unlocked: {fresh[0]['name']} (+{fresh[0]['points']} points)")
    elif fresh:  # one toast, not a wall of them
        names = ", ".join(i["name"] for i in fresh[:4]) + (f" and {len(fresh) - 4} more" if len(fresh) > 4 else "")
        messages.success(request, f"{len(fresh)} achievements unlocked: {names} (+{sum(i['points'] for i in fresh)} points)")
    if fresh:
        services.achievements_mark_seen(user=request.user)


def _error_message(request: AuthedHttpRequest, exc: StylusError) -> None:
    messages.error(request, exc.detail)


def _back(request: AuthedHttpRequest, default: str) -> str:
    """The local `next` URL the form came from, or the default (never another site)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return target if target and safe else default


# -- dashboard --------------------------------------------------------------------------------------------
@login_required
@require_GET
def index(request: AuthedHttpRequest) -> HttpResponse:
    _notify_achievements(request)
    return render(request, "tracks/dashboard.html", {"d": selectors.dashboard(user=request.user),
                                                     "statuses": STATUSES})


# -- songs ----------------------------------------------------------------------------------------------------
def _song_filters(request: AuthedHttpRequest) -> dict[str, Any]:
    g = request.GET
    status = g.get("status") if g.get("status") in STATUSES else None

    def as_int(name: str) -> int | None:
        value = g.get(name, "")
        return int(value) if value.isdigit() else None

    return {"status": status, "pack_id": as_int("pack"), "album_series_id": as_int("series"),
            "artist": g.get("artist") or None, "search": (g.get("q") or "").strip()[:200] or None,
            "scope": g.get("scope") if g.get("scope") in ("mine", "shared") else "all",
            "sort": g.get("sort") if g.get("sort") in selectors.SONG_SORTS else "priority"}


@login_required
@require_GET
def song_list(request: AuthedHttpRequest) -> HttpResponse:
    """Filters, sort, search, inline status and checklist edits, bulk actions. Queries stay constant.

    Rows carry their progress; each row's checklist loads when it is opened (song_checklist), so a page
    of 50 started songs does not render 750 checkbox forms up front.
    """
    from django.conf import settings

    filters = _song_filters(request)
    qs = selectors.song_list(user=request.user, **filters)
    page = Paginator(qs, settings.TRACKS_SONGS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = selectors.attach_roles(user=request.user, songs=selectors.attach_progress(page.object_list))
    if filters["search"] and page.number == 1:
        from common.services import search_log_record

        search_log_record(section="tracks", query=filters["search"], user=request.user)
    query = request.GET.copy()
    query.pop("page", None)
    context = {"page": page, "songs": page.object_list, "filters": filters, "statuses": STATUSES,
               "sorts": list(selectors.SONG_SORTS), "packs": selectors.packs_owned(user=request.user),
               "query": query.urlencode()}
    template = "tracks/song_list.html#results" if request.htmx and not request.htmx.boosted else "tracks/song_list.html"
    return render(request, template, context)


def _song_form(request: AuthedHttpRequest, *, song: Song | None = None, data: QueryDict | None = None,
               files: MultiValueDict[str, UploadedFile] | None = None) -> SongForm:
    owner = song.owner if song else request.user
    is_owner = song is None or song.owner_id == request.user.pk
    initial = None
    if song is not None:
        initial = {"title": song.title, "artist": song.artist, "album": song.album, "year": song.year,
                   "status": song.status, "priority": song.priority, "pack": song.pack_id,
                   "album_series": song.album_series_id, "release_date": song.release_date, "notes": song.notes}
    return SongForm(data, files, initial=initial, owner_fields=is_owner,
                    packs=selectors.packs_owned(user=owner) if is_owner else (),
                    series=list(selectors.album_series_list(user=owner)) if is_owner else ())


@login_required
@require_http_methods(["GET", "POST"])
def song_create(request: AuthedHttpRequest) -> HttpResponse:
    form = _song_form(request, data=request.POST or None, files=request.FILES or None)
    if request.method == "POST" and form.is_valid():
        song = _save_cover_form(form, lambda **kw: services.song_create(user=request.user, **kw))
        if song is not None:
            messages.success(request, f"Added {song.title}.")
            return redirect("tracks:song_detail", song.pk)
    return render(request, "tracks/song_form.html", {"form": form, "song": None},
                  status=422 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
def song_detail(request: AuthedHttpRequest, song_id: int) -> HttpResponse:
    """The song with its edit form, checklist, Spotify details and collaborators."""
    song = selectors.song_get_for_user(user=request.user, song_id=song_id)
    status = 200
    if request.method == "POST":
        selectors.song_get_for_user(user=request.user, song_id=song_id, need=Role.EDITOR)
        form = _song_form(request, song=song, data=request.POST, files=request.FILES)
        if form.is_valid():
            clear_cover = form.cleaned_data.get("clear_cover", False)
            if _save_cover_form(form, lambda **kw: services.song_update(
                    user=request.user, song=song, clear_cover=clear_cover, **kw)) is not None:
                messages.success(request, "Saved.")
                return redirect("tracks:song_detail", song.pk)
        status = 422
    else:
        form = _song_form(request, song=song)
    _notify_achievements(request)
    collaborators = (Collaboration.objects.filter(song=song).select_related("user")
                     if song.role == Role.OWNER else [])
    return render(request, "tracks/song_detail.html", {
        "song": song, "form": form, "can_edit": song.role >= Role.EDITOR, "is_owner": song.role == Role.OWNER,
        "collaborators": collaborators, "invite_form": InviteForm(initial={"permission": "song_edit"}),
        "statuses": STATUSES}, status=status)


def _row(request: AuthedHttpRequest, song_id: int, *, template: str = "tracks/song_list.html#row") -> HttpResponse:
    song = selectors.song_list(user=request.user).filter(pk=song_id).first()
    if song is None:
        return HttpResponse(status=204)
    selectors.attach_roles(user=request.user, songs=selectors.attach_progress([song]))
    return render(request, template, {"song": song, "statuses": STATUSES, "packs": []})


@login_required
@require_POST
def song_status(request: AuthedHttpRequest, song_id: int) -> HttpResponse:
    """Inline status change from the list (returns the row) or the detail page."""
    song = selectors.song_get_for_user(user=request.user, song_id=song_id, need=Role.EDITOR)
    try:
        services.song_set_status(user=request.user, song=song, status=request.POST.get("status", ""))
    except InvalidInput as exc:
        if request.htmx:
            return HttpResponse(exc.detail, status=422)
        _error_message(request, exc)
    if request.htmx:
        return _row(request, song_id)
    return redirect(_back(request, reverse("tracks:song_detail", args=[song_id])))


@login_required
@require_GET
def song_checklist(request: AuthedHttpRequest, song_id: int) -> HttpResponse:
    """The checklist alone, loaded when a row's checklist is opened in the list (the song page without htmx)."""
    song = selectors.song_get_for_user(user=request.user, song_id=song_id)
    if not request.htmx:
        return redirect("tracks:song_detail", song.pk)
    return render(request, "tracks/_checklist.html", {"song": song, "can_edit": song.role >= Role.EDITOR})


@login_required
@require_POST
def song_step(request: AuthedHttpRequest, song_id: int, step_id: int) -> HttpResponse:
    """Ticks or unticks a checklist box; htmx gets the checklist back (and the row's progress, out of band)."""
    song = selectors.song_get_for_user(user=request.user, song_id=song_id, need=Role.EDITOR)
    try:
        services.song_step_set(user=request.user, song=song, step_id=step_id, done=request.POST.get("done") == "1")
    except InvalidInput as exc:
        if request.htmx:
            return HttpResponse(exc.detail, status=422)
        _error_message(request, exc)
    if request.htmx:
        song = selectors.song_get_for_user(user=request.user, song_id=song_id)
        return render(request, "tracks/_checklist.html", {"song": song, "can_edit": True, "oob": True})
    return redirect(_back(request, reverse("tracks:song_detail", args=[song_id])))


@login_required
@require_POST
def song_delete(request: AuthedHttpRequest, song_id: int) -> HttpResponse:
    song = selectors.song_get_for_user(user=request.user, song_id=song_id, need=Role.OWNER)
    services.song_delete(user=request.user, song=song)
    messages.success(request, f"Deleted {song.title}.")
    if request.htmx:
        return HttpResponse("")
    return redirect("tracks:song_list")


@login_required
@require_POST
def song_bulk(request: AuthedHttpRequest) -> HttpResponse:
    """Bulk actions from the list: move status, add to pack, delete. All selected songs or none."""
    ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
    action = request.POST.get("action", "")
    if not ids:
        messages.error(request, "Select some songs first.")
    else:
        try:
            if action == "status":
                n = services.songs_bulk_status(user=request.user, song_ids=ids, status=request.POST.get("status", ""))
                messages.success(request, f"Moved {n} songs to {request.POST.get('status')}.")
            elif action == "pack":
                raw = request.POST.get("pack", "")
                n = services.songs_bulk_add_to_pack(user=request.user, song_ids=ids,
                                                    pack_id=int(raw) if raw.isdigit() else None)
                messages.success(request, f"Updated the pack of {n} songs.")
            elif action == "delete":
                n = services.songs_bulk_delete(user=request.user, song_ids=ids)
                messages.success(request, f"Deleted {n} songs.")
            elif action == "enrich":
                job = services.songs_enrich_bulk_start(user=request.user, song_ids=ids)
                return redirect("tracks:enrich_job", job.pk)
            else:
                messages.error(request, "Choose an action.")
        except StylusError as exc:
            _error_message(request, exc)
        except (Http404, PermissionDenied) as exc:  # the all-or-nothing check refused one of the songs
            messages.error(request, f"Nothing changed: {exc}")
    return redirect(_back(request, reverse("tracks:song_list")))


@login_required
@require_http_methods(["GET", "POST"])
def song_enrich(request: AuthedHttpRequest, song_id: int) -> HttpResponse:
    """Spotify enrichment for one song: applies a confident match, else shows the top matches to pick."""
    song = selectors.song_get_for_user(user=request.user, song_id=song_id, need=Role.EDITOR)
    context: dict[str, Any] = {"song": song}
    try:
        if request.method == "POST":
            result = services.song_enrich(user=request.user, song=song, track_id=request.POST.get("track_id") or None)
            context.update(result=result, candidates=result.candidates)
            if result.applied:
                messages.success(request, result.detail)
                if not request.htmx:
                    return redirect("tracks:song_detail", song.pk)
        else:
            context["candidates"] = services.spotify_candidates(song=song)
    except (ServiceUnavailable, NotFound, InvalidInput) as exc:
        context["error"] = exc.detail
    template = "tracks/song_enrich.html#picker" if request.htmx else "tracks/song_enrich.html"
    return render(request, template, context)


@login_required
@require_GET
def enrich_job(request: AuthedHttpRequest, job_id: int) -> HttpResponse:
    from common.selectors import job_get_for_user

    job = job_get_for_user(user=request.user, job_id=job_id)
    return render(request, "tracks/enrich_job.html", {"job": job})


@login_required
@require_POST
def song_enrich_all(request: AuthedHttpRequest) -> HttpResponse:
    try:
        job = services.songs_enrich_bulk_start(user=request.user)
    except StylusError as exc:
        _error_message(request, exc)
        return redirect("tracks:song_list")
    return redirect("tracks:enrich_job", job.pk)


@login_required
@require_http_methods(["GET", "POST"])
def playlist_import(request: AuthedHttpRequest) -> HttpResponse:
    form = PlaylistImportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created, skipped = services.playlist_import(user=request.user, url=form.cleaned_data["url"])
        except InvalidInput as exc:
            form.add_error("url", exc.detail)
        except (ServiceUnavailable, NotFound) as exc:
            form.add_error(None, exc.detail)
        else:
            messages.success(request, f"Imported {len(created)} songs as Future Plans ({skipped} skipped).")
            return redirect(f"{reverse('tracks:song_list')}?status=Future+Plans&sort=created")
    return render(request, "tracks/playlist_import.html", {"form": form})


def _save_cover_form(form: forms.Form, save: Callable[..., T]) -> T | None:
    """Calls save(data=..., cover=...) with a valid form's fields; a domain error lands on the form
    (and None comes back) instead of escaping as a 500."""
    service_data = getattr(form, "service_data", None)  # SongForm maps its choice fields to ids
    data = service_data() if service_data else {k: v for k, v in form.cleaned_data.items() if k != "cover"}
    try:
        return save(data=data, cover=form.cleaned_data.get("cover"))
    except InvalidInput as exc:
        apply_error(form, exc)
        return None


# -- packs ---------------------------------------------------------------------------------------------------
@login_required
@require_GET
def pack_board(request: AuthedHttpRequest) -> HttpResponse:
    _notify_achievements(request)
    return render(request, "tracks/pack_board.html", {"columns": selectors.pack_board(user=request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def pack_create(request: AuthedHttpRequest) -> HttpResponse:
    form = PackForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        pack = _save_cover_form(form, lambda **kw: services.pack_create(user=request.user, **kw))
        if pack is not None:
            return redirect("tracks:pack_detail", pack.pk)
    return render(request, "tracks/pack_form.html", {"form": form, "pack": None},
                  status=422 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
def pack_detail(request: AuthedHttpRequest, pack_id: int) -> HttpResponse:
    pack = selectors.pack_get_for_user(user=request.user, pack_id=pack_id)
    status = 200
    initial = {k: getattr(pack, k) for k in ("name", "priority", "status", "release_date", "download_url",
                                             "video_url", "release_notes")}
    if request.method == "POST":
        selectors.pack_get_for_user(user=request.user, pack_id=pack_id, need=Role.EDITOR)
        form = PackForm(request.POST, request.FILES, initial=initial)
        if form.is_valid():
            if _save_cover_form(form, lambda **kw: services.pack_update(user=request.user, pack=pack, **kw)) is not None:
                messages.success(request, "Pack saved.")
                return redirect("tracks:pack_detail", pack.pk)
        status = 422
    else:
        form = PackForm(initial=initial)
    songs = selectors.attach_progress(selectors.song_list(user=request.user, pack_id=pack.pk)[:500])
    _notify_achievements(request)
    return render(request, "tracks/pack_detail.html", {
        "pack": pack, "form": form, "songs": songs, "can_edit": pack.role >= Role.EDITOR,
        "is_owner": pack.role == Role.OWNER,
        "collaborators": Collaboration.objects.filter(pack=pack).select_related("user") if pack.role == Role.OWNER else [],
        "invite_form": InviteForm(initial={"permission": "pack_view"})}, status=status)


@login_required
@require_POST
def pack_release(request: AuthedHttpRequest, pack_id: int) -> HttpResponse:
    pack = selectors.pack_get_for_user(user=request.user, pack_id=pack_id, need=Role.OWNER)
    services.pack_release(user=request.user, pack=pack)
    messages.success(request, f"Released {pack.name} and its songs.")
    return redirect("tracks:pack_detail", pack.pk)


@login_required
@require_POST
def pack_delete(request: AuthedHttpRequest, pack_id: int) -> HttpResponse:
    pack = selectors.pack_get_for_user(user=request.user, pack_id=pack_id, need=Role.OWNER)
    services.pack_delete(user=request.user, pack=pack)
    messages.success(request, f"Deleted pack {pack.name}; its songs are still in your list.")
    return redirect("tracks:pack_board")


# -- album series ------------------------------------------------------------------------------------------
@login_required
@require_GET
def series_list(request: AuthedHttpRequest) -> HttpResponse:
    return render(request, "tracks/series_list.html", {"series": selectors.album_series_list(user=request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def series_create(request: AuthedHttpRequest) -> HttpResponse:
    form = AlbumSeriesForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        series = _save_cover_form(form, lambda **kw: services.album_series_create(user=request.user, **kw))
        if series is not None:
            return redirect("tracks:series_detail", series.pk)
    return render(request, "tracks/series_form.html", {"form": form}, status=422 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
def series_detail(request: AuthedHttpRequest, series_id: int) -> HttpResponse:
    """The tracklist comparison: done, in progress, planned, missing or irrelevant."""
    series = selectors.album_series_get_for_user(user=request.user, series_id=series_id)
    initial = {k: getattr(series, k) for k in ("series_number", "artist", "album", "year", "status", "description")}
    form = AlbumSeriesForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        if _save_cover_form(form, lambda **kw: services.album_series_update(user=request.user, series=series, **kw)) is not None:
            messages.success(request, "Series saved.")
            return redirect("tracks:series_detail", series.pk)
    context = {"series": series, "form": form, "cmp": selectors.album_series_comparison(series=series)}
    template = "tracks/series_detail.html#tracklist" if request.htmx else "tracks/series_detail.html"
    return render(request, template, context, status=422 if request.method == "POST" else 200)


@login_required
@require_POST
def series_tracklist(request: AuthedHttpRequest, series_id: int) -> HttpResponse:
    series = selectors.album_series_get_for_user(user=request.user, series_id=series_id)
    try:
        services.album_series_fetch_tracklist(user=request.user, series=series, album=request.POST.get("album", ""))
        messages.success(request, "Fetched the tracklist from Spotify.")
    except (ServiceUnavailable, NotFound, InvalidInput) as exc:
        _error_message(request, exc)
    return redirect("tracks:series_detail", series.pk)


@login_required
@require_POST
def series_mark(request: AuthedHttpRequest, series_id: int) -> HttpResponse:
    series = selectors.album_series_get_for_user(user=request.user, series_id=series_id)
    try:
        services.album_series_mark_track(user=request.user, series=series, title=request.POST.get("title", ""),
                                         irrelevant=request.POST.get("irrelevant") == "1")
    except InvalidInput as exc:
        _error_message(request, exc)
    if request.htmx:
        return render(request, "tracks/series_detail.html#tracklist",
                      {"series": series, "cmp": selectors.album_series_comparison(series=series)})
    return redirect("tracks:series_detail", series.pk)


@login_required
@require_POST
def series_add_missing(request: AuthedHttpRequest, series_id: int) -> HttpResponse:
    series = selectors.album_series_get_for_user(user=request.user, series_id=series_id)
    created = services.album_series_add_missing(user=request.user, series=series)
    messages.success(request, f"Added {len(created)} songs as Future Plans.")
    return redirect("tracks:series_detail", series.pk)


# -- collaborations ------------------------------------------------------------------------------------------
@login_required
@require_GET
def collaboration_list(request: AuthedHttpRequest) -> HttpResponse:
    collabs = list(selectors.collaboration_list(user=request.user))
    return render(request, "tracks/collaboration_list.html", {
        "invitations": [c for c in collabs if c.user_id == request.user.pk and c.state == "pending"],
        "mine": [c for c in collabs if c.user_id == request.user.pk and c.state != "pending"],
        "given": [c for c in collabs if c.user_id != request.user.pk],
    })


@login_required
@require_POST
def collaboration_invite(request: AuthedHttpRequest) -> HttpResponse:
    """Invites from a song or pack page; several comma-separated names on a pack are a batch invitation."""
    form = InviteForm(request.POST)
    song_id, pack_id = request.POST.get("song", ""), request.POST.get("pack", "")
    target = reverse("tracks:song_detail", args=[song_id]) if song_id.isdigit() else (
        reverse("tracks:pack_detail", args=[pack_id]) if pack_id.isdigit() else reverse("tracks:collaborations"))
    if not form.is_valid():
        messages.error(request, "Name a user and a permission.")
        return redirect(target)
    data = form.cleaned_data
    try:
        if song_id.isdigit():
            song = selectors.song_get_for_user(user=request.user, song_id=int(song_id), need=Role.OWNER)
            services.collaboration_invite(user=request.user, username=data["username"], song=song,
                                          permission="song_edit", message=data["message"])
        elif pack_id.isdigit():
            pack = selectors.pack_get_for_user(user=request.user, pack_id=int(pack_id), need=Role.OWNER)
            services.collaboration_invite_batch(user=request.user, pack=pack, usernames=data["username"].split(","),
                                                permission=data["permission"], message=data["message"])
        else:
            raise InvalidInput("Invite onto a song or a pack.")
    except (InvalidInput, Conflict) as exc:
        _error_message(request, exc)
    else:
        messages.success(request, "Invitation sent.")
    return redirect(target)


@login_required
@require_POST
def collaboration_respond(request: AuthedHttpRequest, collaboration_id: int) -> HttpResponse:
    collab = selectors.collaboration_get_for_user(user=request.user, collaboration_id=collaboration_id)
    action = request.POST.get("action")
    try:
        if action == "remove":
            services.collaboration_remove(user=request.user, collaboration=collab)
            messages.success(request, "Collaboration removed.")
        else:
            services.collaboration_respond(user=request.user, collaboration=collab, accept=action == "accept")
            messages.success(request, "Invitation accepted." if action == "accept" else "Invitation declined.")
    except Conflict as exc:
        _error_message(request, exc)
    return redirect(_back(request, reverse("tracks:collaborations")))


# -- achievements, workflow, profile ------------------------------------------------------------------------
@login_required
@require_GET
def achievement_list(request: AuthedHttpRequest) -> HttpResponse:
    data = selectors.achievements_for_user(user=request.user)
    services.achievements_mark_seen(user=request.user)
    by_category = {c: [i for i in data["items"] if i["category"] == c] for c in catalogue.CATEGORIES}
    return render(request, "tracks/achievement_list.html", {"a": data, "by_category": by_category})


@login_required
@require_http_methods(["GET", "POST"])
def workflow(request: AuthedHttpRequest) -> HttpResponse:
    """The workflow template editor: add, rename, move, remove, reset."""
    if request.method == "POST":
        action = request.POST.get("action", "")
        step_id = int(request.POST["step"]) if request.POST.get("step", "").isdigit() else 0
        try:
            if action == "add":
                services.workflow_step_create(user=request.user, name=request.POST.get("name", ""))
            elif action == "rename":
                services.workflow_step_rename(user=request.user, step_id=step_id, name=request.POST.get("name", ""))
            elif action in ("up", "down"):
                services.workflow_step_move(user=request.user, step_id=step_id, offset=-1 if action == "up" else 1)
            elif action == "delete":
                services.workflow_step_delete(user=request.user, step_id=step_id)
            elif action == "reset":
                services.workflow_reset(user=request.user)
        except InvalidInput as exc:
            if request.htmx:
                return render(request, "tracks/workflow.html#steps",
                              {"steps": services.workflow_ensure(user=request.user), "error": exc.detail}, status=422)
            _error_message(request, exc)
        if not request.htmx:
            return redirect("tracks:workflow")
    steps = services.workflow_ensure(user=request.user)
    template = "tracks/workflow.html#steps" if request.htmx else "tracks/workflow.html"
    return render(request, template, {"steps": steps})


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: AuthedHttpRequest) -> HttpResponse:
    profile = selectors.profile_for_user(user=request.user)
    initial = {"display_name": profile.display_name, "bio": profile.bio, "is_public": profile.is_public}
    form = ProfileForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in ("display_name", "bio", "is_public")}
        try:
            services.profile_update(user=request.user, data=data, image=form.cleaned_data.get("image"),
                                    clear_image=form.cleaned_data.get("clear_image", False))
        except InvalidInput as exc:
            apply_error(form, exc)
        else:
            messages.success(request, "Profile saved.")
            return redirect("tracks:profile_edit")
    return render(request, "tracks/profile_form.html", {"form": form, "profile": profile},
                  status=422 if request.method == "POST" else 200)


@require_GET
def profile_public(request: HttpRequest, username: str) -> HttpResponse:
    return render(request, "tracks/profile_public.html", selectors.public_profile(username=username))


@login_required
@require_POST
def plan_add(request: AuthedHttpRequest) -> HttpResponse:
    """"Add to my song plans" from other sections (album pages): a Future Plans song, then back."""
    data = {key: request.POST.get(key, "") for key in ("title", "artist", "album", "year")}
    data["status"] = Status.FUTURE.value
    try:
        song = services.song_create(user=request.user, data=data)
    except InvalidInput as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"Added “{song.title}” to your song plans.")
    return redirect(_back(request, reverse("tracks:song_list")))
