"""The scraper's Chromium: one browser, one long-lived context and a pool of warm pages per process.

Playwright's objects belong to the event loop that made them, so each process runs one asyncio
loop in a thread of its own and every caller (Celery's threads pool, Django's sync views under
ASGI, a test that itself drives Playwright) hands it a coroutine and waits. The loop starts
lazily and is keyed by pid: a prefork child never reuses its parent's browser (see
/work/shared/notes/pitfalls.md).

Measured on this machine (notes/measured.md): a browser launch per page costs ~1.1 s, a new
context per page ~0.58 s, navigating an already-open page ~0.2 s, and the context's request API
~5 ms. Hence:

- AOTY_BROWSER_PAGES pages stay open in one context, so cookies persist between fetches (what a
  Cloudflare clearance needs). A page that crashes, misses its deadline or has served
  AOTY_PAGE_RECYCLE fetches is closed and replaced by a fresh one on the next fetch.
- AOTY_FETCH_MODE="request": once a page has loaded a normal AOTY page, fetches go through
  `context.request.get` (same cookies and user agent, no rendering). A challenge answer (403,
  cf-mitigated, "Just a moment") falls back to a full navigation; after
  AOTY_REQUEST_CHALLENGE_LIMIT challenges in a row the request path is switched off for the process.
- Only the top-level document is ever loaded: sub-resources, iframes, objects, embeds and
  sub-frame navigations are refused by the context's route, so a page cannot make the scraper
  fetch anything else.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import logging
import os
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from django.conf import settings

from integrations.errors import NotConfigured, TransientError

from . import hooks
from .parser import looks_like_challenge

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page, Playwright, Route

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class FetchedPage:
    url: str
    status: int
    html: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Pooled:
    page: Page
    uses: int = 0
    crashed: bool = False


# Images off at the source. The scraper reads only the document; otherwise each of an album page's ~45
# images is routed to Python just to be refused, and a warm-page navigation took ~0.6 s instead of
# ~0.38 s on this machine. Only the scraper's browser gets this (not the UI tests' browser).
SCRAPER_ONLY_ARGS = ("--blink-settings=imagesEnabled=false",)


def launch_args() -> list[str]:
    """Chromium's command line for the scraper: AOTY_CHROMIUM_ARGS plus SCRAPER_ONLY_ARGS."""
    return [*settings.AOTY_CHROMIUM_ARGS, *(a for a in SCRAPER_ONLY_ARGS if a not in settings.AOTY_CHROMIUM_ARGS)]


def is_challenge(*, status: int, html: str, headers: dict[str, str]) -> bool:
    """The signs of a Cloudflare challenge or block: 403, cf-mitigated, or a challenge page."""
    lowered = {k.lower(): v for k, v in headers.items()}
    return status == 403 or lowered.get("cf-mitigated") == "challenge" or looks_like_challenge(html or "")


async def top_level_document_only(route: Route) -> None:
    """Lets through only the main frame's own navigation; everything else (sub-resources,
    iframes, objects, embeds, sub-frame navigations) is aborted before it leaves the browser."""
    request = route.request
    try:
        top_level = request.frame.parent_frame is None
    except Exception:  # a request without a frame (a service worker): never the page itself
        top_level = False
    if request.resource_type == "document" and top_level and request.is_navigation_request():
        await route.continue_()
    else:
        await route.abort()


def _mark_crashed(pooled: _Pooled, _page: Page) -> None:
    pooled.crashed = True


