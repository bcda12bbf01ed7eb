"""Text normalisation for the catalogue: duplicate keys and genre names (pure functions)."""
from __future__ import annotations

import re
import unicodedata

_TAIL = re.compile(r"\s*[-(\[]\s*(remaster(ed)?|\d{4} remaster(ed)?|live|mono|stereo|radio edit|single version)"
                   r"[^)\]]*[)\]]?\s*$", re.I)
_NON_WORD = re.compile(r"[^\w]+")


def normalise_text(value: str) -> str:
    value = unicodedata.normalize("NFKD", value or "").encode("ascii", "ignore").decode() or (value or "")
    return " ".join(_NON_WORD.sub(" ", value.lower()).split())


def match_key(title: str, artist: str) -> str:
    """"title|artist" normalised: "Song - 2011 Remaster" and "Song" by the same artist collide."""
    return f"{normalise_text(_TAIL.sub('', title or ''))}|{normalise_text(artist)}"[:400]


def normalise_genre(value: str) -> str:
    """"Indie-Pop" and "indie pop" are one genre (datasets hyphenate, Spotify does not)."""
    return " ".join((value or "").lower().replace("-", " ").replace("_", " ").split())[:100]
