"""The AOTY client: maps AOTY paths onto AOTY_BASE_URL, fetches with the configured fetcher, parses.

`fetch_*` functions do the I/O and return HTML; `AotyClient` methods return typed objects from the
pure parsers. After a block, the client stays away for the block's cool-down (shared through the
cache) and raises AotyBlocked at once, so no caller waits on a site that is refusing us.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote_plus, urlsplit

from django.conf import settings
from django.core.cache import cache

from integrations.errors import RateLimited, TransientError

from . import parser
from .errors import AotyBlocked
from .fetcher import Fetcher, get_fetcher
from .types import AlbumCredits, AlbumGrid, AlbumPage, AlbumStats, AlbumSummary, PublicationList, SearchResults, UserProfile

BLOCK_KEY = "aoty:blocked"
DOWN_KEY = "aoty:down"
DOWN_COOLDOWN = 60  # after AOTY stayed unreachable through all retries, fail fast for this long
STATS_PATH = "/scripts/moreStatsAlbum.php"
CREDITS_PATH = "/scripts/showAlbumCredits.php"
SEARCH_KINDS = {"all": "/search/", "albums": "/search/albums/", "artists": "/search/artists/", "labels": "/search/labels/"}


def block_status() -> dict[str, Any] | None:
    """{"since": ts, "until": ts, "reason": str} while AOTY is blocking us, else None."""
    status = cache.get(BLOCK_KEY)
    if isinstance(status, dict) and status.get("until", 0) > time.time():
        return status
    return None


def block_clear() -> None:
    cache.delete(BLOCK_KEY)


def _block_record(error: AotyBlocked) -> None:
    now = time.time()
    cache.set(BLOCK_KEY, {"since": now, "until": now + error.retry_after, "reason": str(error)}, timeout=error.retry_after)


def to_base(url_or_path: str) -> str:
    """An AOTY URL or path as an absolute URL on AOTY_BASE_URL (the replay server in tests)."""
    parts = urlsplit(url_or_path)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    base: str = settings.AOTY_BASE_URL
    return base.rstrip("/") + "/" + path.lstrip("/")


def is_aoty_host(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host == "albumoftheyear.org" or host.endswith(".albumoftheyear.org")


def resolve(url_or_path: str, *, exact_url: bool = False) -> str:
    """Where a request goes: AOTY_BASE_URL, or an absolute non-AOTY URL as given when exact_url."""
    parts = urlsplit(url_or_path)
    if exact_url and parts.scheme in ("http", "https") and parts.netloc and not is_aoty_host(url_or_path):
        return url_or_path
    return to_base(url_or_path)


def album_path(aoty_id: int, slug: str = "") -> str:
    return f"/album/{aoty_id}-{slug}.php" if slug else f"/album/{aoty_id}.php"


def similar_path(album_url: str) -> str:
    path = urlsplit(album_url).path
    return path.removesuffix(".php").rstrip("/") + "/similar/"


class AotyClient:
    def __init__(self, fetcher: Fetcher | None = None) -> None:
        self.fetcher = fetcher or get_fetcher()

    def close(self) -> None:
        self.fetcher.close()

    # -- I/O ------------------------------------------------------------------------------------
    def _guard(self) -> None:
        status = block_status()
        if status:
            raise AotyBlocked(status.get("reason") or "AOTY is blocking automated access right now",
                              retry_after=max(1, int(status["until"] - time.time())))
        down_until = cache.get(DOWN_KEY)
        if down_until and down_until > time.time():
            raise TransientError("AOTY was unreachable moments ago; not retrying yet", service="aoty",
                                 retry_after=max(1.0, down_until - time.time()))

    def _call(self, fetch: Callable[[], str]) -> str:
        self._guard()
        try:
            return fetch()
        except AotyBlocked as error:
            _block_record(error)
            raise
        except TransientError as error:
            if not isinstance(error, RateLimited):
                cache.set(DOWN_KEY, time.time() + DOWN_COOLDOWN, timeout=DOWN_COOLDOWN)
            raise

    def post_fragment(self, path: str, data: dict[str, str]) -> str:
        """A side request's HTML fragment (POSTed form), with the same block and down guards."""
        return self._call(lambda: self.fetcher.post_form(to_base(path), data).html)

    def fetch_html(self, url_or_path: str, *, exact_url: bool = False) -> str:
        """The page's HTML, or AotyBlocked at once while a recent block's cool-down lasts.

        AOTY URLs and paths go to AOTY_BASE_URL; exact_url=True fetches an absolute URL on another
        host as given (an operator's `scrape_album http://mirror/...`).
        """
        return self._call(lambda: self.fetcher.fetch(resolve(url_or_path, exact_url=exact_url)).html)

    def fetch_album_page(self, url: str) -> str:
        return self.fetch_html(url)

    # -- typed reads ------------------------------------------------------------------------------
    def album(self, url: str) -> AlbumPage:
        return parser.parse_album_page(self.fetch_album_page(url))

    def similar(self, album_url: str) -> list[AlbumSummary]:
        return parser.parse_similar_page(self.fetch_html(similar_path(album_url)))

    def search(self, query: str, *, kind: str = "albums") -> SearchResults:
        return parser.parse_search_page(self.fetch_html(f"{SEARCH_KINDS[kind]}?q={quote_plus(query)}"))

    def grid(self, path: str) -> AlbumGrid:
        return parser.parse_album_grid(self.fetch_html(path))

    def publication_list(self, path: str) -> PublicationList:
        return parser.parse_publication_list(self.fetch_html(path))

    def album_stats(self, aoty_id: int) -> AlbumStats:
        return parser.parse_album_stats(self.post_fragment(STATS_PATH, {"albumID": str(aoty_id)}))

    def album_credits(self, aoty_id: int) -> AlbumCredits:
        return parser.parse_album_credits(self.post_fragment(CREDITS_PATH, {"albumID": str(aoty_id)}))

    def user(self, username: str) -> UserProfile:
        return parser.parse_user_profile(self.fetch_html(f"/user/{quote_plus(username)}/"))
