"""The scraper's warm browser pages: reuse, recycling, replacement after a crash or a hang, the request
path with its fallback on a challenge, and the rule that only the top-level document is ever fetched."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from integrations.aoty import fetcher
from integrations.aoty.browser import BrowserPool, launch_args
from integrations.aoty.errors import AotyBlocked
from integrations.errors import TransientError
from tests.conftest import CHROMIUM
from tests.replay.server import ReplayServer

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"Chromium not found at {CHROMIUM}"),
]


@pytest.fixture
def chromium(aoty, settings):
    settings.AOTY_CHROMIUM_PATH = CHROMIUM
    settings.AOTY_TIMEOUT = 10.0
    settings.AOTY_REQUEST_CHALLENGE_LIMIT = 2
    return aoty


@pytest.fixture
def make_pool(chromium):
    pools: list[BrowserPool] = []

    def make(*, pages: int = 2, recycle: int = 200) -> BrowserPool:
        pool = BrowserPool(pages=pages, recycle=recycle)
        pools.append(pool)
        return pool

    yield make
    for pool in pools:
        pool.close()


@pytest.fixture
def album_pages(chromium, aoty_data):
    html = (aoty_data / "album_small.html").read_text()
    for i in range(1, 8):
        chromium.add(f"/album/{i}-x.php", body=html, content_type="text/html; charset=utf-8")
    return chromium


def _navigations(replay, path: str) -> list[str]:
    """For each request to `path`: "navigate" when Chromium loaded it as a page, else "request"."""
    modes = []
    for request in replay.requests_to(path):
        headers = {k.lower(): v for k, v in request.headers.items()}
        modes.append("navigate" if headers.get("sec-fetch-mode") == "navigate" else "request")
    return modes


def test_pool_reuses_warm_pages_across_fetches(make_pool, album_pages):
    pool = make_pool(pages=2)

    for i in range(1, 6):
        page = pool.fetch(f"{album_pages.url}/album/{i}-x.php", 10, mode="navigate")
        assert page.status == 200 and "albumTitle" in page.html

    assert pool.launches == 1 and pool.pages_opened == 1 and pool.navigations == 5  # one caller at a time: one page
    assert _navigations(album_pages, "/album/5-x.php") == ["navigate"]


def test_pool_opens_at_most_browser_pages_for_concurrent_fetches(make_pool, album_pages, aoty_data):
    for i in range(1, 5):
        album_pages.add(f"/slow/{i}.php", file=aoty_data / "album_small.html", content_type="text/html", delay=0.5)
    pool = make_pool(pages=2)

    with ThreadPoolExecutor(4) as callers:
        pages = list(callers.map(lambda i: pool.fetch(f"{album_pages.url}/slow/{i}.php", 10, mode="navigate"), range(1, 5)))

    assert all("albumTitle" in page.html for page in pages)
    assert pool.pages_opened == 2 and pool.navigations == 4 and pool.launches == 1


def test_pool_recycles_a_page_after_page_recycle_fetches(make_pool, album_pages):
    pool = make_pool(pages=1, recycle=2)

    for i in range(1, 6):
        pool.fetch(f"{album_pages.url}/album/{i}-x.php", 10, mode="navigate")

    assert pool.pages_opened == 3 and pool.pages_replaced == 2 and pool.launches == 1


def test_pool_replaces_a_crashed_page(make_pool, album_pages):
    pool = make_pool(pages=1)
    pool.fetch(f"{album_pages.url}/album/1-x.php", 10, mode="navigate")

    assert pool.crash_idle_page()
    page = pool.fetch(f"{album_pages.url}/album/2-x.php", 10, mode="navigate")

    assert page.status == 200 and "albumTitle" in page.html
    assert pool.pages_replaced == 1 and pool.pages_opened == 2 and pool.launches == 1


def test_pool_replaces_a_page_that_hangs_past_its_deadline(make_pool, album_pages, aoty_data):
    album_pages.add("/slow.php", file=aoty_data / "album_small.html", content_type="text/html", delay=3)
    pool = make_pool(pages=1)

    with pytest.raises(TransientError):
        pool.fetch(f"{album_pages.url}/slow.php", 1, mode="navigate")
    page = pool.fetch(f"{album_pages.url}/album/1-x.php", 10, mode="navigate")

    assert page.status == 200 and pool.pages_replaced == 1 and pool.pages_opened == 2


def test_request_mode_uses_the_context_request_after_a_normal_page(make_pool, album_pages):
    pool = make_pool()

    first = pool.fetch(f"{album_pages.url}/album/1-x.php", 10, mode="request")
    second = pool.fetch(f"{album_pages.url}/album/2-x.php", 10, mode="request")

    assert "albumTitle" in first.html and "albumTitle" in second.html
    assert _navigations(album_pages, "/album/1-x.php") == ["navigate"]  # a page first, for the cookies
    assert _navigations(album_pages, "/album/2-x.php") == ["request"]
    assert pool.request_fetches == 1 and pool.navigations == 1
    user_agent = {k.lower(): v for k, v in album_pages.requests_to("/album/2-x.php")[0].headers.items()}["user-agent"]
    assert user_agent.startswith("Stylus")


def test_navigate_mode_never_uses_the_request_path(make_pool, album_pages):
    pool = make_pool()

    for i in (1, 2, 3):
        pool.fetch(f"{album_pages.url}/album/{i}-x.php", 10, mode="navigate")

    assert pool.request_fetches == 0 and pool.navigations == 3
    assert _navigations(album_pages, "/album/3-x.php") == ["navigate"]


def _challenge_the_request_path_only(replay, path: str, *, challenge, html: str) -> None:
    """`path` answers a browser navigation with the album page and anything else (the request path) with
    Cloudflare's challenge, however often it is asked."""
    replay.add(path, body=html, content_type="text/html", request_headers={"Sec-Fetch-Mode": "navigate"})
    replay.add(path, file=challenge, status=403, content_type="text/html", headers={"cf-mitigated": "challenge"})


