"""Writes for archive, split by what they do; callers import from here, as before the split.

- search.py: validated search parameters, the cached etree search, search history;
- items.py: item metadata (cached, snapshotted, announced with archive.signals.recordings_stored);
- downloads.py: download requests, cancel, retry, the run of one transfer, re-queue after a crash.
The transfer itself (receive, hash, write, resume, verify) is archive/transfer.py.
"""
from integrations.internet_archive.parser import is_valid_identifier
from integrations.internet_archive.query import etree_query, lucene_escape

from ..selectors import item_from_dict
from .downloads import (
    download_cancel,
    download_request,
    download_retry,
    download_run,
    downloads_resume_orphaned,
    downloads_root,
    final_path,
    partial_path,
)
from .items import archive_cache_clear, archive_item_get, item_snapshot_save, upstream_error
from .search import RANGES, SearchParams, archive_search, search_history_clear, search_history_record

__all__ = [
    "RANGES",
    "SearchParams",
    "archive_cache_clear",
    "archive_item_get",
    "archive_search",
    "download_cancel",
    "download_request",
    "download_retry",
    "download_run",
    "downloads_resume_orphaned",
    "downloads_root",
    "etree_query",  # concerts calls it here today; its home is integrations.internet_archive.query
    "final_path",
    "is_valid_identifier",
    "item_from_dict",
    "item_snapshot_save",
    "lucene_escape",
    "partial_path",
    "search_history_clear",
    "search_history_record",
    "upstream_error",
]
