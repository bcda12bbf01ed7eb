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
