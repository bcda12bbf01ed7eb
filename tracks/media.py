"""Covers and profile images: stored through Django's storage API (local files by default, S3 when
configured), and validated by real image type and size before they are saved."""
from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from common.exceptions import InvalidInput

ALLOWED_IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}


def _upload_path(folder: str, filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "img"
    return f"tracks/{folder}/{uuid.uuid4().hex}.{ext[:5]}"


def cover_upload_to(instance: Any, filename: str) -> str:
    return _upload_path(instance.__class__.__name__.lower(), filename)


def profile_upload_to(instance: Any, filename: str) -> str:
    return _upload_path("profiles", filename)


def image_validate(*, upload: UploadedFile, field: str = "cover") -> UploadedFile:
    """Checks size and that the bytes really are a JPEG/PNG/WebP/GIF image; raises InvalidInput otherwise.

    The extension and the browser's content type are not trusted: Pillow reads the header.
    """
    from PIL import Image, UnidentifiedImageError

    limit = settings.TRACKS_MAX_IMAGE_BYTES
    if upload.size is not None and upload.size > limit:
        raise InvalidInput(f"Image too large: {upload.size // 1024} KB; the limit is {limit // 1024} KB.", field=field)
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise InvalidInput("Not an image: upload a JPEG, PNG, WebP or GIF file.", field=field)
    finally:
        upload.seek(0)
    if kind not in ALLOWED_IMAGE_FORMATS:
        raise InvalidInput(f"Unsupported image type {kind}: upload a JPEG, PNG, WebP or GIF file.", field=field)
    upload.name = f"upload.{ALLOWED_IMAGE_FORMATS[kind]}"
    return upload
