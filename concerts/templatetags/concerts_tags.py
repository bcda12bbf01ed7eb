"""Template helpers for concert pages."""
from __future__ import annotations

from html import escape
from typing import Any

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from ..audio_quality import clock

register = template.Library()


@register.simple_tag
def performance_rows(performances: list[dict[str, Any]]) -> SafeString:
    """The song page's table rows, built in one pass; every value goes through html.escape (quotes too).

    A song can have thousands of performances: the template engine, or Django's lazy-aware escape(), costs
    tens of µs a row, plain f-strings and the standard library's escape a few.
    """
    concert_url = reverse("concerts:detail", args=[0])[:-2]  # "/concerts/" + id + "/"
    rows = []
    for p in performances:
        segues = " · ".join(part for part in ("&gt; in" if p["segue_in"] else "", "out &gt;" if p["segue_out"] else "")
                            if part) + (" (reprise)" if p["reprise"] else "")
        play = (f'<button type="button" class="button small" data-play-recording="{escape(p["identifier"])}" '
                f'data-play-file="{escape(p["file_name"])}" aria-label="Play {escape(p["date"])}">▶ Play</button>'
                if p["file_name"] else "")
        rows.append(
            f'<tr><td><a href="{concert_url}{int(p["concert_id"])}/">{escape(p["date"])}</a></td>'
            f'<td>{escape(p["venue"])} <span class="muted small">{escape(p["location"])}</span></td>'
            f'<td>{escape(p["set"])}</td><td>{clock(p["length"]) if p["length"] else "—"}</td>'
            f'<td class="small">{segues}</td><td>{play}</td></tr>')
    return mark_safe("\n".join(rows))  # noqa: S308 - built above from escaped values only
