"""Fetching AOTY pages: a Playwright fetcher (the default) and a plain HTTP one (tests, no browser).

Both space requests to the host by AOTY_MIN_INTERVAL, respect robots.txt, time out, retry
transient failures with backoff and jitter, and raise AotyBlocked on a Cloudflare challenge or
a 403. Neither tries to get around a block.

Playwright: one Chromium per worker process, driven through Playwright's async API on one event
loop that runs in a dedicated thread of that process. Callers in any thread (Celery's threads
pool, Django's sync views under ASGI, a test that itself runs Playwright) hand it a coroutine and
wait. Each page gets a fresh browser context. The loop starts lazily, after a prefork worker has
forked, and is keyed by pid so a forked child never reuses its parent's browser.
"""
from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import logging
import os
import random
import threading
import time
import urllib.robotparser
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from integrations.errors import NotConfigured, NotFound, PermanentError, RateLimited, TransientError
from integrations.http import HttpClient, parse_retry_after

from . import hooks
from .errors import AotyBlocked, AotyDisallowed
from .parser import looks_like_challenge

log = logging.getLogger(__name__)


@dataclass
class FetchedPage:
    url: str
    status: int
    html: str


def classify(*, url: str, status: int, html: str, headers: dict[str, str] | None = None) -> None:
    """Raises the typed error a response stands for; returns quietly for a usable page."""
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    path = urlsplit(url).path
    challenged = headers.get("cf-mitigated") == "challenge" or looks_like_challenge(html or "")
    if status == 403 or (challenged and status in (200, 403, 503, 429)):
        raise AotyBlocked(f"AOTY blocked automated access to {path} ({status}{', challenge' if challenged else ''})",
                          status=status, retry_after=int(settings.AOTY_BLOCK_COOLDOWN))
    if status == 404:
        raise NotFound(f"AOTY has no page at {path}", service="aoty", status=status)
    if status == 429:
        raise RateLimited(f"AOTY rate-limited {path}", service="aoty", status=status,
                          retry_after=parse_retry_after(headers.get("retry-after")))
    if status >= 500:
        raise TransientError(f"AOTY answered {status} for {path}", service="aoty", status=status,
                             retry_after=parse_retry_after(headers.get("retry-after")))
    if status >= 400:
        raise PermanentError(f"AOTY answered {status} for {path}", service="aoty", status=status)


# -- politeness and robots.txt, shared by both fetchers within a process ---------------------------
_polite_lock = threading.Lock()
_polite_last: dict[str, float] = {}


def wait_turn(host: str, min_interval: float) -> None:
    """Spaces requests to `host` by at least min_interval seconds across this process's threads.

    The interval runs from the end of the previous request (see turn_done), so a slow answer
    never lets the next request follow it closely.
    """
    if min_interval <= 0:
        return
    with _polite_lock:
        wait = _polite_last.get(host, 0.0) + min_interval - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        _polite_last[host] = time.monotonic()


def turn_done(host: str) -> None:
    with _polite_lock:
        _polite_last[host] = max(_polite_last.get(host, 0.0), time.monotonic())


