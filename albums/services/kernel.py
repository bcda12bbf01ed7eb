"""The AOTY scrape-and-serve kernel, shared by albums and users_aoty.

Freshness: every scraped row records `fetched_at`. Readers get stored data at once; stale data
triggers a background refresh (Celery, at most one in flight per object) and `refresh=True`
forces a fetch. Parsed pages sit in the platform cache (Redis, memory fallback) in front of the
scraper, so a second read inside the TTL never reaches AOTY. When AOTY refuses or is down, stored
data is served with a notice ("blocked"), and with nothing stored the reader gets
ServiceUnavailable ("unavailable"). Network calls never run inside a transaction.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from hashlib import sha1
from typing import Any, Protocol

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from common.exceptions import NotFound, ServiceUnavailable
from common.metrics import metrics
from integrations.aoty import client as aoty
from integrations.aoty.errors import AotyBlocked, AotyDisallowed, AotyParseError
from integrations.errors import IntegrationError, NotConfigured
from integrations.errors import NotFound as UpstreamNotFound

from ..models import ScrapeLog

REFRESH_CLAIM_SECONDS = 600


class RefreshTask(Protocol):
    """A Celery task that refreshes one stored object by id."""

    def delay(self, object_id: int, /) -> Any: ...


# -- the client, chosen per call so settings overrides (tests) take effect ----------------------------
_client_factory: Callable[[], aoty.AotyClient] | None = None


def get_client() -> aoty.AotyClient:
    return _client_factory() if _client_factory else aoty.AotyClient()


def block_notice() -> dict[str, Any] | None:
    """The current AOTY block, if any: {"since": datetime, "until": datetime, "reason": str}."""
    status = aoty.block_status()
    if not status:
        return None
    return {"since": datetime.fromtimestamp(status["since"], tz=timezone.get_current_timezone()),
            "until": datetime.fromtimestamp(status["until"], tz=timezone.get_current_timezone()),
            "reason": status.get("reason", "")}


# -- scraping with logging, caching and error mapping ----------------------------------------------------
def _cache_key(kind: str, path: str, form: dict[str, str] | None = None) -> str:
    path = path + (f"#{sorted(form.items())}" if form else "")
    return f"aoty:parsed:{kind}:{sha1(path.encode(), usedforsecurity=False).hexdigest()}"


def scrape_log_record(*, url: str, kind: str, status: str, duration: float, error: str = "", fetcher: str = "") -> None:
    ScrapeLog.objects.create(url=url[:1000], kind=kind, status=status, duration_ms=int(duration * 1000),
                             error=error[:4000], fetcher=fetcher)


def parsed_is_cached(*, kind: str, path: str) -> bool:
    """Whether fetch_parsed would answer `path` from the cache (no call to AOTY)."""
    return cache.get(_cache_key(kind, path)) is not None


def fetch_parsed(*, kind: str, path: str, parse: Callable[[str], Any], ttl: int, refresh: bool = False,
                 exact_url: bool = False, form: dict[str, str] | None = None) -> Any:
    """The parsed page at `path`: from the cache unless refresh, else fetched, parsed, logged and cached.

    Raises the integration's typed errors (AotyBlocked, NotFound, TransientError, AotyParseError).
    """
    key = _cache_key(kind, path, form)
    if not refresh:
        cached = cache.get(key)
        if cached is not None:
            return cached
    client = get_client()
    start = time.perf_counter()
    status, error = ScrapeLog.Status.OK, ""
    try:
        html = client.post_fragment(path, form) if form else client.fetch_html(path, exact_url=exact_url)
        result = parse(html)
    except AotyBlocked as exc:
        status, error = ScrapeLog.Status.BLOCKED, str(exc)
        raise
    except UpstreamNotFound as exc:
        status, error = ScrapeLog.Status.NOT_FOUND, str(exc)
        raise
    except AotyParseError as exc:
        status, error = ScrapeLog.Status.PARSE_ERROR, str(exc)
        raise
    except IntegrationError as exc:
        status, error = ScrapeLog.Status.ERROR, f"{exc.__class__.__name__}: {exc}"
        raise
    finally:
        duration = time.perf_counter() - start
        metrics.record_timing(name=f"aoty.scrape.{kind}", duration=duration, ok=status == ScrapeLog.Status.OK)
        scrape_log_record(url=aoty.resolve(path, exact_url=exact_url), kind=kind, status=status, duration=duration,
                          error=error, fetcher=getattr(client.fetcher, "name", ""))
        client.close()
    cache.set(key, result, timeout=ttl)
    return result


def unavailable(error: IntegrationError) -> ServiceUnavailable:
    """The API/page error for an AOTY failure when nothing is stored to serve instead."""
    if isinstance(error, AotyBlocked):
        return ServiceUnavailable("AOTY is blocking automated access right now and nothing is stored for this yet.",
                                  retry_after=error.retry_after)
    if isinstance(error, AotyParseError):
        return ServiceUnavailable("AOTY's page could not be read (its layout may have changed).", retry_after=3600)
    if isinstance(error, NotConfigured):
        return ServiceUnavailable(f"AOTY fetching is not set up here: {error}", retry_after=3600)
    if isinstance(error, AotyDisallowed):
        return ServiceUnavailable("AOTY's robots.txt does not allow fetching this page.", retry_after=86400)
    retry = getattr(error, "retry_after", None) or 60
    return ServiceUnavailable("AOTY is unreachable right now.", retry_after=int(retry))


# -- stale-while-revalidate ---------------------------------------------------------------------------------
def refreshing_key(kind: str, object_id: int) -> str:
    return f"aoty:refreshing:{kind}:{object_id}"


def is_refreshing(*, kind: str, object_id: int) -> bool:
    return cache.get(refreshing_key(kind, object_id)) is not None


def refresh_done(*, kind: str, object_id: int) -> None:
    """Releases the in-flight claim a background refresh held (call it in the task's `finally`)."""
    cache.delete(refreshing_key(kind, object_id))


def refresh_enqueue(*, kind: str, object_id: int, task: RefreshTask) -> bool:
    """Queues a background refresh unless one is already in flight (or AOTY is blocking us)."""
    if aoty.block_status():
        return False
    if not cache.add(refreshing_key(kind, object_id), 1, timeout=REFRESH_CLAIM_SECONDS):
        return False
    transaction.on_commit(lambda: task.delay(object_id))
    return True


def is_stale(fetched_at: datetime | None, ttl: int) -> bool:
    return fetched_at is None or fetched_at < timezone.now() - timedelta(seconds=ttl)


@dataclass
class Served:
    """What a reader gets: the object, plus whether it is stale, refreshing, or served despite a block."""

    obj: Any
    stale: bool = False
    refreshing: bool = False
    blocked: dict[str, Any] | None = None
    error: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def fetched_at(self) -> datetime | None:
        return getattr(self.obj, "fetched_at", None)


def serve(*, stored: Any | None, fetch: Callable[[], Any], fetch_now: bool, stale: bool = False,
          refresh_kind: str = "", refresh_task: RefreshTask | None = None,
          not_found: str = "AOTY has no such page.", gone: str | None = None) -> Served:
    """The one serve path for everything scraped from AOTY.

    - `stored`: what can be shown if fetching fails (None when nothing usable is stored).
    - `fetch_now`: fetch while the reader waits (nothing stored, a page not yet fetched, refresh=True).
      On failure, `stored` is served marked stale with the reason; with nothing stored, an upstream
      404 is NotFound(`not_found`) and anything else ServiceUnavailable. `gone`, when given, is the
      notice for stored data whose AOTY page has since disappeared (else that is NotFound too).
    - Otherwise `stored` is served at once and, when `stale`, a background refresh is queued through
      `refresh_task` (at most one in flight per `refresh_kind` and id).
    """
    if fetch_now:
        try:
            return Served(fetch())
        except UpstreamNotFound:
            if stored is None or gone is None:
                raise NotFound(not_found) from None
            return Served(stored, stale=True, error=gone)
        except IntegrationError as error:
            if stored is None:
                raise unavailable(error) from error
            return Served(stored, stale=True, blocked=block_notice() if isinstance(error, AotyBlocked) else None,
                          error=unavailable(error).detail)
    if stored is None:
        raise NotFound(not_found)
    refreshing = False
    if refresh_task is not None:
        refreshing = is_refreshing(kind=refresh_kind, object_id=stored.pk)
        if stale and not refreshing:
            refreshing = refresh_enqueue(kind=refresh_kind, object_id=stored.pk, task=refresh_task)
    return Served(stored, stale=stale, refreshing=refreshing, blocked=block_notice() if stale else None)
