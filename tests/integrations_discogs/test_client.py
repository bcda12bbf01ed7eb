"""The Discogs client against real recordings (STYLUS_FIXTURES_DIR) and our own fixtures, on the replay server."""
from __future__ import annotations

from decimal import Decimal

import pytest

from integrations.discogs.client import DiscogsClient
from integrations.discogs.errors import PageOutOfRange, ScrapingDisabled, TokenRejected
from integrations.discogs.ratelimit import LocalWindowBackend, RateLimiter
from integrations.errors import MalformedResponse, NotFound


@pytest.fixture
def client(digger_replay):
    c = DiscogsClient(token="secret-token", username="brotherlogic")
    yield c
    c.close()


def test_search_parses_real_results_and_sends_token_and_unique_user_agent(client, digger_replay, shared_fixtures):
    digger_replay.add("/database/search", query={"q": "trash80"}, file=shared_fixtures / "discogs/database_search_q_trash80.json")
    page = client.search(query="trash80", type="")
    assert page.pagination.items == 13
    releases = [r for r in page.results if r.type == "release"]
    assert releases and all(r.id for r in releases)
    request = digger_replay.requests_to("/database/search")[0]
    assert request.headers["Authorization"] == "Discogs token=secret-token"
    assert request.headers["User-Agent"].startswith("StylusDigger/1.0")


def test_search_by_catno_reads_user_data_and_community(client, digger_replay, shared_fixtures):
    digger_replay.add("/database/search", query={"catno": "HSH005", "type": "release"},
                      file=shared_fixtures / "discogs/database_search_catno_hsh005_type_release.json")
    page = client.search(catno="HSH005", type="release")
    assert page.results[0].catno == "HSH005"
    assert page.results[0].in_collection is False and page.results[0].community_have == 0
    assert digger_replay.requests_to("/database/search")[0].param("catno") == "HSH005"


def test_search_empty_result(client, digger_replay, shared_fixtures):
    digger_replay.add("/database/search", file=shared_fixtures / "discogs/database_search_EMPTY.json")
    assert client.search(query="zzzz").results == []


def test_release_parses_real_recording(client, digger_replay, shared_fixtures):
    digger_replay.add("/releases/1018055", file=shared_fixtures / "discogs/release_1018055.json")
    release = client.release(1018055)
    assert release.id == 1018055
    assert release.artists and release.title
    assert release.formats


def test_deleted_release_is_not_found(client, digger_replay, shared_fixtures):
    digger_replay.add("/releases/2331612", status=404, file=shared_fixtures / "discogs/release_2331612_NOT_FOUND.json")
    with pytest.raises(NotFound, match="not found"):
        client.release(2331612)


def test_master_versions_real_recording(client, digger_replay, shared_fixtures):
    digger_replay.add("/masters/67464/versions", file=shared_fixtures / "discogs/master_67464_versions.json")
    page = client.master_versions(67464)
    assert len(page.versions) == 5 and page.pagination.items == 5
    assert page.versions[0].title == "Earth Rot"


def test_collection_pages_until_the_last_one(client, digger_replay, shared_fixtures):
    folder = "/users/brotherlogic/collection/folders/0/releases"
    digger_replay.add(folder, query={"page": "1"}, file=shared_fixtures / "discogs/user_brotherlogic_collection_folder0_releases_page1.json")
    digger_replay.add(folder, query={"page": "2"}, file=shared_fixtures / "discogs/user_brotherlogic_collection_folder0_releases_page32_last.json")
    first = client.collection_page(page=1)
    assert first.pagination.pages == 32 and first.pagination.has_next
    assert len(first.items) == 100
    assert first.items[0].release_id == 2749755 and first.items[0].catnos == ("K066",)
    assert digger_replay.requests_to(folder)[0].param("per_page") == "100"
    last = client.collection_page(page=2)  # the replay serves the real last page (32 of 32)
    assert not last.pagination.has_next


def test_want_list_page_out_of_range_is_a_typed_error(client, digger_replay, shared_fixtures):
    digger_replay.add("/users/brotherlogic/wants", status=404,
                      file=shared_fixtures / "discogs/user_brotherlogic_wants_page4_OUT_OF_RANGE.json")
    with pytest.raises(PageOutOfRange, match="outside of valid range"):
        client.wants_page(page=4)


def test_iter_pages_stops_cleanly_at_page_out_of_range(client, digger_replay, discogs_data):
    digger_replay.add("/users/digger/wants", query={"page": "1"}, file=discogs_data / "wants_p1.json")
    digger_replay.add("/users/digger/wants", query={"page": "2"}, status=404, file=discogs_data / "wants_page2_out_of_range.json")
    pages = list(client.iter_pages("wants", "digger"))
    assert [i.release_id for p in pages for i in p.items] == [372000, 1215019]


