"""Lucene queries for the archive's etree collection (pure: no I/O, no Django)."""
from __future__ import annotations

import datetime as dt
import re

from .client import ETREE_QUERY

_LUCENE_SPECIAL = re.compile(r'([+\-!(){}\[\]^"~*?:\\/]|&&|\|\|)')


def lucene_escape(text: str) -> str:
    """Free text with Lucene's operators escaped, so a user's words never change the query's shape."""
    return _LUCENE_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _phrase(text: str) -> str:
    return '"' + " ".join(text.split()).replace("\\", "\\\\").replace('"', '\\"') + '"'


def etree_query(*, text: str = "", artist: str = "", venue: str = "", year: int | None = None,
                date_from: dt.date | None = None, date_to: dt.date | None = None,
                added_since: dt.date | None = None) -> str:
    """The Lucene query for etree concerts (stream-only items excluded) with the given filters."""
    parts = [f"({ETREE_QUERY})"]
    if text:
        parts.append(f"({lucene_escape(text)})")
    if artist:
        parts.append(f"creator:{_phrase(artist)}")
    if venue:
        parts.append(f"venue:{_phrase(venue)}")
    if year:
        parts.append(f"year:{int(year)}")
    if date_from or date_to:
        parts.append(f"date:[{date_from.isoformat() if date_from else '*'} TO {date_to.isoformat() if date_to else '*'}]")
    if added_since:
        parts.append(f"addeddate:[{added_since.isoformat()} TO null]")
    return " AND ".join(parts)
