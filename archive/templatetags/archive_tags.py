"""Template filters for the archive and concerts pages."""
from __future__ import annotations

from urllib.parse import urlencode

from django import template

register = template.Library()

_SHORT = {"Flac": "FLAC", "24bit Flac": "FLAC24", "VBR MP3": "MP3", "Ogg Vorbis": "OGG", "Shorten": "SHN"}


@register.filter
def urlencode_params(params: dict) -> str:
    return urlencode({k: v for k, v in (params or {}).items() if v not in ("", None)})


@register.filter
def formats_summary(formats) -> str:
    """The audio formats of a search result, short: "FLAC · MP3 · OGG"."""
    return " · ".join(dict.fromkeys(_SHORT[f] for f in formats or () if f in _SHORT))


@register.filter
def duration(seconds) -> str:
    """Seconds as m:ss or h:mm:ss."""
    try:
        total = int(round(float(seconds)))
    except (TypeError, ValueError):
        return ""
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def get_item(mapping, key):
    return (mapping or {}).get(key)


@register.filter
def cut_leading_slash(value: str) -> str:
    return str(value).lstrip("/")
