"""Live progress: a job started on the running server reaches a real WebSocket client."""
import asyncio
import json
import time

import pytest
import websockets
from celery.result import EagerResult
from channels.testing import WebsocketCommunicator

from common import services
from common.models import Job
from common.realtime import MIN_PROGRESS_INTERVAL, publish_progress
from tests.conftest import session_cookie, ws_collect
from tests.factories import UserFactory


def test_job_progress_reaches_real_websocket_from_background_worker(asgi_server):
    user = UserFactory(username="live")
    job = services.job_create(user=user, kind="export", label="Export my data")
    from accounts.tasks import export_user_data

    cookie = session_cookie(user)

    async def scenario():
        listener = asyncio.create_task(
            ws_collect(f"{asgi_server.ws_url}/ws/progress/job/{job.pk}/", cookie, 'data-status="succeeded"')
        )
        await asyncio.sleep(0.5)  # let the socket join its group before the job starts
        sent = await asyncio.to_thread(export_user_data.delay, job.pk)
        # Sent to the broker for the worker thread, not run inline in this caller.
        assert sent is not None and not isinstance(sent, EagerResult)
        return await listener

    messages = asyncio.run(scenario())
    assert messages, "no progress message reached the browser socket"
    assert f'id="job-{job.pk}"' in messages[-1] and 'hx-swap-oob="true"' in messages[-1]
    assert 'data-status="succeeded"' in messages[-1]
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.result["path"].endswith(".json")


def test_outsider_cannot_join_someone_elses_job_group(asgi_server):
    owner = UserFactory(username="jobowner")
    outsider = UserFactory(username="jobpeeker")
    job = services.job_create(user=owner, kind="export", label="Export")

    cookie = session_cookie(outsider)

    async def attempt():
        async with websockets.connect(f"{asgi_server.ws_url}/ws/progress/job/{job.pk}/",
                                      additional_headers={"Cookie": cookie, "Origin": asgi_server.url}) as ws:
            await ws.recv()

    # Closing before accept() makes the server refuse the handshake with 403.
    with pytest.raises(websockets.exceptions.InvalidStatus) as info:
        asyncio.run(attempt())
    assert info.value.response.status_code == 403


def test_anonymous_socket_is_refused(asgi_server):
    job = services.job_create(user=UserFactory(username="someone"), kind="export", label="Export")

    async def attempt():
        async with websockets.connect(f"{asgi_server.ws_url}/ws/progress/job/{job.pk}/",
                                      additional_headers={"Origin": asgi_server.url}) as ws:
            await ws.recv()

    with pytest.raises(websockets.exceptions.InvalidStatus) as info:
        asyncio.run(attempt())
    assert info.value.response.status_code == 403


@pytest.mark.django_db(transaction=True)
async def test_communicator_receives_published_progress():
    from asgiref.sync import sync_to_async

    user = await sync_to_async(UserFactory)(username="comm")
    job = await sync_to_async(services.job_create)(user=user, kind="export", label="Export")
    from common.consumers import ProgressConsumer

    communicator = WebsocketCommunicator(ProgressConsumer.as_asgi(), f"/ws/progress/job/{job.pk}/")
    communicator.scope["user"] = user
    communicator.scope["url_route"] = {"kwargs": {"kind": "job", "object_id": str(job.pk)}}
    connected, _ = await communicator.connect()
    assert connected
    snapshot = await communicator.receive_from(timeout=3)  # the current state, pushed on join
    assert 'data-status="pending"' in snapshot and 'value="0"' in snapshot
    await sync_to_async(publish_progress)(groups=job.group, dom_id=f"job-{job.pk}", done=3, total=4, label="Export", force=True)
    html = await communicator.receive_from(timeout=3)
    assert 'value="75"' in html and f'id="job-{job.pk}"' in html
    await communicator.disconnect()


def test_progress_publishing_is_throttled_to_five_per_second(monkeypatch):
    sent = []
    monkeypatch.setattr("common.realtime.publish_html", lambda groups, html: sent.append(html))
    results = [publish_progress(groups="job.1", dom_id="job-throttle", done=i, total=1000, label="x") for i in range(50)]
    assert sum(results) == 1  # 50 calls inside 0.2 s: only the first goes out
    time.sleep(MIN_PROGRESS_INTERVAL + 0.01)
    assert publish_progress(groups="job.1", dom_id="job-throttle", done=60, total=1000, label="x")
    assert publish_progress(groups="job.1", dom_id="job-throttle", done=1000, total=1000, label="x", status="succeeded")
    assert len(sent) == 3
    assert json.dumps(sent[-1])  # rendered HTML, serialisable for the channel layer
