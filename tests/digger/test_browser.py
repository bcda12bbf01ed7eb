"""A run started from the search page shows live progress and refreshes the results (real browser)."""
from __future__ import annotations

import pytest

from digger import services
from tests.conftest import browser_login
from tests.digger.fixtures import add_discogs_search_routes, add_ebay_routes
from tests.factories import UserFactory

pytestmark = pytest.mark.browser


def test_run_now_shows_live_progress_then_results(asgi_server, page, digger_replay, discogs_data, ebay_data):
    user = UserFactory(username="crate")
    services.credentials_update(user=user, discogs_username="crate", discogs_token="tok-1234567890",
                                ebay_client_id="app-0001", ebay_client_secret="cert-0001")
    search = services.search_create(user=user, data={"name": "The Fall", "artist": "The Fall", "platform": "both"})
    add_discogs_search_routes(digger_replay, discogs_data)
    add_ebay_routes(digger_replay, ebay_data)
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.add_init_script("document.addEventListener('htmx:wsOpen', () => { window.__wsOpen = true; });")
    browser_login(page, asgi_server, "crate")
    page.goto(f"{asgi_server.url}/digger/searches/{search.pk}/")
    assert page.locator(f"#diggersearch-{search.pk}").get_attribute("data-status") == "idle"
    assert "Dragnet" not in page.locator("#results").inner_text()
    page.wait_for_function("() => window.__wsOpen === true")

    page.click("button.run-now")
    page.wait_for_selector(f"#diggersearch-{search.pk}[data-status=succeeded]", timeout=15_000)
    assert "7 listings: 7 new" in page.locator(f"#diggersearch-{search.pk}").inner_text()
    page.reload()
    assert "Dragnet" in page.locator("#results").inner_text()
    assert not [e for e in errors if "Content Security Policy" in e], errors
