"""Fixtures for albums, users_aoty and integrations/aoty: AOTY served by the replay server."""
from __future__ import annotations

from pathlib import Path

import pytest

from integrations.aoty import fetcher

ALBUM_PATH = "/album/900001-harbour-lights-night-ferry.php"
REAL_ALBUM_PATH = "/album/564912-asap-rocky-dont-be-dumb.php"
REAL_ALBUM = "album_564912-asap-rocky-dont-be-dumb.html"
STATS, CREDITS = "/scripts/moreStatsAlbum.php", "/scripts/showAlbumCredits.php"


@pytest.fixture
def aoty_data(data_dir) -> Path:
    return data_dir / "aoty"


@pytest.fixture
def real_aoty(shared_fixtures) -> Path:
    path = shared_fixtures / "aoty"
    if not path.is_dir():
        pytest.skip("no AOTY recordings in the shared fixtures")
    return path


@pytest.fixture
def aoty(replay, settings):
    """AOTY_BASE_URL on the replay server, the plain HTTP fetcher, no politeness delay, fresh robots.txt."""
    settings.AOTY_BASE_URL = replay.url
    settings.AOTY_FETCHER = "http"
    settings.AOTY_MIN_INTERVAL = 0.0
    settings.AOTY_TIMEOUT = 2.0
    fetcher.robots.reset()
    yield replay
    fetcher.robots.reset()


def html_route(replay, path: str, file: Path, **kwargs):
    return replay.add(path, file=file, content_type="text/html; charset=utf-8", **kwargs)


@pytest.fixture
def album_route(aoty, aoty_data):
    """The small album page (with three similar albums) served at ALBUM_PATH."""
    return html_route(aoty, ALBUM_PATH, aoty_data / "album_small.html")


@pytest.fixture
def stored_album(db, album_route):
    from albums import services

    return services.album_scrape(url=ALBUM_PATH)


@pytest.fixture
def fragments(aoty, aoty_data):
    """The album's two side requests (stats and credits), POSTed to the replay server."""
    aoty.add(STATS, method="POST", file=aoty_data / "stats_fragment.html", content_type="text/html")
    aoty.add(CREDITS, method="POST", file=aoty_data / "credits_fragment.html", content_type="text/html")
    return aoty


@pytest.fixture
def fresh_rate_window(monkeypatch):
    """The rate limiter's clock stopped one second into a minute window, so a test that spends a whole
    budget (30 calls, slow on a loaded machine) is never split by a window boundary, where the sliding
    estimate rightly lets a few more through."""
    import time
    from types import SimpleNamespace

    from common import api

    stopped = time.time() // 60 * 60 + 1
    monkeypatch.setattr(api, "time", SimpleNamespace(time=lambda: stopped))
