"""Local files served with HTTP Range, block by block: players seek, API clients and Subsonic apps resume.

Used by archive (the owner's verified downloads) and subsonic (stream and download). Under ASGI a synchronous
iterator would be read whole into memory before the first byte goes out (Django warns "must consume synchronous
iterators"): a whole FLAC set in memory. So ASGI requests get an asynchronous iterator that reads each block in a
worker thread. Blocks are 1 MiB: few enough thread hops that a large file streams at disk speed.
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

# At most 19 digits a side: a bigger number is no file offset, and int() of a huge one costs CPU.
_RANGE = re.compile(r"bytes=(\d{0,19})-(\d{0,19})")
BLOCK = 1024 * 1024

__all__ = ["ranged_file_response", "streaming_body"]


def _file_blocks(path: Path, start: int, length: int) -> Iterator[bytes]:
    with path.open("rb") as fh:
        fh.seek(start)
        while length > 0:
            data = fh.read(min(BLOCK, length))
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


def streaming_body(request: HttpRequest, blocks: Iterator[bytes]) -> Iterator[bytes] | AsyncIterator[bytes]:
    """`blocks` as a response body: asynchronous under ASGI (see the module note), as they are under WSGI."""
    return _async_blocks(blocks) if isinstance(request, ASGIRequest) else blocks


def ranged_file_response(request: HttpRequest, path: Path, *, content_type: str, attachment: bool = False
                         ) -> HttpResponseBase:
    """A local file honouring a single `Range: bytes=a-b` (206), or 416 with `bytes */size` when unsatisfiable."""
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
    response = StreamingHttpResponse(streaming_body(request, _file_blocks(path, start, length)),
                                     content_type=content_type, status=status)
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    response["Content-Disposition"] = content_disposition_header(attachment, path.name) or "inline"
    response["Cache-Control"] = "private, max-age=3600"
    return response
