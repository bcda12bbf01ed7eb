"""Streaming one archive file through Stylus (Subsonic `stream` of a track Stylus does not hold).

The client's `Range` is passed through, so players seek without Stylus buffering anything; the archive's
answer (200 or 206, with its Content-Range and length) is passed back. Upstream errors become the typed
errors of integrations.errors: 404 NotFound, 401/403 AuthFailed (a private file), 416 RangeNotSatisfiable,
5xx and timeouts TransientError. Same settings as the client: IA_BASE_URL, IA_MIN_INTERVAL, the timeout and
User-Agent of integrations.http.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field

import httpx
from django.conf import settings

from integrations.errors import IntegrationError, PermanentError, TransientError
from integrations.http import HttpClient

from .client import SERVICE, download_path

_RANGE = re.compile(r"bytes=(\d{0,19})-(\d{0,19})")
_BLOCK = 256 * 1024
PASSED_HEADERS = ("content-type", "content-length", "content-range", "accept-ranges", "last-modified", "etag")


class RangeNotSatisfiable(PermanentError):
    """416 from the archive: the range starts past the end of the file."""

    def __init__(self, message: str, *, content_range: str = "") -> None:
        super().__init__(message, service=SERVICE, status=416)
        self.content_range = content_range


def clean_range(value: str | None) -> str:
    """A single well-formed `bytes=a-b` range, or "" (anything else is not passed upstream)."""
    value = (value or "").strip()
    match = _RANGE.fullmatch(value)
    if not match or not (match.group(1) or match.group(2)):
        return ""
    return value


@dataclass
class UpstreamFile:
    """An open upstream response: status, the headers worth passing on, and its body block by block."""

    status: int
    headers: dict[str, str]
    _response: httpx.Response
    _stack: ExitStack = field(repr=False)

    def iter_bytes(self) -> Iterator[bytes]:
        """The body; closes the upstream connection when done or when the consumer stops early."""
        try:
            yield from self._response.iter_bytes(_BLOCK)
        except httpx.HTTPError as exc:  # the archive dropped mid-file: the player retries with a Range
            raise TransientError(f"{SERVICE} stream broke: {exc.__class__.__name__}", service=SERVICE) from exc
        finally:
            self.close()

    def close(self) -> None:
        self._stack.close()


def open_file(identifier: str, name: str, *, range_header: str = "", base_url: str | None = None,
              transport: httpx.BaseTransport | None = None) -> UpstreamFile:
    """Opens /download/<identifier>/<name> with the client's Range; raises typed errors before any byte."""
    path = download_path(identifier, name)
    stack = ExitStack()
    http = HttpClient(service=SERVICE, base_url=base_url or settings.IA_BASE_URL,
                      min_interval=settings.IA_MIN_INTERVAL, transport=transport)
    stack.callback(http.close)
    headers = {"Accept-Encoding": "identity"}  # byte ranges of the file itself, never of a gzip of it
    wanted = clean_range(range_header)
    if wanted:
        headers["Range"] = wanted
    try:
        response = stack.enter_context(http.stream("GET", path, headers=headers))
    except IntegrationError as exc:
        stack.close()
        if exc.status == 416:
            raise RangeNotSatisfiable(f"{SERVICE} cannot serve {wanted} of {name}",
                                      content_range=exc.headers.get("Content-Range", "")) from exc
        raise
    except BaseException:
        stack.close()
        raise
    passed = {k: v for k, v in response.headers.items() if k.lower() in PASSED_HEADERS}
    return UpstreamFile(status=response.status_code, headers=passed, _response=response, _stack=stack)
