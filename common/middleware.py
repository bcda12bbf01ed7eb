"""Request IDs on every log line and response, request metrics, and the guards every request passes."""
from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.http.multipartparser import MultiPartParser
from django.middleware.gzip import GZipMiddleware as DjangoGZipMiddleware
from django.shortcuts import render
from django.utils.deprecation import MiddlewareMixin
from django.utils.http import parse_header_parameters

from integrations.http import inline_wait_cap

from .logging import request_id_var
from .metrics import metrics

_SAFE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class RequestIdMiddleware(MiddlewareMixin):
    def process_request(self, request: HttpRequest) -> None:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        request._request_id_token = request_id_var.set(request_id)  # type: ignore[attr-defined]

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        rid = getattr(request, "request_id", None)
        if rid:
            response["X-Request-ID"] = rid
        token = getattr(request, "_request_id_token", None)
        if token is not None:
            request_id_var.reset(token)
        return response


class MetricsMiddleware(MiddlewareMixin):
    """Counts requests per endpoint (URL route, not raw path) with timings and error types."""

    def process_request(self, request: HttpRequest) -> None:
        request._metrics_start = time.perf_counter()  # type: ignore[attr-defined]

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        request._metrics_error = exception.__class__.__name__  # type: ignore[attr-defined]

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        start = getattr(request, "_metrics_start", None)
        if start is None or request.path.startswith(("/static/", "/metrics")):
            return response
        match = getattr(request, "resolver_match", None)
        route = f"{request.method} /{match.route}" if match and match.route else f"{request.method} (unmatched)"
        error = getattr(request, "_metrics_error", None)
        if error is None and response.status_code >= 500:
            error = f"http_{response.status_code}"
        metrics.record_request(endpoint=route, status=response.status_code, duration=time.perf_counter() - start, error=error)
        return response


class UpstreamErrorMiddleware(MiddlewareMixin):
    """Pages: an integration error that escapes a view becomes a friendly page, never a 500."""

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from django.db import DataError
        from PIL.Image import DecompressionBombError

        from integrations.errors import IntegrationError

        from .exceptions import upstream_response

        if isinstance(exception, OverflowError | DataError):
            # An id no row can have (beyond bigint): the page does not exist.
            return render(request, "404.html", status=404)
        if isinstance(exception, DecompressionBombError):
            return bad_request(request, "That image is too large to open (too many pixels).")
        if not isinstance(exception, IntegrationError):
            return None
        status, detail, retry_after = upstream_response(exception)
        response = render(request, "upstream_error.html", {"detail": detail, "status": status}, status=status)
        if retry_after is not None:
            response["Retry-After"] = str(retry_after)
        return response


class GZipMiddleware(DjangoGZipMiddleware):
    """Django's gzip, minus bodies that are compressed already or sent in ranges.

    Audio, images and archives do not shrink, and gzipping a stream drops its Content-Length (no progress
    bar, no size) and breaks byte ranges: a 206 body must be the raw bytes its Content-Range names.
    """

    SKIP_TYPES = ("audio/", "video/", "image/png", "image/jpeg", "image/gif", "image/webp", "image/avif",
                  "application/zip", "application/gzip", "application/x-7z-compressed", "application/x-rar",
                  "application/octet-stream")

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if response.status_code == 206 or response.get("Content-Type", "").startswith(self.SKIP_TYPES):
            return response
        return super().process_response(request, response)


def bad_request(request: HttpRequest, detail: str, *, status: int = 400) -> HttpResponse:
    """The one 4xx answer for input we cannot use: {"detail"} on the API, a human page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": detail}, status=status)
    return render(request, "common/bad_request.html", {"detail": detail}, status=status)


class RequestGuardMiddleware:
    """Early checks on every request, before anything reads its body.

    - A multipart body without a usable boundary is a 400 here; Django's parser would raise inside the
      CSRF check, outside any view, and answer 500.
    - Upstream waits are capped for the length of the request (integrations.http.inline_wait_cap): a
      visitor gets a 503 with Retry-After at once instead of a request held for an upstream's Retry-After.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        content_type = request.META.get("CONTENT_TYPE", "")
        if content_type.lower().startswith("multipart/"):
            _, options = parse_header_parameters(content_type)
            boundary = options.get("boundary", "")
            if not boundary or not MultiPartParser.boundary_re.fullmatch(boundary):
                return bad_request(request, "Malformed multipart body: the Content-Type has no valid boundary.")
        with inline_wait_cap(settings.INTEGRATION_MAX_WEB_WAIT):
            return self.get_response(request)
