"""Fixtures shared by the digger, Discogs and eBay test packages (imported by their conftest.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent.parent / "data"


def reset_limiter() -> None:
    from integrations.discogs import ratelimit

    ratelimit._local_backend.reset()
    client = ratelimit.redis_client()
    if client is not None:
        ratelimit.RedisWindowBackend(client).reset()


@pytest.fixture
def digger_replay(replay, settings):
    """The replay server standing in for api.discogs.com, www.discogs.com and api.ebay.com."""
    settings.DISCOGS_API_URL = replay.url
    settings.DISCOGS_WEB_URL = replay.url
    settings.EBAY_API_URL = replay.url
    settings.DISCOGS_RATE_LIMIT_AUTH = 10_000  # the limiter has its own tests; don't sleep here
    settings.DISCOGS_RATE_LIMIT_ANON = 10_000
    settings.DISCOGS_MARKETPLACE_SCRAPING = True
    reset_limiter()
    yield replay
    reset_limiter()


@pytest.fixture
def discogs_data() -> Path:
    return DATA / "discogs"


@pytest.fixture
def ebay_data() -> Path:
    return DATA / "ebay"


@pytest.fixture
def configured_owner(owner):
    """`owner` with Discogs and eBay credentials stored."""
    from digger.services import credentials_update

    credentials_update(user=owner, discogs_username="digger", discogs_token="discogs-token-1234567890",
                       ebay_client_id="ebay-app-id-0001", ebay_client_secret="ebay-cert-secret-0001")
    return owner


def add_discogs_search_routes(replay, discogs_data: Path, *, html: str = "sell_list_the_fall.html") -> None:
    replay.add("/sell/list", file=discogs_data / html, content_type="text/html; charset=utf-8")
    replay.add("/marketplace/price_suggestions/372000", file=discogs_data / "price_suggestions_372000.json")
    replay.add("/marketplace/price_suggestions/1018055", json_body={})
    replay.add("/marketplace/price_suggestions/555", status=404,
               json_body={"message": "The requested resource was not found."})


def add_ebay_routes(replay, ebay_data: Path, *, search: str = "search_the_fall.json") -> None:
    replay.add("/identity/v1/oauth2/token", method="POST", file=ebay_data / "token.json")
    replay.add("/buy/browse/v1/item_summary/search", file=ebay_data / search)
