"""Pure setlist parsing: an item's description, its taper's info .txt, and its audio files' titles.

Nothing here touches the database or the network, so the parser is tested on saved text and benchmarked
on synthetic items. A description with no recognisable setlist yields an empty list: lines count as songs
only below a set header ("Set 1", "Set II", "Encore", "E:") or behind a disc/track prefix ("d1t03", "01."),
and sentence-like prose is never taken for a song.
"""
from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5}
WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "first": 1, "second": 2, "third": 3, "fourth": 4}
ENCORE = "E"

_TAGS = re.compile(r"<[^>]{0,200}>")
_BREAKS = re.compile(r"<\s*(?:br|/p|p|/div|/li)\s*/?\s*>", re.IGNORECASE)
# "Set 1", "Set II:", "Set One", "First Set", "2nd set", "Encore", "Encore 2", "E:", "E1:", with an optional song after
_SET_HEADER = re.compile(
    r"(?:set\s*(?P<n1>\d|i{1,3}|iv|v|one|two|three|four)|(?P<n2>first|second|third|fourth|1st|2nd|3rd|4th)\s+set"
    r"|(?P<enc>encores?|e\d?))\s*(?:[:.\-–)]\s*(?P<rest>.*)|(?P<end>))",
    re.IGNORECASE,
)
# headers that only group files ("Disc 1", "CD 2"): they are not sets
_DISC_HEADER = re.compile(r"(?:disc|disk|cd)\s*\d{1,2}\s*[:.]?(?:\s*\(.*\))?", re.IGNORECASE)
# "d1t03", "d1 t03", "101", "t03", "03.", "3)", "03 -" before the title
_PREFIX = re.compile(
    r"(?P<dt>d(?P<disc>\d{1,2})\s*t(?P<track>\d{1,3}))[\s.:)\-]*"
    r"|(?:t|tr|track\s*)?(?P<num>\d{1,3})(?:[.):]|\s+-|\s)\s*",
    re.IGNORECASE,
)
_SEGUE_TAIL = re.compile(r"\s*(?:-+>|=+>|>+|→|»)\s*$")
_SEGUE_SPLIT = re.compile(r"\s+(?:-+>|=+>|>+|→|»)\s+|\s*(?:-+>|=+>|→)\s*")
_TIME = re.compile(r"[\[(]?\s*\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?\s*[\])]?")
_FOOTNOTE = re.compile(r"\s*(?:\*+|#+|\^+|%+|@+|\$+)\s*$")
_PROSE = re.compile(r"(?:[a-z]{2,}[.!?;]\s+\w|^(?:source|lineage|taper|transfer|recorded|notes?|seeded|mics?|encoding|"
                    r"generation|thanks|setlist|set list|comments?|venue|location|date|md5|ffp|shn|flac)\b\s*[:\-])",
                    re.IGNORECASE)
MAX_TITLE = 80
MAX_WORDS = 10


class SetlistLine(NamedTuple):
    """One song (or non-song) in a recording's running order (a tuple: millions are made in a bulk run)."""

    set_label: str  # "1", "2", "3" or "E"
    position: int  # 1-based across the whole show
    title: str  # as written, without prefix, time or segue marks
    segue: bool = False  # flows into the next entry
    disc: int | None = None
    track: int | None = None
    file_name: str = ""
    length: float | None = None


@dataclass(frozen=True)
class AudioTrack:
    """One audio file of an item, as the file list gives it."""

    name: str
    title: str = ""
    track: int | None = None
    length: float | None = None


def clean_text(text: str) -> str:
    """HTML entities unescaped (twice: the archive double-escapes some), tags dropped, line breaks kept."""
    text = text or ""
    if "<" not in text and "&" not in text:  # most text: nothing to unescape
        return text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = _BREAKS.sub("\n", text)
    text = html.unescape(html.unescape(_TAGS.sub("", text)))
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")


def _set_number(match: re.Match) -> str | None:
    if match.group("enc"):
        return ENCORE
    raw = (match.group("n1") or match.group("n2") or "").lower()
    if raw.isdigit():
        return raw
    if raw[:1].isdigit():  # 1st, 2nd
        return raw[0]
    return str(ROMAN.get(raw) or WORDS.get(raw) or "") or None


def _header(line: str) -> tuple[str, str] | None:
    """(set label, song text after the header) when the line is a set header."""
    match = _SET_HEADER.fullmatch(line.strip())
    if not match:
        return None
    if match.group("enc") and match.group("enc").lower().startswith("e") and len(match.group("enc")) <= 2 \
            and match.group("end") is not None:
        return None  # a bare "E" or "E1" with nothing after it is more likely a song than a header
    label = _set_number(match)
    if label is None:
        return None
    return label, (match.group("rest") or "").strip()


def split_segues(text: str) -> list[tuple[str, bool]]:
    """"Scarlet Begonias > Fire On The Mountain ->" -> [("Scarlet Begonias", True), ("Fire On The Mountain", True)]."""
    text = text.strip()
    trailing = bool(_SEGUE_TAIL.search(text))
    text = _SEGUE_TAIL.sub("", text)
    parts = [p.strip() for p in _SEGUE_SPLIT.split(text) if p and p.strip()]
    return [(part, i < len(parts) - 1 or trailing) for i, part in enumerate(parts)]


def _strip_title(text: str) -> str:
    text = _TIME.sub(" ", text)
    text = _FOOTNOTE.sub("", text.strip())
    text = text.strip(" \t-–—:|*")
    return " ".join(text.split())


