"""API plumbing shared by every router: auth, throttles, pagination, and error mapping.

Every error leaves as {"detail": ...}. Validation errors are 422 with per-field details.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, cast

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, RequestDataTooBig
from django.db import DataError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI, Router, Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, Throttled, ValidationError
from ninja.pagination import PageNumberPagination
from ninja.security import HttpBearer, SessionAuth
from ninja.throttling import BaseThrottle, SimpleRateThrottle
from PIL.Image import DecompressionBombError

from integrations.errors import IntegrationError

from .cache import FallbackCache
from .exceptions import InvalidInput, ServiceUnavailable, StylusError, TooManyRequests, upstream_response
from .metrics import metrics
from .schemas import DetailOut, errors
from .types import AuthUser

log = logging.getLogger(__name__)


# -- auth ------------------------------------------------------------------------------------
# The shared revocation epoch: bumped by every revocation, deactivation and password change (accounts),
# read by the throttle's one round trip below, so a credential remembered in this process is re-checked
# on its next use after any of those, in every process.
AUTH_EPOCH_KEY = "auth:epoch"

_resolve_bearer: Callable[[str], AuthUser | None] | None = None
_remembered_bearer: Callable[[str], tuple[AuthUser, int] | None] | None = None


def register_bearer_auth(*, resolve: Callable[[str], AuthUser | None],
                         remembered: Callable[[str], tuple[AuthUser, int] | None]) -> None:
    """Installs the token checks (accounts does, in its AppConfig.ready): common imports no app.

    `resolve(token)` checks a token fully; `remembered(token)` answers from process memory with no I/O,
    as (user, epoch checked in), or None.
    """
    global _resolve_bearer, _remembered_bearer
    _resolve_bearer, _remembered_bearer = resolve, remembered


def _bearer_user(token: str) -> AuthUser | None:
    if _resolve_bearer is None:
        raise ImproperlyConfigured("No bearer token check registered (the accounts app registers one).")
    return _resolve_bearer(token)


class BearerAuth(HttpBearer):
    """Personal API tokens (`sty_...`) and JWT access tokens. A bad token is 401, never anonymous.

    A token this process checked a moment ago is taken from memory with no round trip; the throttle,
    whose one Redis round trip also reads the revocation epoch, re-checks it if the epoch has moved
    (every API operation is throttled: config/api.py sets the default).
    """

    def authenticate(self, request: HttpRequest, token: str) -> AuthUser:
        remembered = _remembered_bearer(token) if _remembered_bearer is not None else None
        if remembered is not None:
            user, epoch = remembered
            request._stylus_bearer = (token, epoch)  # type: ignore[attr-defined]
        else:
            found = _bearer_user(token)
            if found is None:
                raise AuthenticationError()
            user = found
        request.user = user
        return user


def _bearer_recheck(request: HttpRequest, epoch: int) -> bool:
    """False when a credential taken from memory was revoked since (the epoch moved and it no longer checks out)."""
    pending = getattr(request, "_stylus_bearer", None)
    if pending is None:
        return True
    request._stylus_bearer = None  # type: ignore[attr-defined]
    token, seen = pending
    if epoch == seen:
        return True
    user = _bearer_user(token)
    if user is None:
        request._stylus_bearer_revoked = True  # type: ignore[attr-defined]
        return False
    request.user = request.auth = user  # type: ignore[attr-defined]
    return True


class _Anonymous:
    """Lets public operations run for anonymous callers while still recognising logged-in ones."""

    def __call__(self, request: HttpRequest) -> str:
        return "anonymous"


class StaffOnly(SessionAuth):
    def authenticate(self, request: HttpRequest, key: str | None) -> AuthUser | None:
        user = request.user
        return user if isinstance(user, AuthUser) and user.is_authenticated and user.is_staff else None


class StaffBearer(BearerAuth):
    def authenticate(self, request: HttpRequest, token: str) -> AuthUser:
        user = super().authenticate(request, token)
        if not user.is_staff:
            raise AuthorizationError()
        return user


# Use these on operations: `auth=auth_required` for private data, `auth=auth_optional` for public.
auth_required = [BearerAuth(), SessionAuth()]
auth_optional = [BearerAuth(), SessionAuth(), _Anonymous()]
auth_staff = [StaffBearer(), StaffOnly()]


def request_user(request: HttpRequest) -> AuthUser | None:
    """The authenticated user for an API request, or None."""
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


# -- throttling --------------------------------------------------------------------------------
class ClientRateThrottle(SimpleRateThrottle):
    """Per client (the user when authenticated, else the IP), `rate` like "30/m".

    A sliding window estimated from two fixed-window counters: the previous window's count, weighted
    by how much of it still overlaps the last `duration` seconds, plus the current one. That is one
    Redis round trip per request (INCR, EXPIRE and GET in a pipeline), atomic when requests race, and
    O(1). ninja's SimpleRateThrottle instead reads and rewrites the list of every request's timestamp
    in the window: two round trips, work that grows with the traffic, and lost updates under races.
    Refused requests count too, so a client that keeps hammering stays refused. Endpoints with the
    same rate share one budget per client; ninja adds Retry-After from wait() on 429.
    """

    scope = "client"

    def __init__(self, rate: str) -> None:
        super().__init__(rate)  # ninja's parsing of "30/m" into num_requests and duration; its storage is not used
        self._last = threading.local()  # one instance serves every request of an operation, in many threads

    def allow_request(self, request: HttpRequest) -> bool:
        user = request_user(request)
        ident = f"u{user.pk}" if user else self.get_ident(request)
        now = time.time()
        duration, allowed = int(self.duration or 1), int(self.num_requests or 0)  # set by the rate parsing
        window, into = divmod(now, duration)
        base = f"throttle:{self.scope}:{allowed}/{duration}:{ident}"
        tiers = cast(FallbackCache, cache)  # settings.CACHES names ours (incr_and_get is not Django's API)
        current, previous, epoch = tiers.incr_and_get(f"{base}:{int(window)}", f"{base}:{int(window) - 1}",
                                                      timeout=2 * duration, also=AUTH_EPOCH_KEY)
        if not _bearer_recheck(request, epoch):
            self._last.wait = None  # refused as revoked (401, see the Throttled handler), not as too many
            return False
        elapsed = into / duration
        if previous * (1 - elapsed) + current <= allowed:
            return True
        # The wait until one more request fits, if the client sends nothing meanwhile.
        room = allowed - current - 1
        if room >= 0 and previous:
            wait = duration * (1 - room / previous) - into  # still in this window
        else:
            wait = (duration - into) + duration * max(0.0, 1 - (allowed - 1) / current)
        self._last.wait = max(1.0, wait)
        return False

    def wait(self) -> float | None:
        return getattr(self._last, "wait", None)


def external_throttle() -> list[BaseThrottle]:
    """Throttle for operations that may call an external service (default 30/minute per client)."""
    return [ClientRateThrottle(settings.API_EXTERNAL_RATE)]


# -- pagination --------------------------------------------------------------------------------
class Pagination(PageNumberPagination):
    class Input(Schema):
        page: int = 1
        page_size: int = 20

    # The largest row offset a database takes (SQLite and PostgreSQL: a signed 64-bit integer).
    MAX_OFFSET = 2**63 - 1

    def paginate_queryset(self, queryset: QuerySet[Any, Any], pagination: Input,  # type: ignore[override]
                          **params: Any) -> Any:
        # ninja passes request among **params; its own Input is this one's base in all but name.
        if pagination.page < 1:
            raise InvalidInput("page must be 1 or more.", field="page")
        if not 1 <= pagination.page_size <= 100:
            raise InvalidInput("page_size must be between 1 and 100.", field="page_size")
        if pagination.page * pagination.page_size > self.MAX_OFFSET:
            raise InvalidInput("page is out of range.", field="page")
        self.page_size = pagination.page_size
        return super().paginate_queryset(queryset, pagination, **params)  # type: ignore[arg-type]


# -- errors ------------------------------------------------------------------------------------
def _detail(request: HttpRequest, api: NinjaAPI, status: int, detail: Any, **extra: Any) -> HttpResponse:
    metrics.record_error(kind=f"http_{status}")
    return api.create_response(request, {"detail": detail, **extra}, status=status)


def install_exception_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(ValidationError)
    def validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [
            {"loc": [str(p) for p in e.get("loc", [])], "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors
        ]
        return _detail(request, api, 422, errors)

    @api.exception_handler(StylusError)
    def stylus(request: HttpRequest, exc: StylusError) -> HttpResponse:
        field = getattr(exc, "field", None)
        if exc.status_code == 422 and field:
            return _detail(request, api, 422, [{"loc": ["body", field], "msg": exc.detail, "type": "value_error"}])
        response = _detail(request, api, exc.status_code, exc.detail)
        if isinstance(exc, ServiceUnavailable | TooManyRequests):
            response["Retry-After"] = str(exc.retry_after)
        return response

    @api.exception_handler(Throttled)
    def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        if getattr(request, "_stylus_bearer_revoked", False):
            # The throttle found the remembered bearer token revoked (BearerAuth): a 401, as if checked afresh.
            return unauthenticated(request, exc)
        return _detail(request, api, 429, "Too many requests.")

    @api.exception_handler(IntegrationError)
    def upstream(request: HttpRequest, exc: IntegrationError) -> HttpResponse:
        # One mapping for every client's typed errors, so no operation turns an upstream
        # failure into a 500: transient -> 503 + Retry-After, unknown upstream object -> 404,
        # anything else the upstream did wrong -> 502.
        status, detail, retry_after = upstream_response(exc)
        response = _detail(request, api, status, detail)
        if retry_after is not None:
            response["Retry-After"] = str(retry_after)
        return response

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
        response = _detail(request, api, 401, "Authentication required: send a valid Bearer token or log in.")
        response["WWW-Authenticate"] = "Bearer"
        return response

    @api.exception_handler(AuthorizationError)
    def forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
        return _detail(request, api, 403, "You do not have permission to do that.")

    @api.exception_handler(PermissionDenied)
    def permission_denied(request: HttpRequest, exc: Exception) -> HttpResponse:
        return _detail(request, api, 403, str(exc) or "You do not have permission to do that.")

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        message = str(exc)
        return _detail(request, api, 404, message if message and "matches the given query" not in message else "Not found.")

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: Exception) -> HttpResponse:
        return _detail(request, api, 413, "Request body too large.")

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return _detail(request, api, exc.status_code, str(exc))

    @api.exception_handler(MultiPartParserError)
    def bad_multipart(request: HttpRequest, exc: Exception) -> HttpResponse:
        return _detail(request, api, 400, "Malformed multipart body.")

    @api.exception_handler(DecompressionBombError)
    def image_bomb(request: HttpRequest, exc: Exception) -> HttpResponse:
        return _detail(request, api, 400, "That image is too large to open (too many pixels).")

    @api.exception_handler(OverflowError)
    def overflow(request: HttpRequest, exc: Exception) -> HttpResponse:
        return _detail(request, api, 422, "A number in the request is out of range.")

    @api.exception_handler(DataError)
    def data_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        # Values the database refuses (e.g. an id beyond bigint): bad input, not a server fault.
        return _detail(request, api, 422, "A value in the request is out of range for this field.")

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        # Bodies that are not JSON surface as parse errors inside ninja; everything else is ours.
        if exc.__class__.__name__ in ("ParseError", "JSONDecodeError", "UnicodeDecodeError"):
            return _detail(request, api, 400, "Malformed request body: expected valid JSON.")
        log.exception("Unhandled API error")
        return _detail(request, api, 500, "Internal server error.")


# -- the platform's own operations ------------------------------------------------------------
router = Router(tags=["Platform"])


class MetricsOut(Schema):
    total_requests: int
    avg_response_ms: float
    max_response_ms: float
    cache_hits: int
    cache_misses: int
    cache_hit_rate: float
    errors: dict[str, int]
    endpoints: dict[str, dict[str, float]]
    timings: dict[str, dict[str, float]]


class SummaryOut(Schema):
    catalogue: dict[str, int]
    generated_at: str


@router.get("/summary", response={200: SummaryOut, **errors(401, 429)}, auth=auth_optional,
            throttle=[ClientRateThrottle(settings.API_DEFAULT_RATE)], summary="Public catalogue counts (cached for a minute)")
def summary(request: HttpRequest) -> HttpResponse:
    from .selectors import catalogue_summary

    global _summary_rendered
    data = catalogue_summary()
    rendered = _summary_rendered
    if rendered is None or rendered[0] is not data:
        rendered = (data, SummaryOut.model_validate(data).model_dump_json().encode())
        _summary_rendered = rendered
    return HttpResponse(rendered[1], content_type="application/json")


# The summary's JSON, rendered (and checked against SummaryOut) once per memo the selector hands out: while it
# hands back the same dict (a few seconds), every answer is these bytes, with no validation or encoding.
_summary_rendered: tuple[dict[str, Any], bytes] | None = None


@router.get("/metrics", response={200: MetricsOut, **errors(401, 403, 429)}, auth=auth_staff,
            summary="Request, cache and error metrics (staff)")
def metrics_get(request: HttpRequest) -> dict[str, Any]:
    return metrics.snapshot()


@router.post("/metrics/reset", response={200: DetailOut, **errors(401, 403, 429)}, auth=auth_staff,
             summary="Reset the metrics (staff)")
def metrics_reset(request: HttpRequest) -> dict[str, str]:
    metrics.reset()
    return {"detail": "Metrics reset."}
