"""Celery tasks for digger: thin wrappers that take ids and call one service."""
from __future__ import annotations

import random

from celery import shared_task
from django.conf import settings

from common.tasks import StylusTask
from integrations.errors import TransientError

from . import services


@shared_task(base=StylusTask, bind=True, acks_late=True, soft_time_limit=settings.DIGGER_RUN_SOFT_TIME_LIMIT,
             time_limit=settings.DIGGER_RUN_TIME_LIMIT, autoretry_for=())
def run_saved_search(self, run_id: int) -> None:
    """Runs one queued search. Idempotent: the run is claimed by a row update and listings are upserted.

    Transient errors (timeouts, 5xx, 429) retry with backoff and jitter; once the retries are
    spent the run is marked failed. Permanent errors never retry.
    """
    try:
        services.search_run_execute(run_id=run_id)
    except TransientError as exc:
        if self.request.retries >= self.max_retries:
            services.search_run_fail(run_id=run_id, message=f"Gave up after {self.request.retries} retries: {exc}")
            return
        countdown = exc.retry_after if exc.retry_after is not None else min(600, 2 ** (self.request.retries + 1))
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task(base=StylusTask, bind=True, acks_late=True)
def queue_due_searches(self) -> int:
    """Beat: queue one run per due saved search."""
    return services.searches_queue_due()


@shared_task(base=StylusTask, bind=True, acks_late=True, autoretry_for=(TransientError,))
def sync_collection(self, job_id: int, full: bool = False) -> None:
    """Syncs one user's Discogs collection and want list (job with a live progress bar)."""
    services.collection_sync_run(job_id=job_id, full=full)


@shared_task(base=StylusTask, bind=True)
def send_daily_digests(self) -> int:
    """Beat: the daily e-mail digest for users who chose it."""
    return services.digests_send_daily()


@shared_task(base=StylusTask, bind=True, acks_late=True)
def solve_cart(self, job_id: int, cart_id: int) -> None:
    """Solves one queued cart plan (job with a live bar); claimed once, so a redelivery does nothing."""
    services.cart_solve(job_id=job_id, cart_id=cart_id)


@shared_task(base=StylusTask, bind=True, acks_late=True)
def check_alerts(self, run_id: int) -> int:
    """After a run: alert on listings that pass their want's rules (each listing alerts once, ever)."""
    return services.alerts_check_run(run_id=run_id)


@shared_task(base=StylusTask, bind=True, acks_late=True, max_retries=4)
def deliver_alert(self, delivery_id: int) -> None:
    """Sends one alert to one channel; transient failures retry with backoff and jitter (the channel
    pauses itself after DIGGER_WEBHOOK_MAX_FAILURES, keeping its deliveries pending)."""
    try:
        services.alert_deliver(delivery_id=delivery_id)
    except TransientError as exc:
        if self.request.retries >= self.max_retries:
            return  # still pending: the paused channel's resume re-sends it
        countdown = min(900, 30 * 2 ** self.request.retries) + random.uniform(0, 10)
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task(base=StylusTask, bind=True, acks_late=True)
def compute_price_bands(self) -> dict:
    """Beat (daily): recompute every fair-price band."""
    return services.price_bands_compute()
