"""Writes for albums, split by what the parts do; the public names are re-exported here so callers
(views, API, tasks, users_aoty) keep importing `albums.services`.

- `kernel`: the AOTY scrape-and-serve kernel (fetch with cache and logging, serve stored data,
  refresh in the background, "blocked"/"unavailable" answers), shared with users_aoty.
- `catalogue`: albums, artists and their pages, side requests and similar albums.
- `covers`: cover images stored once in media storage.
- `search`: AOTY's search and the artist-and-title lookup.
- `discovery`: discovery grids, ranked publication lists, the year-end index.
- `maintenance`: the periodic stale refresh and the CSV import.
"""
from .catalogue import (
    album_extras_fetch,
    album_extras_serve,
    album_payload_invalidate,
    album_refresh,
    album_save_page,
    album_scrape,
    album_scrape_url,
    album_serve,
    album_stub_upsert,
    similar_page_merge,
    similar_serve,
)
from .covers import album_cover_needed, album_cover_schedule, album_cover_store
from .discovery import (
    DISCOVERY,
    MAX_DISCOVERY_PAGE,
    discovery_fetch,
    discovery_key_valid,
    discovery_path,
    discovery_refresh,
    discovery_save,
    discovery_serve,
    discovery_stored,
    publication_list_fetch,
    publication_list_stored,
    year_lists_get,
    year_lists_stored,
)
from .kernel import (
    RefreshTask,
    Served,
    block_notice,
    fetch_parsed,
    get_client,
    is_refreshing,
    is_stale,
    parsed_is_cached,
    refresh_done,
    refresh_enqueue,
    refreshing_key,
    scrape_log_record,
    serve,
    unavailable,
)
from .maintenance import import_aoty_csv, refresh_stale
from .search import SEARCH_QUERY_MAX, SearchOutcome, album_lookup, album_search, search_remote

__all__ = [
    "DISCOVERY", "MAX_DISCOVERY_PAGE", "SEARCH_QUERY_MAX", "RefreshTask", "SearchOutcome", "Served",
    "album_cover_needed", "album_cover_schedule", "album_cover_store", "album_extras_fetch", "album_extras_serve",
    "album_lookup", "album_payload_invalidate", "album_refresh", "album_save_page", "album_scrape", "album_scrape_url",
    "album_search", "album_serve", "album_stub_upsert", "block_notice", "discovery_fetch", "discovery_key_valid",
    "discovery_path", "discovery_refresh", "discovery_save", "discovery_serve", "discovery_stored", "fetch_parsed",
    "get_client", "import_aoty_csv", "is_refreshing", "is_stale", "parsed_is_cached", "publication_list_fetch", "publication_list_stored",
    "refresh_done", "refresh_enqueue", "refresh_stale", "refreshing_key", "scrape_log_record", "search_remote",
    "serve", "similar_page_merge", "similar_serve", "unavailable", "year_lists_get", "year_lists_stored",
]
