"""The typed request of the recommend pages and admin views (django-htmx's documented typing pattern)."""
from __future__ import annotations

from common.types import AuthUser
from common.views import HtmxHttpRequest


class AuthedHttpRequest(HtmxHttpRequest):
    """A request behind login_required, staff_member_required or the admin site: its user is signed in."""

    user: AuthUser
