"""Archive pages that may call the archive spend the per-client external budget; stored data never does."""
from __future__ import annotations

import pytest

from archive.models import ItemSnapshot

from .conftest import ITEM


@pytest.fixture
def tight_budget(settings):
    settings.API_EXTERNAL_RATE = "2/m"


@pytest.fixture
def search_route(ia):
    ia.replay.add("/advancedsearch.php", file=ia.folder / "advancedsearch_testtapers.json")
    return ia


def test_search_page_past_the_budget_gets_the_429_page(client, search_route, tight_budget):
    assert client.get("/archive/", {"q": "one"}).status_code == 200
    assert client.get("/archive/", {"q": "two"}).status_code == 200
    response = client.get("/archive/", {"q": "three"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert len(search_route.replay.requests_to("/advancedsearch.php")) == 2


def test_search_page_answered_from_the_cache_is_never_charged(client, search_route, tight_budget):
    for _ in range(5):
        assert client.get("/archive/", {"q": "jam"}).status_code == 200
    assert len(search_route.replay.requests_to("/advancedsearch.php")) == 1
    # the budget is untouched but for that one call: a new search still goes through
    assert client.get("/archive/", {"q": "other"}).status_code == 200


def test_search_page_with_bad_filters_is_not_charged(client, search_route, tight_budget):
    for _ in range(4):
        assert client.get("/archive/", {"q": "x", "sort": "random"}).status_code == 200  # the form shows the error
    assert client.get("/archive/", {"q": "fresh"}).status_code == 200


def test_item_page_past_the_budget_gets_the_429_page(client, ia, tight_budget, replay):
    for other in ("otheritem1", "otheritem2"):
        replay.add(f"/metadata/{other}", file=ia.folder / "metadata_testtapers.json")
        client.get(f"/archive/items/{other}/")
    response = client.get(f"/archive/items/{ITEM}/")
    assert response.status_code == 429
    assert replay.requests_to(f"/metadata/{ITEM}") == []


def test_item_browse_page_past_the_budget_gets_the_429_page(client, ia, tight_budget):
    client.get("/archive/", {"q": "a"})  # two external calls (no search route: the page shows the error)
    client.get("/archive/", {"q": "b"})
    assert client.get(f"/archive/items/{ITEM}/browse/").status_code == 429


def test_item_page_of_a_cached_item_is_never_charged(client, ia, tight_budget):
    for _ in range(5):
        assert client.get(f"/archive/items/{ITEM}/").status_code == 200
    assert len(ia.replay.requests_to(f"/metadata/{ITEM}")) == 1


def test_item_page_of_a_pinned_snapshot_is_never_charged(client, ia, tight_budget, settings):
    from archive.services import item_snapshot_save
    from integrations.internet_archive.parser import parse_metadata

    item_snapshot_save(meta=parse_metadata(ia.metadata(), identifier=ITEM), pinned=True)
    assert ItemSnapshot.objects.filter(identifier=ITEM, pinned=True).exists()
    for _ in range(5):
        assert client.get(f"/archive/items/{ITEM}/").status_code == 200
        assert client.get(f"/archive/items/{ITEM}/browse/").status_code == 200
    assert ia.replay.requests_to(f"/metadata/{ITEM}") == []
