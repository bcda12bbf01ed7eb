"""The one wrapped HTTP client every integration builds on.

It sets a timeout and a User-Agent, spaces requests to a host by `min_interval`, retries only
transient failures (connect/read errors, 429, 5xx) with exponential backoff and jitter, honours
Retry-After, and turns everything else into typed permanent errors. No other module imports httpx.

It imports nothing of Stylus's own: timings go to a hook (`set_timing_hook`, installed by common),
and a web request caps how long it may wait on an upstream (`inline_wait_cap`, set by common's
middleware), so a visitor gets a 503 with Retry-After at once while background jobs do the waiting.
"""
from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Protocol

import httpx
from django.conf import settings

from .errors import (
    AuthFailed,
    IntegrationError,
    InvalidRequest,
    MalformedResponse,
    NotFound,
    PermanentError,
    RateLimited,
    TransientError,
)

log = logging.getLogger(__name__)

_host_locks: dict[str, threading.Lock] = {}
_host_last: dict[str, float] = {}
_registry_lock = threading.Lock()


class TimingHook(Protocol):
    def __call__(self, *, name: str, duration: float, ok: bool = True) -> None: ...


_timing_hook: TimingHook | None = None


def set_timing_hook(hook: TimingHook | None) -> None:
    """Where each request's duration goes (`name` is "<service>.http"); common installs its metrics."""
    global _timing_hook
    _timing_hook = hook


def _timed(name: str, start: float, *, ok: bool) -> None:
    if _timing_hook is not None:
        _timing_hook(name=name, duration=time.perf_counter() - start, ok=ok)


# Seconds this context may spend waiting on upstreams (Retry-After and backoff, summed); None = no cap
# beyond INTEGRATION_MAX_INLINE_WAIT. Web requests set it (common.middleware); Celery tasks leave it unset.
_wait_cap: ContextVar[float | None] = ContextVar("integrations_wait_cap", default=None)


@contextmanager
def inline_wait_cap(seconds: float) -> Iterator[None]:
    """Within this block no client sleeps more than `seconds` in all before giving up with the error."""
    token = _wait_cap.set(seconds)
    try:
        yield
    finally:
        _wait_cap.reset(token)


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def error_for_status(status: int, headers: Mapping[str, str], *, service: str, what: str) -> IntegrationError | None:
    """The typed error for an HTTP answer (None below 400), carrying its headers: the one mapping for every client."""
    if status < 400:
        return None
    text = f"{service} answered {status} for {what}"
    if status == 429 or status >= 500:
        kind = RateLimited if status == 429 else TransientError
        return kind(text, service=service, status=status, retry_after=parse_retry_after(headers.get("Retry-After")),
                    headers=headers)
    kinds: dict[int, type[PermanentError]] = {404: NotFound, 401: AuthFailed, 403: AuthFailed}
    return kinds.get(status, PermanentError)(text, service=service, status=status, headers=headers)


