"""ListenBrainz-specific errors, each a transient or permanent integration error."""
from __future__ import annotations

from integrations.errors import AuthFailed


class TokenInvalid(AuthFailed):
    """The user token was refused (401, or validate-token said valid: false)."""
