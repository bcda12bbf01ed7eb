"""Spotify Web API client on the platform's HttpClient, returning typed results.

Public API (import from `integrations.spotify.client`):

    parse_spotify_link(text, *, kinds=("track", "playlist", "album")) -> SpotifyRef(kind, id)
    is_spotify_id(text) -> bool               exactly 22 ASCII letters and digits
        Strict: https://open.spotify.com/(intl-xx/)?(track|playlist|album)/<22 base62>[?query]
        or spotify:(track|playlist|album):<22>. Anything else raises InvalidSpotifyLink (a ValueError
        with a user-facing message; API callers turn it into 422).

    SpotifyClient(*, user_token=None)         client credentials by default; pass a user's OAuth
                                              access token for private playlists / saved tracks.
    SpotifyClient.configured() -> bool         SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET are set.
      .refresh_user_token(refresh_token)                      -> (access_token, expires_in, new refresh token | None)
      .search_tracks(query, *, limit=5, market=None)          -> list[SpotifyTrack]
      .get_track(id, *, market=None)                          -> SpotifyTrack
      .get_tracks(ids, *, market=None)                        -> list[SpotifyTrack] (batch, else one by one)
      .get_artist(id) / .get_artists(ids)                     -> SpotifyArtist / list[SpotifyArtist]
      .get_album(id, *, market=None)                          -> SpotifyAlbum
      .get_album_tracks(id, *, market=None)                   -> list[SpotifyTrack] (all pages)
      .get_playlist(id, *, market=None)                       -> SpotifyPlaylist (snapshot_id, total)
      .iter_playlist_items(id, *, market=None, page_size=100) -> Iterator[Page[PlaylistItem]]
      .get_playlist_items(id, *, market=None)                 -> list[PlaylistItem] (all pages;
            /playlists/{id}/items, falling back to the pre-2026 /tracks path on 404)
      .get_audio_features(ids)                                -> dict[id, AudioFeatures]
            A 403 (removed for new apps since 2024-11-27) is recorded once in the cache; later calls
            return {} without a request. `.audio_features_available()` tells whether to try.
      .get_audio_analysis(id)                                 -> AudioAnalysisSummary | None (same 403 rule)
      user token only: .get_me(), .get_my_playlists(), .get_saved_tracks(),
                       .create_playlist(name, *, description="", public=False), .add_playlist_items(id, uris)

Errors (integrations.spotify.errors): NotConfigured (no credentials), AuthFailed (401 after one token
refresh, or rejected credentials), EndpointForbidden (403, an AuthFailed), NotFound (404),
RateLimited (429 with .retry_after, after the inline retries), TransientError (5xx/timeouts, after
retries), MalformedResponse. All are IntegrationError subclasses with `.transient`.

Client-credentials tokens come from SPOTIFY_ACCOUNTS_URL/api/token and are cached (Django cache,
shared by processes) until shortly before expiry, and dropped on a 401.
"""
from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache

from integrations.http import HttpClient

