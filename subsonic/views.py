"""The OpenSubsonic router at /rest/<method> (and <method>.view), GET or POST, plus the app-password page.

Each endpoint parses its parameters, calls one selector or service and shapes the payload; protocol.render
wraps it in the envelope. Errors are SubsonicError codes in the envelope, never a 500.
"""
from __future__ import annotations

import datetime as dt
import logging
import mimetypes
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render as render_page
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.exceptions import StylusError
from common.files import ranged_file_response
from common.types import AuthUser
from common.views import HtmxHttpRequest
from integrations.errors import AuthFailed, IntegrationError, TransientError
from integrations.errors import NotFound as UpstreamNotFound
from integrations.internet_archive import stream as ia_stream

from . import ids, media, selectors, services
from .protocol import (
    GENERIC,
    NOT_AUTHORIZED,
    Params,
    SubsonicError,
    not_found,
    render,
    render_error,
)

log = logging.getLogger(__name__)

EXTENSIONS = [{"name": "apiKeyAuthentication", "versions": [1]}, {"name": "formPost", "versions": [1]},
              {"name": "sonicSimilarity", "versions": [1]}]
LIST_MAX = 500
Handler = Callable[[HttpRequest, Params, AuthUser], "HttpResponseBase | dict[str, Any]"]
ENDPOINTS: dict[str, Handler] = {}


