"""Celery tasks for archive: thin wrappers that take ids and call one service."""
from __future__ import annotations

from celery import shared_task

from common.tasks import StylusTask


@shared_task(base=StylusTask, bind=True, acks_late=True, max_retries=20)
def download_file(self, download_id: int) -> str:
    """Streams one download. Idempotent (row claim + transfer lock), so a redelivery after a worker
    died resumes from the partial file; while another worker holds the transfer it comes back later."""
    from . import services

    status = services.download_run(download_id=download_id)
    if status == "busy":
        raise self.retry(countdown=30)
    return status
