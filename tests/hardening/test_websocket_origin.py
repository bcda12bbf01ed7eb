"""The WebSocket handshake must come from this site's own origin: scheme, host and port."""
from __future__ import annotations

import pytest

from common.consumers import websocket_origin_allowed


def _scope(origin: str | None, host: str = "stylus.example.com", scheme: str = "wss") -> dict:
    headers = [(b"host", host.encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    return {"type": "websocket", "scheme": scheme, "headers": headers}


@pytest.fixture(autouse=True)
def _hosts(settings):
    settings.ALLOWED_HOSTS = ["stylus.example.com", "127.0.0.1"]
    settings.CSRF_TRUSTED_ORIGINS = []


@pytest.mark.parametrize("origin", [
    "https://stylus.example.com:8443",  # same host, another port: another site
    "http://stylus.example.com",  # same host, plain http: another origin
    "https://evil.example.com",
    "https://stylus.example.com.evil.com",
    "null",
])
def test_websocket_origin_refuses_other_origins(origin):
    assert not websocket_origin_allowed(_scope(origin))


def test_websocket_origin_accepts_the_sites_own_origin():
    assert websocket_origin_allowed(_scope("https://stylus.example.com"))
    assert websocket_origin_allowed(_scope("https://stylus.example.com:443"))  # the default port, spelt out
    assert websocket_origin_allowed(_scope("http://127.0.0.1:8123", host="127.0.0.1:8123", scheme="ws"))


def test_websocket_origin_compares_the_port_on_a_dev_server():
    assert not websocket_origin_allowed(_scope("http://127.0.0.1:9999", host="127.0.0.1:8123", scheme="ws"))
    assert not websocket_origin_allowed(_scope("http://127.0.0.1", host="127.0.0.1:8123", scheme="ws"))


def test_websocket_origin_refuses_a_missing_origin_and_unknown_hosts(settings):
    assert not websocket_origin_allowed(_scope(None))
    assert not websocket_origin_allowed(_scope("https://other.example.com", host="other.example.com"))


def test_websocket_origin_accepts_csrf_trusted_origins(settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://app.example.com"]
    assert websocket_origin_allowed(_scope("https://app.example.com"))
    assert not websocket_origin_allowed(_scope("https://app.example.com:444"))


def test_websocket_from_another_port_is_refused_by_the_live_server(asgi_server, owner):
    import asyncio

    import websockets

    from common import services
    from tests.conftest import session_cookie

    job = services.job_create(user=owner, kind="export", label="Export")
    cookie = session_cookie(owner)
    port = int(asgi_server.url.rsplit(":", 1)[1])

    async def attempt(origin: str) -> int:
        try:
            async with websockets.connect(f"{asgi_server.ws_url}/ws/progress/job/{job.pk}/",
                                          additional_headers={"Cookie": cookie, "Origin": origin}):
                return 101
        except websockets.exceptions.InvalidStatus as exc:
            return exc.response.status_code

    assert asyncio.run(attempt(f"http://127.0.0.1:{port + 1}")) == 403
    assert asyncio.run(attempt(asgi_server.url)) == 101
