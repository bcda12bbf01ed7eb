"""Byte responses for `stream` and `download` of archive files not held locally: the archive's answer passed
through with Range, never transcoded. Local files go through common.files.ranged_file_response."""
from __future__ import annotations

from django.http import HttpRequest, StreamingHttpResponse
from django.utils.http import content_disposition_header

from common.files import streaming_body
from integrations.internet_archive.stream import UpstreamFile


def upstream_response(request: HttpRequest, upstream: UpstreamFile, *, filename: str, content_type: str,
                      attachment: bool = False) -> StreamingHttpResponse:
    """The archive's answer passed on: its status (200/206), length, range, and body block by block."""
    response = StreamingHttpResponse(streaming_body(request, upstream.iter_bytes()), status=upstream.status,
                                     content_type=upstream.headers.get("content-type") or content_type)
    for name in ("content-length", "content-range", "last-modified", "etag"):
        if name in upstream.headers:
            response[name.title()] = upstream.headers[name]
    response["Accept-Ranges"] = "bytes"
    response["Content-Disposition"] = content_disposition_header(attachment, filename.rsplit("/", 1)[-1]) or ""
    response["Cache-Control"] = "private, max-age=3600"
    return response
