"""The base task every Stylus task uses, and platform tasks."""
from __future__ import annotations

import logging
import uuid
from typing import Any

import celery
from kombu.exceptions import OperationalError as BrokerError

from integrations.errors import TransientError

log = logging.getLogger(__name__)


class StylusTask(celery.Task):  # type: ignore[misc]  # celery ships no type information
    """Retries transient integration errors with backoff and jitter; records final failures.

    acks_late stays off here: tasks opt in with acks_late=True only when they are idempotent.
    """

    autoretry_for = (TransientError,)
    retry_backoff = 2
    retry_backoff_max = 600
    retry_jitter = True
    max_retries = 5

    def apply_async(self, args: Any = None, kwargs: Any = None, **options: Any) -> Any:
        # With the broker (Redis) down, enqueueing must not turn the user's request into a 500:
        # the task is recorded as a failed job that staff can re-queue once the broker is back.
        try:
            return super().apply_async(args, kwargs, **options)
        except (BrokerError, ConnectionError, OSError) as exc:
            from .services import failed_job_record

            log.error("Could not enqueue %s: broker unavailable (%s)", self.name, exc)
            failed_job_record(task_name=self.name, task_id=f"unsent-{uuid.uuid4().hex}", args=args or [], kwargs=kwargs or {},
                              exc=exc, traceback="broker unavailable when enqueueing")
            return None

    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        from .services import failed_job_record

        failed_job_record(
            task_name=self.name, task_id=task_id or "", args=args, kwargs=kwargs, exc=exc,
            retries=self.request.retries or 0, traceback=str(einfo)[-8000:],
        )
