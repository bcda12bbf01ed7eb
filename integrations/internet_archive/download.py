"""Streaming an item's file for a verified download: urllib3 under the hood, chosen on evidence.

bench/bench_archive.py measures both in the same run: receiving a large local file with httpx's
streaming API costs about twice what urllib3 does (httpx copies every network read through h11's
buffer and yields 64 KB pieces; urllib3 hands back one buffer per large read). The download is the one
place where Stylus moves hundreds of megabytes, so it gets the leaner client; every other archive
call keeps the shared client (integrations/http.py).

Like the shared client it sets a timeout and a User-Agent, spaces requests to a host by
`min_interval`, follows the archive's redirects to its data nodes, and raises typed errors
(transient or permanent). It does not retry: the caller resumes with Range, from the bytes it kept.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import TracebackType

import urllib3
from django.conf import settings
from urllib3.exceptions import HTTPError, LocationParseError, TimeoutError

from integrations.errors import AuthFailed, IntegrationError, NotFound, PermanentError, RateLimited, TransientError

from .errors import InvalidIdentifier
from .parser import safe_relative_path, validate_identifier

SERVICE = "internet_archive"

_spacing_lock = threading.Lock()
_last_request: dict[str, float] = {}


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


class FileStream:
    """An open response: its status, headers, and reads of up to `amount` bytes (b"" at the end)."""

    def __init__(self, response: urllib3.BaseHTTPResponse) -> None:
        self._response = response
        self.status_code: int = response.status
        self.headers: Mapping[str, str] = response.headers

    def read(self, amount: int | None = None) -> bytes:
        """The next bytes, at most `amount` (all when None); TransientError when the connection breaks."""
        try:
            return self._response.read(amount, decode_content=False)
        except TimeoutError as exc:
            raise TransientError(f"{SERVICE} timed out mid-transfer: {exc}", service=SERVICE) from exc
        except HTTPError as exc:  # ProtocolError (IncompleteRead, reset) and the like
            raise TransientError(f"{SERVICE} connection dropped: {exc.__class__.__name__}", service=SERVICE) from exc
        except OSError as exc:
            raise TransientError(f"{SERVICE} connection dropped: {exc.__class__.__name__}", service=SERVICE) from exc

    def iter_bytes(self, chunk_size: int = 64 * 1024) -> Iterator[bytes]:
        """The body in pieces of at most `chunk_size` bytes (the httpx-style spelling, for small files)."""
        while chunk := self.read(chunk_size):
            yield chunk


class FileDownloader:
    """Opens an item's files for streaming; build one per transfer (it holds a connection pool)."""

    def __init__(self, *, base_url: str | None = None, user_agent: str | None = None, timeout: float | None = None,
                 min_interval: float | None = None) -> None:
        self.base_url = (base_url or settings.IA_BASE_URL).rstrip("/")
        self.min_interval = settings.IA_MIN_INTERVAL if min_interval is None else min_interval
        timeout = settings.INTEGRATION_TIMEOUT if timeout is None else timeout
        user_agent = user_agent or settings.STYLUS_USER_AGENT
        self._pool = urllib3.PoolManager(
            headers={"User-Agent": user_agent, "Accept-Encoding": "identity"},
            timeout=urllib3.Timeout(connect=min(timeout, 5.0), read=timeout),
            retries=urllib3.Retry(total=None, connect=0, read=0, status=0, other=0, redirect=5,
                                  raise_on_redirect=True, raise_on_status=False),
        )

    def close(self) -> None:
        self._pool.clear()

    def __enter__(self) -> FileDownloader:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def url(self, identifier: str, name: str) -> str:
        from urllib.parse import quote

        validate_identifier(identifier)
        relative = safe_relative_path(name)
        return f"{self.base_url}/download/{identifier}/" + "/".join(quote(part) for part in relative.parts)

    def _wait_turn(self, url: str) -> None:
        if self.min_interval <= 0:
            return
        host = urllib3.util.parse_url(url).host or ""
        with _spacing_lock:
            wait = _last_request.get(host, 0.0) + self.min_interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            _last_request[host] = time.monotonic()

    @contextmanager
    def open(self, identifier: str, name: str, *, offset: int = 0) -> Iterator[FileStream]:
        """Streams a file from `offset` (HTTP Range); check status_code for 206 against 200."""
        url = self.url(identifier, name)
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        self._wait_turn(url)
        try:
            response = self._pool.request("GET", url, headers=headers, preload_content=False, decode_content=False)
        except (LocationParseError, ValueError) as exc:  # an invalid URL never leaves as a 500
            raise InvalidIdentifier(f"Not a valid archive file URL: {exc}", service=SERVICE) from exc
        except TimeoutError as exc:
            raise TransientError(f"{SERVICE} timed out: {exc}", service=SERVICE) from exc
        except HTTPError as exc:  # connection refused, too many redirects...
            raise TransientError(f"{SERVICE} unreachable: {exc.__class__.__name__}", service=SERVICE) from exc
        try:
            error = _classify(response.status, response.headers, name)
            if error is not None:
                raise error
            yield FileStream(response)
        finally:
            # closed first: a body left half-read must never go back to the pool for reuse
            response.close()
            response.release_conn()


def _classify(status: int, headers: Mapping[str, str], name: str) -> IntegrationError | None:
    if status < 400:
        return None
    text = f"{SERVICE} answered {status} for {name}"
    if status == 429:
        return RateLimited(text, service=SERVICE, status=status, retry_after=_retry_after(headers.get("Retry-After")))
    if status >= 500:
        return TransientError(text, service=SERVICE, status=status, retry_after=_retry_after(headers.get("Retry-After")))
    if status == 404:
        return NotFound(text, service=SERVICE, status=status)
    if status in (401, 403):
        return AuthFailed(text, service=SERVICE, status=status)
    return PermanentError(text, service=SERVICE, status=status)
