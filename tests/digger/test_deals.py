"""Deals: a listing found by two saved searches is one record to buy, in bundles, totals and lists."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from digger import selectors
from tests.digger.factories import ListingFactory, SavedSearchFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_searches_same_listing(owner):
    first = SavedSearchFactory(user=owner, name="Fall LPs")
    second = SavedSearchFactory(user=owner, name="Dragnet anywhere")
    for search in (first, second):
        ListingFactory(search=search, platform="discogs", external_id="777001", title="Dragnet", price=Decimal("20.00"),
                       shipping=Decimal("5.00"), seller="recordroom", in_wantlist=True, release_id=372000)
    ListingFactory(search=first, platform="discogs", external_id="777002", title="Grotesque", price=Decimal("10.00"),
                   shipping=Decimal("5.00"), seller="recordroom")
    return first, second


def test_deals_count_a_listing_found_by_two_searches_once(owner, two_searches_same_listing):
    deals = selectors.deals_for_user(user=owner)
    assert len(deals) == 1
    deal = deals[0]
    assert sorted(i.title for i in deal.items) == ["Dragnet", "Grotesque"]
    assert deal.subtotal == Decimal("30.00")
    assert deal.wanted_count == 1


def test_deals_page_bundle_says_buy_2_not_3(owner_client, two_searches_same_listing):
    body = owner_client.get(reverse("digger:deals")).content.decode()
    assert "Buy 2 from recordroom" in body
    assert "Buy 3" not in body


def test_deals_api_total_counts_the_listing_once(owner_api, two_searches_same_listing):
    body = Client().get("/api/v1/digger/deals", **owner_api).json()
    assert body["count"] == 1
    deal = body["items"][0]
    assert len(deal["items"]) == 2 and Decimal(deal["subtotal"]) == Decimal("30.00")
    assert deal["summary"].startswith("Buy 2 from recordroom")


def test_dashboard_lists_a_new_match_found_twice_once(owner, two_searches_same_listing):
    matches = selectors.dashboard_for_user(user=owner)["new_matches"]
    assert [m.external_id for m in matches] == ["777001"]


def test_release_page_lists_a_listing_found_twice_once(owner, two_searches_same_listing):
    overview = selectors.release_overview_for_user(user=owner, release_id=372000)
    assert len(overview["listings"]) == 1
