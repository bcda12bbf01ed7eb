"""End to end with Debian's Chromium: Playwright scraping the replay server, and the album page in a browser."""
from __future__ import annotations

from pathlib import Path

import pytest

from albums import services
from albums.models import Album
from integrations.aoty.errors import AotyBlocked
from tests.albums.conftest import ALBUM_PATH, REAL_ALBUM, REAL_ALBUM_PATH, html_route
from tests.conftest import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"Chromium not found at {CHROMIUM}"),
]


@pytest.fixture
def playwright_aoty(aoty, settings):
    settings.AOTY_FETCHER = "playwright"
    settings.AOTY_CHROMIUM_PATH = CHROMIUM
    settings.AOTY_TIMEOUT = 10.0
    return aoty


@pytest.mark.shared_fixtures
def test_playwright_scrape_stores_real_album_and_page_and_api_show_it(playwright_aoty, real_aoty, aoty_data, db, client):
    from integrations.aoty.fetcher import shared_browser

    html_route(playwright_aoty, REAL_ALBUM_PATH, real_aoty / REAL_ALBUM)
    html_route(playwright_aoty, ALBUM_PATH, aoty_data / "album_small.html")

    album = services.album_scrape(url=f"https://www.albumoftheyear.org{REAL_ALBUM_PATH}")
    launches = shared_browser().launches
    services.album_scrape(url=ALBUM_PATH)

    assert shared_browser().launches == launches  # the second page reused the process's browser
    assert (album.title, album.tracks.count(), album.critic_reviews.count()) == ("Don't Be Dumb", 17, 17)
    assert album.similar_links.count() == 6
    assert Album.objects.get(pk=album.pk).fetched_at is not None
    # Only the document was fetched: no stylesheets, scripts or images. Chromium itself may ask for
    # /favicon.ico of a page that declares no icon; that request never reaches Playwright's routing
    # (microsoft/playwright#7493), so it is the one request the fetcher cannot refuse.
    assert {r.path for r in playwright_aoty.requests} - {"/favicon.ico"} == {"/robots.txt", REAL_ALBUM_PATH, ALBUM_PATH}
    api = client.get(f"/api/v1/albums/{album.pk}").json()
    assert api["title"] == "Don't Be Dumb" and len(api["tracks"]) == 17 and len(api["similar"]) == 6
    page = client.get(f"/albums/{album.pk}/").content.decode()
    assert "ORDER OF PROTECTION" in page and "AllMusic" in page


def test_playwright_fetch_raises_blocked_on_cloudflare_challenge(playwright_aoty, aoty_data, db):
    html_route(playwright_aoty, ALBUM_PATH, aoty_data / "challenge.html", status=403)

    with pytest.raises(AotyBlocked):
        services.album_scrape(url=ALBUM_PATH)

    assert not Album.objects.exists()


def test_album_page_review_tabs_swap_in_browser(asgi_server, page, aoty, aoty_data):
    html_route(aoty, ALBUM_PATH, aoty_data / "album_small.html")
    album = services.album_scrape(url=ALBUM_PATH)
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    page.goto(f"{asgi_server.url}/albums/{album.pk}/")
    assert page.locator("#album-reviews").inner_text().count("The Line of Best Fit") == 1
    page.click("a.review-tab[data-tab=users]")
    page.wait_for_selector("#album-reviews >> text=The closer made me miss my stop.")

    assert "The Line of Best Fit" not in page.locator("#album-reviews").inner_text()
    assert page.url.endswith(f"/albums/{album.pk}/")  # swapped in place, not navigated
    assert not [e for e in errors if "Content Security Policy" in e]


def test_playwright_posts_side_requests_for_stats_and_credits(playwright_aoty, aoty_data, db):
    html_route(playwright_aoty, ALBUM_PATH, aoty_data / "album_small.html")
    playwright_aoty.add("/scripts/moreStatsAlbum.php", method="POST", file=aoty_data / "stats_fragment.html",
                        content_type="text/html")
    playwright_aoty.add("/scripts/showAlbumCredits.php", method="POST", file=aoty_data / "credits_fragment.html",
                        content_type="text/html")
    album = services.album_scrape(url=ALBUM_PATH)

    album = services.album_extras_fetch(album_id=album.pk)

    assert album.stats["likes"] == 1034 and album.credits["Performers"][0]["name"] == "Harbour Lights"
    assert playwright_aoty.requests_to("/scripts/moreStatsAlbum.php", method="POST")[0].body == b"albumID=900001"


def test_stale_album_page_shows_live_refreshing_indicator_until_done(asgi_server, page, aoty, aoty_data):
    from django.utils import timezone

    html_route(aoty, ALBUM_PATH, aoty_data / "album_small.html")
    album = services.album_scrape(url=ALBUM_PATH)
    Album.objects.filter(pk=album.pk).update(fetched_at=timezone.now() - timezone.timedelta(days=30), title="Old title")
    from django.core.cache import cache
    cache.clear()
    aoty.reset()
    html_route(aoty, ALBUM_PATH, aoty_data / "album_small.html", delay=1.5)  # a slow AOTY keeps the refresh visible

    page.goto(f"{asgi_server.url}/albums/{album.pk}/")
    assert "Old title" in page.locator("h1").inner_text()  # stored data served at once
    page.wait_for_selector("#album-refresh >> text=Refreshing from AOTY", timeout=5000)
    page.wait_for_selector("#album-refresh >> text=Refreshed.", timeout=15000)

    assert Album.objects.get(pk=album.pk).title == "Night Ferry"
    assert len(aoty.requests_to(ALBUM_PATH)) == 1


def test_playwright_fetch_times_out_when_the_body_stalls_after_the_headers(playwright_aoty, aoty_data, settings):
    """The fetcher returns at commit and then reads the body: that read has its own deadline."""
    from integrations.aoty.fetcher import PlaywrightFetcher
    from integrations.errors import TransientError

    settings.AOTY_TIMEOUT = 0.4
    settings.INTEGRATION_MAX_RETRIES = 0
    playwright_aoty.add(ALBUM_PATH, file=aoty_data / "album_small.html", fault="slow",  # ~1 s to trickle out
                        content_type="text/html; charset=utf-8")

    with pytest.raises(TransientError, match="timed out"):
        PlaywrightFetcher().fetch(f"{playwright_aoty.url}{ALBUM_PATH}")

    settings.AOTY_TIMEOUT = 10.0
    page = PlaywrightFetcher().fetch(f"{playwright_aoty.url}{ALBUM_PATH}")  # patient enough: the whole body
    assert page.status == 200 and page.html.rstrip().endswith("</html>")
