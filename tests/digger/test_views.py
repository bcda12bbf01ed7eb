"""Digger pages: render for the owner, 404 for outsiders, htmx partials, prefilled search form."""
from __future__ import annotations

import pytest
from django.urls import reverse

from common.selectors import realtime_group_allowed
from digger.models import SavedSearch, SearchRun
from tests.digger.factories import CollectionItemFactory, ListingFactory, SavedSearchFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def search(owner):
    s = SavedSearchFactory(user=owner, name="Fall hunt")
    ListingFactory(search=s, title="Dragnet", price="25.00", seller="recordroom", in_wantlist=True,
                   match_method="release_id", match_confidence=100, release_id=372000)
    ListingFactory(search=s, title="Grotesque", price="12.00", seller="vinylvault", platform="ebay")
    return s


def test_pages_render_for_the_owner(owner_client, search):
    CollectionItemFactory(user=search.user, kind="collection", release_id=372000, title="Dragnet")
    for name, args in [("digger:index", []), ("digger:search_list", []), ("digger:search_create", []),
                       ("digger:search_detail", [search.pk]), ("digger:search_edit", [search.pk]), ("digger:deals", []),
                       ("digger:collection", []), ("digger:release_detail", [372000]), ("digger:settings", [])]:
        r = owner_client.get(reverse(name, args=args))
        assert r.status_code == 200, name


def test_dashboard_shows_not_configured_state(owner_client):
    body = owner_client.get(reverse("digger:index")).content.decode()
    assert "Not configured" in body and "Discogs has no personal access token" in body


def test_anonymous_sees_an_introduction_and_private_pages_ask_to_log_in(client):
    r = client.get(reverse("digger:index"))
    body = r.content.decode()
    assert r.status_code == 200 and "Log in" in body and "Last runs" not in body and "Not configured" not in body
    for name in ("digger:search_list", "digger:deals", "digger:collection", "digger:settings"):
        r = client.get(reverse(name))
        assert r.status_code == 302 and "/accounts/login/" in r["Location"], name


def test_outsider_gets_404_everywhere(outsider_client, search):
    for name, args, method in [("digger:search_detail", [search.pk], "get"), ("digger:search_edit", [search.pk], "get"),
                               ("digger:search_delete", [search.pk], "post"), ("digger:search_run", [search.pk], "post")]:
        assert getattr(outsider_client, method)(reverse(name, args=args)).status_code == 404, name
    assert SavedSearch.objects.filter(pk=search.pk).exists() and not SearchRun.objects.exists()
    assert "Dragnet" not in outsider_client.get(reverse("digger:deals")).content.decode()
    release = outsider_client.get(reverse("digger:release_detail", args=[372000]))
    assert release.status_code == 200 and "recordroom" not in release.content.decode()
    assert "Fall hunt" not in outsider_client.get(reverse("digger:search_list")).content.decode()


