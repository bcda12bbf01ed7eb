"""Running saved searches against the replay server: idempotent upserts, changes, gone, errors, locking."""
from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from common.exceptions import Conflict
from digger import services
from digger.models import Listing, Notification, PriceHistory, ReleasePrice, SavedSearch, SearchRun
from tests.digger.factories import CollectionItemFactory, SavedSearchFactory
from tests.digger.fixtures import add_discogs_search_routes, add_ebay_routes

pytestmark = pytest.mark.django_db


@pytest.fixture
def fall_search(configured_owner):
    CollectionItemFactory(user=configured_owner, kind="want", release_id=372000, artist="The Fall", title="Dragnet",
                          catno="SFLP 4")
    CollectionItemFactory(user=configured_owner, kind="collection", release_id=1018055, artist="The Fall",
                          title="Live At The Witch Trials", catno="SFLP 1")
    return services.search_create(user=configured_owner, data={"name": "The Fall", "artist": "The Fall", "platform": "both",
                                                              "price_max": "100", "format": "Vinyl"})


def run_once(search: SavedSearch) -> SearchRun:
    run = services.search_run_request(search=search, enqueue=False)
    return services.search_run_execute(run_id=run.pk)


def test_run_stores_both_platforms_with_matches_and_market_prices(fall_search, digger_replay, discogs_data, ebay_data):
    add_discogs_search_routes(digger_replay, discogs_data)
    add_ebay_routes(digger_replay, ebay_data)
    run = run_once(fall_search)
    assert run.status == SearchRun.Status.SUCCEEDED, run.errors
    # GBP/EUR listings are kept (the price filter applies only in the search's currency); all 4 + 3 eBay.
    assert (run.found, run.new, run.changed, run.gone) == (7, 7, 0, 0)
    dragnet = Listing.objects.get(platform="discogs", external_id="2001001")
    assert dragnet.in_wantlist and dragnet.match_method == "release_id" and dragnet.match_confidence == 100
    assert dragnet.market_price == Decimal("36.00")  # VG+ price suggestion
    witch = Listing.objects.get(platform="discogs", external_id="2001002")
    assert witch.in_collection and not witch.in_wantlist
    ebay_dragnet = Listing.objects.get(platform="ebay", external_id="v1|110000000001|0")
    assert ebay_dragnet.in_wantlist and ebay_dragnet.match_method == "catno" and ebay_dragnet.release_id == 372000
    ebay_witch = Listing.objects.get(platform="ebay", external_id="v1|110000000002|0")
    assert ebay_witch.in_collection and ebay_witch.match_method == "fuzzy" and ebay_witch.match_confidence >= 85
    assert not Listing.objects.get(platform="ebay", external_id="v1|110000000003|0").in_wantlist
    assert ReleasePrice.objects.filter(release_id=372000).exists()
    assert run.report["new_wanted"] == 2 and run.report["duration_s"] is not None
    assert Notification.objects.filter(user=fall_search.user, kind="match", message__contains="2 new want-list").exists()
    search_request = digger_replay.requests_to("/buy/browse/v1/item_summary/search")[0]
    assert search_request.param("category_ids") == "176985"
    assert "price:[..100.00]" in search_request.param("filter")


def test_run_twice_is_idempotent_and_records_changes_and_gone(fall_search, digger_replay, discogs_data, ebay_data, tmp_path):
    add_discogs_search_routes(digger_replay, discogs_data)
    add_ebay_routes(digger_replay, ebay_data)
    run_once(fall_search)
    assert run_once(fall_search).new == 0
    assert Listing.objects.filter(search=fall_search).count() == 7
    # Third run: one Discogs listing is gone and another changed price.
    html = (discogs_data / "sell_list_the_fall.html").read_text()
    html = html.replace('data-pricevalue="29.00">$29.00', 'data-pricevalue="25.00">$25.00')
    start = html.index('<tr class="shortcut_navigable " data-release-id="1018055">')
    end = html.index("</tr>", start) + len("</tr>")
    (tmp_path / "page.html").write_text(html[:start] + html[end:])
    digger_replay.reset()
    add_discogs_search_routes(digger_replay, tmp_path, html="page.html")
    digger_replay.add("/marketplace/price_suggestions/372000", file=discogs_data / "price_suggestions_372000.json")
    add_ebay_routes(digger_replay, ebay_data)
    third = run_once(fall_search)
    assert (third.found, third.new, third.changed, third.gone) == (6, 0, 1, 1)
    dragnet = Listing.objects.get(platform="discogs", external_id="2001001")
    assert list(dragnet.prices.values_list("price", flat=True)) == [Decimal("29.00"), Decimal("25.00")]
    gone = Listing.objects.get(platform="discogs", external_id="2001002")
    assert gone.status == Listing.Status.GONE and gone.gone_at is not None
    assert Listing.objects.filter(search=fall_search).count() == 7


