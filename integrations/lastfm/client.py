"""The Last.fm client: signed POSTs to the 2.0 API (settings.LASTFM_API_URL).

Shapes from the public docs (last.fm/api/authspec, /api/webauth, /api/show/track.scrobble,
/api/show/track.updateNowPlaying). pylast's network object hard-codes https://ws.audioscrobbler.com, so it cannot
be pointed at LASTFM_API_URL (a self-hosted Libre.fm-compatible server, or the test replay server); this client
signs requests itself with pylast's md5 helper, and pylast stays the reference for the signature rules.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pylast
from django.conf import settings

from integrations.errors import MalformedResponse, NotConfigured, TransientError
from integrations.http import HttpClient, parse_retry_after

from .errors import error_for
from .types import Scrobble, Session

SERVICE = "lastfm"


def api_signature(params: dict[str, str], secret: str) -> str:
    """md5 of every parameter (name then value, sorted by name, format/callback left out) and the secret."""
    text = "".join(f"{k}{params[k]}" for k in sorted(params) if k not in ("format", "callback"))
    return pylast.md5(text + secret)


def web_auth_url(*, callback_url: str) -> str:
    """Where to send the user: Last.fm asks them to allow Stylus, then redirects to callback_url?token=..."""
    if not settings.LASTFM_API_KEY:
        raise NotConfigured("Last.fm is not configured (LASTFM_API_KEY).", service=SERVICE)
    return f"{settings.LASTFM_AUTH_URL}?{urlencode({'api_key': settings.LASTFM_API_KEY, 'cb': callback_url})}"


class LastfmClient:
    def __init__(self, *, session_key: str = "", max_retries: int | None = None) -> None:
        if not settings.LASTFM_API_KEY or not settings.LASTFM_API_SECRET:
            raise NotConfigured("Last.fm is not configured (LASTFM_API_KEY, LASTFM_API_SECRET).", service=SERVICE)
        self.session_key = session_key
        self.http = HttpClient(service=SERVICE, base_url=settings.LASTFM_API_URL, max_retries=max_retries)

    def close(self) -> None:
        self.http.close()

    def _call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        fields = {k: str(v) for k, v in params.items() if v not in (None, "")}
        fields.update(method=method, api_key=settings.LASTFM_API_KEY)
        if self.session_key:
            fields["sk"] = self.session_key
        fields["api_sig"] = api_signature(fields, settings.LASTFM_API_SECRET)
        fields["format"] = "json"
        # Last.fm puts its error code in the body of a 4xx answer and the code says more than the status does
        # (9 = session revoked, 29 = rate limit), so statuses are classified here rather than in HttpClient.
        response = self.http.request("POST", "/", data=fields, raise_for_status=False)
        if response.status_code >= 500 or (response.status_code == 429 and "error" not in response.text):
            raise TransientError(f"Last.fm answered {response.status_code} for {method}", service=SERVICE,
                                 status=response.status_code,
                                 retry_after=parse_retry_after(response.headers.get("Retry-After")))
        try:
            data = response.json()
        except ValueError as exc:
            raise MalformedResponse(f"Last.fm answered {method} without JSON", service=SERVICE) from exc
        if not isinstance(data, dict):
            raise MalformedResponse(f"Last.fm answered {method} without an object", service=SERVICE)
        if "error" in data:
            raise error_for(int(data.get("error") or 0), str(data.get("message") or ""), response.status_code)
        return data

    def session_for_token(self, *, token: str) -> Session:
        """auth.getSession: exchanges the web-auth token for a session key that never expires."""
        data = self._call("auth.getSession", {"token": token})
        session = data.get("session") or {}
        if not session.get("key"):
            raise MalformedResponse("Last.fm answered auth.getSession without a key", service=SERVICE)
        return Session(name=str(session.get("name") or ""), key=str(session["key"]))

    def update_now_playing(self, *, artist: str, track: str, album: str = "", duration: int | None = None) -> None:
        self._call("track.updateNowPlaying", {"artist": artist, "track": track, "album": album, "duration": duration})

    def scrobble(self, *, scrobbles: list[Scrobble]) -> int:
        """track.scrobble for up to 50 listens at once; returns how many Last.fm accepted."""
        params: dict[str, Any] = {}
        for i, s in enumerate(scrobbles[:50]):
            params.update({f"artist[{i}]": s.artist, f"track[{i}]": s.track, f"timestamp[{i}]": s.timestamp,
                           f"album[{i}]": s.album, f"duration[{i}]": s.duration, f"mbid[{i}]": s.mbid})
        data = self._call("track.scrobble", params)
        attr = (data.get("scrobbles") or {}).get("@attr") or {}
        try:
            return int(attr.get("accepted", 0))
        except (TypeError, ValueError):
            return 0
