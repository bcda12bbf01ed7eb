"""Platform pages: home, health, error pages and the staff dashboard."""
from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.middleware import HtmxDetails

from . import selectors, services
from .metrics import metrics
from .models import FailedJob


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "common/home.html", {"cards": selectors.home_cards(user=request.user)})


class HtmxHttpRequest(HttpRequest):
    """A request that went through django-htmx's middleware (django-htmx's documented typing pattern)."""

    htmx: HtmxDetails


@require_GET
def search(request: HtmxHttpRequest) -> HttpResponse:
    """The header search: grouped results as you type (partial), or a full page without JavaScript."""
    query = request.GET.get("q", "")
    groups = selectors.global_search(user=request.user, query=query)
    if len(query.strip()) >= 2:
        services.search_log_record(section="global", query=query, user=request.user)
    template = "common/search.html#results" if request.htmx else "common/search.html"
    return render(request, template, {"q": query, "groups": groups})


def _check(fn: Callable[[], dict[str, Any] | None]) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        detail = fn()
        return {"ok": True, "ms": round((time.perf_counter() - start) * 1000, 1), **(detail or {})}
    except Exception as exc:
        return {"ok": False, "error": f"{exc.__class__.__name__}: {exc}"[:200]}


def _database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"vendor": connection.vendor}


def _cache() -> dict[str, Any]:
    backend: Any = cache._cache if hasattr(cache, "_cache") else cache  # the FallbackCache behind the proxy
    status = getattr(backend, "status", "memory")
    if status != "memory":
        backend.ping()
        status = backend.status
    cache.set("health:probe", "1", 10)
    if status == "memory-fallback":
        raise ConnectionError("Redis unreachable; serving from the in-memory fallback")
    return {"tier": status}


def _redis_ping(url: str) -> None:
    import redis

    redis.Redis.from_url(url, socket_connect_timeout=0.25, socket_timeout=0.5).ping()


def _broker() -> dict[str, Any]:
    if settings.STYLUS_EMBEDDED:
        from . import embedded

        return {"transport": "memory (in-process worker)", "worker": embedded._worker is not None}
    _redis_ping(settings.CELERY_BROKER_URL)
    return {"transport": "redis"}


def _channel_layer() -> dict[str, Any]:
    backend = settings.CHANNEL_LAYERS["default"]["BACKEND"]
    if "Redis" in backend:
        _redis_ping(settings.REDIS_URL)
        return {"backend": "redis"}
    return {"backend": "in-memory"}


def operator_access(request: HttpRequest) -> bool:
    """Staff, or a scraper sending `Authorization: Bearer <METRICS_TOKEN>` (compared in constant time)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_staff:
        return True
    expected = settings.METRICS_TOKEN
    scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
    return bool(expected) and scheme.lower() == "bearer" and hmac.compare_digest(sent.strip().encode(), expected.encode())


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Database is required (503 when down); Redis-backed parts down means degraded, still 200.

    Everyone gets the status (load balancers, uptime checks); which part failed, and how, is for
    staff and the metrics token only: it names internals an attacker would like to know.
    """
    checks = {
        "database": _check(_database),
        "cache": _check(_cache),
        "broker": _check(_broker),
        "channel_layer": _check(_channel_layer),
    }
    required_ok = checks["database"]["ok"]
    all_ok = all(c["ok"] for c in checks.values())
    status = "ok" if all_ok else ("degraded" if required_ok else "down")
    body: dict[str, Any] = {"status": status}
    if operator_access(request):
        body["checks"] = checks
    return JsonResponse(body, status=200 if required_ok else 503)


@never_cache
@require_GET
def prometheus_metrics(request: HttpRequest) -> HttpResponse:
    """django-prometheus's exposition, for staff and for a scraper holding METRICS_TOKEN."""
    if not operator_access(request):
        response = HttpResponse("Metrics are for staff or a scraper with METRICS_TOKEN.\n", status=401,
                                content_type="text/plain; charset=utf-8")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    from django_prometheus.exports import ExportToDjangoView

    exported: HttpResponse = ExportToDjangoView(request)
    return exported


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Internal server error."}, status=500)
    # No template context processors here: the database may be what failed.
    from django.template import loader

    return HttpResponse(loader.get_template("500.html").render({}), status=500)


@staff_member_required
@require_GET
def staff_dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "common/staff_dashboard.html", {"stats": selectors.staff_statistics()})


@staff_member_required
@require_GET
def staff_metrics(request: HtmxHttpRequest) -> HttpResponse:
    template = "common/staff_metrics.html#metrics" if request.htmx else "common/staff_metrics.html"
    return render(request, template, {"m": metrics.snapshot()})


@staff_member_required
@require_GET
def failed_jobs(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "open")
    jobs = FailedJob.objects.all() if show == "all" else FailedJob.objects.filter(resolved_at__isnull=True)
    return render(request, "common/failed_jobs.html", {"jobs": jobs[:200], "show": show})


@staff_member_required
@require_POST
def failed_job_retry(request: HttpRequest, pk: int) -> HttpResponse:
    failed = get_object_or_404(FailedJob, pk=pk)
    services.failed_job_retry(failed_job=failed)
    messages.success(request, f"Re-queued {failed.task_name}.")
    return redirect("common:failed_jobs")


def bench_bare(request: HttpRequest) -> JsonResponse:
    """The baseline for bench/bench_platform.py (mounted only when STYLUS_BENCH_VIEWS is set)."""
    return JsonResponse({"catalogue": {"albums": 1}, "generated_at": "now"})
