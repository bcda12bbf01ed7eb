"""The Discogs client: authenticated API calls plus marketplace pages, behind one interface.

Every request first takes a slot from the shared moving-window limiter (see ratelimit.py), reads
X-Discogs-Ratelimit-Remaining afterwards, and turns a 429 into a pause for every worker.
"""
from __future__ import annotations

import functools
import re
import ssl
import threading
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

import certifi
import httpx
from django.conf import settings

from integrations.errors import AuthFailed, MalformedResponse, NotFound
from integrations.http import HttpClient, parse_retry_after

from .errors import PageOutOfRange, ScrapingDisabled, TokenRejected
from .parser import parse_marketplace_page
from .ratelimit import RateLimiter
from .types import (
    CollectionItem,
    CollectionPage,
    Identity,
    MarketListing,
    MarketStats,
    Master,
    MasterVersion,
    Pagination,
    PriceSuggestions,
    Release,
    SearchPage,
    SearchResult,
    VersionsPage,
    condition_code,
)

USER_AGENT = "StylusDigger/1.0"
_HOMONYM = re.compile(r"\s+\(\d+\)$")
PER_PAGE = 100


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle costs ~50 ms; every client of this process reuses one context.
    return ssl.create_default_context(cafile=certifi.where())


def shared_tls_transport() -> httpx.HTTPTransport:
    """A fresh transport (own connection pool) over the process-wide TLS context."""
    return httpx.HTTPTransport(verify=_ssl_context())


