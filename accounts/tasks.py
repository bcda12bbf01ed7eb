"""Account tasks: the user's data export (a job with live progress; the file is kept for the owner)."""
from __future__ import annotations

from celery import shared_task

from common.tasks import StylusTask


@shared_task(base=StylusTask, bind=True, acks_late=True)
def export_user_data(self, job_id: int) -> None:
    from .services import user_data_export

    user_data_export(job_id=job_id)
