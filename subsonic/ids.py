"""Subsonic ids for what Stylus holds. Clients treat ids as opaque strings and cache them, so each id is
built from something stable: a concert's primary key, an archive identifier, an item's file name, an upload.

    ar-<slug>            an artist (concert artists and upload artists share a slug)
    al-<concert id>      a concert: its best recording, whichever that is today
    rc-<identifier>      one recording (an archive item) as its own album
    au-<slug>            the user's uploads by one artist, as an album
    so-<base64url>       a file of an archive item: base64url("<identifier>/<file name>")
    su-<upload id>       an uploaded audio file
"""
from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from django.utils.text import slugify

_DIGITS = re.compile(r"[0-9]{1,18}")
_SLUG = re.compile(r"[-a-z0-9_]{1,300}")
_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


@dataclass(frozen=True)
class ItemRef:
    kind: str  # artist, concert, recording, uploads, file, upload
    key: str = ""  # slug, identifier
    number: int = 0  # concert or upload primary key
    filename: str = ""


def artist_id(slug: str) -> str:
    return f"ar-{slug}"


def artist_slug(name: str) -> str:
    return slugify(name)[:300] or "unknown-artist"


def concert_album_id(concert_id: int) -> str:
    return f"al-{concert_id}"


def recording_album_id(identifier: str) -> str:
    return f"rc-{identifier}"


def uploads_album_id(slug: str) -> str:
    return f"au-{slug}"


def file_song_id(identifier: str, filename: str) -> str:
    raw = f"{identifier}/{filename}".encode()
    return "so-" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def upload_song_id(upload_id: int) -> str:
    return f"su-{upload_id}"


def parse(value: str) -> ItemRef | None:
    """The item an id names, or None when it is not one of ours (the caller answers error 70)."""
    prefix, _, rest = (value or "").partition("-")
    if not rest:
        return None
    if prefix == "ar" and _SLUG.fullmatch(rest):
        return ItemRef(kind="artist", key=rest)
    if prefix == "au" and _SLUG.fullmatch(rest):
        return ItemRef(kind="uploads", key=rest)
    if prefix == "al" and _DIGITS.fullmatch(rest):
        return ItemRef(kind="concert", number=int(rest))
    if prefix == "su" and _DIGITS.fullmatch(rest):
        return ItemRef(kind="upload", number=int(rest))
    if prefix == "rc" and _IDENTIFIER.fullmatch(rest):
        return ItemRef(kind="recording", key=rest)
    if prefix == "so" and len(rest) <= 1000:
        try:
            raw = base64.urlsafe_b64decode(rest + "=" * (-len(rest) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        identifier, _, filename = raw.partition("/")
        if _IDENTIFIER.fullmatch(identifier) and filename and ".." not in filename.split("/"):
            return ItemRef(kind="file", key=identifier, filename=filename)
    return None
