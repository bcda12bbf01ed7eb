"""Discogs-specific errors, each a transient or permanent integration error."""
from __future__ import annotations

from integrations.errors import AuthFailed, NotFound, PermanentError


class TokenRejected(AuthFailed):
    """Discogs answered 401/403: the personal access token is wrong, expired or revoked."""


class PageOutOfRange(NotFound):
    """A paged endpoint was asked for a page past its last one ("Page 4 is outside of valid range")."""


class ScrapingDisabled(PermanentError):
    """Marketplace listings come from the public web pages, and DISCOGS_MARKETPLACE_SCRAPING is off."""
