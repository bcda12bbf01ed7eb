"""Celery tasks for concerts: thin wrappers that take ids and call one service."""
from __future__ import annotations

import datetime as dt

from celery import shared_task

from common.tasks import StylusTask


@shared_task(base=StylusTask, bind=True, acks_late=True)
def concerts_aggregate_incremental(self) -> int:
    """Aggregates items added since the last successful run (a day of overlap); idempotent upserts."""
    from . import selectors, services

    last = selectors.last_successful_run()
    since = (last.created_at.date() - dt.timedelta(days=1)) if last else None
    run = services.concerts_aggregate_from_archive(since=since)
    return run.pk
