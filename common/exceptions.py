"""Domain exceptions that adapters map to responses once (API handlers, page views)."""
from __future__ import annotations


class StylusError(Exception):
    status_code = 400
    default_detail = "Bad request."

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail or self.default_detail
        super().__init__(self.detail)


class InvalidInput(StylusError):
    status_code = 422
    default_detail = "Invalid input."

    def __init__(self, detail: str | None = None, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.field = field


class NotFound(StylusError):
    status_code = 404
    default_detail = "Not found."


class Forbidden(StylusError):
    status_code = 403
    default_detail = "You do not have permission to do that."


class Conflict(StylusError):
    status_code = 409
    default_detail = "Conflict."


class QuotaExceeded(StylusError):
    status_code = 413
    default_detail = "Storage quota exceeded."


class ServiceUnavailable(StylusError):
    """An upstream service is blocking us or down and nothing is stored to serve instead."""

    status_code = 503
    default_detail = "The upstream service is unavailable right now."

    def __init__(self, detail: str | None = None, *, retry_after: int = 60) -> None:
        super().__init__(detail)
        self.retry_after = int(retry_after)


def upstream_response(exc: Exception) -> tuple[int, str, int | None]:
    """(status, detail, retry_after) for an integrations.errors exception reaching a view."""
    from integrations.errors import AuthFailed, InvalidRequest, NotConfigured, TransientError
    from integrations.errors import NotFound as UpstreamNotFound

    service = (getattr(exc, "service", "") or "the upstream service").replace("_", " ")
    if isinstance(exc, InvalidRequest):
        # The input made a URL no client can send (a stray newline or scheme): the caller's mistake.
        return 422, f"That identifier or address cannot be looked up on {service}.", None
    if isinstance(exc, NotConfigured):
        return 503, f"{service} is not configured on this server: {exc}", None
    if isinstance(exc, TransientError):
        retry_after = int(exc.retry_after) if exc.retry_after else 60
        return 503, f"{service} is unavailable right now; try again later.", max(1, retry_after)
    if isinstance(exc, UpstreamNotFound):
        return 404, f"Not found on {service}.", None
    if isinstance(exc, AuthFailed):
        return 502, f"{service} rejected our credentials or denied access.", None
    return 502, f"{service} returned an answer we could not use.", None


class TooManyRequests(StylusError):
    """A budget is spent (failed logins, say); retry_after says when there is room again."""

    status_code = 429
    default_detail = "Too many requests."

    def __init__(self, detail: str | None = None, *, retry_after: int = 60) -> None:
        super().__init__(detail)
        self.retry_after = max(1, int(retry_after))
