"""Fetching AOTY pages: a Playwright fetcher (the default) and a plain HTTP one (tests, no browser).

Both space requests to the host by AOTY_MIN_INTERVAL, respect robots.txt, time out, retry
transient failures with backoff and jitter, and raise AotyBlocked on a Cloudflare challenge or
a 403. Neither tries to get around a block.

Playwright: one Chromium per worker process with a pool of warm pages in one long-lived context,
driven on a loop of its own (browser.py: AOTY_BROWSER_PAGES, AOTY_PAGE_RECYCLE, AOTY_FETCH_MODE).
The pool starts lazily, after a prefork worker has forked, and is keyed by pid so a forked child
never reuses its parent's browser.
"""
from __future__ import annotations

import atexit
import logging
import os
import random
import threading
import time
import urllib.robotparser
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings

from integrations.errors import NotConfigured, NotFound, PermanentError, RateLimited, TransientError
from integrations.http import HttpClient, parse_retry_after

from . import hooks
from .browser import BrowserPool, FetchedPage
from .errors import AotyBlocked, AotyDisallowed
from .parser import looks_like_challenge

log = logging.getLogger(__name__)
FETCH_MODES = ("request", "navigate")  # AOTY_FETCH_MODE


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


def _retrying(fetch_once: Callable[[], FetchedPage], url: str) -> FetchedPage:
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


_shared: BrowserPool | None = None
_shared_lock = threading.Lock()


def shared_browser() -> BrowserPool:
    """This process's browser pool, started on first use (after any fork)."""
    global _shared
    with _shared_lock:
        if _shared is None or _shared.pid != os.getpid():
            _shared = BrowserPool(pages=settings.AOTY_BROWSER_PAGES, recycle=settings.AOTY_PAGE_RECYCLE)
        return _shared


def shared_browser_reset() -> None:
    """Closes this process's pool (tests that change the pool settings, and shutdown)."""
    global _shared
    with _shared_lock:
        pool, _shared = _shared, None
    if pool is not None:
        pool.close()


@atexit.register
def _close_shared() -> None:
    if _shared is not None:
        _shared.close()


class PlaywrightFetcher(Fetcher):
    """Chromium through Playwright: the shared per-process pool of warm pages (see browser.py).

    shared=False launches a browser for every page; it exists only so the benchmark can show
    what the pool saves.
    """

    name = "playwright"

    def __init__(self, *, shared: bool = True) -> None:
        self.shared = shared

    def _fetch_once(self, url: str) -> FetchedPage:
        mode = settings.AOTY_FETCH_MODE
        if mode not in FETCH_MODES:  # a typo must not quietly turn the request path off
            raise NotConfigured(f"AOTY_FETCH_MODE must be one of {', '.join(FETCH_MODES)}, not {mode!r}", service="aoty")
        host = urlsplit(url).netloc
        wait_turn(host, settings.AOTY_MIN_INTERVAL)
        try:
            if self.shared:
                page = shared_browser().fetch(url, settings.AOTY_TIMEOUT, mode=mode)
            else:
                pool = BrowserPool(pages=1, recycle=1)
                try:
                    page = pool.fetch(url, settings.AOTY_TIMEOUT, mode="navigate")
                finally:
                    pool.close()
        finally:
            turn_done(host)
        classify(url=url, status=page.status, html=page.html, headers=page.headers)
        return page

    def _post_once(self, url: str, data: dict[str, str]) -> FetchedPage:
        host = urlsplit(url).netloc
        wait_turn(host, settings.AOTY_MIN_INTERVAL)
        try:
            page = shared_browser().post(url, data, settings.AOTY_TIMEOUT)
        finally:
            turn_done(host)
        classify(url=url, status=page.status, html=page.html, headers=page.headers)
        return page


def get_fetcher(name: str | None = None) -> Fetcher:
    """The fetcher AOTY_FETCHER selects: "playwright" (default) or "http"."""
    name = (name or settings.AOTY_FETCHER or "playwright").lower()
    if name == "http":
        return HttpFetcher()
    if name == "playwright":
        return PlaywrightFetcher()
    raise ValueError(f"AOTY_FETCHER must be 'playwright' or 'http', not {name!r}")
