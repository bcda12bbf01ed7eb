"""Embedded mode: the Celery worker and beat run as threads inside the one ASGI process.

Without Redis there is no broker or channel layer shared between processes, so `make run`
starts a single uvicorn process whose lifespan startup (1) captures the server's event loop for
common.realtime and (2) starts Celery's own WorkController (threads pool) on the in-memory
broker, plus an embedded beat thread reading django-celery-beat schedules. A request enqueues a
task and returns at once; the worker thread picks it up within the broker's 0.1 s poll.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings

from . import realtime

log = logging.getLogger(__name__)
_started = threading.Lock()
_worker = None
_beat = None
_startup_hooks: list[Callable[[], object]] = []


def register_worker_startup(hook: Callable[[], object]) -> None:
    """Runs `hook` each time the embedded worker starts (apps register in AppConfig.ready()).

    The in-memory broker forgets its queue with the process, so work a dead process left half done
    (an interrupted download, say) has no task any more: a hook re-queues it.
    """
    if hook not in _startup_hooks:
        _startup_hooks.append(hook)


def run_startup_hooks() -> None:
    """Runs every registered hook; one that fails is logged and never stops the server."""
    for hook in list(_startup_hooks):
        try:
            hook()
        except Exception:
            log.exception("Embedded worker startup hook %r failed", hook)


def start_worker(*, beat: bool = True, concurrency: int = 4) -> Any:
    """Starts the in-process worker (idempotent). Returns the WorkController."""
    global _worker, _beat
    with _started:
        if _worker is not None:
            return _worker
        from celery import current_app as app
        from celery.beat import EmbeddedService

        app.conf.task_always_eager = False
        worker = app.WorkController(
            pool_cls="threads",
            concurrency=concurrency,
            without_heartbeat=True,
            without_mingle=True,
            without_gossip=True,
            loglevel="INFO",
        )
        thread = threading.Thread(target=worker.start, name="stylus-celery-worker", daemon=True)
        thread.start()
        _worker = worker
        if beat:
            _beat = EmbeddedService(app, thread=True, scheduler_cls=settings.CELERY_BEAT_SCHEDULER)
            _beat.start()
        log.info("Embedded Celery worker started (threads pool, %s slots, memory broker)", concurrency)
    run_startup_hooks()  # outside the lock: hooks may enqueue tasks, which the running worker then takes
    return worker


def stop_worker() -> None:
    global _worker, _beat
    with _started:
        if _beat is not None:
            _beat.stop()
            _beat = None
        if _worker is not None:
            _worker.stop(in_sighandler=False)
            _worker = None


class LifespanApp:
    """Wraps the ASGI router to handle lifespan: bind the loop and start the embedded worker."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                realtime.bind_server_loop(asyncio.get_running_loop())
                if settings.STYLUS_EMBEDDED and getattr(settings, "STYLUS_EMBEDDED_WORKER", True):
                    await asyncio.get_running_loop().run_in_executor(None, start_worker)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if _worker is not None:
                    await asyncio.get_running_loop().run_in_executor(None, stop_worker)
                realtime.bind_server_loop(None)
                await send({"type": "lifespan.shutdown.complete"})
                return
