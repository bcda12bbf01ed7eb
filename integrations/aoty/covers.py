"""Fetching album cover images from AOTY's CDN, once, for storage (pages never hot-link them).

Only images on albumoftheyear.org hosts are fetched (a scraped URL pointing elsewhere is refused,
so a page cannot make us fetch arbitrary addresses). AOTY_COVER_BASE_URL, when set, replaces the
scheme and host (the replay server in tests, a mirror offline). The body is capped and must be a
JPEG, PNG, WebP or GIF by its first bytes, whatever the Content-Type says.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

from integrations.errors import PermanentError
from integrations.http import HttpClient

from .client import is_aoty_host

MAX_COVER_BYTES = 5 * 1024 * 1024
_SIGNATURES = ((b"\xff\xd8\xff", "jpg"), (b"\x89PNG\r\n\x1a\n", "png"), (b"GIF87a", "gif"), (b"GIF89a", "gif"))


@dataclass(frozen=True)
class CoverImage:
    data: bytes
    extension: str


def _image_extension(data: bytes) -> str | None:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return next((ext for signature, ext in _SIGNATURES if data.startswith(signature)), None)


def cover_source(url: str) -> str | None:
    """Where the cover at `url` is fetched from, or None when it is not an AOTY image."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not is_aoty_host(url):
        return None
    base = getattr(settings, "AOTY_COVER_BASE_URL", "") or ""
    if base:
        target = urlsplit(base)
        return urlunsplit((target.scheme, target.netloc, parts.path, parts.query, ""))
    return url


def fetch_cover(url: str) -> CoverImage:
    """The image bytes at `url`. Raises PermanentError for a non-AOTY URL or a non-image, typed HTTP errors else."""
    source = cover_source(url)
    if source is None:
        raise PermanentError(f"not an AOTY cover URL: {url[:200]}", service="aoty.covers")
    parts = urlsplit(source)
    # No retries here: the task retries transient errors with backoff (StylusTask). Covers come from AOTY's
    # CDN, not the site, so they are spaced by at most a second rather than AOTY_MIN_INTERVAL.
    client = HttpClient(service="aoty.covers", base_url=f"{parts.scheme}://{parts.netloc}", max_retries=0,
                        min_interval=min(1.0, float(settings.AOTY_MIN_INTERVAL)), timeout=settings.AOTY_TIMEOUT,
                        headers={"Accept": "image/*"})
    try:
        response = client.request("GET", source)
    finally:
        client.close()
    data = response.content
    if len(data) > MAX_COVER_BYTES:
        raise PermanentError(f"cover larger than {MAX_COVER_BYTES} bytes", service="aoty.covers")
    extension = _image_extension(data)
    if extension is None:
        raise PermanentError("cover is not a JPEG, PNG, WebP or GIF image", service="aoty.covers")
    return CoverImage(data=data, extension=extension)
