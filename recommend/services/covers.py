"""Album covers for recommend: stored once in media storage by a background task; pages serve the stored copy.

Spotify's album images are never hot-linked: a track's `cover_url` is our own route, which serves the stored
copy or, when none is stored (not fetched yet, the CDN unreachable, no internet), a generated placeholder.
"""
from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from common.covers import cover_save, spotify_cover_fetch, spotify_cover_source

from ..models import Album

COVER_CLAIM_SECONDS = 300
COVER_FOLDER = "covers/spotify"


def album_cover_needed(*, album: Album) -> bool:
    """Whether the album has an image URL whose cover is not stored yet."""
    return bool(album.image_url) and (not album.cover_file or album.cover_source_url != album.image_url)


def album_cover_schedule(*, album: Album) -> bool:
    """Queues the cover store after commit when the album's cover is not stored yet (SPOTIFY_STORE_COVERS)."""
    if not settings.SPOTIFY_STORE_COVERS or not album_cover_needed(album=album):
        return False
    if spotify_cover_source(album.image_url) is None:
        return False  # not a Spotify image: never fetched, the placeholder stands in
    from ..tasks import album_cover_store_task

    album_id = album.pk
    transaction.on_commit(lambda: album_cover_store_task.delay(album_id))
    return True


def album_cover_store(*, album_id: int) -> bool:
    """Fetches the album's cover once and stores it; True when a new copy was stored.

    Idempotent: an album whose stored copy came from its current image URL is left alone (no request), an
    image another album already stored is reused without a request, and a short claim keeps two workers from
    fetching the same cover at once. No network call runs inside a transaction. Raises the typed errors of
    the HTTP layer (transient ones are retried by the task).
    """
    album = Album.objects.filter(pk=album_id).first()
    if album is None or not album_cover_needed(album=album):
        return False
    source = album.image_url
    claim = f"recommend:cover-claim:{album_id}"
    if not cache.add(claim, 1, timeout=COVER_CLAIM_SECONDS):
        return False
    try:
        name = (Album.objects.filter(cover_source_url=source).exclude(cover_file="")
                .values_list("cover_file", flat=True).first())
        if not name:
            name = cover_save(image=spotify_cover_fetch(source), folder=COVER_FOLDER)
        # Only if the image URL is still the one fetched: a changed cover is stored by its own run.
        return bool(Album.objects.filter(pk=album_id, image_url=source).update(
            cover_file=name, cover_source_url=source, updated_at=timezone.now()))
    finally:
        cache.delete(claim)


def album_covers_queue_missing() -> int:
    """Queues the cover store for every album whose Spotify cover is not stored yet (rows from before covers
    were stored, or whose task failed); returns how many were queued. Safe to run again."""
    missing = Album.objects.exclude(image_url="").exclude(cover_file__gt="", cover_source_url=F("image_url"))
    return sum(album_cover_schedule(album=album) for album in missing.only("pk", "image_url", "cover_file",
                                                                             "cover_source_url").iterator())
