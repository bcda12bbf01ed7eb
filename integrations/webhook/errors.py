"""Webhook errors: an address we refuse to call is permanent (the user must change it)."""
from __future__ import annotations

from integrations.errors import PermanentError


class UnsafeURL(PermanentError):
    """Not https, or the host resolves to a private, loopback, link-local or otherwise non-public address."""
