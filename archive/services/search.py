"""Archive searches: validated parameters, the cached etree search, and each user's search history."""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone

from common.exceptions import InvalidInput
from common.metrics import metrics
from common.services import search_log_record
from common.types import AnyUser, AuthUser
from integrations.errors import IntegrationError
from integrations.internet_archive.client import SORTS, InternetArchiveClient
from integrations.internet_archive.query import etree_query
from integrations.internet_archive.types import SearchPage

from .. import cache as archive_cache
from ..models import SearchHistory
from .items import upstream_error

RANGES = {"7d": 7, "30d": 30, "90d": 90, "1y": 365}


@dataclass(frozen=True)
class SearchParams:
    q: str = ""
    artist: str = ""
    venue: str = ""
    year: int | None = None
    range: str = ""  # 7d, 30d, 90d, 1y: added to the archive recently
    date_from: dt.date | None = None  # concert date
    date_to: dt.date | None = None
    sort: str = "relevance"
    page: int = 1
    rows: int = 25

    def validate(self) -> SearchParams:
        if self.sort not in SORTS:
            raise InvalidInput(f"sort must be one of {', '.join(SORTS)}.", field="sort")
        if self.range and self.range not in RANGES:
            raise InvalidInput(f"range must be one of {', '.join(RANGES)}.", field="range")
        if self.year is not None and not 1900 <= self.year <= 2100:
            raise InvalidInput("year must be between 1900 and 2100.", field="year")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise InvalidInput("date_from must not be after date_to.", field="date_from")
        if self.page < 1 or self.page > 1000:
            raise InvalidInput("page must be between 1 and 1000.", field="page")
        if not 1 <= self.rows <= 100:
            raise InvalidInput("rows must be between 1 and 100.", field="rows")
        for name in ("q", "artist", "venue"):
            if len(getattr(self, name)) > 200:
                raise InvalidInput(f"{name} is too long (200 characters at most).", field=name)
        return self

    @property
    def is_empty(self) -> bool:
        return not any([self.q, self.artist, self.venue, self.year, self.range, self.date_from, self.date_to])

    def summary(self) -> str:
        parts = [f'"{self.q}"'] if self.q else []
        parts += [f"{label}: {value}" for label, value in (
            ("artist", self.artist), ("venue", self.venue), ("year", self.year), ("added", self.range),
            ("from", self.date_from), ("to", self.date_to)) if value]
        if self.sort != "relevance":
            parts.append(f"sorted by {self.sort}")
        return ", ".join(parts) or "everything"

    def as_query(self) -> dict[str, Any]:
        """Query-string parameters that reproduce this search (page excluded)."""
        data = {k: v for k, v in asdict(self).items() if v not in ("", None) and k not in ("page", "rows")}
        if data.get("sort") == "relevance":
            data.pop("sort")
        return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in data.items()}

    def cache_key(self) -> str:
        """The archive cache key of this search's result page."""
        return archive_cache.make_key("search", {"q": self.lucene(), "sort": self.sort, "page": self.page,
                                                 "rows": self.rows})

    def lucene(self) -> str:
        """The Lucene query the archive is asked."""
        added_since = timezone.now().date() - dt.timedelta(days=RANGES[self.range]) if self.range else None
        return etree_query(text=self.q, artist=self.artist, venue=self.venue, year=self.year,
                           date_from=self.date_from, date_to=self.date_to, added_since=added_since)


def archive_search(*, params: SearchParams, user: AnyUser | None = None,
                   record: bool = True) -> tuple[SearchPage, bool]:
    """Searches etree (cached 30 min); records the search in the user's history. Returns (page, from_cache)."""
    params.validate()
    query = params.lucene()
    key = params.cache_key()
    page = archive_cache.get(key)
    cached = page is not None
    if page is None:
        start = time.perf_counter()
        try:
            with InternetArchiveClient() as client:
                page = client.search(query=query, page=params.page, rows=params.rows, sort=params.sort)
        except IntegrationError as exc:
            metrics.record_timing(name="archive.search", duration=time.perf_counter() - start, ok=False)
            raise upstream_error(exc) from exc
        metrics.record_timing(name="archive.search", duration=time.perf_counter() - start)
        archive_cache.put(key, page, ttl=settings.ARCHIVE_SEARCH_CACHE_TTL)
    if record and not params.is_empty:
        search_log_record(section="archive", query=params.summary(), user=user)
        if isinstance(user, User) and params.page == 1:
            search_history_record(user=user, params=params, results_count=page.total)
    return page, cached


def search_history_record(*, user: AuthUser, params: SearchParams, results_count: int) -> SearchHistory:
    """Keeps the search in the user's history (one row per distinct search, most recent first)."""
    data = params.as_query()
    key = archive_cache.make_key("history", data).rsplit(":", 1)[-1]
    entry, created = SearchHistory.objects.get_or_create(
        user=user, params_key=key,
        defaults={"summary": params.summary()[:300], "params": data, "results_count": results_count},
    )
    if not created:
        SearchHistory.objects.filter(pk=entry.pk).update(uses=entry.uses + 1, results_count=results_count,
                                                         last_used_at=timezone.now())
    return entry


def search_history_clear(*, user: AuthUser) -> int:
    """Forgets the user's archive searches; returns how many went."""
    return SearchHistory.objects.filter(user=user).delete()[0]
