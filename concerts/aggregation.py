"""Pure helpers of the aggregation: Relisten-style date cleaning, consensus, and recording ranking."""
from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2}|xx|\?\?))?(?:-(\d{1,2}|xx|\?\?))?$", re.IGNORECASE)


@dataclass(frozen=True)
class CleanDate:
    text: str  # YYYY-MM-DD, 00 for an unknown month or day
    date: dt.date | None  # None when partial
    year: int


def clean_date(raw: str | None) -> CleanDate | None:
    """A concert date as Relisten cleans it, or None when missing or impossible.

    "1997-20-05" has day and month swapped -> 1997-05-20; "1997-00-05" and "1997-XX-XX" are kept as
    partial dates; "2009-09-31" does not exist and is rejected; "1997-05-20T00:00:00Z" is trimmed.
    """
    if not raw:
        return None
    text = str(raw).strip()
    if "T" in text[8:] or " " in text:
        text = re.split(r"[T ]", text, maxsplit=1)[0]
    match = _DATE.match(text)
    if not match:
        return None
    year = int(match.group(1))
    month = _part(match.group(2))
    day = _part(match.group(3))
    if month > 12 and 1 <= day <= 12:  # day and month swapped
        month, day = day, month
    if not 1800 <= year <= dt.date.today().year + 1 or month > 12 or day > 31:
        return None
    if month == 0 or day == 0:
        if month and day == 0:
            return CleanDate(f"{year:04d}-{month:02d}-00", None, year)
        if month == 0 and day and day > 31:
            return None
        return CleanDate(f"{year:04d}-{month:02d}-{day:02d}", None, year)
    try:
        date = dt.date(year, month, day)
    except ValueError:
        return None
    return CleanDate(date.isoformat(), date, year)


def _part(value: str | None) -> int:
    if value is None or not value.isdigit():
        return 0
    return int(value)


def artist_key(name: str) -> str:
    return " ".join((name or "").casefold().split())


def consensus(values: Iterable[str]) -> str:
    """The most common non-empty value (compared case-insensitively); ties go to the first seen."""
    cleaned = [" ".join(v.split()) for v in values if v and v.strip()]
    if not cleaned:
        return ""
    first = cleaned[0]
    if all(v == first for v in cleaned):  # the usual case, one spelling: nothing to count
        return first
    counts = Counter(v.casefold() for v in cleaned)
    best = max(counts.values())
    for value in cleaned:
        if counts[value.casefold()] == best:
            return value
    return cleaned[0]


# -- ranking ------------------------------------------------------------------------------------
SOUNDBOARD_BONUS = 0.5
LOSSLESS_BONUS = 0.25


def weighted_rating(*, avg: float | None, n: int, avg_all: float) -> float:
    """Relisten's weighted rating: (n·avg + ln(n+1)·avg_all) / (n + ln(n+1) + 1).

    With no reviews it is 0, so a rated recording ranks above an unrated one.
    """
    if not n or avg is None:
        return 0.0
    k = math.log(n + 1)
    return (n * avg + k * avg_all) / (n + k + 1)


def recording_score(*, avg: float | None, n: int, avg_all: float, soundboard: bool, lossless: bool) -> float:
    """Weighted rating plus a bonus for a soundboard source and one for a lossless format."""
    score = weighted_rating(avg=avg, n=n, avg_all=avg_all)
    return round(score + (SOUNDBOARD_BONUS if soundboard else 0.0) + (LOSSLESS_BONUS if lossless else 0.0), 6)


SOURCE_NAMES = {"SBD": "soundboard", "MTX": "matrix", "AUD": "audience", "FM": "FM broadcast"}


def best_reason(*, source_type: str, soundboard: bool, format: str, avg: float | None, n: int) -> str:
    """Why a recording is the best: "soundboard, FLAC, 4.6★ from 12 reviews"."""
    parts = []
    if soundboard and source_type in ("", "SBD", "MTX"):
        parts.append("soundboard" if source_type != "MTX" else "matrix with soundboard")
    elif source_type:
        parts.append(SOURCE_NAMES.get(source_type, source_type))
    if format:
        parts.append("FLAC" if "flac" in format.lower() else format)
    if n and avg is not None:
        parts.append(f"{avg:.1f}★ from {n} review{'s' if n != 1 else ''}")
    else:
        parts.append("no reviews yet")
    return ", ".join(parts)
