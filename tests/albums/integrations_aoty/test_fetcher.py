"""Fetching AOTY over plain HTTP against the replay server: blocks, rate limits, timeouts, robots.txt."""
from __future__ import annotations

import time

import pytest

from integrations.aoty import client as aoty_client
from integrations.aoty.client import AotyClient
from integrations.aoty.errors import AotyBlocked, AotyDisallowed
from integrations.aoty.fetcher import HttpFetcher, PlaywrightFetcher, get_fetcher
from integrations.errors import NotConfigured, NotFound, RateLimited, TransientError
from tests.albums.conftest import ALBUM_PATH, html_route


def test_fetch_html_returns_the_page_and_sends_user_agent(aoty, aoty_data, settings):
    html_route(aoty, ALBUM_PATH, aoty_data / "album_small.html")

    html = AotyClient().fetch_html(f"https://www.albumoftheyear.org{ALBUM_PATH}")

    assert "Night Ferry" in html
    request = aoty.requests_to(ALBUM_PATH)[0]
    assert request.headers["User-Agent"] == settings.STYLUS_USER_AGENT


def test_fetch_html_raises_blocked_on_cloudflare_403(aoty, aoty_data):
    html_route(aoty, ALBUM_PATH, aoty_data / "challenge.html", status=403)

    with pytest.raises(AotyBlocked) as info:
        AotyClient().fetch_html(ALBUM_PATH)

    assert info.value.status == 403
    assert len(aoty.requests_to(ALBUM_PATH)) == 1  # a block is never retried


def test_fetch_html_raises_blocked_on_challenge_page_served_with_200(aoty, aoty_data):
    html_route(aoty, ALBUM_PATH, aoty_data / "challenge.html", status=200)

    with pytest.raises(AotyBlocked):
        AotyClient().fetch_html(ALBUM_PATH)


def test_fetch_html_raises_blocked_on_cf_mitigated_header(aoty):
    aoty.add(ALBUM_PATH, status=403, body="<html><body>denied</body></html>", headers={"cf-mitigated": "challenge"})

    with pytest.raises(AotyBlocked):
        AotyClient().fetch_html(ALBUM_PATH)


def test_fetch_html_after_block_fails_fast_without_a_request(aoty, aoty_data):
    html_route(aoty, ALBUM_PATH, aoty_data / "challenge.html", status=403, times=1)
    html_route(aoty, ALBUM_PATH, aoty_data / "album_small.html")
    with pytest.raises(AotyBlocked):
        AotyClient().fetch_html(ALBUM_PATH)

    started = time.monotonic()
    with pytest.raises(AotyBlocked):
        AotyClient().fetch_html(ALBUM_PATH)

    assert time.monotonic() - started < 0.5
    assert len(aoty.requests_to(ALBUM_PATH)) == 1
    assert aoty_client.block_status()["reason"]


def test_fetch_html_retries_after_429_and_succeeds(aoty, aoty_data):
    aoty.add(ALBUM_PATH, fault="429", retry_after=0, times=1)
    html_route(aoty, ALBUM_PATH, aoty_data / "album_small.html")

    html = AotyClient().fetch_html(ALBUM_PATH)

    assert "Night Ferry" in html
    assert len(aoty.requests_to(ALBUM_PATH)) == 2


def test_fetch_html_gives_up_on_persistent_429(aoty, settings):
    settings.INTEGRATION_MAX_RETRIES = 2
    aoty.add(ALBUM_PATH, fault="429", retry_after=0)

    with pytest.raises(RateLimited):
        AotyClient().fetch_html(ALBUM_PATH)

    assert len(aoty.requests_to(ALBUM_PATH)) == 3


def test_fetch_html_times_out_as_transient_then_fails_fast(aoty, settings):
    settings.AOTY_TIMEOUT = 0.3
    settings.INTEGRATION_MAX_RETRIES = 1
    aoty.add(ALBUM_PATH, fault="timeout")

    started = time.monotonic()
    with pytest.raises(TransientError):
        AotyClient().fetch_html(ALBUM_PATH)
    assert time.monotonic() - started < 5

    started = time.monotonic()
    with pytest.raises(TransientError):
        AotyClient().fetch_html(ALBUM_PATH)  # AOTY just timed out: no new request, no wait
    assert time.monotonic() - started < 0.2
    assert len(aoty.requests_to(ALBUM_PATH)) == 2


