"""Celery tasks for albums: thin wrappers that take ids and call one service. All are safe to run twice."""
from __future__ import annotations

from celery import shared_task

from common.tasks import StylusTask


@shared_task(base=StylusTask, bind=True, acks_late=True)
def album_refresh_task(self, album_id: int) -> None:
    from integrations.aoty.errors import AotyBlocked

    from .services import album_refresh

    try:
        album_refresh(album_id=album_id)
    except AotyBlocked:
        pass  # logged in ScrapeLog; the stored data stays and readers see the block notice


@shared_task(base=StylusTask, bind=True, acks_late=True)
def discovery_refresh_task(self, list_id: int) -> None:
    from integrations.aoty.errors import AotyBlocked

    from .services import discovery_refresh

    try:
        discovery_refresh(list_id=list_id)
    except AotyBlocked:
        pass


@shared_task(base=StylusTask, bind=True, acks_late=True)
def refresh_stale_albums_task(self) -> dict:
    """Periodic (beat): refreshes the most-viewed stale albums; one run at a time."""
    from common.locks import exclusive

    from .services import refresh_stale

    with exclusive("albums.refresh_stale", ttl=3600) as mine:
        if not mine:
            return {"skipped": True}
        return refresh_stale()
