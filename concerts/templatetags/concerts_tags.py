"""Template helpers for concert pages."""
from __future__ import annotations

import re
from html import escape
from typing import Any

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from ..audio_quality import clock

register = template.Library()
_SPECIAL = re.compile(r"[&<>\"']")
_SEGUES = {(False, False): "", (True, False): "&gt; in", (False, True): "out &gt;", (True, True): "&gt; in · out &gt;"}


def _escaped(value: str) -> str:
    # html.escape is five str.replace passes; most dates, venues and file names hold none of its characters,
    # and one regex scan that finds none is several times cheaper (a song page escapes ~10,000 values).
    return escape(value) if _SPECIAL.search(value) else value


@register.simple_tag
def performance_rows(performances: list[dict[str, Any]]) -> SafeString:
    """The song page's table rows, built in one pass; every value goes through html.escape (quotes too).

    A song can have thousands of performances: the template engine, or Django's lazy-aware escape(), costs
    tens of µs a row, plain f-strings and the standard library's escape a few.
    """
    concert_url = reverse("concerts:detail", args=[0])[:-2]  # "/concerts/" + id + "/"
    rows = []
    for p in performances:
        segues = _SEGUES[bool(p["segue_in"]), bool(p["segue_out"])] + (" (reprise)" if p["reprise"] else "")
        date = _escaped(p["date"])
        play = (f'<button type="button" class="button small" data-play-recording="{_escaped(p["identifier"])}" '
                f'data-play-file="{_escaped(p["file_name"])}" aria-label="Play {date}">▶ Play</button>'
                if p["file_name"] else "")
        rows.append(
            f'<tr><td><a href="{concert_url}{int(p["concert_id"])}/">{date}</a></td>'
            f'<td>{_escaped(p["venue"])} <span class="muted small">{_escaped(p["location"])}</span></td>'
            f'<td>{_escaped(p["set"])}</td><td>{clock(p["length"]) if p["length"] else "—"}</td>'
            f'<td class="small">{segues}</td><td>{play}</td></tr>')
    return mark_safe("\n".join(rows))  # noqa: S308 - built above from escaped values only