def endpoint(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        ENDPOINTS[name] = fn
        return fn
    return register


@csrf_exempt  # clients post forms without a session or a CSRF token; they authenticate with every request
@require_http_methods(["GET", "POST", "HEAD", "OPTIONS"])
def rest(request: HttpRequest, method: str) -> HttpResponseBase:
    response = HttpResponse(status=204) if request.method == "OPTIONS" else _rest(request, method)
    # Web clients (hosted anywhere) call a Subsonic server from the browser. Credentials travel in the
    # parameters, never in cookies, so any origin may read the answers, as with other Subsonic servers.
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Allow-Headers"] = "Range, Content-Type"
    response["Access-Control-Expose-Headers"] = "Content-Range, Content-Length, Accept-Ranges"
    return response


def _rest(request: HttpRequest, method: str) -> HttpResponseBase:
    params = Params(request)
    name = method.removesuffix(".view")
    handler = ENDPOINTS.get(name)
    try:
        if name == "getOpenSubsonicExtensions":  # the spec makes this one public
            return render(params, {"openSubsonicExtensions": EXTENSIONS})
        user = selectors.user_from_params(params=params)
        if handler is None:
            response = render_error(params, SubsonicError(GENERIC, f"Unknown method: {name[:100]}"))
            response.status_code = 404
            return response
        result = handler(request, params, user)
    except SubsonicError as exc:
        return render_error(params, exc)
    except StylusError as exc:  # a service's own validation (e.g. a bad archive identifier)
        code = 70 if exc.status_code == 404 else GENERIC
        return render_error(params, SubsonicError(code, exc.detail))
    if isinstance(result, HttpResponseBase):  # media: a file or a stream
        return result
    return render(params, result)


def _id3(album: dict[str, Any]) -> dict[str, Any]:
    """AlbumID3 without the directory fields (isDir, title, parent) that getMusicDirectory uses."""
    return {k: v for k, v in album.items() if k not in ("isDir", "title", "parent")}


def _count(params: Params, name: str, default: int, high: int = LIST_MAX) -> int:
    return params.int(name, default, low=0, high=high) or 0


def _folder(params: Params) -> int | None:
    folder = params.int("musicFolderId")
    if folder is not None and folder not in (selectors.FOLDER_CONCERTS, selectors.FOLDER_UPLOADS):
        raise not_found("Music folder")
    return folder


# -- system -------------------------------------------------------------------------------------------------------
@endpoint("ping")
def ping(request: HttpRequest, params: Params, user: AuthUser) -> dict[str, Any]:
    return {}


@endpoint("getLicense")
def get_license(request: HttpRequest, params: Params, user: AuthUser) -> dict[str, Any]:
    return {"license": {"valid": True, "email": user.email or "", "licenseExpires": "2099-12-31T00:00:00Z"}}


def _scan_status() -> dict[str, Any]:
    return {"scanStatus": {"scanning": services.scan_running(), "count": selectors.library_size()}}


@endpoint("getScanStatus")
def get_scan_status(request: HttpRequest, params: Params, user: AuthUser) -> dict[str, Any]:
    return _scan_status()


@endpoint("startScan")
def start_scan(request: HttpRequest, params: Params, user: AuthUser) -> dict[str, Any]:
    services.scan_start(user=user)
    return _scan_status()


# -- browsing -----------------------------------------------------------------------------------------------------
@endpoint("getMusicFolders")
def get_music_folders(request: HttpRequest, params: Params, user: AuthUser) -> dict[str, Any]:
    return {"musicFolders": {"musicFolder": [{"id": selectors.FOLDER_CONCERTS, "name": "Concerts"},
                                             {"id": selectors.FOLDER_UPLOADS, "name": "My uploads"}]}}


@endpoint("getIndexes")
def get_indexes(request: HttpRequest, params: Params, user: AuthUser) -> dict[str, Any]:
    index = selectors.artist_index(user=user, folder=_folder(params))
    modified = int(selectors.now().timestamp() * 1000)
    return {"indexes": {"ignoredArticles": selectors.IGNORED_ARTICLES, "lastModified": modified,
                        "index": [{"name": i["name"], "artist": [{"id": a["id"], "name": a["name"],
                                                                  **({"starred": a["starred"]} if "starred" in a else {})}
                                                                 for a in i["artist"]]} for i in index]}}


@endpoint("getMusicDirectory")
def get_music_directory(request: HttpRequest, params: Params, user: AuthUser) -> dict[str, Any]:
    item_id = params.required("id")
    ref = ids.parse(item_id)
    if ref is not None and ref.kind == "artist":
        artist = selectors.artist_get(user=user, artist_id=item_id)
        return {"directory": {"id": item_id, "name": artist["name"], "starred": artist.get("starred"),
                              "child": artist["album"]}}
    context = selectors.album_context(user=user, album_id=item_id)
    album = context.album
    return {"directory": {"id": album["id"], "name": album["name"], "parent": album["artistId"],
                          "child": selectors.album_songs(user=user, context=context)}}


@endpoint("getArtists")
def get_artists(request: HttpRequest, params: Params, user: AuthUser) -> dict[str, Any]:
    return {"artists": {"ignoredArticles": selectors.IGNORED_ARTICLES,
                        "index": selectors.artist_index(user=user, folder=_folder(params))}}


@endpoint("getArtist")
def get_artist(request: HttpRequest, params: Params, user: AuthUser) -> dict[str, Any]:
    artist = selectors.artist_get(user=user, artist_id=params.required("id"))
    return {"artist": {**artist, "album": [_id3(a) for a in artist["album"]]}}


@endpoint("getAlbum")
def get_album(request: HttpRequest, params: Params, user: AuthUser) -> dict[str, Any]:
    context = selectors.album_context(user=user, album_id=params.required("id"))
    songs = selectors.album_songs(user=user, context=context)
    album = selectors.marks_for(user=user, item_ids=[context.album["id"]]).apply(_id3(context.album))
    if songs:
        album.update(songCount=len(songs), duration=sum(s.get("duration") or 0 for s in songs))
    return {"album": {**album, "song": songs}}


@endpoint("getSong")
def get_song(request: HttpRequest, params: Params, user: AuthUser) -> dict[str, Any]:
    return {"song": selectors.song_source(user=user, song_id=params.required("id")).song}


@endpoint("getGenres")
def get_genres(request: HttpRequest, params: Params, user: AuthUser) -> dict[str, Any]:
    return {"genres": {"genre": selectors.genres()}}


@endpoint("getArtistInfo2")
def get_artist_info2(request: HttpRequest, params: Params, user: AuthUser) -> dict[str, Any]:
    artist = selectors.artist_get(user=user, artist_id=params.required("id"))
    years = sorted({a["year"] for a in artist["album"] if a.get("year")})
    span = f" from {years[0]} to {years[-1]}" if years else ""
    biography = f"{artist['name']}: {artist['albumCount']} albums in Stylus{span}, live recordings from the archive."
    return {"artistInfo2": {"biography": biography, "similarArtist": []}}


@endpoint("getAlbumInfo2")
def get_album_info2(request: HttpRequest, params: Params, user: AuthUser) -> dict[str, Any]:
    context = selectors.album_context(user=user, album_id=params.required("id"))
    concert = context.concert
    notes = ""
    if concert is not None:
        place = ", ".join(p for p in (concert.venue, concert.location) if p)
        notes = f"Recorded live at {place} on {concert.date_text}." if place else f"Recorded live on {concert.date_text}."
        if concert.best_reason and context.identifier == concert.best_identifier:
            notes += f" Best recording: {concert.best_reason}."
    return {"albumInfo": {"notes": notes}}


# -- lists ---------------------------------------------------------------------------------------------------------
@endpoint("getAlbumList2")
def get_album_list2(request: HttpRequest, params: Params, user: AuthUser) -> dict[str, Any]:
    list_type = params.required("type")
    if list_type not in selectors.ALBUM_LIST_TYPES:
        raise SubsonicError(GENERIC, f"Unknown list type: {list_type[:50]}")
    from_year, to_year = params.int("fromYear"), params.int("toYear")
    if list_type == "byYear" and (from_year is None or to_year is None):
        raise SubsonicError(10, "Required parameter is missing: fromYear and toYear")
    if list_type == "byGenre":
        params.required("genre")
    albums = selectors.album_list(user=user, list_type=list_type, size=_count(params, "size", 10),
                                  offset=params.int("offset", 0, low=0) or 0, from_year=from_year, to_year=to_year,
                                  genre=params.get("genre"), folder=_folder(params))
    return {"albumList2": {"album": [_id3(a) for a in albums]}}


@endpoint("getRandomSongs")
def get_random_songs(request: HttpRequest, params: Params, user: AuthUser) -> dict[str, Any]:
    songs = selectors.random_songs(user=user, size=_count(params, "size", 10), from_year=params.int("fromYear"),
                                   to_year=params.int("toYear"), genre=params.get("genre"))
    return {"randomSongs": {"song": songs}}


@endpoint("getStarred2")
def get_starred2(request: HttpRequest, params: Params, user: AuthUser) -> dict[str, Any]:
    result = selectors.starred(user=user)
    return {"starred2": {**result, "album": [_id3(a) for a in result["album"]]}}


@endpoint("getNowPlaying")
def get_now_playing(request: HttpRequest, params: Params, user: AuthUser) -> dict[str, Any]:
    return {"nowPlaying": {"entry": selectors.now_playing(user=user)}}


@endpoint("search3")
def search3(request: HttpRequest, params: Params, user: AuthUser) -> dict[str, Any]:
    query = params.get("query")
    if not params.has("query"):
        raise SubsonicError(10, "Required parameter is missing: query")
    result = selectors.search(
        user=user, query=query[:200],
        artist_count=_count(params, "artistCount", 20), artist_offset=params.int("artistOffset", 0, low=0) or 0,
        album_count=_count(params, "albumCount", 20), album_offset=params.int("albumOffset", 0, low=0) or 0,
        song_count=_count(params, "songCount", 20), song_offset=params.int("songOffset", 0, low=0) or 0)
    return {"searchResult3": {**result, "album": [_id3(a) for a in result["album"]]}}


# -- media -------------------------------------------------------------------------------------------------------
def _media(request: HttpRequest, params: Params, user: AuthUser, *, attachment: bool) -> HttpResponseBase:
    source = selectors.song_source(user=user, song_id=params.required("id"), describe=False)
    filename = source.filename or Path(source.local_path).name
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    content_type = selectors.CONTENT_TYPES.get(suffix) or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    if source.local_path:
        return ranged_file_response(request, Path(source.local_path), content_type=content_type, attachment=attachment)
    try:
        upstream = ia_stream.open_file(source.identifier, source.filename, range_header=request.headers.get("Range", ""))
    except ia_stream.RangeNotSatisfiable as exc:
        refused = HttpResponse(status=416)
        if exc.content_range:  # `bytes */<length>`: the player learns the file's length and asks again
            refused["Content-Range"] = exc.content_range
        return refused
    except (UpstreamNotFound, AuthFailed) as exc:  # gone, dark or private on the archive
        raise not_found("The file on the archive") from exc
    except TransientError as exc:
        response = render_error(params, SubsonicError(GENERIC, "The archive is unavailable right now; try again later."))
        response.status_code = 503
        response["Retry-After"] = str(int(exc.retry_after or 30))
        return response
    except IntegrationError as exc:
        log.warning("subsonic: archive stream of %s/%s failed: %s", source.identifier, source.filename, exc)
        response = render_error(params, SubsonicError(GENERIC, "The archive returned an answer we could not use."))
        response.status_code = 502
        return response
    return media.upstream_response(request, upstream, filename=filename, content_type=content_type,
                                   attachment=attachment)


@endpoint("stream")
def stream(request: HttpRequest, params: Params, user: AuthUser) -> HttpResponseBase:
    # No transcoding: `format`, `maxBitRate` and `timeOffset` are accepted and the original file is served
    # (what `format=raw` asks for); players seek with Range instead.
    return _media(request, params, user, attachment=False)


@endpoint("download")
def download(request: HttpRequest, params: Params, user: AuthUser) -> HttpResponseBase:
    return _media(request, params, user, attachment=True)


@endpoint("getCoverArt")
def get_cover_art(request: HttpRequest, params: Params, user: AuthUser) -> HttpResponseBase:
    from common.covers import placeholder_png

    cover_id = params.required("id")
    size = params.int("size", 300, low=16, high=1200) or 300
    title, image = selectors.cover_for(user=user, cover_id=cover_id)
    if image is not None:
        identifier, name = image
        try:
            upstream = ia_stream.open_file(identifier, name)
        except IntegrationError:
            pass  # no image from the archive right now: the generated one stands in
        else:
            return media.upstream_response(request, upstream, filename=name, content_type="image/jpeg")
    response = HttpResponse(placeholder_png(key=cover_id, title=title, size=size), content_type="image/png")
    response["Cache-Control"] = "private, max-age=86400"
    return response


# -- user data -------------------------------------------------------------------------------------------------
def _star_ids(params: Params) -> list[str]:
    item_ids = params.all("id") + params.all("albumId") + params.all("artistId")
    if not item_ids:
        raise SubsonicError(10, "Required parameter is missing: id, albumId or artistId")
    return item_ids


@endpoint("star")
def star(request: HttpRequest, params: Params, user: AuthUser) -> dict[str, Any]:
    services.items_star(user=user, item_ids=_star_ids(params))
    return {}


@endpoint("unstar")
def unstar(request: HttpRequest, params: Params, user: AuthUser) -> dict[str, Any]:
    services.items_unstar(user=user, item_ids=_star_ids(params))
    return {}


@endpoint("setRating")
def set_rating(request: HttpRequest, params: Params, user: AuthUser) -> dict[str, Any]:
    item_id = params.required("id")
    rating = params.int("rating")
    if rating is None:
        raise SubsonicError(10, "Required parameter is missing: rating")
    services.rating_set(user=user, item_id=item_id, rating=rating)
    return {}


def _millis(value: str) -> dt.datetime | None:
    try:
        millis = int(value)
        return dt.datetime.fromtimestamp(millis / 1000, tz=dt.UTC) if 0 < millis < 10**14 else None
    except (ValueError, OverflowError, OSError):
        return None


@endpoint("scrobble")
def scrobble(request: HttpRequest, params: Params, user: AuthUser) -> dict[str, Any]:
    song_ids = params.all("id")
    if not song_ids:
        raise SubsonicError(10, "Required parameter is missing: id")
    services.scrobble(user=user, song_ids=song_ids[:50], times=[_millis(t) for t in params.all("time")],
                      submission=params.bool("submission", True))
    return {}


@endpoint("getPlayQueue")
def get_play_queue(request: HttpRequest, params: Params, user: AuthUser) -> dict[str, Any]:
    queue = selectors.play_queue_for_user(user=user)
    if queue is None:
        return {}
    entries = selectors.songs_by_ids(user=user, song_ids=list(queue.song_ids))
    payload: dict[str, Any] = {"username": user.get_username(), "changed": selectors.iso_time(queue.changed_at),
                               "changedBy": queue.changed_by or "", "position": queue.position_ms, "entry": entries}
    if queue.current:
        payload["current"] = queue.current
    return {"playQueue": payload}


@endpoint("savePlayQueue")
def save_play_queue(request: HttpRequest, params: Params, user: AuthUser) -> dict[str, Any]:
    services.play_queue_save(user=user, song_ids=params.all("id"), current=params.get("current"),
                             position_ms=params.int("position", 0, low=0) or 0, client=params.get("c"))
    return {}


@endpoint("getPlaylists")
def get_playlists(request: HttpRequest, params: Params, user: AuthUser) -> dict[str, Any]:
    username = params.get("username")
    if username and username != user.get_username() and not user.is_staff:
        raise SubsonicError(NOT_AUTHORIZED, "You may list only your own playlists.")
    return {"playlists": {"playlist": [selectors.playlist_summary(p) for p in selectors.playlists_for_user(user=user)]}}


def _playlist_payload(user: AuthUser, playlist: Any) -> dict[str, Any]:
    songs = selectors.playlist_songs(user=user, playlist=playlist)
    summary = selectors.playlist_summary(playlist, song_count=len(songs),
                                         duration=sum(s.get("duration") or 0 for s in songs))
    return {"playlist": {**summary, "entry": songs}}


@endpoint("getPlaylist")
def get_playlist(request: HttpRequest, params: Params, user: AuthUser) -> dict[str, Any]:
    playlist = selectors.playlist_get_for_user(user=user, playlist_id=params.required("id"))
    return _playlist_payload(user, playlist)


@endpoint("createPlaylist")
def create_playlist(request: HttpRequest, params: Params, user: AuthUser) -> dict[str, Any]:
    song_ids = params.all("songId")
    playlist_id = params.get("playlistId")
    if playlist_id:
        playlist = services.playlist_replace(user=user, playlist_id=playlist_id, song_ids=song_ids)
        if params.get("name"):
            playlist = services.playlist_update(user=user, playlist_id=playlist_id, name=params.get("name"))
    else:
        playlist = services.playlist_create(user=user, name=params.required("name"), song_ids=song_ids)
    return _playlist_payload(user, playlist)


def _indexes(values: list[str]) -> list[int]:
    try:
        return [int(v) for v in values]
    except ValueError:
        raise SubsonicError(GENERIC, "Parameter songIndexToRemove must be an integer.") from None


@endpoint("updatePlaylist")
def update_playlist(request: HttpRequest, params: Params, user: AuthUser) -> dict[str, Any]:
    services.playlist_update(
        user=user, playlist_id=params.required("playlistId"),
        name=params.get("name") if params.has("name") else None,
        comment=params.get("comment") if params.has("comment") else None,
        public=params.bool("public") if params.has("public") else None,
        add_ids=params.all("songIdToAdd"), remove_indexes=_indexes(params.all("songIndexToRemove")))
    return {}


@endpoint("deletePlaylist")
def delete_playlist(request: HttpRequest, params: Params, user: AuthUser) -> dict[str, Any]:
    services.playlist_delete(user=user, playlist_id=params.required("id"))
    return {}


@endpoint("getUser")
def get_user(request: HttpRequest, params: Params, user: AuthUser) -> dict[str, Any]:
    username = params.required("username")
    if username != user.get_username():
        raise SubsonicError(NOT_AUTHORIZED, "You may read only your own user.")
    return {"user": {"username": username, "email": user.email or "", "scrobblingEnabled": True,
                     "adminRole": user.is_staff, "settingsRole": True, "downloadRole": True, "uploadRole": False,
                     "playlistRole": True, "coverArtRole": False, "commentRole": False, "podcastRole": False,
                     "streamRole": True, "jukeboxRole": False, "shareRole": False, "videoConversionRole": False,
                     "folder": [selectors.FOLDER_CONCERTS, selectors.FOLDER_UPLOADS]}}


# -- similarity ------------------------------------------------------------------------------------------------
@endpoint("getSimilarSongs2")
def get_similar_songs2(request: HttpRequest, params: Params, user: AuthUser) -> dict[str, Any]:
    item_id = params.required("id")
    count = _count(params, "count", 50, high=100)
    ref = ids.parse(item_id)
    if ref is None:
        raise not_found("Item")
    if ref.kind == "artist":
        selectors.artist_get(user=user, artist_id=item_id)  # 70 for an unknown artist
        return {"similarSongs2": {"song": []}}  # no artist similarity without an outside service
    songs = [m["entry"] for m in selectors.sonic_similar(user=user, song_id=item_id, count=count)]
    return {"similarSongs2": {"song": songs}}


@endpoint("getSonicSimilarTracks")
def get_sonic_similar_tracks(request: HttpRequest, params: Params, user: AuthUser) -> dict[str, Any]:
    song_id = params.required("id")
    selectors.song_source(user=user, song_id=song_id, describe=False)
    return {"sonicMatch": selectors.sonic_similar(user=user, song_id=song_id, count=_count(params, "count", 10, 100))}


@endpoint("findSonicPath")
def find_sonic_path(request: HttpRequest, params: Params, user: AuthUser) -> dict[str, Any]:
    start, end = params.required("startSongId"), params.required("endSongId")
    for song_id in (start, end):
        selectors.song_source(user=user, song_id=song_id, describe=False)
    path = selectors.sonic_path(user=user, start_id=start, end_id=end, count=_count(params, "count", 25, 100))
    return {"sonicMatch": path}


# -- the app-password page ----------------------------------------------------------------------------------------
class AuthedHttpRequest(HtmxHttpRequest):
    """A request behind login_required: its user is signed in, and django-htmx has set `htmx`."""

    user: AuthUser


def _settings_context(request: AuthedHttpRequest, **extra: Any) -> dict[str, Any]:
    return {"has_password": selectors.app_password_for(user=request.user) is not None,
            "server_url": request.build_absolute_uri("/").rstrip("/"),
            "account_url": reverse("accounts:account"), **extra}


def _settings_template(request: AuthedHttpRequest) -> str:
    page = "subsonic/app_password_detail.html"
    return f"{page}#password" if request.htmx else page


@login_required
@require_GET
def app_password_detail(request: AuthedHttpRequest) -> HttpResponse:
    return render_page(request, _settings_template(request), _settings_context(request))


@login_required
@require_POST
def app_password_create(request: AuthedHttpRequest) -> HttpResponse:
    secret = services.app_password_create(user=request.user)
    return render_page(request, _settings_template(request), _settings_context(request, new_password=secret))


@login_required
@require_POST
def app_password_delete(request: AuthedHttpRequest) -> HttpResponse:
    services.app_password_delete(user=request.user)
    return render_page(request, _settings_template(request), _settings_context(request, deleted=True))