def test_request_mode_falls_back_to_navigation_on_a_challenge_then_stops_using_it(make_pool, album_pages, aoty_data):
    html = (aoty_data / "album_small.html").read_text()
    for path in ("/c1.php", "/c2.php"):
        _challenge_the_request_path_only(album_pages, path, challenge=aoty_data / "challenge.html", html=html)
    pool = make_pool()
    pool.fetch(f"{album_pages.url}/album/1-x.php", 10, mode="request")

    fell_back = pool.fetch(f"{album_pages.url}/c1.php", 10, mode="request")
    pool.fetch(f"{album_pages.url}/c2.php", 10, mode="request")  # the second challenge in a row (limit 2)
    after = pool.fetch(f"{album_pages.url}/album/3-x.php", 10, mode="request")

    assert fell_back.status == 200 and "albumTitle" in fell_back.html
    assert _navigations(album_pages, "/c1.php") == ["request", "navigate"]
    assert _navigations(album_pages, "/c2.php") == ["request", "navigate"]
    assert pool.request_disabled
    assert _navigations(album_pages, "/album/3-x.php") == ["navigate"] and "albumTitle" in after.html


def test_request_mode_counts_only_challenges_in_a_row(make_pool, album_pages, aoty_data):
    html = (aoty_data / "album_small.html").read_text()
    for path in ("/c1.php", "/c2.php"):
        _challenge_the_request_path_only(album_pages, path, challenge=aoty_data / "challenge.html", html=html)
    pool = make_pool()
    pool.fetch(f"{album_pages.url}/album/1-x.php", 10, mode="request")

    pool.fetch(f"{album_pages.url}/c1.php", 10, mode="request")
    pool.fetch(f"{album_pages.url}/album/2-x.php", 10, mode="request")  # a normal answer ends the run
    pool.fetch(f"{album_pages.url}/c2.php", 10, mode="request")
    pool.fetch(f"{album_pages.url}/album/3-x.php", 10, mode="request")

    assert not pool.request_disabled and pool.challenge_streak == 0
    assert _navigations(album_pages, "/album/3-x.php") == ["request"]


def test_playwright_fetcher_in_request_mode_still_raises_blocked_when_navigation_is_challenged(
        chromium, aoty_data, settings):
    settings.AOTY_FETCH_MODE = "request"
    settings.AOTY_BROWSER_PAGES = 1
    fetcher.shared_browser_reset()
    chromium.add("/album/1-x.php", file=aoty_data / "album_small.html", content_type="text/html")
    chromium.add("/blocked.php", file=aoty_data / "challenge.html", status=403, content_type="text/html")
    try:
        page = fetcher.PlaywrightFetcher().fetch(f"{chromium.url}/album/1-x.php")
        with pytest.raises(AotyBlocked):
            fetcher.PlaywrightFetcher().fetch(f"{chromium.url}/blocked.php")
    finally:
        fetcher.shared_browser_reset()
    assert "albumTitle" in page.html
    assert _navigations(chromium, "/blocked.php") == ["request", "navigate"]


