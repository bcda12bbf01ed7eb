"""Publishing live events to Channels groups, after commit, from any thread or process.

With channels_redis any thread may publish through async_to_sync. With the in-memory layer
(embedded mode) that path stalls: asyncio.Queue is not thread-safe and async_to_sync would run
the send on another event loop, so the message waits until the server loop wakes for some other
reason (measured in ../shared/notes/embedded-mode.md). There we hand the send to the ASGI
server's own loop, captured at startup by common.embedded, with run_coroutine_threadsafe.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction
from django.template.loader import render_to_string

log = logging.getLogger(__name__)
_server_loop: asyncio.AbstractEventLoop | None = None
_last_sent: dict[tuple[str, str], float] = {}
_throttle_lock = threading.Lock()
MIN_PROGRESS_INTERVAL = 0.2  # at most 5 progress messages a second per bar


def bind_server_loop(loop: asyncio.AbstractEventLoop | None) -> None:
    global _server_loop
    _server_loop = loop


def send_now(group: str, event: dict[str, Any]) -> None:
    """Sends `event` to `group` immediately (use publish() inside transactions)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        if isinstance(layer, InMemoryChannelLayer) and _server_loop is not None and _server_loop.is_running():
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is _server_loop:
                running.create_task(layer.group_send(group, event))
            else:
                asyncio.run_coroutine_threadsafe(layer.group_send(group, event), _server_loop)
        else:
            async_to_sync(layer.group_send)(group, event)
    except Exception:  # live updates are best effort; the page also polls the stored state
        log.warning("realtime publish to %s failed", group, exc_info=True)


def publish(group: str, event: dict[str, Any]) -> None:
    """Sends `event` to `group` once the current transaction commits."""
    transaction.on_commit(lambda: send_now(group, event))


def publish_html(groups: list[str] | str, html: str) -> None:
    """Pushes an HTML fragment (hx-swap-oob) to the browsers listening on the groups."""
    for group in [groups] if isinstance(groups, str) else groups:
        publish(group, {"type": "push.html", "html": html})


def progress_context(*, dom_id: str, done: int, total: int, label: str, status: str = "running", message: str = "",
                     ws_url: str = "", oob: bool = False) -> dict[str, Any]:
    """What templates/_partials/progress.html needs; ws_url makes the bar live."""
    percent = 100 if status in ("succeeded", "completed") else (int(done * 100 / total) if total else 0)
    return {"dom_id": dom_id, "done": done, "total": total, "label": label, "status": status,
            "message": message, "percent": max(0, min(percent, 100)), "ws_url": ws_url, "oob": oob}


def render_progress(**kwargs: Any) -> str:
    return render_to_string("_partials/progress.html#bar", {"p": progress_context(**kwargs)})


def publish_progress(*, groups: list[str] | str, dom_id: str, done: int, total: int, label: str,
                     status: str = "running", message: str = "", force: bool = False) -> bool:
    """Renders the shared progress bar and pushes it, throttled to 5 messages a second per bar.

    Terminal states (and force=True) always go out, so the bar never stops short of its end.
    Returns whether a message was sent.
    """
    terminal = status not in ("running", "pending", "downloading") or (total and done >= total)
    key = (str(groups), dom_id)
    now = time.monotonic()
    with _throttle_lock:
        if not (force or terminal) and now - _last_sent.get(key, 0.0) < MIN_PROGRESS_INTERVAL:
            return False
        if len(_last_sent) > 10_000:  # bars whose job died mid-way never send a terminal state
            _last_sent.clear()
        _last_sent[key] = now
        if terminal:
            _last_sent.pop(key, None)
    publish_html(groups, render_progress(dom_id=dom_id, done=done, total=total, label=label, status=status,
                                         message=message, oob=True))
    return True
