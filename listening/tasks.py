"""Celery tasks for listening: thin wrappers that take ids and call one service. All are safe to run twice
(a listen already sent is skipped), and transient errors retry with backoff and jitter (StylusTask)."""
from __future__ import annotations

from celery import shared_task

from common.tasks import StylusTask


@shared_task(base=StylusTask, max_retries=8, acks_late=True)
def scrobble_listenbrainz_task(listen_id: int) -> int:
    from . import services
    from .models import Listen

    user_id = Listen.objects.filter(pk=listen_id).values_list("user_id", flat=True).first()
    return 0 if user_id is None else services.scrobble_listenbrainz(user_id=user_id, listen_ids=[listen_id])


@shared_task(base=StylusTask, max_retries=8, acks_late=True)
def scrobble_lastfm_task(listen_id: int) -> int:
    from . import services
    from .models import Listen

    user_id = Listen.objects.filter(pk=listen_id).values_list("user_id", flat=True).first()
    return 0 if user_id is None else services.scrobble_lastfm(user_id=user_id, listen_ids=[listen_id])


@shared_task(base=StylusTask, max_retries=5, acks_late=True)
def scrobble_listenbrainz_batch_task(user_id: int, listen_ids: list[int]) -> int:
    from . import services

    return services.scrobble_listenbrainz(user_id=user_id, listen_ids=listen_ids)


@shared_task(base=StylusTask, max_retries=5, acks_late=True)
def scrobble_lastfm_batch_task(user_id: int, listen_ids: list[int]) -> int:
    from . import services

    return services.scrobble_lastfm(user_id=user_id, listen_ids=listen_ids)


@shared_task(base=StylusTask, max_retries=0)
def now_playing_send_task(user_id: int, payload: dict) -> None:
    # No retries: "now playing" is stale within minutes, and a failure must never hold anything up.
    from . import services

    services.now_playing_send(user_id=user_id, **payload)


@shared_task(base=StylusTask, max_retries=3, acks_late=True)
def tallies_fold_task(user_id: int) -> None:
    from . import services

    services.tallies_fold_queued(user_id=user_id)


@shared_task(base=StylusTask)
def scrobbles_resend_task() -> dict:
    from . import services

    return services.scrobbles_resend()
