"""Shared pieces of the AOTY parsers: text and number helpers, links, album blocks, challenge pages.

Every URL taken from a page passes through `absolute` or `http_url`, so only http(s) links are
ever stored, rendered or returned (a `javascript:` or `data:` href becomes "").
"""
from __future__ import annotations

import html as html_lib
import json
import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..errors import AotyParseError
from ..types import AlbumSummary, ArtistRef, NamedRef

AOTY_ORIGIN = "https://www.albumoftheyear.org"
_ALBUM_HREF = re.compile(r"/album/(\d+)(?:-([^/?#]*?))?(?:\.php|/)?(?:[?#].*)?$")
_ARTIST_HREF = re.compile(r"/artist/(\d+)-([^/?#]+)/?")
ID_HREF = re.compile(r"/(?:label|genre|publication|list|song|critic)/(\d+)")
_INT = re.compile(r"-?\d[\d,]*")
# "13.4K", "1.2M", "20,489": the decimal part only counts with a K or M after it.
_COUNT = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*([KkMm])?\b")
_SCALE = {"k": 1_000, "m": 1_000_000}
_STREAMING = {"spotify", "apple music", "soundcloud", "tidal", "youtube", "youtube music", "deezer", "bandcamp", "amazon music"}
# The recorded pages put a space before every character entity ("Don &#039;t"); the live site
# does not. Undo it only where it is clearly an artefact: a space before an apostrophe inside a word.
_APOS_ARTEFACT = re.compile(r"(\w) (['’]\w)")


# -- small helpers ------------------------------------------------------------------------------
def _tree(html: str, *, full_page: bool = True) -> LexborHTMLParser:
    """Parsed HTML; a full page cut short (no closing </html>) is refused rather than half-read."""
    if not html or not html.strip():
        raise AotyParseError("empty page")
    if full_page and "</html>" not in html[-4096:].lower():
        raise AotyParseError("truncated page: no closing </html>")
    return LexborHTMLParser(html)


def clean(text: str | None) -> str:
    if not text:
        return ""
    text = html_lib.unescape(text)
    # str.split() splits on every Unicode space (\xa0 included), like \s+, and is several times faster:
    # clean() runs ~250 times per album page.
    text = " ".join(text.split())
    return _APOS_ARTEFACT.sub(r"\1\2", text) if " '" in text or " ’" in text else text


def _text(node: LexborNode | None) -> str:
    return clean(node.text(deep=True)) if node is not None else ""


def to_int(text: str | None) -> int | None:
    """The first integer in `text` ("1,045" -> 1045); for scores, ranks and ids, never counts."""
    if not text:
        return None
    match = _INT.search(text)
    return int(match.group(0).replace(",", "")) if match else None


def to_count(text: str | None) -> int | None:
    """A count as AOTY writes it: "20,489", "(148)", "(13.4K)" -> 13400, "1.2M" -> 1200000."""
    if not text:
        return None
    match = _COUNT.search(text)
    if not match:
        return None
    number = Decimal(match.group(1).replace(",", ""))
    scale = _SCALE.get(match.group(2).lower(), 1) if match.group(2) else 1
    return int(number * scale)


def http_url(url: str | None) -> str:
    """`url` when it is an absolute http(s) URL with a host, else "" (drops javascript:, data:, ...)."""
    url = (url or "").strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    return url


def absolute(url: str | None) -> str:
    """An href as an absolute AOTY URL; anything but http(s) becomes "" so it is never stored or linked."""
    url = (url or "").strip()
    if not url:
        return ""
    if url.startswith("//"):
        url = "https:" + url
    elif url.startswith("/"):
        url = AOTY_ORIGIN + url
    return http_url(url)


def album_ref(href: str | None) -> tuple[int, str] | None:
    """(aoty_id, slug) from an album link such as /album/564912-asap-rocky-dont-be-dumb.php."""
    if not href:
        return None
    match = _ALBUM_HREF.search(href)
    if not match:
        return None
    return int(match.group(1)), (match.group(2) or "")


def _artist(node: LexborNode | None, name: str | None = None) -> ArtistRef | None:
    if node is None:
        return ArtistRef(name=name) if name else None
    href = node.attributes.get("href") or ""
    match = _ARTIST_HREF.search(href)
    label = name if name is not None else _text(node)
    if not label:
        return None
    if match:
        return ArtistRef(name=label, aoty_id=int(match.group(1)), slug=match.group(2), url=absolute(href))
    return ArtistRef(name=label)