class RobotsPolicy:
    """robots.txt for the AOTY base URL, read once per process and kept for AOTY_ROBOTS_TTL seconds.

    A missing robots.txt (4xx) allows everything (RFC 9309); an unreachable one is retried next time.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._parsers: dict[str, tuple[float, urllib.robotparser.RobotFileParser | None]] = {}

    def reset(self) -> None:
        with self._lock:
            self._parsers.clear()

    def _load(self, base_url: str) -> urllib.robotparser.RobotFileParser | None:
        client = HttpClient(service="aoty.robots", base_url=base_url, max_retries=0,
                            timeout=min(5.0, settings.INTEGRATION_TIMEOUT))
        try:
            response = client.request("GET", "/robots.txt", raise_for_status=False)
        except TransientError:
            return None
        finally:
            client.close()
        if response.status_code >= 400 or looks_like_challenge(response.text):
            return None  # no rules (a challenged robots.txt says nothing either way)
        parser = urllib.robotparser.RobotFileParser()
        parser.parse(response.text.splitlines())
        return parser

    def allowed(self, url: str) -> bool:
        if not settings.AOTY_RESPECT_ROBOTS:
            return True
        parts = urlsplit(url)
        base = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            cached = self._parsers.get(base)
            if cached is None or cached[0] < time.monotonic():
                cached = (time.monotonic() + settings.AOTY_ROBOTS_TTL, self._load(base))
                self._parsers[base] = cached
        parser = cached[1]
        return True if parser is None else parser.can_fetch(settings.STYLUS_USER_AGENT.split("/")[0], url)


robots = RobotsPolicy()


def _retrying(fetch_once, url: str) -> FetchedPage:
    attempt = 0
    while True:
        try:
            return fetch_once()
        except TransientError as error:
            if attempt >= settings.INTEGRATION_MAX_RETRIES:
                raise
            base = settings.INTEGRATION_BACKOFF_BASE * (2 ** attempt)
            delay = error.retry_after if error.retry_after is not None else base
            if delay > settings.INTEGRATION_MAX_INLINE_WAIT:
                raise  # too long to hold a worker: the caller reschedules
            log.info("aoty: transient error on %s (%s), retry %s", url, error, attempt + 1)
            time.sleep(delay + random.uniform(0, base / 2))
            attempt += 1


class Fetcher:
    name = "base"

    def fetch(self, url: str) -> FetchedPage:
        """GETs an absolute URL: the page, or a typed error (AotyBlocked, NotFound, TransientError, ...)."""
        if not robots.allowed(url):
            raise AotyDisallowed(f"robots.txt disallows {urlsplit(url).path}", service="aoty")
        start = time.perf_counter()
        ok = False
        try:
            page = _retrying(lambda: self._fetch_once(url), url)
            ok = True
            return page
        finally:
            hooks.record_timing(name=f"aoty.fetch.{self.name}", duration=time.perf_counter() - start, ok=ok)

    def post_form(self, url: str, data: dict[str, str]) -> FetchedPage:
        """POSTs a form (AOTY's side requests, e.g. scripts/moreStatsAlbum.php) with the same rules as fetch()."""
        if not robots.allowed(url):
            raise AotyDisallowed(f"robots.txt disallows {urlsplit(url).path}", service="aoty")
        start = time.perf_counter()
        ok = False
        try:
            page = _retrying(lambda: self._post_once(url, data), url)
            ok = True
            return page
        finally:
            hooks.record_timing(name=f"aoty.fetch.{self.name}", duration=time.perf_counter() - start, ok=ok)

    def _fetch_once(self, url: str) -> FetchedPage:
        raise NotImplementedError

    def _post_once(self, url: str, data: dict[str, str]) -> FetchedPage:
        raise NotImplementedError

    def close(self) -> None:
        pass


class HttpFetcher(Fetcher):
    """Plain HTTP through the platform's HttpClient (no JavaScript, so no challenge can be passed either)."""

    name = "http"

    def __init__(self) -> None:
        self._clients: dict[str, HttpClient] = {}

    def _client(self, url: str) -> HttpClient:
        parts = urlsplit(url)
        base = f"{parts.scheme}://{parts.netloc}"
        if base not in self._clients:
            # Retries happen in Fetcher.fetch (so a challenge is never retried); politeness too.
            self._clients[base] = HttpClient(service="aoty", base_url=base, max_retries=0,
                                             timeout=settings.AOTY_TIMEOUT,
                                             headers={"Accept": "text/html,application/xhtml+xml"})
        return self._clients[base]

    def _fetch_once(self, url: str) -> FetchedPage:
        client = self._client(url)  # built before taking our turn, so the spacing is between requests
        host = urlsplit(url).netloc
        wait_turn(host, settings.AOTY_MIN_INTERVAL)
        try:
            response = client.request("GET", url, raise_for_status=False)
        finally:
            turn_done(host)
        html = response.text
        classify(url=url, status=response.status_code, html=html, headers=dict(response.headers))
        return FetchedPage(url=str(response.url), status=response.status_code, html=html)

    def _post_once(self, url: str, data: dict[str, str]) -> FetchedPage:
        client = self._client(url)
        host = urlsplit(url).netloc
        wait_turn(host, settings.AOTY_MIN_INTERVAL)
        try:
            response = client.request("POST", url, data=data, raise_for_status=False,
                                      headers={"X-Requested-With": "XMLHttpRequest"})
        finally:
            turn_done(host)
        classify(url=url, status=response.status_code, html=response.text, headers=dict(response.headers))
        return FetchedPage(url=str(response.url), status=response.status_code, html=response.text)

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()


async def _only_documents(route) -> None:
    if route.request.resource_type == "document":
        await route.continue_()
    else:
        await route.abort()


class _BrowserLoop:
    """One Chromium and one asyncio loop (in its own thread) for this process."""

    def __init__(self, *, concurrency: int) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="aoty-browser", daemon=True)
        self._thread.start()
        self._playwright = None
        self._browser = None
        self._semaphore: asyncio.Semaphore | None = None
        self._concurrency = concurrency
        self.launches = 0

    def _run(self, coro, timeout: float):
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError as exc:
            future.cancel()
            raise TransientError("AOTY's browser did not answer in time", service="aoty") from exc

    async def _ensure(self):
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self._concurrency)
        if self._browser is None or not self._browser.is_connected():
            try:
                from playwright.async_api import Error as PlaywrightError
                from playwright.async_api import async_playwright
            except ImportError as exc:
                raise NotConfigured("Playwright is not installed: set AOTY_FETCHER=http", service="aoty") from exc
            start = time.perf_counter()
            try:
                if self._playwright is None:
                    self._playwright = await async_playwright().start()
                self._browser = await self._playwright.chromium.launch(
                    executable_path=settings.AOTY_CHROMIUM_PATH or None, args=list(settings.AOTY_CHROMIUM_ARGS), headless=True,
                )
            except PlaywrightError as exc:
                hooks.record_timing(name="aoty.browser.launch", duration=time.perf_counter() - start, ok=False)
                raise NotConfigured(f"Chromium could not be started ({str(exc).splitlines()[0][:160]}); "
                                    "install it or set AOTY_FETCHER=http", service="aoty") from exc
            self.launches += 1
            hooks.record_timing(name="aoty.browser.launch", duration=time.perf_counter() - start)
        return self._browser

    async def _fetch(self, url: str, timeout_ms: int) -> FetchedPage:
        from playwright.async_api import Error as PlaywrightError
        from playwright.async_api import TimeoutError as PlaywrightTimeout

        browser = await self._ensure()
        async with self._semaphore:
            start = time.perf_counter()
            # AOTY renders its content server-side, so JavaScript stays off: less work, no ads, and
            # (deliberately) no attempt to run a Cloudflare challenge; the challenge page is detected instead.
            context = await browser.new_context(user_agent=settings.STYLUS_USER_AGENT, java_script_enabled=False)
            # Only the HTML document is needed: images, styles, fonts, scripts and ads are never fetched.
            await context.route("**/*", _only_documents)
            ok = False
            try:
                page = await context.new_page()
                page.set_default_timeout(timeout_ms)
                try:
                    # The HTML as the server sent it is what the parsers need. Waiting only for the
                    # navigation to commit and then reading the response body skips the wait for Blink's
                    # parse and the DOM serialisation of page.content(): bench_albums measured 537-571
                    # against 634-672 ms per page. With JavaScript off the DOM equals the source anyway.
                    response = await page.goto(url, wait_until="commit", timeout=timeout_ms)
                    if response is None:
                        raise TransientError(f"AOTY gave no response for {urlsplit(url).path}", service="aoty")
                    left = max(0.1, timeout_ms / 1000 - (time.perf_counter() - start))
                    html = await asyncio.wait_for(response.text(), timeout=left)
                except (TimeoutError, PlaywrightTimeout) as exc:
                    raise TransientError(f"AOTY timed out loading {urlsplit(url).path}", service="aoty") from exc
                except PlaywrightError as exc:
                    raise TransientError(f"AOTY unreachable: {str(exc).splitlines()[0][:200]}", service="aoty") from exc
                status = response.status
                headers = await response.all_headers()
                classify(url=url, status=status, html=html, headers=headers)
                ok = True
                return FetchedPage(url=page.url, status=status, html=html)
            finally:
                await context.close()
                hooks.record_timing(name="aoty.browser.page", duration=time.perf_counter() - start, ok=ok)

    def fetch(self, url: str, timeout: float) -> FetchedPage:
        return self._run(self._fetch(url, int(timeout * 1000)), timeout + 30)

    async def _post(self, url: str, data: dict[str, str], timeout_ms: int) -> FetchedPage:
        from playwright.async_api import Error as PlaywrightError

        browser = await self._ensure()
        async with self._semaphore:
            context = await browser.new_context(user_agent=settings.STYLUS_USER_AGENT)
            try:
                try:
                    response = await context.request.post(url, form=data, timeout=timeout_ms,
                                                           headers={"X-Requested-With": "XMLHttpRequest"})
                except PlaywrightError as exc:
                    raise TransientError(f"AOTY unreachable: {str(exc).splitlines()[0][:200]}", service="aoty") from exc
                html = await response.text()
                classify(url=url, status=response.status, html=html, headers=response.headers)
                return FetchedPage(url=url, status=response.status, html=html)
            finally:
                await context.close()

    def post(self, url: str, data: dict[str, str], timeout: float) -> FetchedPage:
        return self._run(self._post(url, data, int(timeout * 1000)), timeout + 30)

    async def _close(self) -> None:
        if self._browser is not None:
            await self._browser.close()
        if self._playwright is not None:
            await self._playwright.stop()
        self._browser = self._playwright = None

    def close(self) -> None:
        if self.pid != os.getpid() or not self.loop.is_running():
            return
        try:
            self._run(self._close(), 15)
        except Exception:  # shutting down anyway
            log.debug("aoty browser close failed", exc_info=True)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)


