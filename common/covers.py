"""Generated cover placeholders: the title's initials on a colour derived from a key.

Used wherever a cover image is missing (albums, Subsonic getCoverArt, digger), so
pages never hot-link a remote image and work with no internet. The colour comes
from a stable digest of ``key`` (not Python's per-process salted ``hash``), so the
same album gets the same colour in every process, every run.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import re
from functools import lru_cache
from xml.sax.saxutils import escape

from PIL import Image, ImageDraw, ImageFont

__all__ = ["placeholder_colour", "placeholder_initials", "placeholder_png", "placeholder_svg"]

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
