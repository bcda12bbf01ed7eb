"""Internet Archive specific errors."""
from __future__ import annotations

from integrations.errors import NotFound, PermanentError


class InvalidIdentifier(PermanentError):
    """The identifier breaks the archive's identifier rules; no request was made."""


class ItemUnavailable(NotFound):
    """The archive answered `{}` for the item: dark, removed or never existed."""
