"""Request IDs on every log line and response, and the seed's request metrics."""
from __future__ import annotations

import re
import time
import uuid

from django.middleware.gzip import GZipMiddleware as DjangoGZipMiddleware
from django.utils.deprecation import MiddlewareMixin

from .logging import request_id_var
from .metrics import metrics

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware(MiddlewareMixin):
    def process_request(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request._request_id_token = request_id_var.set(request.request_id)

    def process_response(self, request, response):
        rid = getattr(request, "request_id", None)
        if rid:
            response["X-Request-ID"] = rid
        token = getattr(request, "_request_id_token", None)
        if token is not None:
            request_id_var.reset(token)
        return response


class MetricsMiddleware(MiddlewareMixin):
    """Counts requests per endpoint (URL route, not raw path) with timings and error types."""

    def process_request(self, request):
        request._metrics_start = time.perf_counter()

    def process_exception(self, request, exception):
        request._metrics_error = exception.__class__.__name__

    def process_response(self, request, response):
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

    def process_exception(self, request, exception):
        from django.db import DataError
        from django.shortcuts import render

        from integrations.errors import IntegrationError

        from .exceptions import upstream_response

        if isinstance(exception, OverflowError | DataError):
            # An id no row can have (beyond bigint): the page does not exist.
            return render(request, "404.html", status=404)
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

    def process_response(self, request, response):
        if response.status_code == 206 or response.get("Content-Type", "").startswith(self.SKIP_TYPES):
            return response
        return super().process_response(request, response)
