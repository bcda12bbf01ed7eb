"""Streaming an item's file for a verified download: the standard library's http.client, chosen on evidence.

bench/bench_archive.py receives the same large local file with httpx, urllib3 and http.client in one
run. httpx copies every network read through h11's buffer and yields 64 KB pieces; urllib3 returns a new
bytes object per read; http.client's `readinto` receives straight into a buffer the caller owns, so the
transfer can reuse a ring of page-aligned buffers (which direct disk writes need) and no byte is copied
in user space. The download is the one place where Stylus moves hundreds of megabytes, so it gets the
leanest client; every other archive call keeps the shared client (integrations/http.py).

Like the shared client it sets a timeout and a User-Agent, spaces requests to a host by `min_interval`,
follows the archive's redirects to its data nodes, and raises typed errors (transient or permanent). It
does not retry: the caller resumes with Range, from the bytes it kept.
"""
from __future__ import annotations

import http.client
import ssl
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import TracebackType
from urllib.parse import quote, urljoin, urlsplit

from django.conf import settings

from integrations.errors import TransientError
from integrations.http import error_for_status

from .errors import InvalidIdentifier
from .parser import safe_relative_path, validate_identifier

SERVICE = "internet_archive"
MAX_REDIRECTS = 5
REDIRECTS = (301, 302, 303, 307, 308)

_spacing_lock = threading.Lock()
_last_request: dict[str, float] = {}


