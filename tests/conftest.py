"""Shared fixtures: actors (owner, outsider, staff), the replay server, real recordings, a live ASGI
server with the embedded worker, and a Playwright browser on Debian's Chromium."""
from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import PASSWORD, UserFactory
from tests.replay.server import ReplayServer

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(autouse=True)
def _clean_cache():
    from django.core.cache import cache

    from common.selectors import _summary_memo

    cache.clear()
    _summary_memo.clear()
    yield


# -- actors ----------------------------------------------------------------------------------------
@pytest.fixture
def owner(db):
    return UserFactory(username="owner")


@pytest.fixture
def outsider(db):
    return UserFactory(username="outsider")


@pytest.fixture
def staff(db):
    return UserFactory(username="staffer", is_staff=True, is_superuser=True)


def _logged_in(client_cls, user):
    c = client_cls()
    c.force_login(user)
    return c


@pytest.fixture
def owner_client(owner):
    from django.test import Client

    return _logged_in(Client, owner)


@pytest.fixture
def outsider_client(outsider):
    from django.test import Client

    return _logged_in(Client, outsider)


@pytest.fixture
def staff_client(staff):
    from django.test import Client

    return _logged_in(Client, staff)


@pytest.fixture
def password():
    return PASSWORD


def _bearer_for(user) -> dict[str, str]:
    from accounts.services import api_token_create

    _, plaintext = api_token_create(user=user, name="tests")
    return {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}


@pytest.fixture
def owner_api(owner):
    """Headers (as Django test client kwargs) carrying a personal token for `owner`."""
    return _bearer_for(owner)


@pytest.fixture
def outsider_api(outsider):
    return _bearer_for(outsider)


@pytest.fixture
def staff_api(staff):
    return _bearer_for(staff)


# -- replay server and real recordings -------------------------------------------------------------
@pytest.fixture(scope="session")
def _replay_session():
    server = ReplayServer().start()
    yield server
    server.stop()


@pytest.fixture
def replay(_replay_session):
    """A fresh replay server (routes and request log cleared)."""
    _replay_session.reset()
    yield _replay_session
    _replay_session.reset()


@pytest.fixture
def shared_fixtures() -> Path:
    """The real recordings in ../shared/fixtures (STYLUS_FIXTURES_DIR); skips when absent."""
    path = Path(settings.STYLUS_FIXTURES_DIR)
    if not path.is_dir():
        pytest.skip(f"real recordings not found at {path} (set STYLUS_FIXTURES_DIR); CI always has them")
    return path


@pytest.fixture
def data_dir() -> Path:
    """This repository's own fixtures (tests/data/<service>/)."""
    return Path(__file__).parent / "data"


# -- live ASGI server with the embedded worker -------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def _end_server_thread_sessions(django_db_setup, django_db_blocker):
    """Live-server and worker threads each opened their own connection; on PostgreSQL they would
    keep the test database from being dropped. Set up after django_db_setup, so this teardown runs
    first: at the very end of the session, when no test can still be using them."""
    yield
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                               "WHERE datname = current_database() AND pid <> pg_backend_pid()")


class LiveServer:
    def __init__(self, url: str) -> None:
        self.url = url

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://")


@pytest.fixture
def asgi_server(transactional_db, settings, _end_server_thread_sessions):
    """Uvicorn serving config.asgi in a thread, with the Celery worker running in-process.

    Tasks run in the background exactly as in `make run`; with REDIS_URL set (CI) they go
    through the Redis broker and channel layer instead of the in-memory ones.
    """
    import uvicorn

    from common import embedded

    settings.ALLOWED_HOSTS = ["*"]
    port = _free_port()
    config = uvicorn.Config("config.asgi:application", host="127.0.0.1", port=port, lifespan="on", log_level="warning",
                            ws="auto")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 15
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    embedded.start_worker(beat=False)
    yield LiveServer(f"http://127.0.0.1:{port}")
    server.should_exit = True
    thread.join(timeout=10)
    embedded.stop_worker()
    from celery import current_app as app

    app.conf.task_always_eager = True


# -- browser -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def _browser():
    # Module scope, not session: Playwright's sync API keeps an event loop running in the main
    # thread while it lives, which would break asyncio-based tests in later modules.
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}: `make test` installs Debian's chromium")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop in this thread
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        # The scraper's flags (config/settings/test.py), which also keep the browser off the network.
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=list(settings.AOTY_CHROMIUM_ARGS), headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(_browser):
    context = _browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def browser_login(page, server: LiveServer, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{server.url}/accounts/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login" not in url)


# -- WebSocket helpers for live-server tests ---------------------------------------------------------
def session_cookie(user) -> str:
    """A Cookie header value carrying a logged-in session for `user` (call outside async code)."""
    from django.test import Client

    c = Client()
    c.force_login(user)
    return f"sessionid={c.cookies['sessionid'].value}"


async def ws_collect(url: str, cookie: str, until: str, timeout: float = 20.0) -> list[str]:
    """Messages a real WebSocket client receives until one contains `until` (or the timeout)."""
    import asyncio

    import websockets

    messages: list[str] = []
    # The page's own origin, port included, as a browser sends it (common.consumers.SameOriginValidator).
    origin = url.replace("ws://", "http://", 1).replace("wss://", "https://", 1).split("/ws/", 1)[0]
    async with websockets.connect(url, additional_headers={"Cookie": cookie, "Origin": origin}) as ws:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                message = await asyncio.wait_for(ws.recv(), timeout=deadline - time.monotonic())
            except TimeoutError:
                break
            messages.append(message)
            if until in message:
                break
    return messages