def test_rejected_discogs_token_fails_that_platform_without_retries_and_notifies(fall_search, digger_replay, shared_fixtures,
                                                                                    discogs_data):
    fall_search.platform = "discogs"
    fall_search.save()
    digger_replay.add("/sell/list", file=discogs_data / "sell_list_the_fall.html", content_type="text/html")
    digger_replay.add("/marketplace/price_suggestions/372000", status=401,
                      file=shared_fixtures / "discogs/error_invalid_consumer_token.json")
    run = run_once(fall_search)
    assert run.status == SearchRun.Status.FAILED
    assert run.errors == [{"platform": "discogs", "error": "Discogs rejected the token"}]
    assert len(digger_replay.requests_to("/marketplace/price_suggestions/372000")) == 1  # no retries
    assert not Listing.objects.exists()
    assert Notification.objects.filter(user=fall_search.user, kind="error", message__contains="Discogs rejected the token").exists()


def test_rejected_token_in_task_is_not_retried(fall_search, digger_replay, shared_fixtures, discogs_data,
                                               django_capture_on_commit_callbacks):
    fall_search.platform = "discogs"
    fall_search.save()
    digger_replay.add("/sell/list", file=discogs_data / "sell_list_the_fall.html", content_type="text/html")
    digger_replay.add("/marketplace/price_suggestions/372000", status=401,
                      file=shared_fixtures / "discogs/error_invalid_consumer_token.json")
    with django_capture_on_commit_callbacks(execute=True):
        run = services.search_run_request(search=fall_search)
    run.refresh_from_db()
    assert run.status == SearchRun.Status.FAILED and run.attempts == 1
    assert "Discogs rejected the token" in run.message


def test_malformed_page_stores_nothing_and_keeps_ebay(fall_search, digger_replay, discogs_data, ebay_data):
    add_discogs_search_routes(digger_replay, discogs_data, html="sell_page_broken.html")
    add_ebay_routes(digger_replay, ebay_data)
    run = run_once(fall_search)
    assert run.status == SearchRun.Status.PARTIAL
    assert run.errors[0]["platform"] == "discogs"
    assert not Listing.objects.filter(platform="discogs").exists()
    assert Listing.objects.filter(platform="ebay").count() == 3


def test_transient_failure_leaves_no_rows_and_requeues(fall_search, digger_replay, ebay_data, settings):
    settings.INTEGRATION_MAX_RETRIES = 1
    digger_replay.add("/sell/list", fault="503")
    add_ebay_routes(digger_replay, ebay_data)
    run = services.search_run_request(search=fall_search, enqueue=False)
    from integrations.errors import TransientError

    with pytest.raises(TransientError):
        services.search_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == SearchRun.Status.PENDING  # the task's retry claims it again
    assert not Listing.objects.exists()
    failed = services.search_run_fail(run_id=run.pk, message="Gave up")
    assert failed.status == SearchRun.Status.FAILED


def test_task_retries_transient_errors_then_marks_the_run_failed(fall_search, digger_replay, settings,
                                                                 django_capture_on_commit_callbacks):
    settings.INTEGRATION_MAX_RETRIES = 0
    fall_search.platform = "discogs"
    fall_search.save()
    digger_replay.add("/sell/list", fault="503")
    with django_capture_on_commit_callbacks(execute=True):
        run = services.search_run_request(search=fall_search)
    run.refresh_from_db()
    from digger.tasks import run_saved_search

    assert run.status == SearchRun.Status.FAILED and "Gave up" in run.message
    assert run.attempts == run_saved_search.max_retries + 1
    assert len(digger_replay.requests_to("/sell/list")) == run_saved_search.max_retries + 1


def test_only_one_run_of_a_search_at_a_time(fall_search):
    first = services.search_run_request(search=fall_search, enqueue=False)
    with pytest.raises(Conflict, match="already running"):
        services.search_run_request(search=fall_search, enqueue=False)
    # A second worker handed the same run id cannot claim it either.
    SearchRun.objects.filter(pk=first.pk).update(status=SearchRun.Status.RUNNING)
    assert services.search_run_execute(run_id=first.pk).status == SearchRun.Status.RUNNING
    assert SearchRun.objects.filter(search=fall_search).count() == 1


def test_missing_credentials_are_reported_not_crashed(owner, digger_replay):
    search = services.search_create(user=owner, data={"name": "x", "query": "Can Tago Mago"})
    run = run_once(search)
    assert run.status == SearchRun.Status.FAILED
    assert {e["platform"] for e in run.errors} == {"discogs", "ebay"}
    assert all("not configured" in e["error"] for e in run.errors)
    assert digger_replay.requests == []
    assert not Notification.objects.filter(user=owner).exists()  # the pages say so; no notice every run


def test_ebay_budget_exhausted_stops_cleanly(fall_search, digger_replay, discogs_data, ebay_data, settings):
    settings.EBAY_DAILY_CALL_BUDGET = 0
    add_discogs_search_routes(digger_replay, discogs_data)
    add_ebay_routes(digger_replay, ebay_data)
    run = run_once(fall_search)
    assert run.status == SearchRun.Status.PARTIAL
    assert run.errors == [{"platform": "ebay", "error": "eBay daily call budget reached (0 calls today); run stopped"}]
    assert digger_replay.requests_to("/buy/browse/v1/item_summary/search") == []