def test_invalid_token_raises_token_rejected_without_retries(client, digger_replay, shared_fixtures):
    digger_replay.add("/oauth/identity", status=401, file=shared_fixtures / "discogs/error_invalid_consumer_token.json")
    with pytest.raises(TokenRejected, match="Discogs rejected the token: Invalid consumer token"):
        client.identity()
    assert len(digger_replay.requests_to("/oauth/identity")) == 1


def test_price_suggestions_real_and_empty(client, digger_replay, shared_fixtures):
    digger_replay.add("/marketplace/price_suggestions/1215019", file=shared_fixtures / "discogs/marketplace_price_suggestions_1215019.json")
    digger_replay.add("/marketplace/price_suggestions/2576105", file=shared_fixtures / "discogs/marketplace_price_suggestions_2576105_EMPTY.json")
    suggestions = client.price_suggestions(1215019)
    assert suggestions.currency == "USD"
    assert set(suggestions.by_condition) == {"M", "NM", "VG+", "VG", "G+", "G", "F", "P"}
    assert suggestions.for_condition("VG+") == Decimal("12.83")
    assert client.price_suggestions(2576105).by_condition == {}


def test_marketplace_stats_real_recording(client, digger_replay, shared_fixtures):
    digger_replay.add("/marketplace/stats/1", file=shared_fixtures / "discogs/marketplace_stats_1_minimal.json")
    stats = client.marketplace_stats(1)
    assert stats.num_for_sale == 10 and stats.lowest_price == Decimal("100.00") and stats.currency == "EUR"


def test_malformed_json_is_a_permanent_error(client, digger_replay):
    digger_replay.add("/releases/5", body="<html>oops</html>", content_type="text/html")
    with pytest.raises(MalformedResponse):
        client.release(5)


def test_rate_limit_remaining_zero_pauses_every_worker(digger_replay, discogs_data):
    clock = [1000.0]
    limiter = RateLimiter(backend=LocalWindowBackend(), clock=lambda: clock[0], sleep=lambda s: clock.__setitem__(0, clock[0] + s))
    c = DiscogsClient(token="t", limiter=limiter)
    digger_replay.add("/oauth/identity", file=discogs_data / "identity.json",
                      headers={"X-Discogs-Ratelimit": "60", "X-Discogs-Ratelimit-Used": "60", "X-Discogs-Ratelimit-Remaining": "0"})
    c.identity()
    assert c.last_remaining == 0
    other = RateLimiter(backend=limiter.backend, clock=lambda: clock[0], sleep=lambda s: clock.__setitem__(0, clock[0] + s))
    waited = other.acquire("auth")  # a second worker sharing the window must wait out the pause
    assert waited >= 4.9
    c.close()


def test_429_with_retry_after_is_honoured_then_succeeds(client, digger_replay, discogs_data):
    digger_replay.add("/oauth/identity", fault="429", retry_after=0, times=1)
    digger_replay.add("/oauth/identity", file=discogs_data / "identity.json")
    assert client.identity().username == "example"
    assert len(digger_replay.requests_to("/oauth/identity")) == 2


def test_marketplace_listings_for_release_and_query(client, digger_replay, discogs_data):
    digger_replay.add("/sell/release/79", file=discogs_data / "sell_release_empty.html", content_type="text/html")
    digger_replay.add("/sell/list", file=discogs_data / "sell_list_the_fall.html", content_type="text/html")
    assert client.marketplace_listings(release_id=79) == []
    listings = client.marketplace_listings(query="The Fall", format="Vinyl", currency="USD")
    assert [m.listing_id for m in listings] == ["2001001", "2001002", "2001003", "2001004"]
    request = digger_replay.requests_to("/sell/list")[0]
    assert request.param("q") == "The Fall" and request.param("format") == "Vinyl"
    assert "Authorization" not in request.headers  # public pages are fetched anonymously


def test_marketplace_scraping_can_be_switched_off(digger_replay, settings):
    settings.DISCOGS_MARKETPLACE_SCRAPING = False
    c = DiscogsClient(token="t")
    with pytest.raises(ScrapingDisabled):
        c.marketplace_listings(query="x")
    assert digger_replay.requests == []
    c.close()


def test_master_real_recording(client, digger_replay, shared_fixtures):
    digger_replay.add("/masters/4242", file=shared_fixtures / "discogs/master_4242_city_of_islands.json")
    digger_replay.add("/masters/4242/versions", file=shared_fixtures / "discogs/master_4242_versions_page1.json")
    master = client.master(4242)
    assert master.id == 4242 and master.title == "City Of Islands" and master.styles
    versions = client.master_versions(4242)
    assert [v.id for v in versions.versions][:1] == [79] and versions.versions[0].catno == "SK029"
