"""Serving library files with HTTP Range (the player seeks; API clients resume), block by block."""
from __future__ import annotations

import asyncio
import mimetypes
import re
from collections.abc import AsyncIterator, Generator
from pathlib import Path

from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.utils.http import content_disposition_header

from .models import Download

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
_BLOCK = 256 * 1024
AUDIO_TYPES = {"flac": "audio/flac", "mp3": "audio/mpeg", "ogg": "audio/ogg", "wav": "audio/wav", "m4a": "audio/mp4",
               "opus": "audio/ogg", "shn": "application/octet-stream"}


def content_type_for(path: Path) -> str:
    ext = path.suffix.lower().lstrip(".")
    return AUDIO_TYPES.get(ext) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def download_file_response(request: HttpRequest, download: Download) -> HttpResponseBase:
    """The completed download's file, honouring Range."""
    path = download.absolute_path
    assert path is not None  # callers pass downloads from download_file_get_for_user
    return ranged_file_response(request, path, content_type=content_type_for(path))


def ranged_file_response(request: HttpRequest, path: Path, *, content_type: str) -> HttpResponseBase:
    """A file response honouring a single `Range: bytes=a-b` (206), or 416 when unsatisfiable."""
    size = path.stat().st_size
    header = request.headers.get("Range", "").strip()
    match = _RANGE.fullmatch(header) if header else None
    if not match or (not match.group(1) and not match.group(2)):
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
    # Under ASGI a synchronous iterator would be read into a list before the first byte goes out (Django
    # warns "must consume synchronous iterators"): a whole FLAC set in memory. So ASGI requests get an
    # asynchronous iterator that reads block by block in a worker thread.
    chunks = (_file_blocks_async(path, start, length) if isinstance(request, ASGIRequest)
              else _file_blocks(path, start, length))
    response = StreamingHttpResponse(chunks, content_type=content_type, status=status)
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Length"] = str(length)
    response["Content-Disposition"] = content_disposition_header(False, path.name) or "inline"
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _file_blocks(path: Path, start: int, length: int) -> Generator[bytes, None, None]:
    with path.open("rb") as fh:
        fh.seek(start)
        while length > 0:
            data = fh.read(min(_BLOCK, length))
            if not data:
                break
            length -= len(data)
            yield data


async def _file_blocks_async(path: Path, start: int, length: int) -> AsyncIterator[bytes]:
    """The same blocks, each read in a worker thread so the event loop never waits on the disk."""
    blocks = _file_blocks(path, start, length)
    try:
        while (data := await asyncio.to_thread(next, blocks, None)) is not None:
            yield data
    finally:
        blocks.close()  # closes the file, also when the client goes away mid-stream
