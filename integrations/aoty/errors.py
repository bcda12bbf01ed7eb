"""AOTY-specific errors. Each says whether retrying can help."""
from __future__ import annotations

from integrations.errors import IntegrationError, MalformedResponse, PermanentError


class AotyBlocked(IntegrationError):
    """AOTY answered with a Cloudflare challenge or a 403: automated access is blocked right now.

    Not transient in the retry-at-once sense: callers serve stored data and try again after
    `retry_after` seconds. We never try to get around the block.
    """

    def __init__(self, message: str = "AOTY is blocking automated access right now", *, status: int | None = None,
                 retry_after: int = 900) -> None:
        super().__init__(message, service="aoty", status=status)
        self.retry_after = retry_after


class AotyDisallowed(PermanentError):
    """robots.txt disallows the path: we do not fetch it."""


class AotyParseError(MalformedResponse):
    """The page's structure is not recognised (AOTY changed its markup, or a truncated page)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, service="aoty")