class BrowserPool:
    """One Chromium, one context and up to `pages` warm pages, driven on this process's own loop."""

    def __init__(self, *, pages: int, recycle: int) -> None:
        self.pid = os.getpid()
        self.pages = max(1, pages)
        self.recycle = max(1, recycle)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="aoty-browser", daemon=True)
        self._thread.start()
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._context: BrowserContext | None = None
        self._idle: asyncio.Queue[_Pooled] | None = None
        self._open = 0  # pages created and not yet closed (idle or in use)
        self._lock: asyncio.Lock | None = None
        # Counters the tests and the benchmark read.
        self.launches = 0
        self.pages_opened = 0
        self.pages_replaced = 0
        self.request_fetches = 0
        self.navigations = 0
        # The request path: ready once a navigation loaded a normal AOTY page; off after a run of challenges.
        self.request_ready = False
        self.request_disabled = False
        self.challenge_streak = 0

    # -- plumbing --------------------------------------------------------------------------------
    def run(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError as exc:
            future.cancel()
            raise TransientError("AOTY's browser did not answer in time", service="aoty") from exc

    async def _ensure_context(self) -> BrowserContext:
        if self._lock is None:
            self._lock = asyncio.Lock()
            self._idle = asyncio.Queue()
        async with self._lock:
            if self._browser is None or not self._browser.is_connected():
                await self._reset()
                await self._launch()
            if self._context is None:
                assert self._browser is not None
                # AOTY renders server-side: JavaScript stays off (less work, no ads, and deliberately no attempt
                # to run a Cloudflare challenge; the challenge page is detected instead).
                self._context = await self._browser.new_context(user_agent=settings.STYLUS_USER_AGENT,
                                                                java_script_enabled=False)
                await self._context.route("**/*", top_level_document_only)
            return self._context

    async def _launch(self) -> None:
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
                executable_path=settings.AOTY_CHROMIUM_PATH or None, args=launch_args(), headless=True,
            )
        except PlaywrightError as exc:
            hooks.record_timing(name="aoty.browser.launch", duration=time.perf_counter() - start, ok=False)
            raise NotConfigured(f"Chromium could not be started ({str(exc).splitlines()[0][:160]}); "
                                "install it or set AOTY_FETCHER=http", service="aoty") from exc
        self.launches += 1
        hooks.record_timing(name="aoty.browser.launch", duration=time.perf_counter() - start)

    async def _reset(self) -> None:
        """Forgets a dead browser: its context and pages went with it."""
        self._context = None
        self._open = 0
        self._idle = asyncio.Queue()
        self.request_ready = False
        if self._browser is not None:
            try:
                await self._browser.close()
            except Exception:  # already gone
                log.debug("closing a dead browser failed", exc_info=True)
            self._browser = None

    async def _acquire(self) -> _Pooled:
        context = await self._ensure_context()
        assert self._idle is not None
        while True:
            if not self._idle.empty() or self._open >= self.pages:
                pooled = await self._idle.get()
                if pooled.crashed or pooled.page.is_closed():
                    await self._discard(pooled)
                    continue
                return pooled
            self._open += 1
            try:
                page = await context.new_page()
            except Exception:
                self._open -= 1
                raise
            pooled = _Pooled(page=page)
            page.on("crash", functools.partial(_mark_crashed, pooled))
            self.pages_opened += 1
            return pooled

    async def _discard(self, pooled: _Pooled) -> None:
        self._open = max(0, self._open - 1)
        self.pages_replaced += 1
        try:
            await asyncio.wait_for(pooled.page.close(), timeout=5)
        except Exception:  # a crashed or hung page may not close cleanly; its context stays usable
            log.debug("closing a broken page failed", exc_info=True)

    async def _release(self, pooled: _Pooled, *, broken: bool) -> None:
        pooled.uses += 1
        if broken or pooled.crashed or pooled.uses >= self.recycle or pooled.page.is_closed():
            await self._discard(pooled)
        else:
            assert self._idle is not None
            self._idle.put_nowait(pooled)

    # -- fetching --------------------------------------------------------------------------------
    async def _navigate(self, url: str, timeout_ms: int) -> tuple[int, str, dict[str, str], str]:
        from playwright.async_api import Error as PlaywrightError

        pooled = await self._acquire()
        broken = True
        start = time.perf_counter()
        try:
            # The HTML as the server sent it is what the parsers need: wait for the navigation to commit and
            # read the response body (no wait for Blink's parse, no DOM serialisation).
            response = await asyncio.wait_for(pooled.page.goto(url, wait_until="commit", timeout=timeout_ms),
                                              timeout=timeout_ms / 1000)
            if response is None:
                raise TransientError(f"AOTY gave no response for {urlsplit(url).path}", service="aoty")
            left = max(0.1, timeout_ms / 1000 - (time.perf_counter() - start))
            html = await asyncio.wait_for(response.text(), timeout=left)
            # `headers` needs no round trip to the browser (all_headers() does); cf-mitigated is among them.
            headers = response.headers
            broken = False
            self.navigations += 1
            return response.status, html, headers, pooled.page.url
        except TimeoutError as exc:  # a hung page is replaced
            raise TransientError(f"AOTY timed out loading {urlsplit(url).path}", service="aoty") from exc
        except PlaywrightError as exc:
            if "Timeout" in type(exc).__name__:
                raise TransientError(f"AOTY timed out loading {urlsplit(url).path}", service="aoty") from exc
            raise TransientError(f"AOTY unreachable: {str(exc).splitlines()[0][:200]}", service="aoty") from exc
        finally:
            await self._release(pooled, broken=broken)
            hooks.record_timing(name="aoty.browser.page", duration=time.perf_counter() - start, ok=not broken)

    async def _request(self, url: str, timeout_ms: int) -> tuple[int, str, dict[str, str]]:
        from playwright.async_api import Error as PlaywrightError

        context = await self._ensure_context()
        start = time.perf_counter()
        try:
            response = await context.request.get(url, timeout=timeout_ms, headers={"User-Agent": settings.STYLUS_USER_AGENT})
            html = await response.text()
        except PlaywrightError as exc:
            raise TransientError(f"AOTY unreachable: {str(exc).splitlines()[0][:200]}", service="aoty") from exc
        finally:
            hooks.record_timing(name="aoty.browser.request", duration=time.perf_counter() - start)
        self.request_fetches += 1
        return response.status, html, dict(response.headers)

    async def fetch_async(self, url: str, timeout_ms: int, *, mode: str) -> FetchedPage:
        if mode == "request" and self.request_ready and not self.request_disabled:
            status, html, headers = await self._request(url, timeout_ms)
            if not is_challenge(status=status, html=html, headers=headers):
                self.challenge_streak = 0
                return FetchedPage(url=url, status=status, html=html, headers=headers)
            # A challenge on the light path: a full navigation may still pass (cookies, a real page load).
            self.challenge_streak += 1
            if self.challenge_streak >= settings.AOTY_REQUEST_CHALLENGE_LIMIT:
                self.request_disabled = True
                log.warning("aoty: %s challenges in a row on the request path; navigating only from now on",
                            self.challenge_streak)
        status, html, headers, final_url = await self._navigate(url, timeout_ms)
        if not is_challenge(status=status, html=html, headers=headers) and status < 400:
            self.request_ready = True  # a normal AOTY page loaded: the context holds what the site expects
        return FetchedPage(url=final_url, status=status, html=html, headers=headers)

    def fetch(self, url: str, timeout: float, *, mode: str = "navigate") -> FetchedPage:
        """The answer at `url` (any status; the caller classifies it). Raises TransientError on timeouts."""
        return self.run(self.fetch_async(url, int(timeout * 1000), mode=mode), timeout + 30)

    async def _post(self, url: str, data: dict[str, str], timeout_ms: int) -> FetchedPage:
        from playwright.async_api import Error as PlaywrightError

        context = await self._ensure_context()
        try:
            form: dict[str, str | float | bool] = dict(data)
            response = await context.request.post(url, form=form, timeout=timeout_ms,
                                                   headers={"X-Requested-With": "XMLHttpRequest"})
            html = await response.text()
        except PlaywrightError as exc:
            raise TransientError(f"AOTY unreachable: {str(exc).splitlines()[0][:200]}", service="aoty") from exc
        return FetchedPage(url=url, status=response.status, html=html, headers=dict(response.headers))

    def post(self, url: str, data: dict[str, str], timeout: float) -> FetchedPage:
        """A form POST through the shared context's request API (same cookies as the pages)."""
        return self.run(self._post(url, data, int(timeout * 1000)), timeout + 30)

    def crash_idle_page(self) -> bool:
        """Crashes an idle page's renderer (tests and drills of the replacement path).

        True once the page's own "crash" event has marked it, which is what the pool relies on; the
        flag is never set here, so a pool that stopped listening for crashes fails the drill.
        """
        return self.run(self._crash_idle_page(), 10)

    async def _crash_idle_page(self) -> bool:
        if self._idle is None or self._idle.empty():
            return False
        pooled = self._idle.get_nowait()
        try:
            await asyncio.wait_for(pooled.page.goto("chrome://crash", timeout=2000), timeout=3)
        except Exception:  # the crash is the point
            pass
        deadline = time.monotonic() + 3
        while not pooled.crashed and time.monotonic() < deadline:  # the event arrives just after the goto fails
            await asyncio.sleep(0.05)
        self._idle.put_nowait(pooled)
        return pooled.crashed

    async def _close(self) -> None:
        if self._browser is not None:
            try:
                await self._browser.close()
            except Exception:
                log.debug("aoty browser close failed", exc_info=True)
        if self._playwright is not None:
            await self._playwright.stop()
        self._browser = self._playwright = self._context = None

    def close(self) -> None:
        if self.pid != os.getpid() or not self.loop.is_running():
            return
        try:
            self.run(self._close(), 15)
        except Exception:  # shutting down anyway
            log.debug("aoty browser close failed", exc_info=True)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
