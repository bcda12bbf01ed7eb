"""Serving library files with HTTP Range (the player seeks; API clients resume), block by block."""
from __future__ import annotations

import mimetypes
from pathlib import Path

from django.http import HttpRequest, HttpResponseBase

from common.files import ranged_file_response

from .models import Download

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
