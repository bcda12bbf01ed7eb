"""Pages that reach AOTY while the visitor waits spend the per-client external budget; stored data never does.

Also: discovery keys are checked against AOTY's real slugs before anything is fetched or stored.
"""
from __future__ import annotations

import pytest

from albums import services
from albums.models import Album, DiscoveryList
from tests.albums.conftest import html_route

STUB_PATH = "/album/900002-slowdive-everything-is-alive.php"


@pytest.fixture
def one_call_a_minute(settings):
    settings.API_EXTERNAL_RATE = "1/m"


def _spend_the_budget(client) -> None:
    # An explicit AOTY search from the search page spends one call (AOTY need not even answer).
    client.get("/albums/search/?q=anything&remote=1")


def test_album_page_of_stub_spends_the_external_budget(client, aoty, aoty_data, one_call_a_minute, stored_album):
    stub = Album.objects.get(aoty_id=900002)  # a similar album of the stored one, known only from its link
    html_route(aoty, STUB_PATH, aoty_data / "album_small.html")
    _spend_the_budget(client)

    limited = client.get(f"/albums/{stub.pk}/")
    stored = client.get(f"/albums/{stored_album.pk}/")

    assert limited.status_code == 429 and int(limited["Retry-After"]) >= 1
    assert aoty.requests_to(STUB_PATH) == []  # the limited visit never reached AOTY
    assert Album.objects.get(pk=stub.pk).is_stub
    assert stored.status_code == 200  # stored albums cost nothing


def test_discover_list_not_stored_spends_the_external_budget(client, aoty, aoty_data, one_call_a_minute, db):
    aoty.add("/releases/", file=aoty_data / "grid_small.html", content_type="text/html")
    aoty.add("/upcoming/", file=aoty_data / "grid_small.html", content_type="text/html")

    first = client.get("/albums/discover/releases/")
    limited = client.get("/albums/discover/upcoming/")
    again = client.get("/albums/discover/releases/")  # stored now: free

    assert first.status_code == 200 and again.status_code == 200
    assert limited.status_code == 429
    assert aoty.requests_to("/upcoming/") == [] and len(aoty.requests_to("/releases/")) == 1
    assert not DiscoveryList.objects.filter(key="upcoming").exists()


def test_year_lists_not_stored_spend_the_external_budget(client, aoty, one_call_a_minute, db):
    _spend_the_budget(client)

    response = client.get("/albums/years/?year=2022")

    assert response.status_code == 429
    assert aoty.requests_to("/lists.php") == []


def test_list_open_spends_the_external_budget(client, aoty, aoty_data, one_call_a_minute, db):
    aoty.add("/list/2618-top-albums/", file=aoty_data / "list_small.html", content_type="text/html")
    _spend_the_budget(client)

    response = client.post("/albums/lists/open/", {"path": "/list/2618-top-albums/"})

    assert response.status_code == 429
    assert aoty.requests_to("/list/2618-top-albums/") == []
    assert not DiscoveryList.objects.exists()


@pytest.mark.parametrize("key", ["must-hear/evil", "must-hear/2020s/../../admin", "must-hear/1800s", "whatever",
                                 "must-hear/2020s%0A", "list/abc"])
def test_discover_unknown_key_is_404_and_stores_nothing(client, aoty, aoty_data, db, key):
    # Served with a real grid, so the old code (any must-hear/<x> accepted) fetched and stored a list.
    aoty.add("/must-hear/evil/", file=aoty_data / "grid_small.html", content_type="text/html")

    page = client.get(f"/albums/discover/{key}/")
    api = client.get(f"/api/v1/albums/discover/{key}")

    assert page.status_code == 404 and api.status_code == 404
    assert not DiscoveryList.objects.exists()
    assert aoty.requests == []


def test_discover_api_over_long_key_is_422_naming_the_field(client, db):
    response = client.get("/api/v1/albums/discover/" + "a" * 300)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "key"


@pytest.mark.parametrize("key", ["releases", "must-hear", "must-hear/2020s", "must-hear/1950s", "must-hear/2024",
                                 "must-hear/critics/2010s", "must-hear/users/1999", "must-hear/both/2020s", "list/2618"])
def test_discovery_key_valid_accepts_aoty_slugs(key):
    assert services.discovery_key_valid(key=key)


@pytest.mark.parametrize("key", ["must-hear/2990s", "must-hear/1949", "must-hear/3000", "must-hear/critics/", "list/0",
                                 "must-hear/2020s/page/2", "must-hear/2020s\n", "RELEASES"])
def test_discovery_key_valid_refuses_made_up_keys(key):
    assert not services.discovery_key_valid(key=key)
