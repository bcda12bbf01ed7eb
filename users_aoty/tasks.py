"""Celery tasks for users_aoty: thin wrappers that take ids and call one service."""
from __future__ import annotations

from celery import shared_task

from common.tasks import StylusTask


@shared_task(base=StylusTask, bind=True, acks_late=True)
def aoty_user_refresh_task(self, aoty_user_id: int) -> None:
    from integrations.errors import IntegrationError

    from .services import aoty_user_refresh

    try:
        aoty_user_refresh(aoty_user_id=aoty_user_id)
    except IntegrationError:
        pass  # logged in ScrapeLog; readers keep the stored profile and the next view queues another try
