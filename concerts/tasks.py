"""Celery tasks for concerts: thin wrappers that take ids and call one service."""
from __future__ import annotations

import datetime as dt

from celery import shared_task

from common.tasks import StylusTask


@shared_task(base=StylusTask, bind=True, acks_late=True)
def concerts_aggregate_incremental(self) -> int:
    """Aggregates items added since the last successful run (a day of overlap); idempotent upserts.

    It also re-queues recordings whose metadata could not be read before, so their track counts get filled.
    """
    from . import selectors, services

    last = selectors.last_successful_run()
    since = (last.created_at.date() - dt.timedelta(days=1)) if last else None
    run = services.concerts_aggregate_from_archive(since=since)
    services.recordings_enrich_later(identifiers=services.recordings_needing_enrichment())
    return run.pk


@shared_task(base=StylusTask, bind=True, acks_late=True)
def recordings_enrich_task(self, identifiers: list[str]) -> dict:
    """Track counts, lengths and setlists of these recordings from their item metadata (idempotent)."""
    from . import services

    return services.recordings_enrich(identifiers=identifiers)


@shared_task(base=StylusTask, bind=True, acks_late=True)
def recording_quality_analyse(self, job_id: int, identifier: str) -> None:
    """Measures a recording's verified tracks (one Job row; a failure is recorded for staff to retry)."""
    from . import services

    services.quality_job_run(job_id=job_id, identifier=identifier)


@shared_task(base=StylusTask, bind=True, acks_late=True)
def recording_features_import_task(self, identifier: str) -> int:
    """Imports the archive's Essentia descriptors of a recording's tracks into recommend (idempotent)."""
    from . import services

    return services.recording_features_import(identifier=identifier)