def _looks_like_song(text: str) -> bool:
    if not text or len(text) > MAX_TITLE or len(text.split()) > MAX_WORDS:
        return False
    if _PROSE.search(text) or text.endswith((".", ",")) and not text.endswith("..."):
        return False
    return any(ch.isalpha() for ch in text)


@dataclass(frozen=True)
class _LineInfo:
    """What one line of text is, independent of the lines around it (so it can be cached: songs repeat)."""

    kind: str  # "disc" (a disc header), "header" (a set header alone), "body"
    label: str | None = None  # the set header on this line, if any
    prefixed: bool = False  # starts with a usable disc/track prefix
    dt: bool = False  # the prefix is d1t03 style
    disc: int | None = None
    track: int | None = None
    titles: tuple[tuple[str, bool], ...] | None = None  # (title, segue) per song; None when not song-like


@lru_cache(maxsize=200_000)
def _line_info(line: str) -> _LineInfo:
    if _DISC_HEADER.fullmatch(line):
        return _LineInfo(kind="disc")
    label = None
    header = _header(line)
    if header is not None:
        label, line = header
        if not line:
            return _LineInfo(kind="header", label=label)
    prefix = _PREFIX.match(line)
    prefixed = bool(prefix and (prefix.group("dt") or _looks_like_song(line[prefix.end():])))
    disc = track = None
    dt = False
    if prefix and prefixed:
        dt = bool(prefix.group("dt"))
        if dt:
            disc, track = int(prefix.group("disc")), int(prefix.group("track"))
        else:
            track = int(prefix.group("num"))
        line = line[prefix.end():]
    titles = tuple((_strip_title(t), segue) for t, segue in split_segues(line))
    song_like = bool(titles) and all(_looks_like_song(t) for t, _ in titles)
    return _LineInfo(kind="body", label=label, prefixed=prefixed, dt=dt, disc=disc, track=track,
                     titles=titles if song_like else None)


def parse_setlist_text(text: str) -> list[SetlistLine]:
    """The running order written in a description or an info file; [] when there is none."""
    lines: list[SetlistLine] = []
    current: str | None = None  # the set being read; None until a header or a track prefix is seen
    in_block = False  # reading consecutive song lines of the current set
    for raw in clean_text(text).split("\n"):
        line = raw.strip()
        if not line:
            continue
        info = _line_info(line[:300])
        if info.kind == "disc":
            in_block = current is not None
            continue
        if info.label is not None:
            current, in_block = info.label, True
        if info.kind == "header":
            continue
        if info.prefixed:
            if current is None and info.dt:
                current = "1"
            in_block = in_block or current is not None
        elif current is None or not in_block:
            continue
        if info.titles is None:
            if current is not None and not info.prefixed:
                in_block = False  # prose ends the set's song list until the next header
            continue
        if current is None:  # numbered lines with no header: one set
            current, in_block = "1", True
        track = info.track
        for title, segue in info.titles:
            lines.append(SetlistLine(set_label=current, position=len(lines) + 1, title=title, segue=segue,
                                     disc=info.disc, track=track))
            track = None  # a second song on the same line has no track of its own
    return lines


def parse_file_titles(tracks: Iterable[AudioTrack]) -> list[SetlistLine]:
    """The running order from the audio files' own title fields, in track order; [] when titles are missing."""
    ordered = sorted(tracks, key=lambda t: (t.track is None, t.track or 0, t.name))
    lines: list[SetlistLine] = []
    for t in ordered:
        if not t.title.strip():
            return []
        title, segue = _file_title(t.title)
        lines.append(SetlistLine(set_label="", position=len(lines) + 1, title=title, segue=segue,
                                 track=t.track, file_name=t.name, length=t.length))
    return lines


@lru_cache(maxsize=100_000)
def _file_title(raw: str) -> tuple[str, bool]:
    """A file's title without segue marks, and whether it segues; "Scarlet > Fire" in one file keeps both names."""
    entries = split_segues(clean_text(raw))
    if not entries:
        return raw.strip(), False
    title = " > ".join(_strip_title(e[0]) for e in entries) if len(entries) > 1 else _strip_title(entries[0][0])
    return title or raw.strip(), entries[-1][1]


_DISC_TRACK_IN_NAME = re.compile(r"d(\d{1,2})[ _.-]?t(\d{1,3})", re.IGNORECASE)


def disc_track_of(name: str) -> tuple[int, int] | None:
    """(disc, track) from a file name like gd77-04-23d1t03.flac."""
    match = _DISC_TRACK_IN_NAME.search(name.rsplit("/", 1)[-1])
    return (int(match.group(1)), int(match.group(2))) if match else None


def attach_files(lines: Sequence[SetlistLine], tracks: Sequence[AudioTrack]) -> list[SetlistLine]:
    """Gives text lines their audio file: by d1t03 prefix when both carry one, else by position when counts agree."""
    by_dt = {dt: t for t in tracks if (dt := disc_track_of(t.name))}
    ordered = sorted(tracks, key=lambda t: (t.track is None, t.track or 0, t.name))
    positional = len(ordered) == len(lines)
    out = []
    for i, line in enumerate(lines):
        match = by_dt.get((line.disc, line.track)) if line.disc is not None and line.track is not None else None
        if match is None and positional:
            match = ordered[i]
        if match is None:
            out.append(line)
            continue
        out.append(line._replace(file_name=match.name, length=match.length))
    return out
