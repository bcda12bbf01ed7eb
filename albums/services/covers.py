"""Album covers: stored once in media storage by a background task; pages serve the stored copy.

With no copy stored (not fetched yet, AOTY's CDN unreachable, no internet at all) pages show the
generated placeholder from common.covers, so nothing on a page is hot-linked from AOTY.
"""
from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from common.covers import cover_fetch

from ..models import Album

log = logging.getLogger(__name__)
COVER_CLAIM_SECONDS = 300


def album_cover_needed(*, album: Album) -> bool:
    """Whether the album has a cover URL whose image is not stored yet."""
    return bool(album.cover_url) and (not album.cover_file or album.cover_source_url != album.cover_url)


def album_cover_schedule(*, album: Album) -> bool:
    """Queues the cover store after commit when the album's cover is not stored yet (AOTY_STORE_COVERS)."""
    if not settings.AOTY_STORE_COVERS or not album_cover_needed(album=album):
        return False
    from ..tasks import album_cover_store_task

    album_id = album.pk
    transaction.on_commit(lambda: album_cover_store_task.delay(album_id))
    return True


def album_cover_store(*, album_id: int) -> bool:
    """Fetches the album's cover once and stores it; True when a new copy was stored.

    Idempotent: an album whose stored copy came from its current cover URL is left alone, and a
    short claim keeps two workers from fetching the same cover at once. No network call (AOTY or
    the storage backend) runs inside a transaction. Raises the integration's typed errors.
    """
    album = Album.objects.filter(pk=album_id).first()
    if album is None or not album_cover_needed(album=album):
        return False
    claim = f"albums:cover-claim:{album_id}"
    if not cache.add(claim, 1, timeout=COVER_CLAIM_SECONDS):
        return False
    try:
        source = album.cover_url
        # Only albumoftheyear.org images (a scraped URL pointing elsewhere is refused); AOTY_COVER_BASE_URL
        # replaces the host (the replay server in tests, a mirror offline). Covers come from AOTY's CDN, not the
        # site, so they are spaced by at most a second rather than AOTY_MIN_INTERVAL.
        image = cover_fetch(source, service="aoty.covers", hosts=["albumoftheyear.org"],
                            base_url=settings.AOTY_COVER_BASE_URL, timeout=settings.AOTY_TIMEOUT,
                            min_interval=min(1.0, float(settings.AOTY_MIN_INTERVAL)))
        digest = hashlib.sha256(image.data).hexdigest()[:12]
        name = default_storage.save(f"covers/albums/{album.aoty_id}-{digest}.{image.extension}", ContentFile(image.data))
        stored = Album.objects.filter(pk=album_id, cover_url=source).update(
            cover_file=name, cover_source_url=source, updated_at=timezone.now())
        if not stored:  # the cover changed meanwhile: the next run stores the new one
            default_storage.delete(name)
            return False
        old = album.cover_file.name if album.cover_file else ""
        if old and old != name:
            default_storage.delete(old)
        return True
    finally:
        cache.delete(claim)