def test_fetch_html_retries_5xx(aoty, aoty_data):
    aoty.add(ALBUM_PATH, fault="503", times=1)
    html_route(aoty, ALBUM_PATH, aoty_data / "album_small.html")

    assert "Night Ferry" in AotyClient().fetch_html(ALBUM_PATH)
    assert len(aoty.requests_to(ALBUM_PATH)) == 2


def test_fetch_html_raises_not_found_on_404(aoty):
    with pytest.raises(NotFound):
        AotyClient().fetch_html("/album/1-missing.php")
    assert len(aoty.requests_to("/album/1-missing.php")) == 1


def test_fetch_html_respects_robots_disallow(aoty, aoty_data):
    aoty.add("/robots.txt", body="User-agent: *\nDisallow: /album/\n", content_type="text/plain")
    html_route(aoty, ALBUM_PATH, aoty_data / "album_small.html")

    with pytest.raises(AotyDisallowed):
        AotyClient().fetch_html(ALBUM_PATH)

    assert aoty.requests_to(ALBUM_PATH) == []
    assert len(aoty.requests_to("/robots.txt")) == 1


def test_fetch_html_reads_robots_once(aoty, aoty_data):
    aoty.add("/robots.txt", body="User-agent: *\nDisallow: /account/\n", content_type="text/plain")
    html_route(aoty, ALBUM_PATH, aoty_data / "album_small.html")
    client = AotyClient()

    client.fetch_html(ALBUM_PATH)
    client.fetch_html(ALBUM_PATH)

    assert len(aoty.requests_to("/robots.txt")) == 1


def test_fetch_html_spaces_requests_by_min_interval(aoty, aoty_data, settings):
    settings.AOTY_MIN_INTERVAL = 0.3
    html_route(aoty, ALBUM_PATH, aoty_data / "album_small.html")
    client = AotyClient()

    client.fetch_html(ALBUM_PATH)
    client.fetch_html(ALBUM_PATH)

    first, second = aoty.requests_to(ALBUM_PATH)
    assert second.at - first.at >= 0.3


def test_get_fetcher_follows_the_setting(settings):
    settings.AOTY_FETCHER = "http"
    assert isinstance(get_fetcher(), HttpFetcher)
    assert get_fetcher("playwright").name == "playwright"
    with pytest.raises(ValueError):
        get_fetcher("curl")


def test_to_base_maps_aoty_urls_onto_the_configured_base(settings):
    settings.AOTY_BASE_URL = "http://127.0.0.1:9999"
    assert aoty_client.to_base("https://www.albumoftheyear.org/album/1-x.php") == "http://127.0.0.1:9999/album/1-x.php"
    assert aoty_client.to_base("/search/?q=a+b") == "http://127.0.0.1:9999/search/?q=a+b"


def test_playwright_without_chromium_is_a_clear_not_configured_error(aoty, settings, db, client):
    from albums.models import Album
    from integrations.aoty import fetcher as fetcher_module
    from integrations.errors import NotConfigured

    settings.AOTY_FETCHER = "playwright"
    settings.AOTY_CHROMIUM_PATH = "/nonexistent/chromium"
    pool = fetcher_module.BrowserPool(pages=1, recycle=1)
    try:
        with pytest.raises(NotConfigured, match="AOTY_FETCHER=http"):
            pool.fetch(f"{aoty.url}{ALBUM_PATH}", 5)
    finally:
        pool.close()
    stub = Album.objects.create(aoty_id=900002, slug="x", title="stub")
    previous = fetcher_module._shared
    fetcher_module._shared = fetcher_module.BrowserPool(pages=1, recycle=1)  # a fresh, unlaunched browser for this process
    try:
        response = client.get(f"/api/v1/albums/{stub.pk}")
    finally:
        fetcher_module._shared.close()
        fetcher_module._shared = previous
    assert response.status_code == 503 and "not set up" in response.json()["detail"]


def test_playwright_with_an_unknown_fetch_mode_is_not_configured_without_a_request(aoty, settings):
    settings.AOTY_FETCH_MODE = "requests"

    with pytest.raises(NotConfigured) as info:
        PlaywrightFetcher().fetch(f"{aoty.url}{ALBUM_PATH}")

    assert "AOTY_FETCH_MODE" in str(info.value)
    assert aoty.requests_to(ALBUM_PATH) == []
