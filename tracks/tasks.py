"""Celery tasks for tracks: thin wrappers that take ids and call one service."""
from __future__ import annotations

from celery import shared_task

from common.tasks import StylusTask


@shared_task(base=StylusTask, bind=True, acks_late=True)
def enrich_songs(self, job_id: int) -> None:
    """Bulk Spotify enrichment; safe to run twice (the job row is claimed once)."""
    from .services import songs_enrich_bulk

    songs_enrich_bulk(job_id=job_id)


@shared_task(base=StylusTask, bind=True, acks_late=True)
def evaluate_achievements(self, user_id: int) -> None:
    """Re-evaluates one user's achievements (admin action, repairs); idempotent."""
    from django.contrib.auth import get_user_model

    from .services import achievements_evaluate

    user = get_user_model().objects.filter(pk=user_id).first()
    if user is not None:
        achievements_evaluate(user=user)


@shared_task(base=StylusTask, bind=True, acks_late=True)
def song_cover_store_task(self, song_id: int) -> bool:
    """Stores the song's Spotify cover in media storage; safe to run twice (a stored cover is not fetched again).

    Transient errors retry with backoff (StylusTask); a final failure is recorded as a failed job for staff to
    retry, and pages show the generated placeholder meanwhile.
    """
    from .services import song_cover_store

    return song_cover_store(song_id=song_id)


@shared_task(base=StylusTask, bind=True, acks_late=True)
def album_series_cover_store_task(self, series_id: int) -> bool:
    """Stores the album series' Spotify cover in media storage; the same rules as song_cover_store_task."""
    from .services import album_series_cover_store

    return album_series_cover_store(series_id=series_id)
