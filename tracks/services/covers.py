"""Spotify covers of songs and album series: stored once in media storage by a background task.

Pages and the API never hot-link Spotify's CDN: they show an uploaded cover, else our cover route, which
serves the stored copy or, when none is stored (not fetched yet, the CDN unreachable, no internet), a
generated placeholder. Only Spotify image URLs are ever fetched (common.covers.spotify_cover_source), so a
cover URL someone typed into a series form is never requested; the placeholder stands in for it.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from common.covers import cover_save, spotify_cover_fetch, spotify_cover_source

from ..models import AlbumSeries, Song

COVER_CLAIM_SECONDS = 300
COVER_FOLDER = "covers/spotify"  # content-addressed, shared with recommend: one file per distinct image


@dataclass(frozen=True)
class _Cover:
    """Which fields of a model hold the remote URL, the stored copy and the URL that copy came from."""

    model: type[models.Model]
    url: str
    file: str
    source: str


_SONG = _Cover(Song, "spotify_cover_url", "spotify_cover_file", "spotify_cover_source_url")
_SERIES = _Cover(AlbumSeries, "cover_url", "cover_file", "cover_source_url")


def _needed(obj: models.Model, spec: _Cover) -> bool:
    url = getattr(obj, spec.url)
    return bool(url) and (not getattr(obj, spec.file) or getattr(obj, spec.source) != url)


def _schedule(obj: models.Model, spec: _Cover, task_name: str) -> bool:
    if not settings.SPOTIFY_STORE_COVERS or not _needed(obj, spec) or spotify_cover_source(getattr(obj, spec.url)) is None:
        return False
    from .. import tasks

    task, pk = getattr(tasks, task_name), obj.pk
    transaction.on_commit(lambda: task.delay(pk))
    return True


def _stored_name(source: str) -> str:
    """A stored copy of ``source`` that any song or series already holds (no request needed), else ""."""
    for spec in (_SONG, _SERIES):
        name = (spec.model._default_manager.filter(**{spec.source: source}).exclude(**{spec.file: ""})
                .values_list(spec.file, flat=True).first())
        if name:
            return str(name)
    return ""


def _store(spec: _Cover, pk: int) -> bool:
    obj = spec.model._default_manager.filter(pk=pk).first()
    if obj is None or not _needed(obj, spec):
        return False
    source = getattr(obj, spec.url)
    claim = f"tracks:cover-claim:{spec.model.__name__}:{pk}"
    if not cache.add(claim, 1, timeout=COVER_CLAIM_SECONDS):
        return False
    try:
        name = _stored_name(source) or cover_save(image=spotify_cover_fetch(source), folder=COVER_FOLDER)
        # Only if the URL is still the one fetched: a changed cover is stored by its own run.
        return bool(spec.model._default_manager.filter(pk=pk, **{spec.url: source}).update(
            **{spec.file: name, spec.source: source, "updated_at": timezone.now()}))
    finally:
        cache.delete(claim)


def song_cover_schedule(*, song: Song) -> bool:
    """Queues the store of the song's Spotify cover after commit when it is not stored yet (SPOTIFY_STORE_COVERS)."""
    return _schedule(song, _SONG, "song_cover_store_task")


def album_series_cover_schedule(*, series: AlbumSeries) -> bool:
    """Queues the store of the series' cover after commit when it is a Spotify image not stored yet."""
    return _schedule(series, _SERIES, "album_series_cover_store_task")


def song_cover_store(*, song_id: int) -> bool:
    """Fetches the song's Spotify cover once and stores it; True when a copy was stored.

    Idempotent: a song whose copy came from its current URL is left alone (no request), an image another
    song or series already stored is reused without a request, and a short claim keeps two workers from
    fetching at once. No network call runs inside a transaction. Raises the HTTP layer's typed errors.
    """
    return _store(_SONG, song_id)


def album_series_cover_store(*, series_id: int) -> bool:
    """Fetches the series' Spotify cover once and stores it; the same rules as song_cover_store."""
    return _store(_SERIES, series_id)


def covers_queue_missing() -> int:
    """Queues the cover store for every song and album series whose Spotify cover is not stored yet (rows from
    before covers were stored, or whose task failed); returns how many were queued. Safe to run again."""
    queued = 0
    for spec, task_name in ((_SONG, "song_cover_store_task"), (_SERIES, "album_series_cover_store_task")):
        rows = (spec.model._default_manager.exclude(**{spec.url: ""})
                .exclude(**{f"{spec.file}__gt": "", spec.source: F(spec.url)})
                .only("pk", spec.url, spec.file, spec.source))
        queued += sum(_schedule(row, spec, task_name) for row in rows.iterator())
    return queued
