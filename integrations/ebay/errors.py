"""eBay-specific errors."""
from __future__ import annotations

from integrations.errors import AuthFailed, PermanentError


class BudgetExhausted(PermanentError):
    """Today's eBay call budget is spent: the run stops cleanly and says so."""

    def __init__(self, message: str, *, used: int, budget: int) -> None:
        super().__init__(message, service="ebay")
        self.used = used
        self.budget = budget


class CredentialsRejected(AuthFailed):
    """eBay refused the application's client id and secret."""
