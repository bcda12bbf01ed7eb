"""Byte responses for `stream`, `download` and `getCoverArt`: local files with Range, archive files passed
through with Range, never transcoded.

Under ASGI a synchronous iterator would be read whole into memory before the first byte goes out, so ASGI
requests get an asynchronous iterator that reads (or receives) each block in a worker thread. Blocks are
1 MiB: few enough thread hops that a large local file streams at disk speed.
"""
from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header

from integrations.internet_archive.stream import UpstreamFile

_RANGE = re.compile(r"bytes=(\d{0,19})-(\d{0,19})")
_BLOCK = 1024 * 1024


def _file_blocks(path: Path, start: int, length: int) -> Iterator[bytes]:
    with path.open("rb") as fh:
        fh.seek(start)
        while length > 0:
            data = fh.read(min(_BLOCK, length))
            if not data:
                break
            length -= len(data)
            yield data


async def _async_blocks(blocks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """The same blocks, each produced in a worker thread so the event loop never waits on disk or network."""
    try:
        while (data := await asyncio.to_thread(next, blocks, None)) is not None:
            yield data
    finally:
        close = getattr(blocks, "close", None)
        if close is not None:
            close()  # closes the file or the upstream connection, also when the client goes away


def _body(request: HttpRequest, blocks: Iterator[bytes]) -> Iterator[bytes] | AsyncIterator[bytes]:
    return _async_blocks(blocks) if isinstance(request, ASGIRequest) else blocks


def file_response(request: HttpRequest, path: Path, *, content_type: str, attachment: bool = False
                  ) -> HttpResponseBase:
    """A local file honouring a single `Range: bytes=a-b` (206), or 416 when unsatisfiable."""
    size = path.stat().st_size
    match = _RANGE.fullmatch(request.headers.get("Range", "").strip())
    if not match or not (match.group(1) or match.group(2)):
        start, end, status = 0, size - 1, 200
    else:
        start_s, end_s = match.groups()
        if start_s:
            start = int(start_s)
            end = min(int(end_s), size - 1) if end_s else size - 1
        else:
            start, end = max(0, size - int(end_s)), size - 1
        if start >= size or start > end:
            refused = HttpResponse(status=416)
            refused["Content-Range"] = f"bytes */{size}"
            return refused
        status = 206
    length = max(0, end - start + 1)
    response = StreamingHttpResponse(_body(request, _file_blocks(path, start, length)), content_type=content_type,
                                     status=status)
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    response["Content-Disposition"] = content_disposition_header(attachment, path.name) or ""
    response["Cache-Control"] = "private, max-age=3600"
    return response


def upstream_response(request: HttpRequest, upstream: UpstreamFile, *, filename: str, content_type: str,
                      attachment: bool = False) -> StreamingHttpResponse:
    """The archive's answer passed on: its status (200/206), length, range, and body block by block."""
    response = StreamingHttpResponse(_body(request, upstream.iter_bytes()), status=upstream.status,
                                     content_type=upstream.headers.get("content-type") or content_type)
    for name in ("content-length", "content-range", "last-modified", "etag"):
        if name in upstream.headers:
            response[name.title()] = upstream.headers[name]
    response["Accept-Ranges"] = "bytes"
    response["Content-Disposition"] = content_disposition_header(attachment, filename.rsplit("/", 1)[-1]) or ""
    response["Cache-Control"] = "private, max-age=3600"
    return response
