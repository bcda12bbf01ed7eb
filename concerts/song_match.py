"""Pure song-title normalisation and near-duplicate grouping (rapidfuzz), one vocabulary per artist."""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from .setlist_parse import clean_text

# Two normalised titles at least this similar (rapidfuzz ratio, 0-100) are one song: "playin in the band" and
# "playing in the band" (97), "minglewood blues" and "new minglewood blues" (89); "not fade away jam" (87 against
# "not fade away") and "jack a roe" (60 against "jack straw") stay apart.
MATCH_CUTOFF = 88.0
# Short keys are too easy to confuse by edit distance ("dark star" / "dark stare"): they must match exactly.
MIN_FUZZY_LENGTH = 6

_REPRISE = re.compile(r"\(?\s*\b(?:reprise|rep\.?)\s*\)?", re.IGNORECASE)
_PARENS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_SEGUES = re.compile(r"(?:-+>|=+>|>+|→|»)")
_G_DROP = re.compile(r"\b(\w{2,})in['’]")
_SAINT = re.compile(r"\bst\.?\s+(?=\w)")
_PUNCT = re.compile(r"[^\w\s]")
_LEADING_ARTICLE = re.compile(r"^(?:the|a)\s+")

# Never songs, for every artist (normalised keys; a key starting with one of these counts too).
NON_SONGS = ("tuning", "crowd", "banter", "stage banter", "intro", "introduction", "band introductions",
             "announcements", "stage announcements", "applause", "encore break", "set break", "setbreak", "dead air",
             "soundcheck", "sound check", "noodling", "talk", "silence")


@dataclass(frozen=True)
class Normalised:
    key: str  # what songs are grouped on: "playing in band"
    reprise: bool


@lru_cache(maxsize=200_000)
def normalise_title(title: str) -> Normalised:
    """Case, punctuation, "Playin'" -> "playing", "St." -> "saint", segue marks dropped, "(reprise)" as a flag."""
    text = clean_text(title).casefold()
    reprise = bool(_REPRISE.search(text))
    text = _REPRISE.sub(" ", text)
    text = _SEGUES.sub(" ", text)
    text = _PARENS.sub(" ", text)
    text = text.replace("&", " and ").replace("+", " and ")
    text = _G_DROP.sub(lambda m: m.group(1) + "ing", text)
    text = _SAINT.sub("saint ", text)
    text = _PUNCT.sub("", text.replace("-", " ").replace("/", " "))
    text = " ".join(text.split())
    text = _LEADING_ARTICLE.sub("", text)
    return Normalised(key=text[:200], reprise=reprise)


def is_non_song(key: str, *, extra: Iterable[str] = ()) -> bool:
    """Tuning, crowd, banter and the like; `extra` adds the artist's own (e.g. "drums", "space")."""
    if not key:
        return True
    extras = {normalise_title(e).key for e in extra} if extra else set()
    if key in extras:
        return True
    return any(key == n or key.startswith(n + " ") for n in NON_SONGS)


class SongMatcher:
    """Maps normalised keys to song ids for one artist: exact key first, then the closest known key.

    Each distinct key is matched once and remembered, so grouping N lines costs O(N) lookups plus one fuzzy
    search per new key.
    """

    def __init__(self, known: dict[str, int] | None = None) -> None:
        self.known: dict[str, int] = dict(known or {})
        self._keys: list[str] = list(self.known)

    def match(self, key: str) -> int | None:
        found = self.known.get(key)
        if found is not None or len(key) < MIN_FUZZY_LENGTH or not self._keys:
            return found
        best = process.extractOne(key, self._keys, scorer=fuzz.ratio, score_cutoff=MATCH_CUTOFF)
        if best is None or len(best[0]) < MIN_FUZZY_LENGTH:
            return None
        song_id = self.known[best[0]]
        self.known[key] = song_id  # remember the alias (not added to the fuzzy pool: aliases must not chain)
        return song_id

    def add(self, key: str, song_id: int) -> None:
        if key not in self.known:
            self.known[key] = song_id
            self._keys.append(key)


def group_titles(titles: Iterable[str]) -> dict[str, int]:
    """{normalised key: group number} for one artist's titles, near-duplicates in one group (for the benchmark
    and for tests; the service does the same against stored songs)."""
    matcher = SongMatcher()
    groups: dict[str, int] = {}
    for title in titles:
        key = normalise_title(title).key
        if key in groups:
            continue
        found = matcher.match(key)
        if found is None:
            found = len(set(matcher.known.values())) + 1
            matcher.add(key, found)
        groups[key] = found
    return groups
