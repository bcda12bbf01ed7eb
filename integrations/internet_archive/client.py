"""The Internet Archive client: advancedsearch, scrape (cursor), metadata and file downloads.

Every request goes under settings.IA_BASE_URL, spaced by settings.IA_MIN_INTERVAL (about one a
second by default), with the platform's retries on transient errors. The `internetarchive` library
is not used: it brings its own HTTP session (requests), config files and retry policy, and Stylus
keeps one HTTP stack (integrations/http.py) for timeouts, politeness and error types.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import httpx
from django.conf import settings

from integrations import errors as integration_errors
from integrations.http import HttpClient

from .download import FileDownloader, FileStream
from .errors import InvalidIdentifier
from .parser import parse_metadata, parse_scrape, parse_search, safe_relative_path, validate_identifier
from .types import ItemMetadata, ScrapePage, SearchDoc, SearchPage

SERVICE = "internet_archive"
ETREE_QUERY = "collection:etree AND NOT collection:stream_only"
SEARCH_FIELDS = ("identifier", "title", "creator", "date", "year", "venue", "coverage", "source", "taper",
                 "transferer", "lineage", "format", "avg_rating", "num_reviews", "downloads", "addeddate",
                 "item_size", "collection")
SORTS = {"date": "date desc", "addeddate": "addeddate desc", "title": "titleSorter asc", "relevance": ""}


# The shared client turns httpx.InvalidURL into integrations.errors.InvalidRequest where it has that
# class; either way the archive's callers see InvalidIdentifier (a 422), never a 500.
_invalid_request: type[Exception] | None = getattr(integration_errors, "InvalidRequest", None)
_INVALID_URL: tuple[type[Exception], ...] = (httpx.InvalidURL, *([_invalid_request] if _invalid_request else []))


@contextmanager
def _invalid_url_is_permanent() -> Iterator[None]:
    """httpx's InvalidURL is no transport error: unmapped it would surface as a 500. It means our input
    was bad (callers validate first, so this is the last line), hence InvalidIdentifier (a 422)."""
    try:
        yield
    except _INVALID_URL as exc:
        raise InvalidIdentifier(f"Not a valid archive URL: {exc}", service=SERVICE) from exc


def download_path(identifier: str, name: str) -> str:
    """The path (under IA_BASE_URL) of one of an item's files; both parts validated first."""
    validate_identifier(identifier)
    relative = safe_relative_path(name)
    return f"/download/{identifier}/" + "/".join(quote(part) for part in relative.parts)


def download_url(identifier: str, name: str) -> str:
    return str(settings.IA_BASE_URL).rstrip("/") + download_path(identifier, name)


class InternetArchiveClient:
    """Typed access to archive.org; build one per unit of work (it holds a connection pool)."""

    def __init__(self, *, base_url: str | None = None, min_interval: float | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.base_url: str = base_url or settings.IA_BASE_URL
        self.min_interval: float = settings.IA_MIN_INTERVAL if min_interval is None else min_interval
        self._transport = transport
        self._http: HttpClient | None = None
        self._files: FileDownloader | None = None

    @property
    def http(self) -> HttpClient:
        """The shared client for the API calls, built on first use: a file download needs none of it, and
        building an httpx client (its TLS context) costs tens of milliseconds of CPU."""
        if self._http is None:
            self._http = HttpClient(service=SERVICE, base_url=self.base_url, min_interval=self.min_interval,
                                    transport=self._transport)
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
        if self._files is not None:
            self._files.close()

    def __enter__(self) -> InternetArchiveClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- search ----------------------------------------------------------------------------------
    def search(self, *, query: str, page: int = 1, rows: int = 25, sort: str = "relevance",
               fields: tuple[str, ...] = SEARCH_FIELDS) -> SearchPage:
        """advancedsearch.php with an explicit field list; `query` is a full Lucene query."""
        params: list[tuple[str, str | int]] = [("q", query)]
        params += [("fl[]", f) for f in fields]
        if SORTS.get(sort):
            params.append(("sort[]", SORTS[sort]))
        params += [("rows", rows), ("page", page), ("output", "json")]
        with _invalid_url_is_permanent():
            return parse_search(self.http.get_json("/advancedsearch.php", params=params))

    def scrape(self, *, query: str, cursor: str | None = None, count: int = 1000,
               fields: tuple[str, ...] = SEARCH_FIELDS) -> ScrapePage:
        """One page of the scrape API; pass the returned cursor for the next."""
        params: dict[str, str | int] = {"q": query, "fields": ",".join(fields), "count": max(100, min(count, 10000))}
        if cursor:
            params["cursor"] = cursor
        with _invalid_url_is_permanent():
            return parse_scrape(self.http.get_json("/services/search/v1/scrape", params=params))

    def scrape_all(self, *, query: str, count: int = 1000, limit: int | None = None) -> Iterator[list[SearchDoc]]:
        """Every result of `query`, page by page, following the cursor."""
        cursor: str | None = None
        seen = 0
        while True:
            page = self.scrape(query=query, cursor=cursor, count=count)
            docs = page.docs if limit is None else page.docs[: max(0, limit - seen)]
            if docs:
                yield docs
            seen += len(docs)
            cursor = page.cursor
            if not cursor or not page.docs or (limit is not None and seen >= limit):
                return

    # -- items -----------------------------------------------------------------------------------
    def metadata(self, identifier: str) -> ItemMetadata:
        """/metadata/{identifier}; ItemUnavailable when the archive answers `{}`."""
        validate_identifier(identifier)
        with _invalid_url_is_permanent():
            data = self.http.get_json(f"/metadata/{identifier}")
        return parse_metadata(data, identifier=identifier)

    def download_path(self, identifier: str, name: str) -> str:
        return download_path(identifier, name)

    def download_url(self, identifier: str, name: str) -> str:
        return self.http.url(self.download_path(identifier, name))

    @contextmanager
    def open_file(self, identifier: str, name: str, *, offset: int = 0) -> Iterator[FileStream]:
        """Streams a file from `offset` (HTTP Range); check status_code for 206 against 200.

        Files go through the leaner streaming client in download.py (measured: about half the CPU per
        byte of httpx's streaming); everything else keeps the shared client.
        """
        if self._files is None:
            self._files = FileDownloader(base_url=self.base_url, min_interval=self.min_interval)
        with self._files.open(identifier, name, offset=offset) as response:
            yield response
