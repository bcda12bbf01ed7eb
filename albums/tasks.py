"""Celery tasks for albums: thin wrappers that take ids and call one service. All are safe to run twice.

Background refreshes (stale-while-revalidate) do not retry: the stored data keeps being served,
the failure is in ScrapeLog, and the next reader of the stale object queues a fresh attempt
(while the client's block/down cool-downs keep those attempts from reaching AOTY too often).
"""
from __future__ import annotations

import logging

from celery import shared_task

from common.tasks import StylusTask

log = logging.getLogger(__name__)


@shared_task(base=StylusTask, bind=True, acks_late=True)
def album_refresh_task(self, album_id: int) -> None:
    from integrations.errors import IntegrationError

    from .services import album_refresh

    try:
        album_refresh(album_id=album_id)
    except IntegrationError as error:
        log.info("background refresh of album %s failed: %s", album_id, error)


@shared_task(base=StylusTask, bind=True, acks_late=True)
def discovery_refresh_task(self, list_id: int) -> None:
    from integrations.errors import IntegrationError

    from .services import discovery_refresh

    try:
        discovery_refresh(list_id=list_id)
    except IntegrationError as error:
        log.info("background refresh of discovery list %s failed: %s", list_id, error)


@shared_task(base=StylusTask, bind=True, acks_late=True)
def refresh_stale_albums_task(self) -> dict:
    """Periodic (beat): refreshes the most-viewed stale albums; one run at a time."""
    from common.locks import exclusive

    from .services import refresh_stale

    with exclusive("albums.refresh_stale", ttl=3600) as mine:
        if not mine:
            return {"skipped": True}
        return refresh_stale()


@shared_task(base=StylusTask, bind=True, acks_late=True)
def album_cover_store_task(self, album_id: int) -> bool:
    """Stores the album's cover in media storage; safe to run twice (a stored cover is not fetched again).

    Transient errors retry with backoff (StylusTask); a final failure is recorded for staff to retry,
    and pages show the generated placeholder meanwhile.
    """
    from .services import album_cover_store

    return album_cover_store(album_id=album_id)
