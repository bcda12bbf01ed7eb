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


def test_cart_page_solves_in_the_background_then_shows_the_plan(asgi_server, page):
    from decimal import Decimal

    from tests.digger.factories import CollectionItemFactory, ListingFactory, SavedSearchFactory

    user = UserFactory(username="cartuser")
    search = SavedSearchFactory(user=user)
    for release_id in (1, 2):
        CollectionItemFactory(user=user, kind="want", release_id=release_id, title=f"Record {release_id}")
        ListingFactory(search=search, release_id=release_id, seller="bundle", price=Decimal("10.00"),
                       shipping=Decimal("12.00"), in_wantlist=True, title=f"Record {release_id}",
                       url=f"https://www.discogs.com/sell/item/{release_id}")
        ListingFactory(search=search, release_id=release_id, seller=f"single{release_id}", price=Decimal("8.00"),
                       shipping=Decimal("12.00"), in_wantlist=True, title=f"Record {release_id}")
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    browser_login(page, asgi_server, "cartuser")
    page.goto(f"{asgi_server.url}/digger/cart/")
    page.click("form.cart-form button[type=submit]")
    page.wait_for_selector("text=proven optimal", timeout=20_000)  # the section polls until the job is done
    body = page.locator("#cart-plan").inner_text()
    assert "2 of 2 wants for 36.00 USD" in body and "You save 4.00 USD" in body
    assert page.locator("[data-open-listings]").get_attribute("data-open-listings") == (
        "https://www.discogs.com/sell/item/1 https://www.discogs.com/sell/item/2")
    assert not [e for e in errors if "Content Security Policy" in e], errors
