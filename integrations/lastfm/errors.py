"""Last.fm error codes (last.fm/api/errorcodes) mapped onto transient or permanent integration errors."""
from __future__ import annotations

from integrations.errors import AuthFailed, IntegrationError, PermanentError, RateLimited, TransientError

# 11 service offline, 16 temporarily unavailable, 8 operation failed (backend hiccup): worth retrying.
TRANSIENT_CODES = {8, 11, 16}
RATE_LIMIT_CODES = {29}
# 4 invalid/used auth token, 9 invalid session key, 10 invalid API key, 14 token not authorised, 26 key suspended.
AUTH_CODES = {4, 9, 10, 14, 15, 26}


class SessionInvalid(AuthFailed):
    """The session key or auth token was refused: the user must connect Last.fm again."""


def error_for(code: int, message: str, status: int | None) -> IntegrationError:
    text = f"Last.fm error {code}: {message}"
    if code in RATE_LIMIT_CODES:
        return RateLimited(text, service="lastfm", status=status)
    if code in TRANSIENT_CODES:
        return TransientError(text, service="lastfm", status=status)
    if code in AUTH_CODES:
        return SessionInvalid(text, service="lastfm", status=status)
    return PermanentError(text, service="lastfm", status=status)