class Headers(Mapping[str, str]):
    """Response headers, looked up without regard to case (the last value of a repeated header)."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._values = {name.lower(): value for name, value in pairs}

    def __getitem__(self, name: str) -> str:
        return self._values[name.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def _transient(exc: BaseException, what: str) -> TransientError:
    return TransientError(f"{SERVICE} {what}: {exc.__class__.__name__}", service=SERVICE)


class FileStream:
    """An open response: its status, headers, and the body by `read` or straight into a buffer by `readinto`."""

    def __init__(self, response: http.client.HTTPResponse) -> None:
        self._response = response
        self.status_code: int = response.status
        self.headers: Headers = Headers(response.getheaders())
        length = self.headers.get("Content-Length", "")
        # http.client ends a body cut short as quietly as a whole one; counting what is left tells them apart
        self._left: int | None = int(length) if length.isdigit() and not response.chunked else None

    def _counted(self, n: int, asked: int | None) -> int:
        if self._left is not None:
            if n == 0 and self._left and asked != 0:
                raise TransientError(f"{SERVICE} connection dropped: the body ended {self._left} bytes short",
                                     service=SERVICE)
            self._left -= n
        return n

    def read(self, amount: int | None = None) -> bytes:
        """The next bytes, at most `amount` (all when None); b"" at the end. TransientError when the
        connection breaks (a body cut short included)."""
        try:
            data = self._response.read(amount)
        except TimeoutError as exc:
            raise _transient(exc, "timed out mid-transfer") from exc
        except (http.client.HTTPException, OSError) as exc:  # IncompleteRead, reset and the like
            raise _transient(exc, "connection dropped") from exc
        if amount is None and self._left and len(data) < self._left:
            raise TransientError(f"{SERVICE} connection dropped: the body ended short", service=SERVICE)
        self._counted(len(data), amount)
        return data

    def readinto(self, buffer: memoryview) -> int:
        """Fills `buffer` from the body (fewer bytes only at its end) and returns how many; 0 at the end."""
        try:
            n = self._response.readinto(buffer)
        except TimeoutError as exc:
            raise _transient(exc, "timed out mid-transfer") from exc
        except (http.client.HTTPException, OSError) as exc:
            raise _transient(exc, "connection dropped") from exc
        return self._counted(n, len(buffer))

    def iter_bytes(self, chunk_size: int = 64 * 1024) -> Iterator[bytes]:
        """The body in pieces of at most `chunk_size` bytes (the httpx-style spelling, for small files)."""
        while chunk := self.read(chunk_size):
            yield chunk


class FileDownloader:
    """Opens an item's files for streaming; one connection per open file, closed with it."""

    def __init__(self, *, base_url: str | None = None, user_agent: str | None = None, timeout: float | None = None,
                 min_interval: float | None = None) -> None:
        self.base_url = (base_url or settings.IA_BASE_URL).rstrip("/")
        self.min_interval = settings.IA_MIN_INTERVAL if min_interval is None else min_interval
        self.timeout = settings.INTEGRATION_TIMEOUT if timeout is None else timeout
        self.user_agent = user_agent or settings.STYLUS_USER_AGENT
        self._tls: ssl.SSLContext | None = None

    def close(self) -> None:
        """Nothing to release: each open file closes its own connection."""

    def __enter__(self) -> FileDownloader:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def url(self, identifier: str, name: str) -> str:
        validate_identifier(identifier)
        relative = safe_relative_path(name)
        return f"{self.base_url}/download/{identifier}/" + "/".join(quote(part) for part in relative.parts)

    def _wait_turn(self, host: str) -> None:
        if self.min_interval <= 0:
            return
        with _spacing_lock:
            wait = _last_request.get(host, 0.0) + self.min_interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            _last_request[host] = time.monotonic()

    def _connect(self, url: str) -> tuple[http.client.HTTPConnection, str]:
        """A connection to the URL's host (connect timeout at most 5 s) and the path to ask for."""
        try:
            if any(ord(c) < 33 or ord(c) == 127 for c in url):  # urlsplit would drop tabs and newlines silently
                raise ValueError(f"control character or space in {url!r:.200}")
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"not an http(s) URL: {url!r:.200}")
            port = parts.port
        except ValueError as exc:  # an invalid URL never leaves as a 500
            raise InvalidIdentifier(f"Not a valid archive file URL: {exc}", service=SERVICE) from exc
        connect_timeout = min(self.timeout, 5.0)
        connection: http.client.HTTPConnection
        if parts.scheme == "https":
            self._tls = self._tls or ssl.create_default_context()
            connection = http.client.HTTPSConnection(parts.hostname, port, timeout=connect_timeout, context=self._tls)
        else:
            connection = http.client.HTTPConnection(parts.hostname, port, timeout=connect_timeout)
        self._wait_turn(parts.hostname)
        try:
            connection.connect()
        except TimeoutError as exc:
            connection.close()
            raise _transient(exc, "timed out connecting") from exc
        except OSError as exc:  # refused, unreachable, a failed TLS handshake
            connection.close()
            raise _transient(exc, "unreachable") from exc
        assert connection.sock is not None  # connect() succeeded
        connection.sock.settimeout(self.timeout)  # reads may wait longer than the connect did
        return connection, (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    def _get(self, url: str, headers: dict[str, str]) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        """Sends the GET and reads the headers, following redirects (the archive sends files from data nodes)."""
        for _hop in range(MAX_REDIRECTS + 1):
            connection, target = self._connect(url)
            try:
                connection.request("GET", target, headers=headers)
                response = connection.getresponse()
            except http.client.InvalidURL as exc:  # control characters in the path: our input, never a 500
                connection.close()
                raise InvalidIdentifier(f"Not a valid archive file URL: {exc}", service=SERVICE) from exc
            except TimeoutError as exc:
                connection.close()
                raise _transient(exc, "timed out") from exc
            except (http.client.HTTPException, OSError) as exc:
                connection.close()
                raise _transient(exc, "connection dropped") from exc
            location = response.getheader("Location")
            if response.status not in REDIRECTS or not location:
                return connection, response
            response.close()
            connection.close()
            url = urljoin(url, location)
        raise TransientError(f"{SERVICE}: more than {MAX_REDIRECTS} redirects", service=SERVICE)

    @contextmanager
    def open(self, identifier: str, name: str, *, offset: int = 0) -> Iterator[FileStream]:
        """Streams a file from `offset` (HTTP Range); check status_code for 206 against 200."""
        headers = {"User-Agent": self.user_agent, "Accept-Encoding": "identity"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
        connection, response = self._get(self.url(identifier, name), headers)
        try:
            error = error_for_status(response.status, Headers(response.getheaders()), service=SERVICE, what=name)
            if error is not None:
                raise error
            yield FileStream(response)
        finally:
            # closed, never reused: a body left half-read must not be mistaken for the next response
            response.close()
            connection.close()
