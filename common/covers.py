"""Generated cover placeholders: the title's initials on a colour derived from a key.

Used wherever a cover image is missing (albums, Subsonic getCoverArt, digger), so
pages never hot-link a remote image and work with no internet. The colour comes
from a stable digest of ``key`` (not Python's per-process salted ``hash``), so the
same album gets the same colour in every process, every run.

Also the shared pieces for storing a remote cover once (recommend, tracks): ``cover_fetch``
(one GET through integrations.http, checked by Pillow), ``cover_save`` (a content-addressed
name in media storage) and ``cover_response`` (the stored copy, else the placeholder).
albums keeps its own copy of the fetch (integrations.aoty.covers), which predates these.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import mimetypes
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from xml.sax.saxutils import escape

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpResponse, HttpResponseBase
from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

from integrations.errors import PermanentError
from integrations.http import HttpClient

__all__ = [
    "CoverImage", "cover_check", "cover_fetch", "cover_response", "cover_save", "cover_source",
    "spotify_cover_fetch", "spotify_cover_source",
    "placeholder_colour", "placeholder_initials", "placeholder_png", "placeholder_svg",
]

# A leading article makes poor initials ("The Beatles" -> "B", not "TB").
_ARTICLES = frozenset({"the", "a", "an"})
_WORD = re.compile(r"\w+", re.UNICODE)
MAX_PNG_SIZE = 1200


def placeholder_colour(key: str) -> tuple[int, int, int]:
    """An RGB background colour derived deterministically from ``key``."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    hue = int.from_bytes(digest[:2], "big") / 65536
    # Saturation and lightness stay in a band where white initials stay readable.
    saturation = 0.45 + digest[2] / 255 * 0.25
    lightness = 0.32 + digest[3] / 255 * 0.14
    r, g, b = colorsys.hls_to_rgb(hue, lightness, saturation)
    return round(r * 255), round(g * 255), round(b * 255)


def placeholder_initials(title: str) -> str:
    """Up to two upper-case initials of ``title``; "?" when it has no word characters."""
    words = _WORD.findall(title or "")
    kept = words[1:] if len(words) > 1 and words[0].lower() in _ARTICLES else words
    initials = "".join(w[0] for w in kept[:2]).upper()
    return initials or "?"


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def placeholder_svg(*, key: str, title: str) -> str:
    """A square SVG with the initials of ``title`` on the colour of ``key``."""
    initials = escape(placeholder_initials(title))
    label = escape(title or "No cover", {'"': "&quot;"})
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" role="img" '
        f'aria-label="{label}">'
        f'<rect width="100" height="100" fill="{_hex(placeholder_colour(key))}"/>'
        '<text x="50" y="50" dy=".35em" text-anchor="middle" fill="#ffffff" '
        'font-family="system-ui, sans-serif" font-size="40" font-weight="600">'
        f"{initials}</text></svg>"
    )


@lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    # Pillow's bundled font: no dependency on fonts installed on the host.
    return ImageFont.load_default(size=size)


def placeholder_png(*, key: str, title: str, size: int = 300) -> bytes:
    """A ``size``×``size`` PNG with the initials of ``title`` on the colour of ``key``."""
    if not 1 <= size <= MAX_PNG_SIZE:
        raise ValueError(f"size must be between 1 and {MAX_PNG_SIZE}")
    image = Image.new("RGB", (size, size), placeholder_colour(key))
    draw = ImageDraw.Draw(image)
    draw.text(
        (size / 2, size / 2),
        placeholder_initials(title),
        fill=(255, 255, 255),
        font=_font(max(1, int(size * 0.4))),
        anchor="mm",
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


# -- storing a remote cover once ---------------------------------------------------------------------
MAX_COVER_BYTES = 5 * 1024 * 1024
_COVER_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}


@dataclass(frozen=True)
class CoverImage:
    data: bytes
    extension: str


def _host_matches(host: str, allowed: str) -> bool:
    allowed = allowed.lower().strip(".")
    return bool(allowed) and (host == allowed or host.endswith("." + allowed))


def cover_source(url: str, *, hosts: Iterable[str], origins: Iterable[str] = (), base_url: str = "") -> str | None:
    """Where the cover at ``url`` is fetched from, or None when it may not be fetched.

    Only http(s) URLs on one of ``hosts`` (a host or any of its subdomains) or exactly one of ``origins``
    (scheme://host[:port]) are fetched, so a stored URL cannot make us fetch an arbitrary address.
    ``base_url``, when set, replaces the scheme and host of a ``hosts`` URL (the replay server in tests).
    """
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    if any(origin == o.rstrip("/").lower() for o in origins if o):
        return url
    if not any(_host_matches(parts.hostname.lower(), h) for h in hosts):
        return None
    if base_url:
        target = urlsplit(base_url)
        return urlunsplit((target.scheme, target.netloc, parts.path, parts.query, ""))
    return url


