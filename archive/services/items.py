"""Item metadata: served from the cache or a stored snapshot, else fetched, cached and snapshotted.

Storing an item tells the rest of Stylus through archive.signals.recordings_stored (after commit):
concerts fills its recordings from it without archive importing concerts.
"""
from __future__ import annotations

import logging
import time
from dataclasses import asdict

from django.conf import settings
from django.db import transaction

from common.exceptions import InvalidInput, NotFound, ServiceUnavailable, StylusError
from common.metrics import metrics
from integrations.errors import IntegrationError, TransientError
from integrations.errors import NotFound as UpstreamNotFound
from integrations.internet_archive.client import InternetArchiveClient
from integrations.internet_archive.errors import InvalidIdentifier
from integrations.internet_archive.parser import is_valid_identifier
from integrations.internet_archive.types import ItemMetadata

from .. import cache as archive_cache
from ..models import ItemSnapshot
from ..selectors import item_from_dict
from ..signals import recordings_stored

log = logging.getLogger(__name__)


def upstream_error(exc: IntegrationError) -> StylusError:
    """The archive's error as the domain error a page or the API answers with."""
    if isinstance(exc, InvalidIdentifier):
        return InvalidInput(str(exc), field="identifier")
    if isinstance(exc, UpstreamNotFound):
        return NotFound("No such item on the Internet Archive.")
    if isinstance(exc, TransientError):
        return ServiceUnavailable("The Internet Archive is not answering right now; try again shortly.",
                                  retry_after=int(exc.retry_after or 30))
    return ServiceUnavailable(f"The Internet Archive gave an unexpected answer: {exc}", retry_after=60)


def archive_item_get(*, identifier: str) -> ItemMetadata:
    """An item's metadata (cached 60 min); 422 for a bad identifier, 404 when unavailable."""
    if not is_valid_identifier(identifier):
        raise InvalidInput("Not a valid Internet Archive identifier.", field="identifier")
    key = archive_cache.make_key("metadata", identifier)
    meta = archive_cache.get(key)
    if meta is not None:
        return meta
    pinned = ItemSnapshot.objects.filter(identifier=identifier, pinned=True).first()
    if pinned is not None:
        return item_from_dict(pinned.data)
    start = time.perf_counter()
    try:
        with InternetArchiveClient() as client:
            meta = client.metadata(identifier)
    except IntegrationError as exc:
        metrics.record_timing(name="archive.metadata", duration=time.perf_counter() - start, ok=False)
        if exc.transient:  # offline or the archive is down: the last copy we saw is better than nothing
            snapshot = ItemSnapshot.objects.filter(identifier=identifier).first()
            if snapshot is not None:
                return item_from_dict(snapshot.data)
        raise upstream_error(exc) from exc
    metrics.record_timing(name="archive.metadata", duration=time.perf_counter() - start)
    archive_cache.put(key, meta, ttl=settings.ARCHIVE_METADATA_CACHE_TTL)
    item_snapshot_save(meta=meta)
    return meta


def item_snapshot_save(*, meta: ItemMetadata, pinned: bool = False) -> None:
    """Keeps the item's metadata for offline use (the player and item page work without the archive),
    and announces it (recordings_stored) once the transaction commits."""
    ItemSnapshot.objects.update_or_create(identifier=meta.identifier,
                                          defaults={"data": asdict(meta), "pinned": pinned})
    identifiers = [meta.identifier]
    transaction.on_commit(lambda: _announce(identifiers))


def _announce(identifiers: list[str]) -> None:
    # Receivers (concerts' enrichment) are a bonus: a page must never fail because one of them did.
    for receiver, result in recordings_stored.send_robust(sender=ItemSnapshot, identifiers=identifiers):
        if isinstance(result, Exception):
            log.warning("recordings_stored receiver %r failed for %s", receiver, identifiers, exc_info=result)


def archive_cache_clear() -> int:
    """Empties the archive's response cache; returns how many entries went."""
    return archive_cache.clear()