class HttpClient:
    def __init__(
        self,
        *,
        service: str,
        base_url: str,
        min_interval: float = 0.0,
        timeout: float | None = None,
        max_retries: int | None = None,
        headers: dict[str, str] | None = None,
        before_request: Callable[[], None] | None = None,
        after_response: Callable[[httpx.Response], None] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.service = service
        self.base_url = base_url.rstrip("/")
        self.min_interval = min_interval
        self.max_retries = settings.INTEGRATION_MAX_RETRIES if max_retries is None else max_retries
        self.before_request = before_request  # e.g. a shared rate limiter's acquire()
        self.after_response = after_response  # e.g. read rate-limit headers
        timeout = settings.INTEGRATION_TIMEOUT if timeout is None else timeout
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            headers={"User-Agent": settings.STYLUS_USER_AGENT, **(headers or {})},
            follow_redirects=True,
            transport=transport,
        )

    def close(self) -> None:
        self._client.close()

    # -- politeness ----------------------------------------------------------------------------
    def _wait_turn(self) -> None:
        if self.min_interval <= 0:
            return
        host = httpx.URL(self.base_url).host
        with _registry_lock:
            lock = _host_locks.setdefault(host, threading.Lock())
        with lock:
            wait = _host_last.get(host, 0.0) + self.min_interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            _host_last[host] = time.monotonic()

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}/{path.lstrip('/')}"

    # -- requests ------------------------------------------------------------------------------
    def _classify(self, response: httpx.Response) -> IntegrationError | None:
        return error_for_status(response.status_code, response.headers, service=self.service,
                                what=response.request.url.path)

    def _sleep_before_retry(self, attempt: int, error: TransientError, waited: float) -> float:
        """Sleeps before the next attempt and returns the time slept; raises `error` instead when the
        wait would pass what this context may spend (a web request's cap, or INTEGRATION_MAX_INLINE_WAIT)."""
        base = settings.INTEGRATION_BACKOFF_BASE * (2 ** attempt)
        delay = error.retry_after if error.retry_after is not None else base
        delay = delay + random.uniform(0, base / 2)  # jitter spreads out retries from many workers
        if error.retry_after is not None and error.retry_after > settings.INTEGRATION_MAX_INLINE_WAIT:
            raise error  # too long to block a worker: the caller reschedules
        cap = _wait_cap.get()
        if cap is not None and waited + (error.retry_after or 0.0) > cap:
            raise error  # a visitor is waiting: answer now (503 + Retry-After) rather than hold the request
        delay = min(delay, max(float(settings.INTEGRATION_MAX_INLINE_WAIT), float(settings.INTEGRATION_BACKOFF_BASE)))
        if cap is not None:
            delay = min(delay, cap - waited)
        time.sleep(delay)
        return float(delay)

    def request(self, method: str, path: str, *, raise_for_status: bool = True, **kwargs: Any) -> httpx.Response:
        """One request with retries on transient errors. Raises typed errors for the rest."""
        url = self.url(path)
        attempt = 0
        waited = 0.0
        name = f"{self.service}.http"
        while True:
            self._wait_turn()
            if self.before_request:
                self.before_request()
            start = time.perf_counter()
            try:
                response = self._client.request(method, url, **kwargs)
            except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
                # Our request, not the upstream, is wrong (an identifier that made a bad URL): never retried.
                raise InvalidRequest(f"{self.service}: invalid URL: {exc}", service=self.service) from exc
            except httpx.TimeoutException as exc:
                error: IntegrationError | None = TransientError(f"{self.service} timed out: {exc}", service=self.service)
            except httpx.TransportError as exc:
                error = TransientError(f"{self.service} unreachable: {exc.__class__.__name__}", service=self.service)
            else:
                if self.after_response:
                    self.after_response(response)
                error = self._classify(response) if raise_for_status else None
                if error is None:
                    _timed(name, start, ok=True)
                    return response
            _timed(name, start, ok=False)
            assert error is not None  # nosec B101: every path that reaches here set one (for the type checker)
            if not error.transient or attempt >= self.max_retries:
                raise error
            log.info("%s: transient error (%s), retry %s/%s", self.service, error, attempt + 1, self.max_retries)
            waited += self._sleep_before_retry(attempt, error, waited)  # type: ignore[arg-type]
            attempt += 1

    def get_json(self, path: str, **kwargs: Any) -> Any:
        response = self.request("GET", path, **kwargs)
        try:
            return response.json()
        except ValueError as exc:
            raise MalformedResponse(f"{self.service} returned invalid JSON for {path}", service=self.service) from exc

    def get_text(self, path: str, **kwargs: Any) -> str:
        return self.request("GET", path, **kwargs).text

    @contextmanager
    def stream(self, method: str, path: str, **kwargs: Any) -> Iterator[httpx.Response]:
        """A streaming response (no automatic retries: the caller resumes with Range)."""
        self._wait_turn()
        if self.before_request:
            self.before_request()
        try:
            with self._client.stream(method, self.url(path), **kwargs) as response:
                error = self._classify(response)
                if error is not None:
                    raise error
                yield response
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise InvalidRequest(f"{self.service}: invalid URL: {exc}", service=self.service) from exc
        except httpx.TimeoutException as exc:
            raise TransientError(f"{self.service} timed out: {exc}", service=self.service) from exc
        except httpx.TransportError as exc:
            raise TransientError(f"{self.service} connection dropped: {exc.__class__.__name__}", service=self.service) from exc