def test_shared_pool_is_sized_by_the_page_settings(chromium, settings):
    settings.AOTY_BROWSER_PAGES, settings.AOTY_PAGE_RECYCLE = 3, 7
    fetcher.shared_browser_reset()
    try:
        pool = fetcher.shared_browser()

        assert (pool.pages, pool.recycle) == (3, 7)
        assert fetcher.shared_browser() is pool and pool.launches == 0  # one pool per process, started lazily
    finally:
        fetcher.shared_browser_reset()


def test_playwright_fetcher_in_navigate_mode_loads_every_page_and_recycles_by_setting(chromium, aoty_data, settings):
    settings.AOTY_FETCH_MODE = "navigate"
    settings.AOTY_BROWSER_PAGES, settings.AOTY_PAGE_RECYCLE = 1, 2
    fetcher.shared_browser_reset()
    for i in (1, 2, 3):
        chromium.add(f"/album/{i}-x.php", file=aoty_data / "album_small.html", content_type="text/html")
    try:
        pages = [fetcher.PlaywrightFetcher().fetch(f"{chromium.url}/album/{i}-x.php") for i in (1, 2, 3)]
        pool = fetcher.shared_browser()
        counters = (pool.navigations, pool.request_fetches, pool.pages_opened, pool.pages_replaced)
    finally:
        fetcher.shared_browser_reset()

    assert all("albumTitle" in page.html for page in pages)
    assert counters == (3, 0, 2, 1)  # the page that served 2 fetches was replaced before the third
    assert [_navigations(chromium, f"/album/{i}-x.php") for i in (1, 2, 3)] == [["navigate"]] * 3


def test_scraper_browser_keeps_the_chromium_flags_and_turns_images_off(settings):
    settings.AOTY_CHROMIUM_ARGS = ["--no-sandbox", "--blink-settings=imagesEnabled=false"]
    assert launch_args() == ["--no-sandbox", "--blink-settings=imagesEnabled=false"]  # never twice

    settings.AOTY_CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu"]
    assert launch_args() == ["--no-sandbox", "--disable-gpu", "--blink-settings=imagesEnabled=false"]


def test_pool_page_requests_no_images(make_pool, chromium):
    # Refused by the route anyway; with images off Chromium does not even ask for them.
    images = [f"{chromium.url}/img{i}.png" for i in range(5)]
    chromium.add("/pictures.php", body="<html><body><h1>pictures</h1>" + "".join(f'<img src="{u}">' for u in images)
                 + "</body></html>", content_type="text/html")
    pool = make_pool(pages=1)
    asked: list[str] = []

    async def watch() -> None:
        context = await pool._ensure_context()
        context.on("request", lambda request: asked.append(request.url))

    pool.run(watch(), 10)
    pool.fetch(f"{chromium.url}/pictures.php", 10, mode="navigate")
    pool.fetch(f"{chromium.url}/pictures.php", 10, mode="navigate")  # time for a late parse of the first

    assert not [url for url in asked if "/img" in url]


def test_browser_fetches_only_the_top_level_document(make_pool, chromium):
    canary = ReplayServer().start()
    try:
        for path in ("/iframe", "/object", "/embed", "/img.png", "/style.css", "/nested", "/frame"):
            canary.add(path, body="<html><body>canary</body></html>", content_type="text/html")
        page_html = f"""<!doctype html><html><head><link rel="stylesheet" href="{canary.url}/style.css"></head><body>
            <h1>embeds</h1>
            <iframe src="{canary.url}/iframe"></iframe>
            <iframe srcdoc="<iframe src='{canary.url}/nested'></iframe>"></iframe>
            <object data="{canary.url}/object" type="text/html"></object>
            <embed src="{canary.url}/embed" type="text/html">
            <img src="{canary.url}/img.png">
            <frameset><frame src="{canary.url}/frame"></frameset>
            </body></html>"""
        chromium.add("/embeds.php", body=page_html, content_type="text/html")
        pool = make_pool(pages=1)

        page = pool.fetch(f"{chromium.url}/embeds.php", 10, mode="navigate")
        # Give any stray sub-frame load time to arrive before checking the canary.
        pool.fetch(f"{chromium.url}/embeds.php", 10, mode="navigate")

        assert page.status == 200 and "<h1>embeds</h1>" in page.html
        assert canary.requests == []
    finally:
        canary.stop()
