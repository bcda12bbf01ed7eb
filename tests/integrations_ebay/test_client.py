"""The eBay Browse client: OAuth token caching, search parameters, real recordings, the daily budget."""
from __future__ import annotations

import base64
from decimal import Decimal

import pytest

from integrations.ebay.client import CallBudget, EbayClient
from integrations.ebay.errors import BudgetExhausted, CredentialsRejected
from integrations.errors import MalformedResponse, NotConfigured

SEARCH = "/buy/browse/v1/item_summary/search"
TOKEN = "/identity/v1/oauth2/token"


@pytest.fixture
def client(digger_replay, ebay_data):
    digger_replay.add(TOKEN, method="POST", file=ebay_data / "token.json")
    c = EbayClient(client_id="app-id", client_secret="cert-secret")
    yield c
    c.close()


def test_missing_credentials_are_not_configured():
    with pytest.raises(NotConfigured, match="eBay is not configured"):
        EbayClient(client_id="", client_secret="x")


def test_token_is_fetched_once_with_basic_auth_and_cached(client, digger_replay, ebay_data):
    digger_replay.add(SEARCH, file=ebay_data / "search_the_fall.json")
    client.search(query="The Fall")
    client.search(query="The Fall")
    token_requests = digger_replay.requests_to(TOKEN, "POST")
    assert len(token_requests) == 1
    assert token_requests[0].headers["Authorization"] == "Basic " + base64.b64encode(b"app-id:cert-secret").decode()
    assert b"grant_type=client_credentials" in token_requests[0].body
    searches = digger_replay.requests_to(SEARCH)
    assert all(r.headers["Authorization"] == "Bearer v^1.1#i^1#test-application-token" for r in searches)
    headers = {k.lower(): v for k, v in searches[0].headers.items()}
    assert headers["x-ebay-c-marketplace-id"] == "EBAY_US"


def test_search_sends_vinyl_category_filters_and_sort(client, digger_replay, ebay_data):
    digger_replay.add(SEARCH, file=ebay_data / "search_the_fall.json")
    page = client.search(query="The Fall Dragnet", conditions=["1000", "3000"], price_min=Decimal("5"),
                         price_max=Decimal("50"), currency="USD", location_country="US",
                         buying_options=["FIXED_PRICE"], sort="price", limit=100)
    request = digger_replay.requests_to(SEARCH)[0]
    assert request.param("category_ids") == "176985"
    assert request.param("sort") == "price" and request.param("limit") == "100"
    assert request.param("filter") == ("conditionIds:{1000|3000},price:[5..50],priceCurrency:USD,"
                                       "itemLocationCountry:US,buyingOptions:{FIXED_PRICE}")
    first = page.items[0]
    assert first.item_id == "v1|110000000001|0" and first.price.value == Decimal("27.50")
    assert first.seller.username == "crate_digger_77" and first.seller.feedback_score == 1290
    assert first.shipping.value == Decimal("5.00") and first.location_country == "US"


def test_real_search_recording_parses(client, digger_replay, shared_fixtures):
    digger_replay.add(SEARCH, file=shared_fixtures / "ebay/browse_item_summary_search_q_nvidia_rtx_a5000_limit3.json")
    page = client.search(query="NVIDIA RTX A5000", limit=3)
    assert page.total == 5619 and page.has_next and len(page.items) == 3
    assert page.items[0].seller.feedback_percentage == Decimal("0.0")
    assert all(i.price is not None for i in page.items)


def test_real_item_recording_parses(client, digger_replay, shared_fixtures):
    digger_replay.add("/buy/browse/v1/item/v1%7C296057072805%7C0", file=shared_fixtures / "ebay/browse_item_v1_296057072805_0.json")
    item = client.item("v1|296057072805|0")
    assert item.item_id == "v1|296057072805|0" and item.price.value == Decimal("1500.00")
    assert item.location_country == "AE" and item.shipping.value == Decimal("0.00")
    assert item.aspects


def test_expired_token_is_dropped_on_401_and_refetched_once(client, digger_replay, ebay_data):
    digger_replay.add(SEARCH, status=401, file=ebay_data / "error_invalid_token.json", times=1)
    digger_replay.add(SEARCH, file=ebay_data / "search_the_fall.json")
    page = client.search(query="The Fall")
    assert len(page.items) == 3
    assert len(digger_replay.requests_to(TOKEN, "POST")) == 2


def test_persistent_401_is_credentials_rejected(client, digger_replay, ebay_data):
    digger_replay.add(SEARCH, status=401, file=ebay_data / "error_invalid_token.json")
    with pytest.raises(CredentialsRejected):
        client.search(query="x")
    assert len(digger_replay.requests_to(SEARCH)) == 2


def test_bad_client_credentials_are_rejected(digger_replay, ebay_data):
    digger_replay.add(TOKEN, method="POST", status=401, file=ebay_data / "token_invalid_client.json")
    c = EbayClient(client_id="wrong", client_secret="wrong")
    with pytest.raises(CredentialsRejected):
        c.token()
    c.close()


def test_malformed_search_body(client, digger_replay):
    digger_replay.add(SEARCH, body="<html>maintenance</html>", content_type="text/html")
    with pytest.raises(MalformedResponse):
        client.search(query="x")


def test_daily_budget_stops_calls_before_they_are_made(digger_replay, ebay_data):
    digger_replay.add(TOKEN, method="POST", file=ebay_data / "token.json")
    digger_replay.add(SEARCH, file=ebay_data / "search_empty.json")
    c = EbayClient(client_id="budget-app", client_secret="s", budget=CallBudget(app_key="budget-app", budget=2))
    c.search(query="a")
    c.search(query="b")
    with pytest.raises(BudgetExhausted, match="daily call budget"):
        c.search(query="c")
    assert len(digger_replay.requests_to(SEARCH)) == 2
    assert c.budget.used() == 2 and c.budget.remaining() == 0
    c.close()