def test_scraping_off_falls_back_to_marketplace_stats(fall_search, digger_replay, discogs_data, settings):
    settings.DISCOGS_MARKETPLACE_SCRAPING = False
    settings.DIGGER_PRICE_LOOKUPS_PER_RUN = 2
    fall_search.platform = "discogs"
    fall_search.save()
    digger_replay.add("/database/search", file=discogs_data / "search_the_fall.json")
    digger_replay.add("/marketplace/stats/372000", file=discogs_data / "stats_372000.json")
    digger_replay.add("/marketplace/stats/1018055", file=discogs_data / "stats_1018055.json")
    digger_replay.add("/marketplace/price_suggestions/372000", file=discogs_data / "price_suggestions_372000.json")
    run = run_once(fall_search)
    assert run.status == SearchRun.Status.SUCCEEDED, run.errors
    listing = Listing.objects.get()
    assert (listing.external_id, listing.price, listing.in_wantlist) == ("release-372000", Decimal("21.50"), True)
    assert digger_replay.requests_to("/sell/list") == []


def test_condition_filter_drops_worse_listings(fall_search, digger_replay, discogs_data):
    fall_search.platform = "discogs"
    fall_search.min_media_condition = "VG+"
    fall_search.save()
    add_discogs_search_routes(digger_replay, discogs_data)
    run_once(fall_search)
    assert sorted(Listing.objects.values_list("media_condition", flat=True)) == ["NM", "VG+"]


def test_run_search_command_prints_the_report(fall_search, digger_replay, discogs_data, ebay_data):
    add_discogs_search_routes(digger_replay, discogs_data)
    add_ebay_routes(digger_replay, ebay_data)
    out = io.StringIO()
    call_command("run_search", str(fall_search.pk), stdout=out)
    text = out.getvalue()
    assert f"saved search {fall_search.pk}" in text and "succeeded" in text
    assert "found 7, new 7, changed 0, gone 0" in text
    assert PriceHistory.objects.count() == 7


def test_run_search_command_unknown_id():
    with pytest.raises(CommandError, match="No saved search"):
        call_command("run_search", "999999")


def test_run_logs_the_search(fall_search, digger_replay, discogs_data, ebay_data):
    from common.models import SearchLog

    add_discogs_search_routes(digger_replay, discogs_data)
    add_ebay_routes(digger_replay, ebay_data)
    run_once(fall_search)
    assert SearchLog.objects.filter(section="digger", query="The Fall", user=fall_search.user).exists()


def test_release_id_search_reads_that_release_marketplace(configured_owner, digger_replay, discogs_data):
    search = services.search_create(user=configured_owner, data={"name": "City of Islands", "release_id": "79",
                                                                "platform": "discogs"})
    digger_replay.add("/sell/release/79", file=discogs_data / "sell_release_empty.html", content_type="text/html")
    run = run_once(search)
    assert run.status == SearchRun.Status.SUCCEEDED and run.found == 0
    assert digger_replay.requests_to("/sell/release/79")[0].param("currency") == "USD"


def test_deleted_release_page_is_a_recorded_error_not_a_crash(configured_owner, digger_replay, shared_fixtures):
    search = services.search_create(user=configured_owner, data={"name": "gone", "release_id": "2331612",
                                                                "platform": "discogs"})
    digger_replay.add("/sell/release/2331612", status=404, file=shared_fixtures / "discogs/release_2331612_NOT_FOUND.json")
    run = run_once(search)
    assert run.status == SearchRun.Status.FAILED and "not found" in run.errors[0]["error"]
    assert not Listing.objects.exists()


def test_market_price_falls_back_to_marketplace_stats(fall_search, digger_replay, discogs_data):
    fall_search.platform = "discogs"
    fall_search.save()
    add_discogs_search_routes(digger_replay, discogs_data)  # release 1018055 has no price suggestions
    digger_replay.add("/marketplace/stats/1018055", json_body={"num_for_sale": 3, "lowest_price": {"value": 50.0, "currency": "USD"}})
    run_once(fall_search)
    market = ReleasePrice.objects.get(release_id=1018055)
    assert market.suggestions == {} and market.lowest_price == Decimal("50.00") and market.num_for_sale == 3
    assert Listing.objects.get(external_id="2001002").market_price == Decimal("50.00")


def test_search_run_past_its_time_limit_stops_and_says_so(configured_owner, digger_replay, discogs_data, settings):
    settings.DIGGER_RUN_SOFT_TIME_LIMIT = 0
    add_discogs_search_routes(digger_replay, discogs_data)
    search = SavedSearchFactory(user=configured_owner, platform="discogs")
    run = services.search_run_now(search=search)
    assert run.status == SearchRun.Status.FAILED and "Time limit reached" in run.message
    assert not Listing.objects.exists()
