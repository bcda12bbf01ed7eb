"""In a real browser: paste a demo link, get result cards without a page reload."""
import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_browser_paste_a_demo_link_and_get_result_cards(asgi_server, page):
    from io import StringIO

    from recommend import demo

    demo.load(user=None, staff=None, stdout=StringIO())
    first = demo.demo_rows()[0]
    page.goto(f"{asgi_server.url}/recommend/")
    page.fill("input[name=url]", f"https://open.spotify.com/track/{first['track_id']}?si=demo")
    page.fill("input[name=limit]", "6")
    page.click("form.recommend-form button[type=submit]")
    page.wait_for_selector(".recommend-card")
    assert page.locator(".recommend-card").count() == 6
    assert first["track_name"] in page.locator(".recommend-results__head").inner_text()
    assert page.locator(".recommend-card meter").count() == 6
    assert "url=" in page.url  # hx-push-url keeps the result linkable
    page.fill("input[name=url]", "https://example.com/not-spotify")
    page.click("form.recommend-form button[type=submit]")
    page.wait_for_selector(".recommend-error")
    assert "not a Spotify link" in page.locator(".recommend-error").inner_text()


def test_browser_playlist_import_shows_live_progress_to_the_end(asgi_server, page, owner, settings, replay, data_dir):
    from tests.conftest import browser_login

    folder = data_dir / "spotify"
    settings.SPOTIFY_API_URL = f"{replay.url}/v1"
    settings.SPOTIFY_ACCOUNTS_URL = replay.url
    settings.SPOTIFY_CLIENT_ID, settings.SPOTIFY_CLIENT_SECRET = "id", "secret"
    replay.add("/api/token", method="POST", file=folder / "token.json")
    replay.add("/v1/playlists/37i9dQZF1DXcBWIGoYBM5M", file=folder / "playlist.json")
    replay.add("/v1/playlists/37i9dQZF1DXcBWIGoYBM5M/items", query={"offset": "0"},
               file=folder / "playlist_items_page1.json", delay=0.5)
    replay.add("/v1/playlists/37i9dQZF1DXcBWIGoYBM5M/items", query={"offset": "2"},
               file=folder / "playlist_items_page2.json", delay=0.5)
    browser_login(page, asgi_server, "owner")
    page.goto(f"{asgi_server.url}/recommend/playlists/")
    page.fill("input[name=url]", "https://open.spotify.com/playlist/37i9dQZF1DXcBWIGoYBM5M?si=abc")
    page.click("#main form button[type=submit]")
    page.wait_for_url("**/recommend/jobs/**")
    page.wait_for_selector(".progress[data-status=succeeded]", timeout=20_000)
    assert "Imported 2 tracks" in page.locator("#job").inner_text()
    page.click("text=See your playlists")
    assert "Stylus Test Mix" in page.locator("table").inner_text()