_shared: _BrowserLoop | None = None
_shared_lock = threading.Lock()


def shared_browser() -> _BrowserLoop:
    """This process's browser loop, started on first use (after any fork)."""
    global _shared
    with _shared_lock:
        if _shared is None or _shared.pid != os.getpid():
            _shared = _BrowserLoop(concurrency=settings.AOTY_CONCURRENCY)
        return _shared


@atexit.register
def _close_shared() -> None:
    if _shared is not None:
        _shared.close()


class PlaywrightFetcher(Fetcher):
    """Chromium through Playwright: the shared per-process browser, a new context per page.

    shared=False launches a browser for every page; it exists only so the benchmark can show
    what sharing saves.
    """

    name = "playwright"

    def __init__(self, *, shared: bool = True) -> None:
        self.shared = shared

    def _fetch_once(self, url: str) -> FetchedPage:
        host = urlsplit(url).netloc
        wait_turn(host, settings.AOTY_MIN_INTERVAL)
        try:
            if self.shared:
                return shared_browser().fetch(url, settings.AOTY_TIMEOUT)
            loop = _BrowserLoop(concurrency=1)
            try:
                return loop.fetch(url, settings.AOTY_TIMEOUT)
            finally:
                loop.close()
        finally:
            turn_done(host)


    def _post_once(self, url: str, data: dict[str, str]) -> FetchedPage:
        host = urlsplit(url).netloc
        wait_turn(host, settings.AOTY_MIN_INTERVAL)
        try:
            return shared_browser().post(url, data, settings.AOTY_TIMEOUT)
        finally:
            turn_done(host)


def get_fetcher(name: str | None = None) -> Fetcher:
    """The fetcher AOTY_FETCHER selects: "playwright" (default) or "http"."""
    name = (name or settings.AOTY_FETCHER or "playwright").lower()
    if name == "http":
        return HttpFetcher()
    if name == "playwright":
        return PlaywrightFetcher()
    raise ValueError(f"AOTY_FETCHER must be 'playwright' or 'http', not {name!r}")
