"""The ListenBrainz-compatible endpoint, so Navidrome, Jellyfin, Web Scrobbler and Pano scrobble into Stylus.

Its own module and URL list (mounted at /apis/listenbrainz/), not the /api/v1 NinjaAPI: it speaks ListenBrainz's
protocol exactly (listenbrainz.readthedocs.io, "API" and "JSON documentation"): `Authorization: Token <token>`
(a Stylus personal API token), bodies {"listen_type", "payload"}, answers {"status": "ok"},
errors {"code": N, "error": "..."} and validate-token's {"code", "message", "valid", "user_name"}.
It calls the same services as the player and /api/v1/listens.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from accounts.services import user_for_bearer_token
from common.types import AuthUser

from . import services
from .models import TEXT_MAX, Listen

MAX_LISTENS_PER_REQUEST = 1000
MAX_BODY_BYTES = 10240 * MAX_LISTENS_PER_REQUEST  # ListenBrainz's limit: 10 KiB a listen
LISTEN_TYPES = ("single", "playing_now", "import")
FUTURE_SLACK = dt.timedelta(minutes=10)


class ProtocolError(Exception):
    def __init__(self, code: int, error: str) -> None:
        super().__init__(error)
        self.code = code
        self.error = error


def _error(code: int, error: str) -> JsonResponse:
    return JsonResponse({"code": code, "error": error}, status=code)


def _token(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "token" else ""


def _user(request: HttpRequest) -> AuthUser:
    token = _token(request)
    if not token:
        raise ProtocolError(401, "You need to provide an Authorization header.")
    user = user_for_bearer_token(token=token)
    if user is None:
        raise ProtocolError(401, "Invalid authorization token.")
    return user


def _text(meta: dict, key: str, *, required: bool) -> str:
    value = meta.get(key)
    if value is None or value == "":
        if required:
            raise ProtocolError(400, f"JSON document must contain the key {key} in track_metadata.")
        return ""
    if not isinstance(value, str):
        raise ProtocolError(400, f"{key} must be a string.")
    if len(value) > TEXT_MAX:
        raise ProtocolError(400, f"{key} is longer than {TEXT_MAX} characters.")
    if "\x00" in value:
        raise ProtocolError(400, f"{key} contains a NUL character.")
    return value


def _int_or_none(value: Any, key: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProtocolError(400, f"{key} must be a number.")
    return int(value)


def _parse_listen(raw: Any, *, listen_type: str, now: dt.datetime) -> services.ListenIn:
    if not isinstance(raw, dict):
        raise ProtocolError(400, "Each listen must be a JSON object.")
    meta = raw.get("track_metadata")
    if not isinstance(meta, dict):
        raise ProtocolError(400, "JSON document must contain track_metadata.")
    info = meta.get("additional_info") or {}
    if not isinstance(info, dict):
        raise ProtocolError(400, "additional_info must be a JSON object.")
    if listen_type == "playing_now":
        if "listened_at" in raw:
            raise ProtocolError(400, "JSON document should not contain listened_at while submitting playing_now.")
        listened_at = now
    else:
        stamp = raw.get("listened_at")
        if stamp is None:
            raise ProtocolError(400, "JSON document must contain the key listened_at at the top level.")
        if isinstance(stamp, bool) or not isinstance(stamp, int):
            raise ProtocolError(400, "listened_at must be an integer (a Unix timestamp).")
        try:
            listened_at = dt.datetime.fromtimestamp(stamp, tz=dt.UTC)
        except (OverflowError, OSError, ValueError):
            raise ProtocolError(400, "Value for key listened_at is out of range.") from None
        if listened_at < services.EARLIEST:
            raise ProtocolError(400, "Value for key listened_at is too low: listens before 2002 are not accepted.")
        if listened_at > now + FUTURE_SLACK:
            raise ProtocolError(400, "Value for key listened_at is too high: it is in the future.")
    duration = _int_or_none(info.get("duration_ms"), "duration_ms")
    duration_s = _int_or_none(info.get("duration"), "duration")
    seconds = duration // 1000 if duration is not None else duration_s
    if seconds is not None and not 0 <= seconds <= 24 * 3600:
        raise ProtocolError(400, "duration is out of range.")
    mbids = {k: str(info.get(k) or "")[:36] for k in ("recording_mbid", "release_mbid")}
    return services.ListenIn(
        listened_at=listened_at, track_title=_text(meta, "track_name", required=True),
        artist_name=_text(meta, "artist_name", required=True), release_name=_text(meta, "release_name", required=False),
        duration_seconds=seconds, mbids=mbids, submitted=raw)


def _body(request: HttpRequest) -> bytes:
    # Read from the stream, not request.body: DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) would refuse a valid batch of
    # 1,000 listens with rich additional_info, and with an HTML page instead of ListenBrainz's error shape.
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        raise ProtocolError(400, "Payload too large.")
    body = request.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise ProtocolError(400, "Payload too large.")
    return body


def _parse(request: HttpRequest) -> tuple[str, list[services.ListenIn]]:
    body = _body(request)
    try:
        data = json.loads(body or b"")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(400, f"Cannot parse JSON document: {exc}") from None
    if not isinstance(data, dict) or "listen_type" not in data or "payload" not in data:
        raise ProtocolError(400, "Invalid JSON document submitted.")
    listen_type = data["listen_type"]
    if listen_type not in LISTEN_TYPES:
        raise ProtocolError(400, "JSON document has invalid listen type.")
    payload = data["payload"]
    if not isinstance(payload, list) or not payload:
        raise ProtocolError(400, "JSON document does not contain any listens.")
    if len(payload) > MAX_LISTENS_PER_REQUEST:
        raise ProtocolError(400, f"Too many listens. You may not submit more than {MAX_LISTENS_PER_REQUEST} listens at once.")
    if listen_type in ("single", "playing_now") and len(payload) != 1:
        raise ProtocolError(400, f"JSON document should contain exactly one listen for {listen_type}.")
    now = timezone.now()
    return listen_type, [_parse_listen(raw, listen_type=listen_type, now=now) for raw in payload]


@csrf_exempt
def submit_listens(request: HttpRequest) -> JsonResponse:
    if request.method != "POST":
        return _error(405, "The method is not allowed for the requested URL.")
    try:
        user = _user(request)
        listen_type, listens = _parse(request)
        if listen_type == "playing_now":
            item = listens[0]
            services.now_playing_set(user=user, track_title=item.track_title, artist_name=item.artist_name,
                                     release_name=item.release_name, duration_seconds=item.duration_seconds,
                                     source=Listen.Source.LISTENBRAINZ)
        else:
            # A player's single listens are forwarded to the user's own scrobble targets; history imports are not.
            services.listens_import(user=user, items=listens, source=Listen.Source.LISTENBRAINZ,
                                    forward=listen_type == "single")
    except ProtocolError as exc:
        return _error(exc.code, exc.error)
    except services.ListenRejected as exc:
        return _error(400, exc.detail)
    return JsonResponse({"status": "ok"})


@csrf_exempt
def validate_token(request: HttpRequest) -> JsonResponse:
    if request.method not in ("GET", "HEAD"):
        return _error(405, "The method is not allowed for the requested URL.")
    # As ListenBrainz: the token comes in the header (or ?token=); a wrong one is a 200 with valid: false.
    token = _token(request) or request.GET.get("token", "").strip()
    if not token:
        return _error(400, "You need to provide an Authorization token.")
    user = user_for_bearer_token(token=token)
    if user is None:
        return JsonResponse({"code": 200, "message": "Token invalid.", "valid": False})
    return JsonResponse({"code": 200, "message": "Token valid.", "valid": True, "user_name": user.get_username()})


urlpatterns = [
    path("1/submit-listens", submit_listens, name="listenbrainz_submit_listens"),
    path("1/validate-token", validate_token, name="listenbrainz_validate_token"),
]
