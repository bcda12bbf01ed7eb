"""Errors every integration client raises. Each says whether retrying can help."""
from __future__ import annotations

from collections.abc import Mapping


class IntegrationError(Exception):
    transient = False

    def __init__(self, message: str, *, service: str = "", status: int | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.service = service
        self.status = status
        # the refusing answer's headers, for callers that pass some on (a 416's Content-Range gives the length)
        self.headers: Mapping[str, str] = headers or {}


class TransientError(IntegrationError):
    """Timeouts, dropped connections, 5xx, 429: worth retrying later."""

    transient = True

    def __init__(self, message: str, *, service: str = "", status: int | None = None, retry_after: float | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message, service=service, status=status, headers=headers)
        self.retry_after = retry_after


class RateLimited(TransientError):
    """429, or our own budget is spent. retry_after says when to come back."""


class PermanentError(IntegrationError):
    """4xx and malformed answers: retrying the same request will not help."""


class NotFound(PermanentError):
    pass


class AuthFailed(PermanentError):
    """401/403: credentials missing, rejected or lacking access."""


class MalformedResponse(PermanentError):
    """The service answered, but not with what we can parse."""


class InvalidRequest(PermanentError):
    """Our request could not even be sent (an invalid URL, an unsupported scheme): the input is at fault."""


class NotConfigured(PermanentError):
    """The integration has no credentials configured; the UI should say so."""
