"""The one progress consumer: a browser joins `<kind>.<id>` only if that object is its own."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import validate_host

from . import selectors


class ProgressConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]  # channels ships no type hints
    async def connect(self) -> None:
        user = self.scope.get("user")
        kwargs = self.scope["url_route"]["kwargs"]
        kind, object_id = kwargs["kind"], kwargs["object_id"]
        allowed = bool(user and user.is_authenticated) and await database_sync_to_async(selectors.realtime_group_allowed)(
            user=user, kind=kind, object_id=object_id
        )
        if not allowed:
            await self.close(code=4403)
            return
        self.group = f"{kind}.{object_id}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        html = await database_sync_to_async(selectors.realtime_group_snapshot)(kind=kind, object_id=object_id)
        if html:
            await self.send(text_data=html)

    async def disconnect(self, code: int) -> None:
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def push_html(self, event: dict[str, Any]) -> None:
        await self.send(text_data=event["html"])


def _origin_parts(origin: str, *, default_scheme: str | None = None) -> tuple[str, str, int] | None:
    """(scheme, host, port) with the scheme's default port filled in, or None when it is not an origin."""
    parsed = urlsplit(origin if "://" in origin else f"{default_scheme}://{origin}")
    try:
        port = parsed.port
    except ValueError:
        return None
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return None
    return parsed.scheme, parsed.hostname.lower(), port or (443 if parsed.scheme == "https" else 80)


def websocket_origin_allowed(scope: dict[str, Any]) -> bool:
    """True when the handshake's Origin is this site: scheme, host and port all equal to the Host it was
    sent to (and the host allowed), or one of CSRF_TRUSTED_ORIGINS exactly.

    Channels' AllowedHostsOriginValidator compares the host name only, so a page on another port of the
    same host (another app, any local dev server) could open a socket with the visitor's cookies.
    """
    headers = {name.decode("latin1").lower(): value.decode("latin1") for name, value in scope.get("headers", [])}
    origin = headers.get("origin", "")
    host = headers.get("host", "")
    if not origin or not host or origin == "null":
        return False
    sent = _origin_parts(origin)
    if sent is None:
        return False
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        if _origin_parts(trusted) == sent:
            return True
    scheme = "https" if scope.get("scheme") in ("wss", "https") else "http"
    own = _origin_parts(host, default_scheme=scheme)
    if own is None or not validate_host(own[1], settings.ALLOWED_HOSTS):
        return False
    return sent == own


class SameOriginValidator:
    """ASGI middleware: WebSocket handshakes from another origin are refused before any consumer runs."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket" and not websocket_origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
