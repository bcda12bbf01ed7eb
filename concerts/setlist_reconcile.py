"""Pure reconciliation of a recording's setlist sources: audio file titles, the info .txt, the description.

File titles, where every audio file has one, are the truth for which song each track holds; the text
sources give the set each song belongs to and its segues. Whatever the sources disagree on is returned as
notes, never silently dropped.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from rapidfuzz import fuzz

from .setlist_parse import AudioTrack, SetlistLine, attach_files, parse_file_titles, parse_setlist_text
from .song_match import MATCH_CUTOFF, normalise_title


@dataclass(frozen=True)
class Reconciled:
    lines: list[SetlistLine]
    source: str  # "files", "info", "description" or "" when there is no setlist
    notes: list[dict]


def _keys(lines: Sequence[SetlistLine]) -> list[str]:
    return [normalise_title(line.title).key for line in lines]


def _unify(base: list[str], other: list[str]) -> list[str]:
    """`other` with each key replaced by the base key it nearly equals ("minglewood blues" for "new minglewood blues")."""
    known = set(base)
    out = []
    for key in other:
        if key in known or not base:
            out.append(key)
            continue
        best = max(base, key=lambda b: fuzz.ratio(key, b))
        out.append(best if fuzz.ratio(key, best) >= MATCH_CUTOFF else key)
    return out


def align(base: Sequence[SetlistLine], text: Sequence[SetlistLine]) -> tuple[list[SetlistLine], list[dict]]:
    """Base lines (from files) given sets and segues from text lines; notes where the two differ."""
    base_keys, text_keys = _keys(base), _keys(text)
    matcher = SequenceMatcher(None, base_keys, _unify(base_keys, text_keys), autojunk=False)
    pairs: dict[int, int] = {}
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            pairs[block.a + k] = block.b + k
    notes: list[dict] = []
    out: list[SetlistLine] = []
    label = next((text[pairs[i]].set_label for i in range(len(base)) if i in pairs), "1")
    for i, line in enumerate(base):
        if i in pairs:
            other = text[pairs[i]]
            label = other.set_label
            if text_keys[pairs[i]] != base_keys[i]:
                notes.append({"kind": "title", "files": line.title, "text": other.title})
            if other.segue != line.segue:
                notes.append({"kind": "segue", "title": line.title, "files": line.segue, "text": other.segue})
            out.append(line._replace(set_label=label, segue=line.segue or other.segue))
        else:
            notes.append({"kind": "only_in_files", "title": line.title})
            out.append(line._replace(set_label=label))
    matched = set(pairs.values())
    notes += [{"kind": "only_in_text", "title": line.title} for j, line in enumerate(text) if j not in matched]
    return out, notes


def reconcile(*, tracks: Sequence[AudioTrack], description: str = "", info_text: str = "") -> Reconciled:
    """One recording's setlist from all three sources (see the module docstring)."""
    from_files = parse_file_titles(tracks)
    from_info = parse_setlist_text(info_text) if info_text else []
    from_description = parse_setlist_text(description) if description else []
    text, text_source = (from_info, "info") if from_info else (from_description, "description")
    if from_files:
        if not text:
            return Reconciled(lines=[line._replace(set_label="1") for line in from_files], source="files", notes=[])
        lines, notes = align(from_files, text)
        return Reconciled(lines=lines, source="files", notes=notes)
    if text:
        return Reconciled(lines=attach_files(text, tracks), source=text_source, notes=[])
    return Reconciled(lines=[], source="", notes=[])


def set_name(label: str) -> str:
    """"1" -> "Set 1", "E" -> "Encore"."""
    if label == "E":
        return "Encore"
    return f"Set {label}" if label else ""
