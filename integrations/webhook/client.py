"""Posts signed JSON to a user's webhook (ntfy, Gotify or Discord style endpoints).

The body is signed with the user's secret: `X-Stylus-Signature: sha256=<hex HMAC of timestamp + "." + body>`
and `X-Stylus-Timestamp`, so the receiver can check both origin and freshness. Only https URLs whose
host resolves to public addresses are called, checked after DNS resolution so a name cannot point at
the machine's own network; redirects are not followed for the same reason.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import socket
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from integrations.http import HttpClient

from .errors import UnsafeURL

SERVICE = "webhook"
Resolver = Callable[[str, int], list[str]]


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeURL(f"The webhook host {host} does not resolve.", service=SERVICE) from exc
    return [str(info[4][0]) for info in infos]


def check_url(url: str, *, resolve: Resolver | None = None) -> None:
    """Raises UnsafeURL unless `url` is https and every address its host resolves to is public."""
    try:
        parts = urlsplit(url)
        port = parts.port or 443
    except ValueError as exc:
        raise UnsafeURL("That is not a valid URL.", service=SERVICE) from exc
    if parts.scheme != "https" or not parts.hostname:
        raise UnsafeURL("Webhook URLs must start with https://.", service=SERVICE)
    if parts.username or parts.password:
        raise UnsafeURL("Put no user name or password in the webhook URL.", service=SERVICE)
    addresses = (resolve or _resolve)(parts.hostname, port)
    if not addresses:
        raise UnsafeURL(f"The webhook host {parts.hostname} does not resolve.", service=SERVICE)
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not ip.is_global or ip.is_multicast:
            raise UnsafeURL(f"The webhook host resolves to a non-public address ({ip}).", service=SERVICE)


def sign(*, secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value for `body` sent at `timestamp`."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class WebhookClient:
    """One POST per call; transient failures (timeouts, 5xx, 429) are retried by the HTTP layer."""

    def __init__(self, *, timeout: float = 10.0, max_retries: int = 2, check: Callable[[str], None] = check_url) -> None:
        self.check = check
        self.http = HttpClient(service=SERVICE, base_url="https://invalid.invalid", timeout=timeout,
                               max_retries=max_retries, headers={"Content-Type": "application/json"})
        self.http._client.follow_redirects = False  # a redirect could lead to an address check_url refused

    def close(self) -> None:
        self.http.close()

    def post(self, *, url: str, payload: dict[str, Any], secret: str) -> int:
        """Sends `payload`; returns the status code (2xx) or raises a typed IntegrationError."""
        self.check(url)
        body = json.dumps(payload, separators=(",", ":"), default=str).encode()
        timestamp = str(int(time.time()))
        response = self.http.request("POST", url, content=body, headers={
            "X-Stylus-Timestamp": timestamp, "X-Stylus-Signature": sign(secret=secret, timestamp=timestamp, body=body),
            "User-Agent": settings.STYLUS_USER_AGENT,
        })
        if response.is_redirect:
            raise UnsafeURL("The webhook answered with a redirect; give its final URL.", service=SERVICE,
                            status=response.status_code)
        return response.status_code
