"""An inline cover placeholder for things with no stored cover (live Spotify candidates): never a hot-linked image."""
from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from common.covers import placeholder_svg

register = template.Library()


@register.simple_tag
def cover_placeholder(key: str, title: object) -> SafeString:
    """The initials of ``title`` on the colour of ``key``, as inline SVG."""
    # placeholder_svg escapes the title; the rest of the markup is fixed.
    return mark_safe(placeholder_svg(key=key, title=str(title or "")))  # noqa: S308
