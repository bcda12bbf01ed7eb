"""Matching listings against the user's Discogs collection and want list.

Discogs listings carry a release id, so they match exactly. eBay listings do not: they match by
catalogue number or barcode when one is present (in the item's fields or spelled out in its title),
and otherwise by normalised artist and title with rapidfuzz above a threshold. The confidence
(0-100) is kept so the page can show how sure the match is.

Speed: each owned item is indexed under the rarest token of its artist (or title), so a listing
is only scored against items whose rarest token appears in its text; 10,000 listings against
5,000 items takes well under a second (bench/bench_digger.py).
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

STOPWORDS = frozenset({"the", "a", "an", "and", "of", "lp", "vinyl", "record", "records", "ep", "12", "7", "10",
                       "cd", "new", "sealed", "used", "original", "press", "pressing", "vg", "nm", "mint", "rare",
                       "album", "ost", "vol", "feat", "ft", "with", "in", "on", "la", "le", "les", "de", "der", "die"})
_HOMONYM = re.compile(r"\s*\(\d+\)")
_NON_WORD = re.compile(r"[^0-9a-z]+")
_LIGATURES = {"æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "ß": "ss", "œ": "oe", "Œ": "OE", "ð": "d", "þ": "th"}
_BARCODE = re.compile(r"\b(\d{12,13})\b")

CONFIDENCE = {"release_id": 100, "barcode": 98, "catno": 90}


def normalize(text: str) -> str:
    """Lower case, accents and punctuation stripped, '&' as 'and', Discogs '(2)' suffixes dropped."""
    text = _HOMONYM.sub(" ", text or "")
    for letter, plain in _LIGATURES.items():
        text = text.replace(letter, plain)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().replace("&", " and ")
    return " ".join(_NON_WORD.sub(" ", text).split())


def normalize_code(code: str) -> str:
    """Catalogue numbers and barcodes compare on letters and digits only: 'SFLP 1' == 'sflp-1'."""
    return re.sub(r"[^0-9A-Z]", "", (code or "").upper())


def _is_code(code: str) -> bool:
    # A bare 4-digit number is more likely a year than a catalogue number.
    has_letter = any(c.isalpha() for c in code)
    return len(code) >= 4 and any(c.isdigit() for c in code) and (has_letter or len(code) >= 5)


@dataclass(frozen=True)
class Owned:
    """An item of the user's collection or want list, as matching needs it."""

    release_id: int
    kind: str  # "collection" or "want"
    artist: str = ""
    title: str = ""
    catno: str = ""
    barcode: str = ""


@dataclass(frozen=True)
class Match:
    in_collection: bool = False
    in_wantlist: bool = False
    method: str = ""
    confidence: int = 0
    release_id: int | None = None

    @property
    def matched(self) -> bool:
        return self.in_collection or self.in_wantlist


NO_MATCH = Match()


class Matcher:
    """Built once per run from the user's items; match() is then cheap."""

    def __init__(self, items: Iterable[Owned], *, threshold: int = 85) -> None:
        self.threshold = threshold
        self.by_release: dict[int, set[str]] = defaultdict(set)
        self.by_code: dict[str, set[int]] = defaultdict(set)
        self.by_barcode: dict[str, set[int]] = defaultdict(set)
        self._entries: list[tuple[int, str, str, frozenset[str]]] = []  # release_id, artist, title, artist tokens
        self._token_index: dict[str, list[int]] = defaultdict(list)
        seen_entries: set[int] = set()
        items = list(items)
        frequency: Counter[str] = Counter()
        for item in items:
            self.by_release[item.release_id].add(item.kind)
            for code in re.split(r"[;,]", item.catno or ""):
                code = normalize_code(code)
                if _is_code(code):
                    self.by_code[code].add(item.release_id)
            if item.barcode:
                self.by_barcode[normalize_code(item.barcode)].add(item.release_id)
            frequency.update(set(normalize(f"{item.artist} {item.title}").split()))
        for item in items:
            if item.release_id in seen_entries:
                continue
            seen_entries.add(item.release_id)
            artist, title = normalize(item.artist), normalize(item.title)
            tokens = [t for t in (artist.split() or title.split()) if t not in STOPWORDS] or artist.split() or title.split()
            if not tokens:
                continue
            key = min(tokens, key=lambda t: (frequency[t], -len(t)))
            self._token_index[key].append(len(self._entries))
            self._entries.append((item.release_id, artist, title, frozenset(artist.split())))
        self._max_code_tokens = 3

    def _flags(self, release_ids: Iterable[int], method: str, confidence: int) -> Match:
        kinds: set[str] = set()
        first = None
        for rid in release_ids:
            kinds |= self.by_release.get(rid, set())
            first = first or rid
        if not kinds:
            return NO_MATCH
        return Match(in_collection="collection" in kinds, in_wantlist="want" in kinds, method=method,
                     confidence=confidence, release_id=first)

    def _codes_in_title(self, title: str) -> set[int]:
        words = [normalize_code(w) for w in re.split(r"[\s/|,()\[\]]+", title or "") if w]
        found: set[int] = set()
        for size in range(1, self._max_code_tokens + 1):
            for i in range(len(words) - size + 1):
                code = "".join(words[i:i + size])
                if code in self.by_code:
                    found |= self.by_code[code]
        return found

    def fuzzy(self, text: str) -> tuple[int | None, int]:
        """The best (release_id, score) for a free-text listing title, or (None, 0) under the threshold."""
        norm = normalize(text)
        tokens = set(norm.split())
        best_id, best = None, 0
        for token in tokens:
            for index in self._token_index.get(token, ()):
                release_id, artist, title, artist_tokens = self._entries[index]
                if artist_tokens and artist_tokens <= tokens:
                    artist_score = 100.0
                elif artist:
                    artist_score = fuzz.partial_ratio(artist, norm) * 0.9
                else:
                    artist_score = 100.0
                if artist_score < self.threshold:
                    continue
                # All title words present scores 100 (token_set); a typo is caught by the best
                # substring alignment (partial_ratio), only for titles long enough not to match by chance.
                title_score = fuzz.token_set_ratio(title, norm) if title else 0.0
                if title and len(title) >= 5 and title_score < self.threshold:
                    title_score = max(title_score, fuzz.partial_ratio(title, norm))
                score = int(round(min(artist_score, title_score)))
                if score > best or (score == best and best_id is not None and release_id < best_id):
                    best_id, best = release_id, score
        return (best_id, best) if best >= self.threshold else (None, 0)

    def match(self, *, release_id: int | None = None, catno: str = "", barcode: str = "", artist: str = "",
              title: str = "") -> Match:
        """Release id first, then barcode, catalogue number, and finally fuzzy artist + title."""
        if release_id:
            result = self._flags([release_id], "release_id", CONFIDENCE["release_id"])
            return result if result.matched else NO_MATCH
        barcodes = [normalize_code(barcode)] if barcode else _BARCODE.findall(title or "")
        for code in barcodes:
            if code in self.by_barcode:
                return self._flags(self.by_barcode[code], "barcode", CONFIDENCE["barcode"])
        code = normalize_code(catno)
        if code and code in self.by_code:
            return self._flags(self.by_code[code], "catno", CONFIDENCE["catno"])
        in_title = self._codes_in_title(f"{title} {catno}")
        if in_title:
            return self._flags(sorted(in_title), "catno", CONFIDENCE["catno"])
        found, score = self.fuzzy(f"{artist} {title}")
        if found is None:
            return NO_MATCH
        return self._flags([found], "fuzzy", score)