def test_results_sort_and_filter_return_the_partial_for_htmx(owner_client, search):
    url = reverse("digger:search_detail", args=[search.pk])
    r = owner_client.get(url, {"sort": "-price"}, HTTP_HX_REQUEST="true")
    body = r.content.decode()
    assert body.lstrip().startswith('<div id="results"') and "<html" not in body
    assert body.index("Dragnet") < body.index("Grotesque")
    body = owner_client.get(url, {"sort": "price"}, HTTP_HX_REQUEST="true").content.decode()
    assert body.index("Grotesque") < body.index("Dragnet")
    body = owner_client.get(url, {"wanted": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Dragnet" in body and "Grotesque" not in body
    body = owner_client.get(url, {"platform": "ebay"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Grotesque" in body and "Dragnet" not in body


def test_match_confidence_is_shown(owner_client, search):
    body = owner_client.get(reverse("digger:search_detail", args=[search.pk])).content.decode()
    assert "wanted · 100%" in body


def test_create_form_prefills_from_query_params(owner_client):
    r = owner_client.get(reverse("digger:search_create"), {"artist": "Joy Division", "title": "Closer"})
    body = r.content.decode()
    assert 'value="Joy Division"' in body and 'value="Closer"' in body and 'value="Joy Division – Closer"' in body


def test_create_search_and_validation_errors(owner_client, owner):
    data = {"name": "Closer", "artist": "Joy Division", "title": "Closer", "platform": "both", "currency": "USD",
            "seller_location": "any", "interval_hours": "24", "active": "on", "price_min": "30", "price_max": "10"}
    r = owner_client.post(reverse("digger:search_create"), data)
    assert r.status_code == 422 and "above the maximum" in r.content.decode()
    r = owner_client.post(reverse("digger:search_create"), {**data, "price_min": "5"})
    search = SavedSearch.objects.get(user=owner)
    assert r.status_code == 302 and r["Location"] == reverse("digger:search_detail", args=[search.pk])


def test_edit_and_delete(owner_client, search):
    data = {"name": "Renamed", "artist": "The Fall", "platform": "discogs", "currency": "EUR", "seller_location": "EU",
            "interval_hours": "6"}
    assert owner_client.post(reverse("digger:search_edit", args=[search.pk]), data).status_code == 302
    search.refresh_from_db()
    assert (search.name, search.platform, search.active, search.interval_hours) == ("Renamed", "discogs", False, 6)
    owner_client.post(reverse("digger:search_delete", args=[search.pk]))
    assert not SavedSearch.objects.filter(pk=search.pk).exists()


def test_run_now_htmx_shows_the_bar(owner_client, search):
    r = owner_client.post(reverse("digger:search_run", args=[search.pk]), HTTP_HX_REQUEST="true")
    body = r.content.decode()
    assert r.status_code == 200 and f'id="diggersearch-{search.pk}"' in body and 'data-status="pending"' in body
    assert "<html" not in body
    assert SearchRun.objects.filter(search=search).count() == 1


def test_settings_saves_masked_credentials(owner_client, owner):
    r = owner_client.post(reverse("digger:settings"), {"discogs_username": "digger", "discogs_token": "tok-abcdefgh-1234",
                                                       "ebay_client_id": "", "ebay_client_secret": "",
                                                       "email_digest": "daily", "preferred_location": "UK"})
    assert r.status_code == 302
    body = owner_client.get(reverse("digger:settings")).content.decode()
    assert "tok-abcdefgh" not in body and "1234" in body
    assert "eBay is not configured" in body


def test_test_connection_button_htmx(owner_client, owner):
    r = owner_client.post(reverse("digger:credentials_test", args=["discogs"]), HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "Discogs is not configured" in r.content.decode()


def test_collection_page_lists_wants_and_sync_needs_credentials(owner_client, owner):
    CollectionItemFactory(user=owner, kind="want", title="Unknown Pleasures", artist="Joy Division")
    body = owner_client.get(reverse("digger:collection"), {"kind": "want"}).content.decode()
    assert "Unknown Pleasures" in body
    r = owner_client.post(reverse("digger:collection_sync"))
    assert r.status_code == 302 and r["Location"] == reverse("digger:settings")


def test_home_card_and_global_search(owner, search):
    from django.utils import timezone

    from common.selectors import home_cards
    from digger.selectors import global_search

    search.listings.update(first_seen_at=timezone.now())
    cards = {c["name"]: c for c in home_cards(user=owner)}
    assert cards["digger"]["title"] == "New digger matches" and cards["digger"]["matches"]
    hits = global_search(user=owner, query="fall")
    assert hits == [{"kind": "saved_search", "title": "Fall hunt", "subtitle": "Digger search · Discogs and eBay",
                     "url": reverse("digger:search_detail", args=[search.pk])}]


def test_global_search_is_private(outsider, search):
    from digger.selectors import global_search

    assert global_search(user=outsider, query="fall") == []


def test_notifications_mark_read(owner_client, owner):
    from digger import services
    from digger.models import Notification

    services.notification_create(user=owner, message="3 new want-list matches")
    assert "3 new want-list matches" in owner_client.get(reverse("digger:index")).content.decode()
    r = owner_client.post(reverse("digger:notifications_read"), HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and not Notification.objects.filter(user=owner, read_at__isnull=True).exists()


def test_release_page_draws_the_price_history(owner_client, owner):
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from digger.models import PriceHistory

    listing = ListingFactory(search=SavedSearchFactory(user=owner), release_id=372000, price="25.00")
    now = timezone.now()
    PriceHistory.objects.create(listing=listing, price=Decimal("30.00"), currency="USD", recorded_at=now - timedelta(days=2))
    PriceHistory.objects.create(listing=listing, price=Decimal("25.00"), currency="USD", recorded_at=now)
    body = owner_client.get(reverse("digger:release_detail", args=[372000])).content.decode()
    assert "<polyline" in body and ">30.00<" in body and ">25.00<" in body


def test_settings_page_asks_to_re_enter_undecryptable_credentials(owner_client, configured_owner, settings):
    from cryptography.fernet import Fernet

    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    r = owner_client.get(reverse("digger:settings"))
    body = r.content.decode()
    assert r.status_code == 200
    assert "Your Discogs token can no longer be decrypted. Please re-enter it." in body
    assert "Your eBay credentials can no longer be decrypted. Please re-enter them." in body
    assert "Please re-enter your credentials" in owner_client.get(reverse("digger:index")).content.decode()


def test_search_progress_group_admits_only_the_owner(owner, outsider):
    search = SavedSearchFactory(user=owner)
    assert realtime_group_allowed(user=owner, kind="diggersearch", object_id=str(search.pk))
    assert not realtime_group_allowed(user=outsider, kind="diggersearch", object_id=str(search.pk))


@pytest.mark.parametrize("value", ["NaN", "-Infinity", "sNaN", "1e999999", "abc"])
def test_search_detail_ignores_a_max_price_that_is_not_a_finite_amount(owner_client, search, value):
    r = owner_client.get(reverse("digger:search_detail", args=[search.pk]), {"max_price": value})
    assert r.status_code == 200 and "Dragnet" in r.content.decode()
