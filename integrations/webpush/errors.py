"""Web Push errors: a subscription the push service no longer knows is permanent (the browser unsubscribed)."""
from __future__ import annotations

from integrations.errors import PermanentError


class SubscriptionGone(PermanentError):
    """404/410 from the push service: the subscription expired or was revoked; stop using it."""