def _dec(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _pagination(data: dict[str, Any]) -> Pagination:
    p = data.get("pagination") or {}
    return Pagination(page=_int(p.get("page")) or 1, pages=_int(p.get("pages")) or 1,
                      per_page=_int(p.get("per_page")) or 0, items=_int(p.get("items")) or 0)


def _names(items: list[Any] | None, key: str = "name") -> tuple[str, ...]:
    return tuple(str(i.get(key) or "").strip() for i in items or [] if isinstance(i, dict) and i.get(key))


def _artist_names(items: list[Any] | None) -> tuple[str, ...]:
    # Discogs disambiguates homonyms as "Name (2)"; that suffix is not part of the name.
    return tuple(_HOMONYM.sub("", n) for n in _names(items))


def _formats(items: list[Any] | None) -> tuple[str, ...]:
    out = []
    for f in items or []:
        if isinstance(f, dict):
            parts = [f.get("name") or "", *(f.get("descriptions") or [])]
            out.append(", ".join(p for p in parts if p))
    return tuple(out)


def parse_collection_item(raw: dict[str, Any]) -> CollectionItem:
    info = raw.get("basic_information") or {}
    release_id = _int(info.get("id") or raw.get("id"))
    if release_id is None:
        raise MalformedResponse("Discogs collection item without a release id", service="discogs")
    return CollectionItem(
        release_id=release_id, title=str(info.get("title") or ""), artists=_artist_names(info.get("artists")),
        year=_int(info.get("year")) or None, formats=_formats(info.get("formats")),
        labels=_names(info.get("labels")), catnos=_names(info.get("labels"), "catno"),
        thumb=str(info.get("thumb") or ""), date_added=str(raw.get("date_added") or ""),
        instance_id=_int(raw.get("instance_id")),
    )


class DiscogsClient:
    """Discogs API (token auth) and marketplace pages, rate limited across all workers."""

    def __init__(self, *, token: str = "", username: str = "", limiter: RateLimiter | None = None,
                 api_url: str | None = None, web_url: str | None = None, scraping: bool | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.token = token or ""
        self.username = username or ""
        self.limiter = limiter or RateLimiter()
        self.scraping = settings.DISCOGS_MARKETPLACE_SCRAPING if scraping is None else scraping
        self.web_url = (web_url or settings.DISCOGS_WEB_URL).rstrip("/")
        self._last = threading.local()
        headers = {"User-Agent": f"{USER_AGENT} {settings.STYLUS_USER_AGENT}", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Discogs token={self.token}"
        self.api = HttpClient(service="discogs", base_url=api_url or settings.DISCOGS_API_URL, headers=headers,
                              before_request=self._before_api, after_response=self._after,
                              transport=transport or shared_tls_transport())
        self.web = HttpClient(service="discogs", base_url=self.web_url,
                              headers={"User-Agent": f"{USER_AGENT} {settings.STYLUS_USER_AGENT}",
                                       "Accept": "text/html"},
                              before_request=self._before_web, after_response=self._after,
                              transport=transport or shared_tls_transport())

    def close(self) -> None:
        self.api.close()
        self.web.close()

    # -- rate limiting hooks ------------------------------------------------------------------------
    def _before_api(self) -> None:
        self.limiter.acquire("auth" if self.token else "anon")

    def _before_web(self) -> None:
        self.limiter.acquire("web")

    def _after(self, response: httpx.Response) -> None:
        self.limiter.done()
        self._last.response = response
        remaining = response.headers.get("X-Discogs-Ratelimit-Remaining")
        self.last_remaining = _int(remaining) if remaining is not None else getattr(self, "last_remaining", None)
        if remaining is not None:
            self.limiter.observe_remaining(_int(remaining))
        if response.status_code == 429:
            self.limiter.pause(parse_retry_after(response.headers.get("Retry-After")) or settings.DISCOGS_EXHAUSTED_PAUSE)

    def _last_message(self) -> str:
        response = getattr(self._last, "response", None)
        if response is None:
            return ""
        try:
            return str((response.json() or {}).get("message") or "")
        except (ValueError, AttributeError):
            return ""

    def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        try:
            data = self.api.get_json(path, params={k: v for k, v in (params or {}).items() if v not in (None, "")})
        except AuthFailed as exc:
            message = self._last_message()
            raise TokenRejected(f"Discogs rejected the token{': ' + message if message else ''}",
                                service="discogs", status=exc.status) from exc
        except NotFound as exc:
            message = self._last_message()
            if "outside of valid range" in message:
                raise PageOutOfRange(message, service="discogs", status=404) from exc
            raise NotFound(message or str(exc), service="discogs", status=404) from exc
        if not isinstance(data, (dict, list)):
            raise MalformedResponse(f"Discogs returned an unexpected body for {path}", service="discogs")
        return data

    # -- API ------------------------------------------------------------------------------------------
    def identity(self) -> Identity:
        """GET /oauth/identity: the "test connection" call."""
        data = self._get("/oauth/identity")
        if not isinstance(data, dict) or "username" not in data:
            raise MalformedResponse("Discogs identity without a username", service="discogs")
        return Identity(id=_int(data.get("id")) or 0, username=str(data["username"]))

    def search(self, *, query: str = "", type: str = "release", format: str = "", genre: str = "", style: str = "",
               year: str = "", barcode: str = "", catno: str = "", artist: str = "", release_title: str = "",
               page: int = 1, per_page: int = 50) -> SearchPage:
        """GET /database/search (needs a token)."""
        data = self._get("/database/search", {
            "q": query, "type": type, "format": format, "genre": genre, "style": style, "year": year,
            "barcode": barcode, "catno": catno, "artist": artist, "release_title": release_title,
            "page": page, "per_page": per_page,
        })
        if not isinstance(data, dict) or not isinstance(data.get("results", []), list):
            raise MalformedResponse("Discogs search without results", service="discogs")
        results = []
        for r in data.get("results") or []:
            rid = _int(r.get("id"))
            if rid is None:
                continue
            user_data = r.get("user_data") or {}
            community = r.get("community") or {}
            results.append(SearchResult(
                id=rid, type=str(r.get("type") or ""), title=str(r.get("title") or ""), year=str(r.get("year") or ""),
                country=str(r.get("country") or ""), formats=tuple(r.get("format") or ()),
                labels=tuple(r.get("label") or ()), catno=str(r.get("catno") or ""),
                barcodes=tuple(r.get("barcode") or ()), genres=tuple(r.get("genre") or ()),
                styles=tuple(r.get("style") or ()), thumb=str(r.get("thumb") or ""),
                master_id=_int(r.get("master_id")) or None,
                in_collection=user_data.get("in_collection"), in_wantlist=user_data.get("in_wantlist"),
                community_have=_int(community.get("have")), community_want=_int(community.get("want")),
            ))
        return SearchPage(pagination=_pagination(data), results=results)

    def release(self, release_id: int) -> Release:
        """GET /releases/{id}; NotFound for a deleted release."""
        d = self._get(f"/releases/{int(release_id)}")
        if not isinstance(d, dict) or _int(d.get("id")) is None:
            raise MalformedResponse(f"Discogs release {release_id} without an id", service="discogs")
        identifiers = d.get("identifiers") or []
        return Release(
            id=int(d["id"]), title=str(d.get("title") or ""), artists=_artist_names(d.get("artists")),
            year=_int(d.get("year")) or None, country=str(d.get("country") or ""), formats=_formats(d.get("formats")),
            labels=_names(d.get("labels")), catnos=_names(d.get("labels"), "catno"),
            barcodes=tuple(str(i.get("value")) for i in identifiers if isinstance(i, dict)
                           and i.get("type") == "Barcode" and i.get("value")),
            genres=tuple(d.get("genres") or ()), styles=tuple(d.get("styles") or ()),
            master_id=_int(d.get("master_id")) or None, thumb=str(d.get("thumb") or ""),
            lowest_price=_dec(d.get("lowest_price")), num_for_sale=_int(d.get("num_for_sale")),
            uri=str(d.get("uri") or ""),
        )

    def master(self, master_id: int) -> Master:
        d = self._get(f"/masters/{int(master_id)}")
        if not isinstance(d, dict) or _int(d.get("id")) is None:
            raise MalformedResponse(f"Discogs master {master_id} without an id", service="discogs")
        return Master(id=int(d["id"]), title=str(d.get("title") or ""), artists=_artist_names(d.get("artists")),
                      year=_int(d.get("year")) or None, main_release=_int(d.get("main_release")),
                      genres=tuple(d.get("genres") or ()), styles=tuple(d.get("styles") or ()))

    def master_versions(self, master_id: int, *, page: int = 1, per_page: int = PER_PAGE) -> VersionsPage:
        d = self._get(f"/masters/{int(master_id)}/versions", {"page": page, "per_page": per_page})
        versions = [
            MasterVersion(id=int(v["id"]), title=str(v.get("title") or ""), format=str(v.get("format") or ""),
                          label=str(v.get("label") or ""), catno=str(v.get("catno") or ""),
                          country=str(v.get("country") or ""), released=str(v.get("released") or ""),
                          thumb=str(v.get("thumb") or ""))
            for v in (d.get("versions") or []) if _int(v.get("id")) is not None
        ]
        return VersionsPage(pagination=_pagination(d), versions=versions)

    def _items_page(self, path: str, key: str, page: int, params: dict[str, Any]) -> CollectionPage:
        d = self._get(path, {"page": page, "per_page": PER_PAGE, **params})
        if not isinstance(d, dict) or not isinstance(d.get(key, []), list):
            raise MalformedResponse(f"Discogs {key} page without a list", service="discogs")
        items = []
        for raw in d.get(key) or []:
            try:
                items.append(parse_collection_item(raw))
            except MalformedResponse:
                continue
        return CollectionPage(pagination=_pagination(d), items=items)

    def collection_page(self, username: str | None = None, *, page: int = 1) -> CollectionPage:
        """GET /users/{u}/collection/folders/0/releases, 100 a page, newest first."""
        user = username or self.username
        return self._items_page(f"/users/{user}/collection/folders/0/releases", "releases", page,
                                {"sort": "added", "sort_order": "desc"})

    def wants_page(self, username: str | None = None, *, page: int = 1) -> CollectionPage:
        """GET /users/{u}/wants, 100 a page."""
        user = username or self.username
        return self._items_page(f"/users/{user}/wants", "wants", page, {"sort": "added", "sort_order": "desc"})

    def iter_pages(self, kind: str, username: str | None = None) -> Iterator[CollectionPage]:
        """Every page of the collection ("collection") or want list ("wants"), stopping cleanly at the end."""
        fetch = self.collection_page if kind == "collection" else self.wants_page
        page = 1
        while True:
            try:
                result = fetch(username, page=page)
            except PageOutOfRange:
                return
            yield result
            if not result.pagination.has_next or not result.items:
                return
            page += 1

    def price_suggestions(self, release_id: int) -> PriceSuggestions:
        """GET /marketplace/price_suggestions/{id}; empty when Discogs has none ("{}")."""
        d = self._get(f"/marketplace/price_suggestions/{int(release_id)}")
        if not isinstance(d, dict):
            raise MalformedResponse("Discogs price suggestions are not an object", service="discogs")
        by_condition: dict[str, Decimal] = {}
        currency = ""
        for label, value in d.items():
            code = condition_code(label)
            if code and isinstance(value, dict):
                amount = _dec(value.get("value"))
                if amount is not None:
                    by_condition[code] = amount
                    currency = currency or str(value.get("currency") or "")
        return PriceSuggestions(release_id=int(release_id), currency=currency, by_condition=by_condition)

    def marketplace_stats(self, release_id: int, *, currency: str = "") -> MarketStats:
        """GET /marketplace/stats/{id}: number for sale and the lowest price."""
        d = self._get(f"/marketplace/stats/{int(release_id)}", {"curr_abbr": currency})
        if not isinstance(d, dict):
            raise MalformedResponse("Discogs marketplace stats are not an object", service="discogs")
        lowest = d.get("lowest_price") or {}
        return MarketStats(release_id=int(release_id), num_for_sale=_int(d.get("num_for_sale")),
                           lowest_price=_dec(lowest.get("value")) if isinstance(lowest, dict) else None,
                           currency=str(lowest.get("currency") or "") if isinstance(lowest, dict) else "",
                           blocked_from_sale=bool(d.get("blocked_from_sale")))

    # -- marketplace pages ------------------------------------------------------------------------------
    def fetch_marketplace_page(self, path: str, params: dict[str, Any] | None = None) -> str:
        """The HTML of one public marketplace page (I/O only; parsing is parser.py)."""
        if not self.scraping:
            raise ScrapingDisabled("Discogs marketplace scraping is switched off (DISCOGS_MARKETPLACE_SCRAPING)",
                                   service="discogs")
        return self.web.get_text(path, params={k: v for k, v in (params or {}).items() if v not in (None, "")})

    def marketplace_listings(self, *, release_id: int | None = None, query: str = "", format: str = "",
                             currency: str = "", limit: int = 100) -> list[MarketListing]:
        """Listings for one release (/sell/release/{id}) or a free-text query (/sell/list)."""
        params = {"currency": currency, "limit": min(max(limit, 25), 250), "sort": "price,asc"}
        if release_id:
            try:
                html = self.fetch_marketplace_page(f"/sell/release/{int(release_id)}", params)
            except NotFound as exc:
                raise NotFound(f"Discogs release {release_id} was not found (deleted or merged?)",
                               service="discogs", status=404) from exc
        else:
            html = self.fetch_marketplace_page("/sell/list", {**params, "q": query, "format": format})
        return parse_marketplace_page(html, web_url=self.web_url)[:limit]
