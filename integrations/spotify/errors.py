"""Spotify-specific errors. The generic ones (AuthFailed, NotFound, RateLimited, TransientError,
NotConfigured) come from integrations.errors and are re-exported here for convenience."""
from __future__ import annotations

from integrations.errors import (
    AuthFailed,
    IntegrationError,
    MalformedResponse,
    NotConfigured,
    NotFound,
    PermanentError,
    RateLimited,
    TransientError,
)

__all__ = [
    "AuthFailed", "EndpointForbidden", "IntegrationError", "InvalidSpotifyLink", "MalformedResponse", "NotConfigured",
    "NotFound", "PermanentError", "RateLimited", "TransientError",
]


class InvalidSpotifyLink(ValueError):
    """The text is not a Spotify track/playlist/album link or URI we accept (the API answers 422)."""

    def __init__(self, message: str, *, field: str = "url") -> None:
        super().__init__(message)
        self.field = field


class EndpointForbidden(AuthFailed):
    """403: this app may not use the endpoint (audio-features and friends since 2024-11-27)."""
