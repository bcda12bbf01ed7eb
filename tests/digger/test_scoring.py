"""Deal scoring: price against the market, reputation, inventory, location; labels, types, shipping."""
from __future__ import annotations

from decimal import Decimal

import pytest

from digger.scoring import DealItem, build_deals, estimate_shipping, price_score, region_of, reputation_score


def row(i, seller, price, *, market=None, wanted=False, rating="99.9", count=2000, country="United States",
        release=None, platform="discogs", shipping=None, currency="USD"):
    return {"id": i, "platform": platform, "seller": seller, "title": f"Record {i}", "artist": "A", "price": Decimal(price),
            "currency": currency, "shipping": Decimal(shipping) if shipping else None,
            "market_price": Decimal(market) if market else None, "in_wantlist": wanted, "in_collection": False,
            "release_id": release or i, "media_condition": "VG+", "url": "", "seller_rating": Decimal(rating),
            "seller_ratings_count": count, "seller_country": country}


def test_price_score_half_price_is_best_market_price_is_neutral():
    item = lambda p: DealItem(listing_id=1, title="", artist="", price=Decimal(p), currency="USD", market_price=Decimal("20"))  # noqa: E731
    assert price_score([item("10")]) == 1.0
    assert price_score([item("20")]) == 0.5
    assert price_score([item("30")]) == 0.0
    assert price_score([DealItem(listing_id=1, title="", artist="", price=Decimal("5"), currency="USD")]) == 0.5


def test_reputation_rewards_positive_share_and_volume():
    assert reputation_score(Decimal("100"), 10_000) == pytest.approx(1.0)
    assert reputation_score(Decimal("99"), 50) < reputation_score(Decimal("99"), 5000)
    assert reputation_score(Decimal("85"), 5000) < reputation_score(Decimal("99"), 5000)
    assert reputation_score(None, None) == 0.3


def test_multi_item_seller_with_wanted_items_beats_single_item_seller(settings):
    deals = build_deals([
        row(1, "bigstore", "18", market="20", wanted=True), row(2, "bigstore", "18", market="20", wanted=True),
        row(3, "bigstore", "18", market="20", wanted=True), row(4, "onesie", "18", market="20", wanted=True),
    ], preferred="US")
    assert [d.seller for d in deals] == ["bigstore", "onesie"]
    big = deals[0]
    assert big.subscores["inventory"] == 1.0 and "multi_item" in big.types and "location" in big.types
    assert big.subtotal == Decimal("54.00")
    assert big.shipping == Decimal("6.00") + 2 * Decimal("1.50")  # domestic first item + 2 additional
    assert big.total == Decimal("63.00")


def test_labels_and_best_price_type():
    deals = build_deals([
        row(1, "cheap", "8", market="20", wanted=True, release=77, rating="100", count=20000),
        row(2, "dear", "30", market="20", release=77, rating="91", count=3, country="Brazil"),
    ], preferred="US")
    cheap, dear = deals
    assert cheap.seller == "cheap" and "best_price" in cheap.types and "high_feedback" in cheap.types
    assert cheap.label in ("excellent", "very_good") and dear.label == "fair"
    assert "best_price" not in dear.types
    assert cheap.type_labels[:2] == ["best price", "high feedback"]


def test_weights_are_settings(settings):
    rows = [row(1, "s", "30", market="20", rating="100", count=10000)]
    settings.DIGGER_SCORE_WEIGHTS = {"price": 1.0, "reputation": 0.0, "inventory": 0.0, "location": 0.0}
    assert build_deals(rows)[0].score == 0.0
    settings.DIGGER_SCORE_WEIGHTS = {"price": 0.0, "reputation": 1.0, "inventory": 0.0, "location": 0.0}
    assert build_deals(rows)[0].score == 100.0


def test_known_shipping_is_used_and_international_rate_otherwise():
    items = [DealItem(listing_id=i, title="", artist="", price=Decimal("10"), currency="USD") for i in range(2)]
    assert estimate_shipping(items, domestic=False) == Decimal("22.00")
    items[0].shipping = Decimal("9.00")
    assert estimate_shipping(items, domestic=False) == Decimal("13.00")


def test_sellers_are_grouped_per_currency_and_platform():
    deals = build_deals([row(1, "s", "10"), row(2, "s", "10", currency="EUR"), row(3, "s", "10", platform="ebay")])
    assert len(deals) == 3


@pytest.mark.parametrize(("country", "region"), [("US", "US"), ("United States", "US"), ("GB", "UK"),
                                                 ("United Kingdom", "UK"), ("Germany", "EU"), ("FR", "EU"),
                                                 ("Japan", ""), ("", "")])
def test_region_of(country, region):
    assert region_of(country) == region
