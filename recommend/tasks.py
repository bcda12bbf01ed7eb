"""Celery tasks for recommend: thin wrappers that take ids and call one service."""
from __future__ import annotations

from celery import shared_task

from common.tasks import StylusTask

from . import services


@shared_task(base=StylusTask, bind=True, acks_late=True)
def ingest_playlist_task(self, job_id: int, spotify_id: str) -> None:
    # idempotent: the ingest lock and the snapshot id make a second run a no-op
    services.playlist_ingest_run(job_id=job_id, spotify_id=spotify_id)


@shared_task(base=StylusTask, bind=True, acks_late=True)
def import_library_task(self, job_id: int) -> None:
    services.library_import_run(job_id=job_id)


@shared_task(base=StylusTask, bind=True, acks_late=True)
def import_dataset_task(self, job_id: int, path: str, mapping: dict) -> None:
    services.dataset_import_run(job_id=job_id, path=path, mapping=mapping)


@shared_task(base=StylusTask, bind=True, acks_late=True)
def analyse_upload_task(self, job_id: int, upload_id: int) -> None:
    services.audio_upload_analyse(job_id=job_id, upload_id=upload_id)


@shared_task(base=StylusTask, bind=True, acks_late=True)
def analyse_archive_task(self, job_id: int) -> None:
    services.archive_downloads_analyse(job_id=job_id)


@shared_task(base=StylusTask, bind=True, acks_late=True)
def rebuild_index_task(self, job_id: int) -> None:
    services.index_rebuild_run(job_id=job_id, reason="staff request")


@shared_task(base=StylusTask, bind=True, acks_late=True)
def nightly_rebuild_task(self, reason: str = "nightly") -> None:
    services.index_rebuild_run(job_id=None, reason=reason)


@shared_task(base=StylusTask, bind=True, acks_late=True, max_retries=30)
def index_add_task(self, track_ids: list[int]) -> None:
    # idempotent: adding a track again replaces its vector
    try:
        services.index_add_tracks(track_ids=track_ids, reason="queued add", raise_if_busy=True)
    except services.IndexBusy as exc:
        raise self.retry(countdown=30, exc=exc) from exc


@shared_task(base=StylusTask, bind=True, acks_late=True)
def album_cover_store_task(self, album_id: int) -> bool:
    """Stores the album's Spotify cover in media storage; safe to run twice (a stored cover is not fetched again).

    Transient errors retry with backoff (StylusTask); a final failure is recorded as a failed job for staff
    to retry, and pages show the generated placeholder meanwhile.
    """
    return services.album_cover_store(album_id=album_id)