def cover_check(data: bytes, *, service: str) -> str:
    """The file extension of ``data`` when Pillow reads it as a JPEG, PNG, WebP or GIF within IMAGE_MAX_PIXELS.

    Raises PermanentError for anything else: a non-image, another format, a truncated file, or a small
    file claiming a huge canvas (a decompression bomb), which is refused from its header before decoding.
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format or ""
            width, height = image.size
            if width * height > settings.IMAGE_MAX_PIXELS:
                raise PermanentError(f"cover of {width}x{height} pixels is over IMAGE_MAX_PIXELS", service=service)
            image.verify()
    except Image.DecompressionBombError as exc:
        raise PermanentError(f"cover refused: {exc}", service=service) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise PermanentError("cover is not a readable image", service=service) from exc
    if kind not in _COVER_FORMATS:
        raise PermanentError(f"cover is a {kind or 'unknown'} image, not JPEG, PNG, WebP or GIF", service=service)
    return _COVER_FORMATS[kind]


def cover_fetch(url: str, *, service: str, hosts: Iterable[str], origins: Iterable[str] = (), base_url: str = "",
                timeout: float | None = None, min_interval: float | None = None) -> CoverImage:
    """The checked image at ``url``: one GET, no redirects followed, at most MAX_COVER_BYTES read.

    Raises PermanentError for a URL that may not be fetched (see cover_source), a redirect, an oversize body
    or a bad image, and the HTTP layer's typed errors (transient ones for the caller's task to retry).
    """
    source = cover_source(url, hosts=hosts, origins=origins, base_url=base_url)
    if source is None:
        raise PermanentError(f"not an allowed cover URL: {(url or '')[:200]}", service=service)
    parts = urlsplit(source)
    # No retries here: the caller's task retries transient errors with backoff (StylusTask).
    client = HttpClient(service=service, base_url=f"{parts.scheme}://{parts.netloc}", max_retries=0,
                        timeout=timeout, min_interval=min_interval or 0.0, headers={"Accept": "image/*"})
    try:
        # A redirect is not followed: it could point anywhere, past the host check above.
        with client.stream("GET", source, follow_redirects=False) as response:
            if response.status_code != 200:
                raise PermanentError(f"cover answered {response.status_code}", service=service)
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_COVER_BYTES:
                    raise PermanentError(f"cover larger than {MAX_COVER_BYTES} bytes", service=service)
    finally:
        client.close()
    data = bytes(body)
    return CoverImage(data=data, extension=cover_check(data, service=service))


def _spotify_rules() -> dict[str, Any]:
    # Spotify's image CDN hosts, or the API's own origin (the replay server in tests); SPOTIFY_COVER_BASE_URL
    # replaces the host of a CDN URL.
    api = urlsplit(settings.SPOTIFY_API_URL)
    return {"hosts": settings.SPOTIFY_COVER_HOSTS, "origins": [f"{api.scheme}://{api.netloc}"],
            "base_url": settings.SPOTIFY_COVER_BASE_URL}


def spotify_cover_source(url: str) -> str | None:
    """Where a Spotify cover URL is fetched from (SPOTIFY_COVER_HOSTS or SPOTIFY_API_URL's origin), else None."""
    return cover_source(url, **_spotify_rules())


def spotify_cover_fetch(url: str) -> CoverImage:
    """The checked Spotify cover image at ``url`` (see cover_fetch)."""
    return cover_fetch(url, service="spotify.covers", **_spotify_rules())


def cover_save(*, image: CoverImage, folder: str) -> str:
    """Stores ``image`` under a name made from its content and returns the name; the same image is stored once.

    Content-addressed names may be shared by several rows, so callers never delete them on a change.
    """
    digest = hashlib.sha256(image.data).hexdigest()[:32]
    name = f"{folder.strip('/')}/{digest}.{image.extension}"
    if default_storage.exists(name):
        return name
    return default_storage.save(name, ContentFile(image.data))


def cover_response(*, stored: FieldFile | None, key: str, title: str) -> HttpResponseBase:
    """The stored cover copy when there is one in storage, else the generated placeholder (SVG)."""
    name = (stored.name or "") if stored else ""
    if stored is not None and name and stored.storage.exists(name):
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        response = FileResponse(stored.open("rb"), content_type=content_type)
        response["Cache-Control"] = "public, max-age=86400"
        return response
    # Not cached for long: the stored copy replaces the placeholder once the task has run.
    placeholder = HttpResponse(placeholder_svg(key=key, title=title), content_type="image/svg+xml; charset=utf-8")
    placeholder["Cache-Control"] = "public, max-age=300"
    return placeholder