from . import parser
from .errors import (
    AuthFailed,
    EndpointForbidden,
    InvalidSpotifyLink,
    MalformedResponse,
    NotConfigured,
    NotFound,
    PermanentError,
)
from .types import (
    AudioAnalysisSummary,
    AudioFeatures,
    Page,
    PlaylistItem,
    SpotifyAlbum,
    SpotifyArtist,
    SpotifyPlaylist,
    SpotifyRef,
    SpotifyTrack,
    SpotifyUser,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

SERVICE = "spotify"
KINDS = ("track", "playlist", "album")
_ID = r"[0-9A-Za-z]{22}"
# Matched with fullmatch: "^...$" with .match lets a trailing newline through, and "<id>\n" reached httpx.
_URL_RE = re.compile(
    r"https://open\.spotify\.com/(?:intl-[a-z]{2}/)?(?P<kind>[a-z]+)/(?P<id>[^/?#\s]*)/?(?:\?[^#\s]*)?(?:#\S*)?"
)
_URI_RE = re.compile(r"spotify:(?P<kind>[a-z]+):(?P<id>[^:\s]*)")
_ID_RE = re.compile(_ID)
FORBIDDEN_TTL = 24 * 3600  # re-probe a removed endpoint once a day (access may be granted later)
TOKEN_MARGIN = 60  # seconds before expiry at which a cached token is renewed


def parse_spotify_link(text: str, *, kinds: Iterable[str] = KINDS) -> SpotifyRef:
    """A strict parse of a Spotify open.spotify.com link or spotify: URI; InvalidSpotifyLink otherwise."""
    allowed = tuple(kinds)
    value = (text or "").strip()
    if not value:
        raise InvalidSpotifyLink("Paste a Spotify track or playlist link.")
    match = _URL_RE.fullmatch(value) or _URI_RE.fullmatch(value)
    if match is None:
        raise InvalidSpotifyLink(
            "That is not a Spotify link. Paste a link like https://open.spotify.com/track/<id> "
            "or a URI like spotify:track:<id>."
        )
    kind, ident = match["kind"], match["id"]
    if kind not in allowed:
        wanted = ", ".join(allowed[:-1]) + (f" or {allowed[-1]}" if len(allowed) > 1 else allowed[0])
        raise InvalidSpotifyLink(f"Spotify {kind} links are not supported here: paste a {wanted} link.")
    if not is_spotify_id(ident):
        raise InvalidSpotifyLink(f"That Spotify {kind} ID is not valid: IDs are 22 letters and digits.")
    return SpotifyRef(kind=kind, id=ident)


def is_spotify_id(text: str) -> bool:
    """Exactly 22 ASCII letters and digits (a base-62 Spotify id), nothing before or after."""
    return bool(_ID_RE.fullmatch(text or ""))


def _cache_key(name: str) -> str:
    return f"spotify:{name}"


def endpoint_forbidden(name: str) -> bool:
    """Whether a 403 from `name` (e.g. "audio-features") has been recorded recently."""
    return bool(cache.get(_cache_key(f"forbidden:{name}")))


def record_forbidden(name: str) -> None:
    if cache.add(_cache_key(f"forbidden:{name}"), time.time(), timeout=FORBIDDEN_TTL):
        log.warning("spotify: %s answered 403 (removed for this app); falling back until re-probed", name)


def clear_forbidden(name: str) -> None:
    cache.delete(_cache_key(f"forbidden:{name}"))


class SpotifyClient:
    _token_lock = threading.Lock()

    def __init__(self, *, user_token: str | None = None, http: HttpClient | None = None,
                 accounts_http: HttpClient | None = None) -> None:
        self.user_token = user_token or None
        self.http = http or HttpClient(service=SERVICE, base_url=settings.SPOTIFY_API_URL,
                                       min_interval=getattr(settings, "SPOTIFY_MIN_INTERVAL", 0.0))
        self._accounts = accounts_http

    # -- configuration and tokens ----------------------------------------------------------------
    @staticmethod
    def configured() -> bool:
        return bool(settings.SPOTIFY_CLIENT_ID and settings.SPOTIFY_CLIENT_SECRET)

    def close(self) -> None:
        self.http.close()
        if self._accounts is not None:
            self._accounts.close()

    @property
    def accounts(self) -> HttpClient:
        if self._accounts is None:
            self._accounts = HttpClient(service="spotify-accounts", base_url=settings.SPOTIFY_ACCOUNTS_URL)
        return self._accounts

    @staticmethod
    def _token_key() -> str:
        digest = hashlib.sha256(f"{settings.SPOTIFY_ACCOUNTS_URL}|{settings.SPOTIFY_CLIENT_ID}".encode()).hexdigest()[:16]
        return _cache_key(f"cc-token:{digest}")

    def _app_token(self) -> str:
        key = self._token_key()
        token = cache.get(key)
        if isinstance(token, str) and token:
            return token
        with self._token_lock:
            token = cache.get(key)
            if isinstance(token, str) and token:
                return token
            data = self._token_request({"grant_type": "client_credentials"},
                                       refused="Spotify rejected the client credentials (check SPOTIFY_CLIENT_ID/SECRET).")
            fresh: str = data["access_token"]  # _token_request only returns answers with a non-empty str token
            ttl = int(data.get("expires_in") or 3600) - TOKEN_MARGIN
            cache.set(key, fresh, timeout=max(ttl, 1))
            return fresh

    def _token_request(self, form: dict[str, str], *, refused: str) -> dict[str, Any]:
        """POSTs a grant to the accounts service with the app's credentials: the parsed answer, which
        holds an access_token. A refusal raises AuthFailed(refused); a garbled answer MalformedResponse."""
        if not self.configured():
            raise NotConfigured("Spotify is not configured: set SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET.",
                                service=SERVICE)
        try:
            data = self.accounts.request(
                "POST", "/api/token", data=form, auth=(settings.SPOTIFY_CLIENT_ID, settings.SPOTIFY_CLIENT_SECRET),
            ).json()
        except (AuthFailed, PermanentError) as exc:
            if isinstance(exc, NotFound):
                raise
            raise AuthFailed(refused, service=SERVICE, status=exc.status) from exc
        except ValueError as exc:
            raise MalformedResponse("Spotify token endpoint returned invalid JSON", service=SERVICE) from exc
        if not isinstance(data, dict) or not isinstance(data.get("access_token"), str) or not data["access_token"]:
            raise MalformedResponse("Spotify token endpoint returned no access_token", service=SERVICE)
        return data

    def refresh_user_token(self, refresh_token: str) -> tuple[str, int, str | None]:
        """Trades a user's refresh token for a new access token: (access_token, expires_in, new refresh
        token or None when Spotify keeps the old one). A revoked or unknown refresh token raises AuthFailed."""
        data = self._token_request(
            {"grant_type": "refresh_token", "refresh_token": refresh_token},
            refused="Spotify refused to refresh the login (revoked or expired): log in to Spotify again.")
        return data["access_token"], int(data.get("expires_in") or 3600), data.get("refresh_token") or None

    def _drop_app_token(self) -> None:
        cache.delete(self._token_key())

    def _bearer(self) -> str:
        return self.user_token or self._app_token()

    # -- requests ---------------------------------------------------------------------------------
    def _call(self, method: str, path: str, *, endpoint: str = "", **kwargs: Any) -> Any:
        """One API call: a 401 drops the cached app token and retries once; a 403 raises EndpointForbidden."""
        for attempt in (0, 1):
            headers = {"Authorization": f"Bearer {self._bearer()}", **kwargs.pop("headers", {})}
            try:
                response = self.http.request(method, path, headers=headers, **kwargs)
            except AuthFailed as exc:
                if exc.status == 403:
                    raise EndpointForbidden(f"Spotify refused {endpoint or path} (403)", service=SERVICE,
                                            status=403) from exc
                if self.user_token is None and attempt == 0:
                    self._drop_app_token()
                    continue
                raise AuthFailed("Spotify rejected the access token (401): log in to Spotify again."
                                 if self.user_token else "Spotify rejected the app token (401).",
                                 service=SERVICE, status=exc.status) from exc
            if response.status_code == 204 or not response.content:
                return None
            try:
                return response.json()
            except ValueError as exc:
                raise MalformedResponse(f"Spotify returned invalid JSON for {path}", service=SERVICE) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _get(self, path: str, params: dict[str, Any] | None = None, *, endpoint: str = "") -> Any:
        clean = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        data = self._call("GET", path, params=clean, endpoint=endpoint)
        if not isinstance(data, dict):
            raise MalformedResponse(f"Spotify returned no object for {path}", service=SERVICE)
        return data

    # -- catalogue --------------------------------------------------------------------------------
    def search_tracks(self, query: str, *, limit: int = 5, market: str | None = None) -> list[SpotifyTrack]:
        """Tracks matching `query` (Spotify's search syntax, e.g. 'track:x artist:y'), best first."""
        data = self._get("/search", {"q": query, "type": "track", "limit": max(1, min(limit, 50)), "market": market})
        page = parser.parse_paging(data.get("tracks") or {"items": []}, lambda entry, _: parser.parse_track(entry))
        return page.items

    def get_track(self, track_id: str, *, market: str | None = None) -> SpotifyTrack:
        track = parser.parse_track(self._get(f"/tracks/{track_id}", {"market": market}))
        if track is None:
            raise MalformedResponse(f"Spotify returned no track for {track_id}", service=SERVICE)
        return track

    def get_tracks(self, ids: list[str], *, market: str | None = None) -> list[SpotifyTrack]:
        """Several tracks: the batch endpoint where it still answers, else one request per id."""
        out: list[SpotifyTrack] = []
        for chunk in _chunks(ids, 50):
            if not cache.get(_cache_key("batch-gone:tracks")):
                try:
                    data = self._get("/tracks", {"ids": ",".join(chunk), "market": market})
                    out.extend(t for t in (parser.parse_track(d) for d in data.get("tracks") or []) if t)
                    continue
                except (EndpointForbidden, NotFound):
                    cache.set(_cache_key("batch-gone:tracks"), True, timeout=FORBIDDEN_TTL)
            for track_id in chunk:
                try:
                    out.append(self.get_track(track_id, market=market))
                except NotFound:
                    continue
        return out

    def get_artist(self, artist_id: str) -> SpotifyArtist:
        return parser.parse_artist(self._get(f"/artists/{artist_id}"))

    def get_artists(self, ids: list[str]) -> list[SpotifyArtist]:
        out: list[SpotifyArtist] = []
        for chunk in _chunks(ids, 50):
            if not cache.get(_cache_key("batch-gone:artists")):
                try:
                    data = self._get("/artists", {"ids": ",".join(chunk)})
                    out.extend(parser.parse_artist(a) for a in data.get("artists") or [] if a)
                    continue
                except (EndpointForbidden, NotFound):
                    cache.set(_cache_key("batch-gone:artists"), True, timeout=FORBIDDEN_TTL)
            for artist_id in chunk:
                try:
                    out.append(self.get_artist(artist_id))
                except NotFound:
                    continue
        return out

    def get_album(self, album_id: str, *, market: str | None = None) -> SpotifyAlbum:
        return parser.parse_album(self._get(f"/albums/{album_id}", {"market": market}))

    def get_album_tracks(self, album_id: str, *, market: str | None = None) -> list[SpotifyTrack]:
        """All tracks of an album (simplified track objects carry no album: it is filled in)."""
        album = parser.parse_album_ref(self._get(f"/albums/{album_id}", {"market": market}))
        out: list[SpotifyTrack] = []
        offset = 0
        while True:
            data = self._get(f"/albums/{album_id}/tracks", {"offset": offset, "limit": 50, "market": market})
            page = parser.parse_paging(data, lambda entry, _: parser.parse_track(entry, album=album))
            out.extend(page.items)
            if not page.has_next or page.fetched == 0:
                return out
            offset = _advance(page, offset)

    # -- playlists --------------------------------------------------------------------------------
    def get_playlist(self, playlist_id: str, *, market: str | None = None) -> SpotifyPlaylist:
        return parser.parse_playlist(self._get(f"/playlists/{playlist_id}", {"market": market}))

    def _items_path(self, playlist_id: str) -> str:
        legacy = cache.get(_cache_key("playlist-items-legacy"))
        return f"/playlists/{playlist_id}/{'tracks' if legacy else 'items'}"

    def get_playlist_items_page(self, playlist_id: str, *, offset: int = 0, limit: int = 100,
                                market: str | None = None) -> Page[PlaylistItem]:
        params = {"offset": offset, "limit": max(1, min(limit, 100)), "market": market}
        path = self._items_path(playlist_id)
        try:
            data = self._get(path, params)
        except NotFound:
            if not path.endswith("/items"):
                raise
            data = self._get(f"/playlists/{playlist_id}/tracks", params)  # NotFound here: no such playlist
            cache.set(_cache_key("playlist-items-legacy"), True, timeout=FORBIDDEN_TTL)
        return parser.parse_playlist_items_page(data)

    def iter_playlist_items(self, playlist_id: str, *, market: str | None = None,
                            page_size: int = 100) -> Iterator[Page[PlaylistItem]]:
        """Pages of a playlist's items, in order, until the last page."""
        offset = 0
        while True:
            page = self.get_playlist_items_page(playlist_id, offset=offset, limit=page_size, market=market)
            yield page
            if not page.has_next or page.fetched == 0:
                return
            # follow Spotify's own next link where it says where to go (pages may be shorter than limit)
            offset = _advance(page, page.offset)

    def get_playlist_items(self, playlist_id: str, *, market: str | None = None) -> list[PlaylistItem]:
        items: list[PlaylistItem] = []
        for page in self.iter_playlist_items(playlist_id, market=market):
            items.extend(page.items)
        return items

    # -- audio features (removed for new apps) --------------------------------------------------
    @staticmethod
    def audio_features_available() -> bool:
        return not endpoint_forbidden("audio-features")

    def get_audio_features(self, ids: list[str]) -> dict[str, AudioFeatures]:
        """Features by track id; {} (without a request) once a 403 has been recorded."""
        out: dict[str, AudioFeatures] = {}
        ids = list(dict.fromkeys(i for i in ids if i))
        try:
            for chunk in _chunks(ids, 100):
                if endpoint_forbidden("audio-features"):
                    return out
                if len(chunk) > 1 and not cache.get(_cache_key("batch-gone:audio-features")):
                    try:
                        data = self._get("/audio-features", {"ids": ",".join(chunk)}, endpoint="audio-features")
                        for item in data.get("audio_features") or []:
                            feats = parser.parse_audio_features(item)
                            if feats:
                                out[feats.id] = feats
                        continue
                    except NotFound:
                        cache.set(_cache_key("batch-gone:audio-features"), True, timeout=FORBIDDEN_TTL)
                for track_id in chunk:
                    try:
                        feats = parser.parse_audio_features(
                            self._get(f"/audio-features/{track_id}", endpoint="audio-features"))
                    except NotFound:
                        continue
                    if feats:
                        out[feats.id] = feats
        except EndpointForbidden:
            record_forbidden("audio-features")
        return out

    def get_audio_analysis(self, track_id: str) -> AudioAnalysisSummary | None:
        if endpoint_forbidden("audio-analysis"):
            return None
        try:
            return parser.parse_audio_analysis(track_id, self._get(f"/audio-analysis/{track_id}",
                                                                   endpoint="audio-analysis"))
        except EndpointForbidden:
            record_forbidden("audio-analysis")
            return None

    # -- the user's own library (needs user_token) ----------------------------------------------
    def _need_user(self) -> None:
        if not self.user_token:
            raise AuthFailed("This needs a Spotify login (user token).", service=SERVICE, status=401)

    def get_me(self) -> SpotifyUser:
        self._need_user()
        return parser.parse_user(self._get("/me"))

    def get_my_playlists(self, *, max_items: int = 500) -> list[SpotifyPlaylist]:
        self._need_user()
        return self._collect("/me/playlists", lambda e, _: parser.parse_playlist(e) if e else None, max_items, 50)

    def get_saved_tracks(self, *, max_items: int = 2000, market: str | None = None) -> list[SpotifyTrack]:
        self._need_user()
        return self._collect("/me/tracks", lambda e, _: parser.parse_track((e or {}).get("track")), max_items, 50,
                             market=market)

    def _collect(self, path: str, convert: Callable[[Any, int], T | None], max_items: int, page_size: int,
                 **params: Any) -> list[T]:
        out: list[T] = []
        offset = 0
        while len(out) < max_items:
            data = self._get(path, {"offset": offset, "limit": page_size, **params})
            page = parser.parse_paging(data, convert)
            out.extend(page.items)
            if not page.has_next or page.fetched == 0:
                break
            offset = _advance(page, offset)
        return out[:max_items]

    def create_playlist(self, name: str, *, description: str = "", public: bool = False) -> SpotifyPlaylist:
        """A new playlist owned by the logged-in user (POST /me/playlists, else the older users path)."""
        self._need_user()
        body = {"name": name, "description": description, "public": public}
        try:
            data = self._call("POST", "/me/playlists", json=body)
        except NotFound:
            me = self.get_me()
            data = self._call("POST", f"/users/{me.id}/playlists", json=body)
        if not isinstance(data, dict):
            raise MalformedResponse("Spotify returned no playlist", service=SERVICE)
        return parser.parse_playlist(data)

    def add_playlist_items(self, playlist_id: str, uris: list[str]) -> None:
        self._need_user()
        for chunk in _chunks(uris, 100):
            try:
                self._call("POST", f"/playlists/{playlist_id}/items", json={"uris": chunk})
            except NotFound:
                self._call("POST", f"/playlists/{playlist_id}/tracks", json={"uris": chunk})


def _advance(page: Page[Any], current: int) -> int:
    """Where the next page starts: Spotify's own `next` link where it moves forward (pages may be
    shorter than the limit), else just past the entries this page fetched."""
    if page.next_offset is not None and page.next_offset > current:
        return page.next_offset
    return current + page.fetched


def _chunks(values: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]
