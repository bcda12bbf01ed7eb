"""Live download progress: only the owner's socket hears it, from a communicator up to a real browser."""
from __future__ import annotations

import asyncio
import json
import re
import time

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from archive import transfer
from archive.consumers import DownloadsConsumer
from archive.models import Download
from tests.conftest import browser_login, session_cookie, ws_collect
from tests.factories import UserFactory

from .conftest import ITEM, TRACKS


async def _connect(user):
    communicator = WebsocketCommunicator(DownloadsConsumer.as_asgi(), "/ws/downloads/")
    communicator.scope["user"] = user
    connected, code = await communicator.connect()
    return communicator, connected, code


@pytest.mark.django_db(transaction=True)
async def test_downloads_socket_streams_only_my_downloads():
    from django.contrib.auth.models import AnonymousUser

    from common import realtime

    realtime.bind_server_loop(asyncio.get_running_loop())
    try:
        me = await sync_to_async(UserFactory)(username="listener")
        other = await sync_to_async(UserFactory)(username="other")
        mine = await sync_to_async(Download.objects.create)(user=me, identifier=ITEM, file_name="a.mp3",
                                                            status="downloading", bytes_total=1000)
        theirs = await sync_to_async(Download.objects.create)(user=other, identifier=ITEM, file_name="b.mp3",
                                                              status="downloading", bytes_total=1000)
        communicator, connected, _ = await _connect(me)
        assert connected
        snapshot = await communicator.receive_from(timeout=3)  # current state on join: mine only
        assert f'id="download-{mine.pk}"' in snapshot and f'id="download-{theirs.pk}"' not in snapshot

        for download, done in ((theirs, 900), (mine, 500)):
            download.bytes_done = done
            await sync_to_async(transfer.publish, thread_sensitive=False)(download, force=True)
        html = await communicator.receive_from(timeout=3)
        assert f'id="download-{mine.pk}"' in html and 'value="50"' in html and 'hx-swap-oob="true"' in html
        assert await communicator.receive_nothing(timeout=0.3)  # the other user's progress never arrives
        await communicator.disconnect()

        anonymous, connected, code = await _connect(AnonymousUser())
        assert not connected and code == 4401
    finally:
        realtime.bind_server_loop(None)


@pytest.mark.django_db(transaction=True)
async def test_generic_progress_socket_refuses_another_users_download():
    from common.consumers import ProgressConsumer

    owner = await sync_to_async(UserFactory)(username="dlowner")
    peeker = await sync_to_async(UserFactory)(username="dlpeeker")
    download = await sync_to_async(Download.objects.create)(user=owner, identifier=ITEM, file_name="a.mp3")
    for user, allowed in ((peeker, False), (owner, True)):
        communicator = WebsocketCommunicator(ProgressConsumer.as_asgi(), f"/ws/progress/download/{download.pk}/")
        communicator.scope["user"] = user
        communicator.scope["url_route"] = {"kwargs": {"kind": "download", "object_id": str(download.pk)}}
        connected, _ = await communicator.connect()
        assert connected is allowed
        if connected:
            assert f'id="download-{download.pk}"' in await communicator.receive_from(timeout=3)
            await communicator.disconnect()




@pytest.fixture
def slow_archive(ia, monkeypatch):
    """The archive answers the first track after a pause, then trickles it out over about a second."""
    monkeypatch.setattr(transfer, "PROGRESS_WRITE_INTERVAL", 0.1)
    ia.serve(TRACKS[0], fault="slow", delay=1.0)
    return ia


def test_download_progress_reaches_a_real_websocket_from_the_worker(asgi_server, slow_archive):
    owner = UserFactory(username="wsowner")
    outsider = UserFactory(username="wsoutsider")
    client = Client()
    client.force_login(owner)
    owner_cookie, outsider_cookie = session_cookie(owner), session_cookie(outsider)

    async def scenario():
        mine = asyncio.create_task(ws_collect(f"{asgi_server.ws_url}/ws/downloads/", owner_cookie,
                                            'data-status="completed"'))
        theirs = asyncio.create_task(ws_collect(f"{asgi_server.ws_url}/ws/downloads/", outsider_cookie,
                                              "never", timeout=4.0))
        await asyncio.sleep(0.5)
        response = await asyncio.to_thread(client.post, "/api/v1/downloads",
                                           data=json.dumps({"identifier": ITEM, "file": TRACKS[0]}),
                                           content_type="application/json")
        assert response.status_code == 201, response.content
        return await mine, await theirs

    mine, theirs = asyncio.run(scenario())
    assert mine and 'data-status="completed"' in mine[-1]
    percents = [int(m) for msg in mine for m in re.findall(r'data-percent="(\d+)"', msg)]
    assert any(0 < p < 100 for p in percents), percents  # the bar moved before it finished
    assert theirs == []
    assert Download.objects.get(user=owner).status == "completed"


def test_browser_watches_the_download_bar_move(asgi_server, slow_archive, page):
    UserFactory(username="browserfan")
    browser_login(page, asgi_server, "browserfan")
    page.goto(f"{asgi_server.url}/archive/items/{ITEM}/")
    row = page.locator("tr", has_text=TRACKS[0])
    row.get_by_role("button", name="Download").click()
    bar = page.locator(".progress[id^=download-]").first
    bar.wait_for()
    seen = []
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        status = bar.get_attribute("data-status")
        seen.append((status, int(bar.get_attribute("data-percent") or 0)))
        if status == "completed":
            break
        time.sleep(0.05)
    assert seen[-1] == ("completed", 100), seen
    assert any(status == "downloading" and 0 < percent < 100 for status, percent in seen), seen
