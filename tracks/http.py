"""The typed request of the tracks pages (django-htmx's documented typing pattern)."""
from __future__ import annotations

from common.types import AuthUser
from common.views import HtmxHttpRequest


class AuthedHttpRequest(HtmxHttpRequest):
    """A request behind login_required: its user is signed in, and django-htmx has set `htmx`."""

    user: AuthUser
