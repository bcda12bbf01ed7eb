"""Pure parsing of Internet Archive JSON into typed objects, plus identifier and file-name rules."""
from __future__ import annotations

import html
import re
from pathlib import PurePosixPath
from typing import Any

from integrations.errors import MalformedResponse

from .errors import InvalidIdentifier, ItemUnavailable
from .types import ItemFile, ItemMetadata, Review, ScrapePage, SearchDoc, SearchPage

# The archive's identifier rules: ASCII letters, digits, '_', '-' and '.', starting with a letter or
# digit, at most 100 characters (https://archive.org/developers/metadata-schema/#identifier).
# fullmatch only: with .match, `$` also matches before a trailing newline, which then reached httpx.
_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}")
_SAFE_SEGMENT = re.compile(r"[^\x00-\x1f/\\]{1,255}")

# Audio formats in the order the item page shows them.
AUDIO_FORMATS = ("Flac", "24bit Flac", "VBR MP3", "Ogg Vorbis", "Shorten", "128Kbps MP3", "64Kbps MP3", "MP3",
                 "Apple Lossless Audio", "WAVE")
LOSSLESS_FORMATS = frozenset({"Flac", "24bit Flac", "Shorten", "Apple Lossless Audio", "WAVE"})
CHECKSUM_FORMATS = frozenset({"Checksums", "Flac FingerPrint", "Shntool Verification"})
CHECKSUM_EXTENSIONS = frozenset({"md5", "ffp", "st5", "sha1"})
TEXT_FORMATS = frozenset({"Text", "Rich Text Format"})
IMAGE_FORMATS = frozenset({"JPEG", "JPEG Thumb", "PNG", "GIF", "Item Tile", "Spectrogram"})
FORMAT_ALIASES = {
    "mp3": "VBR MP3", "vbr mp3": "VBR MP3", "flac": "Flac", "flac16": "Flac", "flac24": "24bit Flac",
    "24bit flac": "24bit Flac", "ogg": "Ogg Vorbis", "ogg vorbis": "Ogg Vorbis", "vorbis": "Ogg Vorbis",
    "shn": "Shorten", "shorten": "Shorten",
}


def validate_identifier(identifier: str) -> str:
    """The identifier, or InvalidIdentifier when it breaks the archive's rules."""
    if not isinstance(identifier, str) or not _IDENTIFIER.fullmatch(identifier):
        raise InvalidIdentifier(f"Not a valid Internet Archive identifier: {identifier!r:.120}", service="internet_archive")
    return identifier


def is_valid_identifier(identifier: str) -> bool:
    return bool(isinstance(identifier, str) and _IDENTIFIER.fullmatch(identifier))


def safe_relative_path(name: str) -> PurePosixPath:
    """A file name from an item's list as a safe relative path: no absolute paths, '..', or control characters."""
    if not name or len(name) > 1000 or name.startswith(("/", "\\")):
        raise ValueError(f"unsafe file name: {name!r:.120}")
    parts = name.split("/")
    for part in parts:
        if part in ("", ".", "..") or not _SAFE_SEGMENT.fullmatch(part) or "\\" in part:
            raise ValueError(f"unsafe file name: {name!r:.120}")
    return PurePosixPath(*parts)


def canonical_format(name: str) -> str:
    """The archive's format name for a user's choice ("mp3" -> "VBR MP3"); unknown names pass through."""
    key = (name or "").strip()
    return FORMAT_ALIASES.get(key.lower(), key)


def classify_source(*, identifier: str = "", title: str = "", source: str = "", lineage: str = "") -> str:
    """SBD, AUD, MTX or FM from the identifier, title, source and lineage; '' when nothing says."""
    text = " ".join([identifier, title, source, lineage]).lower()
    tokens = set(re.split(r"[^a-z0-9]+", text))
    if tokens & {"mtx", "matrix"}:
        return "MTX"
    if tokens & {"sbd", "soundboard"}:
        return "SBD"
    if tokens & {"fm", "prefm", "broadcast", "radio", "webcast"} or "pre-fm" in text:
        return "FM"
    if tokens & {"aud", "audience", "fob", "dfc", "oms", "akg", "schoeps", "neumann", "nak", "sonic"} or "microphone" in text:
        return "AUD"
    return ""


def is_soundboard(*, identifier: str = "", title: str = "", source: str = "", lineage: str = "") -> bool:
    """'sbd' anywhere in the identifier, title, source or lineage (Relisten's rule)."""
    return any("sbd" in (v or "").lower() or "soundboard" in (v or "").lower() for v in (identifier, title, source, lineage))


def parse_length(value: Any) -> float | None:
    """Seconds from '266.02', '04:26' or '1:02:03'."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    try:
        if ":" in text:
            seconds = 0.0
            for part in text.split(":"):
                seconds = seconds * 60 + float(part)
            return round(seconds, 2)
        return round(float(text), 2)
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(float(str(value).split("/")[0]))
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _text(value: Any) -> str:
    """Archive fields may be a string or a list of strings; entities are unescaped."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value if v not in (None, ""))
    return html.unescape(str(value)).strip()


