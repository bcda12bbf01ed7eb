"""Writes for the platform: jobs with live progress, failed-job records, and the search log."""
from __future__ import annotations

import time
import traceback as tb
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from django.utils import timezone

from . import realtime
from .models import FailedJob, Job, SearchLog
from .types import AnyUser, AuthUser, JSONDict

_JOB_WRITE_INTERVAL = 0.5  # progress rows are written at most twice a second per job
_last_job_write: dict[int, float] = {}


def job_create(*, user: AuthUser, kind: str, label: str, total: int = 0, result: JSONDict | None = None) -> Job:
    """Creates a pending job (job_start also queues its task)."""
    return Job.objects.create(user=user, kind=kind, label=label, total=total, result=result or {})


def job_start(*, user: AuthUser, kind: str, label: str, task: Any, args: tuple[Any, ...] = (), total: int = 0,
              result: JSONDict | None = None) -> Job:
    """Creates a pending job and queues task(job.pk, *args) once the transaction commits, so the
    worker always finds the row. The task claims the job with job_claim()."""
    job = job_create(user=user, kind=kind, label=label, total=total, result=result)
    transaction.on_commit(lambda: task.delay(job.pk, *args))
    return job


def job_claim(*, job_id: int) -> bool:
    """Moves a job from pending to running; False if another worker already has it."""
    return Job.objects.filter(pk=job_id, status=Job.Status.PENDING).update(
        status=Job.Status.RUNNING, updated_at=timezone.now()
    ) == 1


def _push(job: Job) -> None:
    realtime.publish_progress(
        groups=job.group, dom_id=f"job-{job.pk}", done=job.done, total=job.total, label=job.label,
        status=job.status, message=job.message,
    )


def job_progress(*, job: Job, done: int, total: int | None = None, message: str = "") -> None:
    """Records progress (throttled writes) and pushes the live bar."""
    job.done = done
    if total is not None:
        job.total = total
    if message:
        job.message = message[:500]
    now = time.monotonic()
    if now - _last_job_write.get(job.pk, 0.0) >= _JOB_WRITE_INTERVAL:
        _last_job_write[job.pk] = now
        Job.objects.filter(pk=job.pk).update(done=job.done, total=job.total, message=job.message, updated_at=timezone.now())
    _push(job)


def job_finish(*, job: Job, status: str = Job.Status.SUCCEEDED, message: str = "", result: JSONDict | None = None) -> Job:
    """Marks the job finished and pushes the final state of the bar."""
    _last_job_write.pop(job.pk, None)
    job.status = status
    if status == Job.Status.SUCCEEDED and job.total:
        job.done = job.total
    job.message = (message or job.message)[:500]
    job.result = result or job.result
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "done", "total", "message", "result", "finished_at", "updated_at"])
    _push(job)
    return job


@contextmanager
def job_failure_guard(*, job: Job) -> Iterator[Job]:
    """Marks the job failed (and pushes the red bar) if the block raises, then re-raises."""
    try:
        yield job
    except Exception as exc:
        job_finish(job=job, status=Job.Status.FAILED, message=f"Failed: {exc}"[:500])
        raise


def failed_job_record(*, task_name: str, task_id: str, args: Any, kwargs: Any, exc: BaseException,
                      retries: int = 0, traceback: str = "") -> FailedJob:
    """Records a task that exhausted its retries; idempotent on task id."""
    failed, _ = FailedJob.objects.update_or_create(
        task_id=task_id,
        defaults={
            "task_name": task_name,
            "args": list(args or []),
            "kwargs": dict(kwargs or {}),
            "exception": exc.__class__.__name__,
            "message": str(exc)[:2000],
            "traceback": traceback or "".join(tb.format_exception(exc))[-8000:],
            "retries": retries,
        },
    )
    return failed


def failed_job_retry(*, failed_job: FailedJob) -> str:
    """Re-queues a failed task with its original arguments and marks the record resolved."""
    from celery import current_app as app

    with transaction.atomic():
        locked = FailedJob.objects.select_for_update().get(pk=failed_job.pk)
        if locked.resolved_at:
            return locked.retried_task_id
        result = app.send_task(locked.task_name, args=locked.args, kwargs=locked.kwargs) if not app.conf.task_always_eager \
            else app.tasks[locked.task_name].apply_async(args=locked.args, kwargs=locked.kwargs)
        locked.resolved_at = timezone.now()
        locked.retried_task_id = result.id or ""
        locked.save(update_fields=["resolved_at", "retried_task_id", "updated_at"])
        return locked.retried_task_id


def search_log_record(*, section: str, query: str, user: AnyUser | None = None) -> None:
    """Logs a search for the staff statistics page (top queries)."""
    query = (query or "").strip()
    if not query:
        return
    SearchLog.objects.create(
        section=section, query=query[:300], normalized=" ".join(query.lower().split())[:300],
        user=user if user is not None and user.is_authenticated else None,
    )
