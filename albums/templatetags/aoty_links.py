"""Template filters for scraped data: only http(s) links are rendered, never javascript: or data:."""
from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from common.covers import placeholder_svg
from integrations.aoty.parser import http_url

register = template.Library()


@register.filter(name="http_url")
def http_url_filter(value: object) -> str:
    """The URL when it is http(s), else "" (so `{% if link|http_url %}` hides the link)."""
    return http_url(value if isinstance(value, str) else "")


@register.simple_tag
def cover_placeholder(kind: str, ident: object, title: str) -> SafeString:
    """An inline placeholder picture (initials on a colour from "<kind>:<ident>") instead of a hot-linked image."""
    # placeholder_svg escapes the title; the rest of the markup is fixed.
    return mark_safe(placeholder_svg(key=f"{kind}:{ident}", title=title or ""))  # noqa: S308