def _named(node: LexborNode) -> NamedRef:
    href = node.attributes.get("href") or ""
    match = ID_HREF.search(href)
    return NamedRef(name=_text(node), aoty_id=int(match.group(1)) if match else None, url=absolute(href))


def _length_seconds(text: str) -> int | None:
    parts = text.strip().split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
        return None
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + int(part)
    return seconds


def _img(node: LexborNode | None) -> str:
    if node is None:
        return ""
    img = node if node.tag == "img" else node.css_first("img")
    if img is None:
        return ""
    return absolute(img.attributes.get("src") or img.attributes.get("data-src") or "")


def _json_ld(tree: LexborHTMLParser, kind: str) -> dict[str, Any] | None:
    for script in tree.css('script[type="application/ld+json"]'):
        try:
            data = json.loads(script.text(deep=True))
        except (ValueError, TypeError):
            continue
        for item in data if isinstance(data, list) else [data]:
            if isinstance(item, dict) and item.get("@type") == kind:
                return item
    return None


def parse_date(text: str) -> date | None:
    for fmt in ("%Y-%m-%d", "%B %d, %Y", "%b %d, %Y"):
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


# -- album blocks (grids, search, similar) ---------------------------------------------------------
def _album_block(block: LexborNode) -> AlbumSummary | None:
    link = None
    for a in block.css("a"):
        ref = album_ref(a.attributes.get("href"))
        if ref:
            link = (a, ref)
            break
    if link is None:
        return None
    anchor, (aoty_id, slug) = link
    title = _text(block.css_first(".albumTitle"))
    if not title:
        return None
    artist_node = block.css_first(".artistTitle")
    artist_name = _text(artist_node)
    artist_link = None
    if artist_node is not None:
        parent = artist_node.parent
        if parent is not None and parent.tag == "a":
            artist_link = parent
    summary = AlbumSummary(
        aoty_id=aoty_id,
        slug=slug,
        title=title,
        url=absolute(anchor.attributes.get("href")),
        artist=artist_name,
        artist_ref=_artist(artist_link, artist_name) if artist_name else None,
        cover_url=_img(block.css_first(".image")),
        must_hear=block.css_first(".mustHear") is not None,
    )
    type_text = _text(block.css_first(".type"))
    if type_text:
        parts = [p.strip() for p in type_text.split("•")]
        summary.date_text = parts[0]
        if len(parts) > 1:
            summary.album_type = parts[1]
        year = re.search(r"\b(19|20)\d{2}\b", parts[0])
        summary.year = int(year.group(0)) if year else None
    for row in block.css(".ratingRow"):
        score = to_int(_text(row.css_first(".rating")))
        texts = [_text(t).lower() for t in row.css(".ratingText")]
        count = next((to_count(t) for t in texts if t.startswith("(")), None)
        if any("critic" in t for t in texts):
            summary.critic_score, summary.critic_count = score, count
        elif any("user" in t for t in texts):
            summary.user_score, summary.user_count = score, count
    return summary


def _album_blocks(nodes: Iterable[LexborNode]) -> list[AlbumSummary]:
    seen: set[int] = set()
    albums = []
    for block in nodes:
        summary = _album_block(block)
        if summary and summary.aoty_id not in seen:
            seen.add(summary.aoty_id)
            albums.append(summary)
    return albums


def _section_by_heading(tree: LexborHTMLParser, words: str) -> LexborNode | None:
    for heading in tree.css(".sectionHeading"):
        if words.lower() in _text(heading).lower():
            return heading.parent
    return None



# -- blocks and challenges -------------------------------------------------------------------------
_CHALLENGE_MARKERS = (
    "cf-chl", "challenge-platform", "cf_chl_opt", "<title>just a moment", "attention required! | cloudflare",
    "cf-browser-verification", "checking your browser before accessing", "enable javascript and cookies to continue",
)


def looks_like_challenge(html: str) -> bool:
    """True when a page is a Cloudflare challenge or block page rather than AOTY content."""
    head = html[:20000].lower()
    return any(marker in head for marker in _CHALLENGE_MARKERS)