def _first(value: Any) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    return _text(value)


def _tuple(value: Any) -> tuple[str, ...]:
    if value in (None, ""):
        return ()
    return tuple(str(v) for v in value) if isinstance(value, list) else (str(value),)


def parse_doc(doc: dict[str, Any]) -> SearchDoc:
    if not isinstance(doc, dict) or not doc.get("identifier"):
        raise MalformedResponse("search document without identifier", service="internet_archive")
    return SearchDoc(
        identifier=str(doc["identifier"]),
        title=_first(doc.get("title")),
        creator=_first(doc.get("creator")),
        date=_first(doc.get("date")),
        year=_int(_first(doc.get("year"))),
        venue=_first(doc.get("venue")),
        coverage=_first(doc.get("coverage")),
        source=_text(doc.get("source")),
        taper=_text(doc.get("taper")),
        transferer=_text(doc.get("transferer")),
        lineage=_text(doc.get("lineage")),
        formats=_tuple(doc.get("format")),
        avg_rating=_float(doc.get("avg_rating")),
        num_reviews=_int(doc.get("num_reviews")) or 0,
        downloads=_int(doc.get("downloads")) or 0,
        addeddate=_first(doc.get("addeddate")),
        item_size=_int(doc.get("item_size")) or 0,
        collections=_tuple(doc.get("collection")),
    )


def parse_search(data: Any) -> SearchPage:
    """advancedsearch.php JSON -> SearchPage."""
    try:
        response = data["response"]
        docs = [parse_doc(d) for d in response["docs"]]
        params = (data.get("responseHeader") or {}).get("params") or {}
        return SearchPage(total=int(response.get("numFound", len(docs))), start=int(response.get("start", 0)),
                          rows=int(params.get("rows") or len(docs)), docs=docs)
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedResponse(f"unexpected advancedsearch answer: {exc}", service="internet_archive") from exc


def parse_scrape(data: Any) -> ScrapePage:
    """Scrape API JSON (items, count, cursor, total) -> ScrapePage."""
    try:
        docs = [parse_doc(d) for d in data["items"]]
        return ScrapePage(docs=docs, cursor=data.get("cursor") or None, total=int(data.get("total", len(docs))),
                          count=int(data.get("count", len(docs))))
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedResponse(f"unexpected scrape answer: {exc}", service="internet_archive") from exc


def parse_file(raw: dict[str, Any]) -> ItemFile:
    return ItemFile(
        name=str(raw["name"]),
        format=_text(raw.get("format")),
        source=_text(raw.get("source")),
        size=_int(raw.get("size")),
        md5=_text(raw.get("md5")).lower(),
        sha1=_text(raw.get("sha1")).lower(),
        length=parse_length(raw.get("length")),
        title=_first(raw.get("title")),
        creator=_first(raw.get("creator")),
        album=_first(raw.get("album")),
        track=_int(raw.get("track")),
        original=_text(raw.get("original")),
        bitrate=_int(raw.get("bitrate")),
        private=str(raw.get("private", "")).lower() == "true",
    )


def parse_metadata(data: Any, *, identifier: str = "") -> ItemMetadata:
    """/metadata/{identifier} JSON -> ItemMetadata; `{}` means the item is unavailable."""
    if data == {} or (isinstance(data, dict) and not data.get("metadata") and not data.get("files")):
        raise ItemUnavailable(f"Internet Archive item {identifier or '?'} is unavailable", service="internet_archive",
                              status=404)
    try:
        meta = data.get("metadata") or {}
        files = [parse_file(f) for f in data.get("files") or [] if isinstance(f, dict) and f.get("name")]
        reviews = [
            Review(title=_text(r.get("reviewtitle")), body=_text(r.get("reviewbody")), reviewer=_text(r.get("reviewer")),
                   date=_text(r.get("reviewdate")), stars=_int(r.get("stars")))
            for r in data.get("reviews") or [] if isinstance(r, dict)
        ]
        return ItemMetadata(
            identifier=_first(meta.get("identifier")) or identifier,
            title=_first(meta.get("title")),
            creator=_first(meta.get("creator")),
            date=_first(meta.get("date")),
            year=_int(_first(meta.get("year"))),
            venue=_first(meta.get("venue")),
            coverage=_first(meta.get("coverage")),
            source=_text(meta.get("source")),
            taper=_text(meta.get("taper")),
            transferer=_text(meta.get("transferer")),
            lineage=_text(meta.get("lineage")),
            notes=_text(meta.get("notes")),
            description=_text(meta.get("description")),
            runtime=_text(meta.get("runtime")),
            subject=_text(meta.get("subject")),
            addeddate=_first(meta.get("addeddate")),
            publicdate=_first(meta.get("publicdate")),
            mediatype=_first(meta.get("mediatype")),
            collections=_tuple(meta.get("collection")),
            files=files,
            reviews=reviews,
            server=_text(data.get("server")),
            dir=_text(data.get("dir")),
            item_size=_int(data.get("item_size")),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise MalformedResponse(f"unexpected metadata answer: {exc}", service="internet_archive") from exc
